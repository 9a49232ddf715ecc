//! Vendors: an account's portfolio.

use std::borrow::Cow;

use nis2_core::{AccountId, Timestamp, Vendor, VendorId, VendorStatus};
use uuid::Uuid;

use crate::convert::{self, from_micros, micros, opt_from_micros};
use crate::error::Error;
use crate::model::{NewVendor, Page, VendorPage};
use crate::store::SqlStore;
use crate::validate::{self, limits};

/// The vendor columns, in [`VendorRow`] order.
macro_rules! vendor_columns {
    () => {
        "id, account_id, domain, vendor_name, notes, consent_given, consent_timestamp, status, \
         current_score, current_grade, risk_level, last_scanned_at, created_at"
    };
}

/// The vendor columns after the id in [`JsonVendor`] order (the account is
/// the one asked for; `consent_given` is true in every row, by a check).
macro_rules! json_vendor_columns {
    () => {
        "domain, vendor_name, notes, consent_timestamp, status, current_score, current_grade, \
         risk_level, last_scanned_at, created_at"
    };
}

/// A vendor row as the JSON array SQLite's list query aggregates: the id
/// (hex digits), then [`json_vendor_columns`].
#[derive(serde::Deserialize)]
struct JsonVendor<'a>(
    #[serde(borrow)] Cow<'a, str>,
    String,
    Option<String>,
    Option<String>,
    i64,
    #[serde(borrow)] Cow<'a, str>,
    Option<i64>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    Option<i64>,
    i64,
);

impl JsonVendor<'_> {
    fn into_vendor(self, account: AccountId) -> Result<Vendor, Error> {
        let JsonVendor(
            id,
            domain,
            vendor_name,
            notes,
            consent_timestamp,
            status,
            current_score,
            current_grade,
            risk_level,
            last_scanned_at,
            created_at,
        ) = self;
        Ok(Vendor {
            id: VendorId(
                Uuid::try_parse(&id)
                    .map_err(|e| Error::corrupt(format!("vendor id `{id}`: {e}")))?,
            ),
            account_id: account,
            domain,
            vendor_name,
            notes,
            consent_given: true,
            consent_timestamp: from_micros(consent_timestamp)?,
            status: convert::vendor_status(&status)?,
            current_score: current_score.map(convert::score).transpose()?,
            current_grade: current_grade.as_deref().map(convert::grade).transpose()?,
            risk_level: risk_level.as_deref().map(convert::risk).transpose()?,
            last_scanned_at: opt_from_micros(last_scanned_at)?,
            created_at: from_micros(created_at)?,
        })
    }
}

/// A vendor row with the account's total.
#[derive(sqlx::FromRow)]
struct CountedRow {
    total: i64,
    #[sqlx(flatten)]
    row: VendorRow,
}

#[derive(sqlx::FromRow)]
pub(crate) struct VendorRow {
    id: Uuid,
    account_id: Uuid,
    domain: String,
    vendor_name: Option<String>,
    notes: Option<String>,
    consent_given: bool,
    consent_timestamp: i64,
    status: String,
    current_score: Option<i64>,
    current_grade: Option<String>,
    risk_level: Option<String>,
    last_scanned_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<VendorRow> for Vendor {
    type Error = Error;
    fn try_from(r: VendorRow) -> Result<Self, Error> {
        Ok(Vendor {
            id: VendorId(r.id),
            account_id: AccountId(r.account_id),
            domain: r.domain,
            vendor_name: r.vendor_name,
            notes: r.notes,
            consent_given: r.consent_given,
            consent_timestamp: from_micros(r.consent_timestamp)?,
            status: convert::vendor_status(&r.status)?,
            current_score: r.current_score.map(convert::score).transpose()?,
            current_grade: r.current_grade.as_deref().map(convert::grade).transpose()?,
            risk_level: r.risk_level.as_deref().map(convert::risk).transpose()?,
            last_scanned_at: opt_from_micros(r.last_scanned_at)?,
            created_at: from_micros(r.created_at)?,
        })
    }
}

impl SqlStore {
    /// Adds a vendor to the account's portfolio, status `pending`.
    ///
    /// `consent_given` must be `true` (its time is `now`); the domain is
    /// normalised (see [`NewVendor::domain`]) and must not already be in the
    /// account ([`Error::Conflict`]). Bad input changes nothing.
    pub async fn create_vendor(
        &self,
        account: AccountId,
        new: &NewVendor,
        now: Timestamp,
    ) -> Result<Vendor, Error> {
        if !new.consent_given {
            return Err(Error::Invalid {
                field: "consent_given",
                reason: "must be true: confirm you are authorised to assess this domain".into(),
            });
        }
        let domain = validate::domain(&new.domain)?;
        if let Some(name) = &new.vendor_name {
            validate::text("vendor_name", name, limits::VENDOR_NAME)?;
        }
        if let Some(notes) = &new.notes {
            validate::text("notes", notes, limits::NOTES)?;
        }
        let now = from_micros(micros(now))?;
        let vendor = Vendor {
            id: VendorId(Uuid::new_v4()),
            account_id: account,
            domain,
            vendor_name: new.vendor_name.clone(),
            notes: new.notes.clone(),
            consent_given: true,
            consent_timestamp: now,
            status: VendorStatus::Pending,
            current_score: None,
            current_grade: None,
            risk_level: None,
            last_scanned_at: None,
            created_at: now,
        };
        let inserted = write_tx!(self, tx => {
            // Inserting from the account row makes a missing account a NotFound, not a foreign-key error.
            let n = sqlx::query(
                "INSERT INTO vendors (id, account_id, domain, vendor_name, notes, consent_given, \
                 consent_timestamp, status, created_at) \
                 SELECT $1, id, $3, $4, $5, $6, $7, 'pending', $7 FROM accounts WHERE id = $2",
            )
            .bind(vendor.id.0)
            .bind(account.0)
            .bind(&vendor.domain)
            .bind(&vendor.vendor_name)
            .bind(&vendor.notes)
            .bind(true)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::unique(e, || format!("vendor `{}` is already in this account", vendor.domain)))?
            .rows_affected();
            if n > 0 {
                bump_version!(tx, account.0);
            }
            n
        });
        if inserted == 0 {
            return Err(Error::NotFound { what: "account" });
        }
        Ok(vendor)
    }

