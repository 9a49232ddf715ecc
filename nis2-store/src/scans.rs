//! Scan history and recording scans (with their outbox events).

use nis2_core::{AccountId, CheckId, NewScan, PastScan, ScanId, VendorId};
use uuid::Uuid;

use crate::convert::{self, from_micros, micros};
use crate::error::Error;
use crate::model::{Page, ScanRecord};
use crate::store::SqlStore;
use crate::validate;

macro_rules! scan_columns {
    () => {
        "id, account_id, vendor_id, scanned_at, score, grade, risk_level, method, assessment, observations"
    };
}

#[derive(sqlx::FromRow)]
struct ScanRow {
    id: Uuid,
    account_id: Uuid,
    vendor_id: Uuid,
    scanned_at: i64,
    score: i64,
    grade: String,
    risk_level: String,
    method: String,
    assessment: String,
    observations: String,
}

impl TryFrom<ScanRow> for ScanRecord {
    type Error = Error;
    fn try_from(r: ScanRow) -> Result<Self, Error> {
        Ok(ScanRecord {
            id: ScanId(r.id),
            account_id: AccountId(r.account_id),
            vendor_id: VendorId(r.vendor_id),
            scanned_at: from_micros(r.scanned_at)?,
            score: convert::score(r.score)?,
            grade: convert::grade(&r.grade)?,
            risk_level: convert::risk(&r.risk_level)?,
            method: r.method,
            assessment: serde_json::from_str(&r.assessment)?,
            observations: serde_json::from_str(&r.observations)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PastRow {
    id: Uuid,
    scanned_at: i64,
    score: i64,
    grade: String,
    failing_checks: String,
}

impl TryFrom<PastRow> for PastScan {
    type Error = Error;
    fn try_from(r: PastRow) -> Result<Self, Error> {
        let failing: Vec<CheckId> = serde_json::from_str(&r.failing_checks)?;
        Ok(PastScan {
            scan_id: ScanId(r.id),
            scanned_at: from_micros(r.scanned_at)?,
            score: convert::score(r.score)?,
            grade: convert::grade(&r.grade)?,
            failing,
        })
    }
}

impl SqlStore {
    /// A vendor's scans, newest first. Scans of the same instant (the engine
    /// works in whole seconds) come in the reverse order they were stored.
    /// A vendor of another account is [`Error::NotFound`].
    pub async fn scan_history(
        &self,
        account: AccountId,
        vendor: VendorId,
        page: Page,
    ) -> Result<Vec<ScanRecord>, Error> {
        self.vendor_exists(account, vendor).await?;
        let rows: Vec<ScanRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                scan_columns!(),
                " FROM scans WHERE account_id = $1 AND vendor_id = $2 \
                 ORDER BY scanned_at DESC, created_at DESC, id DESC LIMIT $3 OFFSET $4"
            ))
            .bind(account.0)
            .bind(vendor.0)
            .bind(page.sql_limit())
            .bind(page.sql_offset())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ScanRecord::try_from).collect()
    }

    /// A vendor's newest scan, if it has one.
    pub async fn latest_scan(
        &self,
        account: AccountId,
        vendor: VendorId,
    ) -> Result<Option<ScanRecord>, Error> {
        Ok(self
            .scan_history(account, vendor, Page::first(1))
            .await?
            .into_iter()
            .next())
    }

    /// One of the account's scans.
    pub async fn scan(&self, account: AccountId, id: ScanId) -> Result<ScanRecord, Error> {
        let row: Option<ScanRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!("SELECT ", scan_columns!(), " FROM scans WHERE id = $1 AND account_id = $2"))
                .bind(id.0)
                .bind(account.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(Error::NotFound { what: "scan" })?.try_into()
    }

    /// Earlier scans of the vendor for the engine, newest first, at most `limit`.
    pub async fn past_scans(
        &self,
        account: AccountId,
        vendor: VendorId,
        limit: usize,
    ) -> Result<Vec<PastScan>, Error> {
        self.vendor_exists(account, vendor).await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<PastRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, scanned_at, score, grade, failing_checks FROM scans \
                 WHERE account_id = $1 AND vendor_id = $2 ORDER BY scanned_at DESC, created_at DESC, id DESC LIMIT $3",
            )
            .bind(account.0)
            .bind(vendor.0)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(PastScan::try_from).collect()
    }

