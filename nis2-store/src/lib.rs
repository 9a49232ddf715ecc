//! # nis2-store
//!
//! The durable store of nis2: SQLite by default (a file, nothing to install),
//! PostgreSQL to scale out over several `nis2 serve` / `nis2 worker`
//! processes. It implements the core's [`nis2_core::Store`] port and offers
//! the richer API the HTTP server and the CLI need: accounts, API tokens,
//! vendors, scan history, webhook endpoints, the scan job queue, the webhook
//! outbox and the dashboard summary.
//!
//! ```no_run
//! # async fn demo() -> Result<(), nis2_store::Error> {
//! use nis2_core::Timestamp;
//! use nis2_store::{NewVendor, Page, SqlStore};
//!
//! // A path selects SQLite (created if missing); `postgres://…` selects PostgreSQL.
//! let store = SqlStore::open("./nis2.db").await?;
//! let now = Timestamp::from_unix(1_782_554_400).unwrap_or(Timestamp::UNIX_EPOCH);
//! let account = store.create_account("Acme", Some("auth0|acme"), now).await?;
//! let vendor = store
//!     .create_vendor(account.id, &NewVendor::new("vendor.example", true), now)
//!     .await?;
//! let page = store.list_vendors(account.id, Page::default()).await?;
//! assert_eq!(page.total, 1);
//! store.enqueue_scan(account.id, vendor.id, now).await?;
//! # Ok(()) }
//! ```
//!
//! ## Rules every method keeps
//! - Every row that belongs to a customer carries its account id, and every
//!   query on such rows filters by it: an id from another account behaves
//!   exactly like a missing one ([`Error::NotFound`]).
//! - Input is validated before anything is written, and every multi-row write
//!   runs in one transaction: bad input leaves the database unchanged.
//! - Time is passed in (`now`) wherever it decides something (leases,
//!   back-off, "this month"), as in `nis2-core`. Time stamps are stored as
//!   microseconds since the Unix epoch, so sub-microsecond precision is lost.
//!
//! ## Decisions
//! - **Scan jobs.** Enqueueing is idempotent: a vendor with a job queued or
//!   running gets that job back ([`Enqueued::created`] is `false`), never a
//!   second one (a partial unique index holds the rule under concurrency).
//!   Claims are leases ([`JobPolicy::lease`], default 5 min) renewed by
//!   [`SqlStore::heartbeat_job`]; a lapsed lease makes the job claimable
//!   again and counts as an attempt. Each claim has a fresh lease token, so a
//!   worker that lost its lease gets [`Error::LeaseLost`] instead of finishing
//!   someone else's job. Failures retry with exponential back-off up to
//!   [`JobPolicy::max_attempts`], then the job fails and the vendor's status
//!   is `error`. A worker that stops before its scan is done (graceful
//!   shutdown) gives the job back with [`SqlStore::release_job`]: queued
//!   again at once, the attempt not counted, the vendor still `scanning`.
//!   PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite with
//!   one `UPDATE … RETURNING` under its write lock (`BEGIN IMMEDIATE`).
//! - **Data version.** Each account has a counter,
//!   [`SqlStore::data_version`], bumped in the same transaction as every
//!   write that changes what [`SqlStore::list_vendors`] or
//!   [`SqlStore::dashboard_summary`] show (a vendor added or removed, its
//!   status or current score changed; scan jobs change vendor statuses too),
//!   by whichever process makes it. A cache of those answers is exact while
//!   the version it read before computing them is unchanged (the HTTP
//!   server's answer cache works so).
//! - **Outbox.** [`nis2_core::Store::record_scan`] writes one row per event,
//!   with the exact body of [`nis2_core::Event::to_json`], in the scan's
//!   transaction. Dispatchers claim rows under a lease, then mark each
//!   delivered or failed (exponential back-off, then dead after
//!   [`OutboxPolicy::max_attempts`]). Delivery is at least once: a dispatcher
//!   that dies after sending but before marking sends again after restart.
//!   Rows are written whether or not the account has a webhook endpoint; the
//!   dispatcher decides what to do with an account that has none.
//! - **Dashboard.** `critical_risks` counts vendors whose *current* risk
//!   level is `Critical` (grade F in `nis2-score/1`); see [`DashboardSummary`]
//!   for the other figures.
//! - **Domains** are stored trimmed, lower-cased and without a trailing dot,
//!   so `Vendor.com.` duplicates `vendor.com`. The store checks length and
//!   refuses characters no host name has; full host-name syntax (labels,
//!   IDNA) is the scanner's target policy, which the adapters apply first.
//! - **Opening.** A SQLite path's missing directories are created. Migrations
//!   run at every open: on PostgreSQL under sqlx's advisory lock, on SQLite
//!   under the write lock (`BEGIN IMMEDIATE`), so several processes starting
//!   at once on a new database all succeed.
//! - **Unreadable rows.** The API takes `&str`, so no invalid UTF-8 can be
//!   written through it (and PostgreSQL refuses it anyway); a SQLite file
//!   changed by another program can still hold some. Reading such a value is
//!   [`Error::Corrupt`], never a panic; a scan job whose vendor domain cannot
//!   be read fails alone instead of blocking the queue.
//! - **Durability.** SQLite runs in WAL mode with `synchronous = NORMAL`: a
//!   committed transaction survives the process being killed; after a power
//!   loss the last commits may be missing (the database stays consistent).
//!
//! ## Schema
//! One logical schema, written twice (`migrations/sqlite`, `migrations/postgres`)
//! because the types differ (uuids are `BLOB` in SQLite, `UUID` in PostgreSQL;
//! a test checks the two differ in nothing else); both are embedded and run
//! by [`SqlStore::open`]. Tables: `accounts` (with their data version); `api_tokens` (SHA-256 of each
//! token, never the token); `vendors` (the seed's VENDOR OBJECT plus the last
//! error); `scans` (score data, observations, method version, times);
//! `webhook_endpoints` (URL and signing secret); `outbox`; `scan_jobs`.
#![warn(missing_docs)]

