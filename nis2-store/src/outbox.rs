//! The webhook outbox: events written with their scan, claimed by
//! dispatchers under a lease, delivered at least once, retried with
//! exponential back-off up to a cap, then dead (kept for inspection).
//!
//! Nothing is lost across a crash: an entry leaves the pending set only when
//! a dispatcher marks it delivered or dead; a claim whose dispatcher died
//! expires and the entry is claimed again.

use nis2_core::{AccountId, Timestamp};
use uuid::Uuid;

use crate::convert::{self, after, from_micros, micros, opt_from_micros};
use crate::error::Error;
use crate::model::{DeliveryFailure, OutboxEntry, OutboxId, OutboxState, backoff};
use crate::store::SqlStore;
use crate::validate::{self, limits};

macro_rules! outbox_columns {
    () => {
        "id, account_id, event_name, body, attempts, created_at, next_attempt_at, claimed_until, \
         delivered_at, dead_at, last_error"
    };
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    account_id: Uuid,
    event_name: String,
    body: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    claimed_until: Option<i64>,
    delivered_at: Option<i64>,
    dead_at: Option<i64>,
    last_error: Option<String>,
}

impl TryFrom<OutboxRow> for OutboxEntry {
    type Error = Error;
    fn try_from(r: OutboxRow) -> Result<Self, Error> {
        let state = match (r.delivered_at, r.dead_at) {
            (Some(_), _) => OutboxState::Delivered,
            (None, Some(_)) => OutboxState::Dead,
            (None, None) => OutboxState::Pending,
        };
        Ok(OutboxEntry {
            id: OutboxId(r.id),
            account_id: AccountId(r.account_id),
            event_name: r.event_name,
            body: r.body,
            attempts: convert::attempts(r.attempts)?,
            state,
            created_at: from_micros(r.created_at)?,
            next_attempt_at: from_micros(r.next_attempt_at)?,
            claimed_until: opt_from_micros(r.claimed_until)?,
            delivered_at: opt_from_micros(r.delivered_at)?,
            last_error: r.last_error,
        })
    }
}

macro_rules! claim_outbox_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET claimed_until = $1, claimed_by = $2 WHERE id IN (SELECT id FROM outbox \
             WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $3 \
             AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_attempt_at, id LIMIT $4",
            $lock,
            ") RETURNING ",
            outbox_columns!()
        )
    };
}

impl SqlStore {
    /// Claims up to `limit` due entries (oldest first) for `dispatcher`, for
    /// the policy's lease from `now`. Each must then be marked delivered or
    /// failed; a claim that lapses makes the entry claimable again.
    pub async fn claim_outbox(
        &self,
        dispatcher: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, Error> {
        validate::required("dispatcher", dispatcher, limits::WORKER)?;
        if self.backend() == crate::Backend::Sqlite {
            // Polling an empty outbox should not take SQLite's write lock every time.
            let due: bool = on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL \
                     AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1))",
                )
                .bind(micros(now))
                .fetch_one(pool)
                .await?
            });
            if !due {
                return Ok(Vec::new());
            }
        }
        let until = after(now, self.outbox.lease);
        let limit = i64::from(limit.clamp(1, 1_000));
        let mut rows: Vec<OutboxRow> = write_tx!(self, tx => {
            let sql = match self.backend() {
                crate::Backend::Postgres => claim_outbox_sql!(" FOR UPDATE SKIP LOCKED"),
                crate::Backend::Sqlite => claim_outbox_sql!(""),
            };
            sqlx::query_as(sql)
                .bind(until)
                .bind(dispatcher)
                .bind(micros(now))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
        });
        rows.sort_by_key(|r| r.id);
        rows.into_iter().map(OutboxEntry::try_from).collect()
    }

    /// Marks an entry delivered (idempotent: a second call keeps the first
    /// time). [`Error::NotFound`] for an unknown id.
    pub async fn mark_delivered(&self, id: OutboxId, now: Timestamp) -> Result<(), Error> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET delivered_at = COALESCE(delivered_at, $2), claimed_until = NULL WHERE id = $1",
            )
            .bind(id.0)
            .bind(micros(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(Error::NotFound {
                what: "outbox entry",
            });
        }
        Ok(())
    }

    /// Records a failed delivery: due again after an exponential back-off,
    /// or dead after the policy's last attempt. An entry already delivered
    /// or dead is left as it is (and reported as such).
    pub async fn fail_delivery(
        &self,
        id: OutboxId,
        now: Timestamp,
        message: &str,
    ) -> Result<DeliveryFailure, Error> {
        let message = validate::message(message);
        let policy = self.outbox;
        let outcome = write_tx!(self, tx => {
            let row: Option<(i64, Option<i64>, Option<i64>)> =
                sqlx::query_as("SELECT attempts, delivered_at, dead_at FROM outbox WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((attempts, delivered, dead)) = row else {
                return Err(Error::NotFound { what: "outbox entry" });
            };
            if delivered.is_some() {
                return Ok(DeliveryFailure::AlreadyDelivered);
            }
            if dead.is_some() {
                return Ok(DeliveryFailure::Dead);
            }
            let failures = convert::attempts(attempts)?.saturating_add(1);
            if failures >= policy.max_attempts {
                sqlx::query(
                    "UPDATE outbox SET attempts = $2, dead_at = $3, claimed_until = NULL, last_error = $4 WHERE id = $1",
                )
                .bind(id.0)
                .bind(i64::from(failures))
                .bind(micros(now))
                .bind(&message)
                .execute(&mut *tx)
                .await?;
                DeliveryFailure::Dead
            } else {
                let at = after(now, backoff(policy.retry_base, policy.retry_max, failures));
                sqlx::query(
                    "UPDATE outbox SET attempts = $2, next_attempt_at = $3, claimed_until = NULL, last_error = $4 \
                     WHERE id = $1",
                )
                .bind(id.0)
                .bind(i64::from(failures))
                .bind(at)
                .bind(&message)
                .execute(&mut *tx)
                .await?;
                DeliveryFailure::Retry { at: from_micros(at)? }
            }
        });
        Ok(outcome)
    }

    /// The account's outbox entries, newest first, at most `limit` (for
    /// inspection: what was sent, what is pending, what died).
    pub async fn outbox_entries(
        &self,
        account: AccountId,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, Error> {
        let rows: Vec<OutboxRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM outbox WHERE account_id = $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(account.0)
            .bind(i64::from(limit.clamp(1, 1_000)))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(OutboxEntry::try_from).collect()
    }

    /// How many entries, across accounts, still wait for delivery.
    pub async fn pending_outbox_count(&self) -> Result<u64, Error> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL")
                .fetch_one(pool)
                .await?
        });
        convert::count(n)
    }
}