    /// Stores a scan, updates the vendor's current score, grade, risk level,
    /// last scan time and status (`complete`), and writes the scan's events
    /// to the outbox, in one transaction. A scan older than the vendor's
    /// latest is stored but does not change the vendor's current values.
    /// A vendor of another account is [`Error::NotFound`]; a scan id already
    /// stored is [`Error::Conflict`]; either way nothing is written.
    pub async fn store_scan(&self, scan: &NewScan<'_>) -> Result<(), Error> {
        let a = scan.assessment;
        if a.score > 100 {
            return Err(Error::Invalid {
                field: "score",
                reason: format!("{} is above 100", a.score),
            });
        }
        validate::text("method", &a.method, 100)?;
        let failing: Vec<CheckId> = a.failing().map(|f| f.check_id).collect();
        let failing = serde_json::to_string(&failing)?;
        let assessment = serde_json::to_string(a)?;
        let observations = serde_json::to_string(scan.observations)?;
        let events: Vec<(&'static str, String)> = scan
            .events
            .iter()
            .map(|e| (e.name(), e.to_json()))
            .collect();
        let scanned_at = micros(a.assessed_at);
        let now = micros(time::OffsetDateTime::now_utc().into());
        write_tx!(self, tx => {
            let found: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM vendors WHERE id = $1 AND account_id = $2")
                .bind(scan.vendor_id.0)
                .bind(scan.account_id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(Error::NotFound { what: "vendor" });
            }
            sqlx::query(
                "INSERT INTO scans (id, account_id, vendor_id, scanned_at, score, grade, risk_level, method, \
                 failing_checks, assessment, observations, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(scan.scan_id.0)
            .bind(scan.account_id.0)
            .bind(scan.vendor_id.0)
            .bind(scanned_at)
            .bind(i64::from(a.score))
            .bind(a.grade.as_str())
            .bind(a.risk_level.as_str())
            .bind(a.method.as_ref())
            .bind(&failing)
            .bind(&assessment)
            .bind(&observations)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::unique(e, || format!("scan {} is already stored", scan.scan_id)))?;
            let vendor_changed = sqlx::query(
                "UPDATE vendors SET current_score = $3, current_grade = $4, risk_level = $5, \
                 last_scanned_at = $6, status = 'complete', last_error = NULL \
                 WHERE id = $1 AND account_id = $2 AND (last_scanned_at IS NULL OR last_scanned_at <= $6)",
            )
            .bind(scan.vendor_id.0)
            .bind(scan.account_id.0)
            .bind(i64::from(a.score))
            .bind(a.grade.as_str())
            .bind(a.risk_level.as_str())
            .bind(scanned_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            for (name, body) in &events {
                // next_attempt_at 0: due at once, whatever clock the dispatcher passes.
                sqlx::query(
                    "INSERT INTO outbox (account_id, event_name, body, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, 0)",
                )
                .bind(scan.account_id.0)
                .bind(*name)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            // An older scan than the vendor's latest changes nothing listed.
            if vendor_changed > 0 {
                bump_version!(tx, scan.account_id.0);
            }
        });
        Ok(())
    }

    /// Marks the vendor's scan as failed: status `error`, with the message
    /// kept (cut to [`crate::limits::ERROR_MESSAGE`] characters).
    pub async fn store_scan_failure(
        &self,
        account: AccountId,
        vendor: VendorId,
        message: &str,
    ) -> Result<(), Error> {
        let message = validate::message(message);
        let updated = write_tx!(self, tx => {
            let n = sqlx::query("UPDATE vendors SET status = 'error', last_error = $3 WHERE id = $1 AND account_id = $2")
                .bind(vendor.0)
                .bind(account.0)
                .bind(&message)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                bump_version!(tx, account.0);
            }
            n
        });
        if updated == 0 {
            return Err(Error::NotFound { what: "vendor" });
        }
        Ok(())
    }

    /// The message of the vendor's last failed scan, while its status is `error`.
    pub async fn vendor_error(
        &self,
        account: AccountId,
        vendor: VendorId,
    ) -> Result<Option<String>, Error> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT last_error FROM vendors WHERE id = $1 AND account_id = $2")
                .bind(vendor.0)
                .bind(account.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.ok_or(Error::NotFound { what: "vendor" })?.0)
    }

    pub(crate) async fn vendor_exists(
        &self,
        account: AccountId,
        vendor: VendorId,
    ) -> Result<(), Error> {
        let found: Option<(Uuid,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id FROM vendors WHERE id = $1 AND account_id = $2")
                .bind(vendor.0)
                .bind(account.0)
                .fetch_optional(pool)
                .await?
        });
        found.map(|_| ()).ok_or(Error::NotFound { what: "vendor" })
    }
}