    /// One of the account's vendors.
    pub async fn vendor(&self, account: AccountId, id: VendorId) -> Result<Vendor, Error> {
        let row: Option<VendorRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!("SELECT ", vendor_columns!(), " FROM vendors WHERE id = $1 AND account_id = $2"))
                .bind(id.0)
                .bind(account.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(Error::NotFound { what: "vendor" })?.try_into()
    }

    /// One page of the account's vendors, newest first, and their total,
    /// read together in one statement (on PostgreSQL a page past the end
    /// counts in a second one).
    pub async fn list_vendors(&self, account: AccountId, page: Page) -> Result<VendorPage, Error> {
        self.vendor_page(account, page.sql_limit(), page.sql_offset())
            .await
    }

    /// Every vendor of the account, newest first, with their total, in one
    /// statement (so the two agree even while others write). What `GET
    /// /vendors` without paging answers.
    pub async fn all_vendors(&self, account: AccountId) -> Result<VendorPage, Error> {
        self.vendor_page(account, i64::MAX, 0).await
    }

    /// The page and the total in one statement. On SQLite the database
    /// aggregates the rows into one JSON array of arrays
    /// (`json_group_array`), parsed here: fetching 1,000 rows one by one
    /// through sqlx took about twice as long (it copies every value of every
    /// row and hands the rows over from its connection thread in batches).
    /// PostgreSQL sends rows cheaply, and its `json_agg` is slower than that,
    /// so there the rows come as rows, each with the total.
    async fn vendor_page(
        &self,
        account: AccountId,
        limit: i64,
        offset: i64,
    ) -> Result<VendorPage, Error> {
        match &self.pools {
            crate::store::Pools::Sqlite(pool) => {
                let (total, rows): (i64, String) = sqlx::query_as(concat!(
                    "SELECT (SELECT COUNT(*) FROM vendors WHERE account_id = $1), \
                     (SELECT json_group_array(json_array(hex(id), ",
                    json_vendor_columns!(),
                    ")) FROM (SELECT * FROM vendors WHERE account_id = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3))"
                ))
                .bind(account.0)
                .bind(limit)
                .bind(offset)
                .fetch_one(pool)
                .await?;
                let rows: Vec<JsonVendor<'_>> = serde_json::from_str(&rows)
                    .map_err(|e| Error::corrupt(format!("vendor row: {e}")))?;
                let mut vendors: Vec<Vendor> = rows
                    .into_iter()
                    .map(|r| r.into_vendor(account))
                    .collect::<Result<_, _>>()?;
                // The page's rows are chosen in order, but an aggregate's input
                // order is not promised: put them in order again (a stable sort
                // of a sorted list is one pass; uuids compare as their bytes,
                // as SQLite compares the BLOBs).
                vendors.sort_by_key(|v| std::cmp::Reverse((v.created_at, v.id)));
                Ok(VendorPage {
                    vendors,
                    total: convert::count(total)?,
                })
            }
            crate::store::Pools::Postgres(pool) => {
                let rows: Vec<CountedRow> = sqlx::query_as(concat!(
                    // Uncounted per row: an uncorrelated subquery runs once
                    // (a window count would read every row of the account).
                    "SELECT (SELECT COUNT(*) FROM vendors WHERE account_id = $1) AS total, ",
                    vendor_columns!(),
                    " FROM vendors WHERE account_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(account.0)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
                let total = match rows.first() {
                    Some(r) => r.total,
                    // Past the end (or none at all): count apart.
                    None => {
                        sqlx::query_scalar("SELECT COUNT(*) FROM vendors WHERE account_id = $1")
                            .bind(account.0)
                            .fetch_one(pool)
                            .await?
                    }
                };
                Ok(VendorPage {
                    vendors: rows
                        .into_iter()
                        .map(|r| Vendor::try_from(r.row))
                        .collect::<Result<_, _>>()?,
                    total: convert::count(total)?,
                })
            }
        }
    }

    /// Removes one of the account's vendors with its scans and jobs (events
    /// already in the outbox are still delivered).
    pub async fn delete_vendor(&self, account: AccountId, id: VendorId) -> Result<(), Error> {
        let deleted = write_tx!(self, tx => {
            let n = sqlx::query("DELETE FROM vendors WHERE id = $1 AND account_id = $2")
                .bind(id.0)
                .bind(account.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                bump_version!(tx, account.0);
            }
            n
        });
        if deleted == 0 {
            return Err(Error::NotFound { what: "vendor" });
        }
        Ok(())
    }
}