/// Runs `$body` with `$pool` bound to the store's pool; the body is compiled
/// once per backend, so queries are typed for each database.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Sqlite($pool) => $body,
            $crate::store::Pools::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` (which yields a plain value and leaves with `?` or `return`
/// on error) inside a write transaction `$tx`: committed when the body
/// yields, rolled back when it leaves early. SQLite transactions start with
/// `BEGIN IMMEDIATE`, so a read-then-write transaction takes the write lock
/// up front (waiting on the busy timeout) instead of failing to upgrade.
macro_rules! write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Sqlite(pool) => {
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::store::Pools::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Bumps the data version (see `version.rs`) of one account (a `Uuid`)
/// inside the write transaction `$tx`; the last statement of the transaction.
macro_rules! bump_version {
    ($tx:ident, $account:expr) => {
        sqlx::query("UPDATE accounts SET data_version = data_version + 1 WHERE id = $1")
            .bind($account)
            .execute(&mut *$tx)
            .await?
    };
}

/// Bumps the data versions of several accounts (`Uuid`s, any order, repeats
/// allowed) inside `$tx`, in id order.
macro_rules! bump_versions {
    ($tx:ident, $accounts:expr) => {{
        let mut accounts: Vec<uuid::Uuid> = $accounts;
        accounts.sort_unstable();
        accounts.dedup();
        for account in accounts {
            bump_version!($tx, account);
        }
    }};
}

mod accounts;
mod convert;
mod dashboard;
mod error;
mod jobs;
mod model;
mod outbox;
mod port;
mod scans;
mod store;
mod tokens;
mod validate;
mod vendors;
mod version;
mod webhooks;

// The error every method returns; maps onto `nis2_core::StoreError` at the port.
pub use error::Error;
// Value types of the public API (rows and inputs).
pub use model::{
    Account, ApiToken, ClaimedJob, DashboardSummary, DeliveryFailure, Enqueued, GradeDistribution,
    IssuedToken, Job, JobFailure, JobId, JobPolicy, JobState, NewVendor, OutboxEntry, OutboxId,
    OutboxPolicy, OutboxState, Page, ScanRecord, TokenId, TokenOwner, VendorPage, WebhookEndpoint,
};
// The store itself and how to open it.
pub use store::{Backend, SqlStore, StoreOptions};
pub use tokens::LAST_USED_RESOLUTION;
// The input limits, so adapters can tell users before they hit them.
pub use validate::limits;
