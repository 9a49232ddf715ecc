//! Each account's data version: a counter that changes whenever what the
//! account's vendor list or dashboard summary shows changes.
//!
//! Every write that changes a vendor row (added, removed, status, current
//! score, grade, risk level, last scan time) bumps its account's
//! `accounts.data_version` in the same transaction, whichever process or
//! store handle makes it. A reader that caches an answer computed from those
//! rows reads the version *before* reading the rows and keeps the answer
//! under it; the copy is exact for as long as [`SqlStore::data_version`]
//! still returns that number (a write that commits between the two reads
//! bumps the version past the one kept, so it only costs a recomputation).
//!
//! The bump is the last statement of its transaction, after the vendor rows
//! it changed: on PostgreSQL every writer locks vendor rows before its
//! account rows (and account rows in id order), so the extra row lock adds
//! no deadlock, and it is held only until the commit that follows.

use nis2_core::AccountId;

use crate::convert;
use crate::error::Error;
use crate::store::SqlStore;

impl SqlStore {
    /// The account's data version: a number that changes (in the same
    /// transaction) with every write that changes what
    /// [`SqlStore::list_vendors`] or [`SqlStore::dashboard_summary`] return
    /// for the account, made by any process on the same database. Writes
    /// that change neither (tokens, webhooks, outbox, job leases) leave it
    /// as it is. One primary-key read.
    ///
    /// To cache an answer exactly, read the version first, then the answer;
    /// the answer is current for as long as the version read again is the
    /// same. [`Error::NotFound`] for a missing account.
    pub async fn data_version(&self, account: AccountId) -> Result<u64, Error> {
        let version: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT data_version FROM accounts WHERE id = $1")
                .bind(account.0)
                .fetch_optional(pool)
                .await?
        });
        convert::count(version.ok_or(Error::NotFound { what: "account" })?)
    }
}
