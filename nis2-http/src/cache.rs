//! A short-lived cache of the two read-heavy answers, `GET /vendors` (the
//! whole list) and `GET /dashboard/summary`, per account, as encoded JSON.
//!
//! Writes made by this process (vendor added or deleted, scan queued,
//! finished or failed, rescans queued) drop the account's entries at once,
//! so its own clients always read their writes. Writes by other processes
//! sharing the database (`nis2 worker` on PostgreSQL, the CLI on the same
//! SQLite file) show within the time to live
//! ([`crate::ServerConfig::response_cache_ttl`], 1 s by default; zero turns
//! the cache off).
//!
//! An answer computed while a write of its account was under way is not
//! kept: each entry carries the account's write count (and the process-wide
//! one) read before the database was, and is used only while both are
//! unchanged.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use nis2_core::AccountId;

/// Which answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum View {
    /// `GET /vendors` without paging.
    Vendors,
    /// `GET /dashboard/summary`.
    Dashboard,
}

/// The write counts an answer was computed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    epoch: u64,
    writes: u64,
}

struct Entry {
    body: Bytes,
    stamp: Stamp,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    /// Bumped by writes that may touch any account (periodic rescans).
    epoch: u64,
    writes: HashMap<AccountId, u64>,
    entries: HashMap<(AccountId, View), Entry>,
    bytes: usize,
}

/// Most memory the cached bodies take before the cache starts over.
const MAX_BYTES: usize = 64 << 20;
/// Most entries before the cache starts over.
const MAX_ENTRIES: usize = 10_000;

/// See the module documentation.
pub(crate) struct ResponseCache {
    ttl: Duration,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl ResponseCache {
    /// A cache keeping answers for `ttl` (zero: keeps nothing).
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stamp_of(inner: &Inner, account: AccountId) -> Stamp {
        Stamp {
            epoch: inner.epoch,
            writes: inner.writes.get(&account).copied().unwrap_or(0),
        }
    }

    /// The cached answer, if fresh; otherwise the stamp to [`Self::put`]
    /// the answer with once computed.
    pub(crate) fn get(&self, account: AccountId, view: View) -> Result<Bytes, Stamp> {
        let inner = self.lock();
        let stamp = Self::stamp_of(&inner, account);
        match inner.entries.get(&(account, view)) {
            Some(e) if e.stamp == stamp && e.at.elapsed() < self.ttl => Ok(e.body.clone()),
            _ => Err(stamp),
        }
    }

    /// Keeps an answer computed after `stamp` was read, unless the account
    /// was written to meanwhile.
    pub(crate) fn put(&self, account: AccountId, view: View, stamp: Stamp, body: Bytes) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if Self::stamp_of(&inner, account) != stamp {
            return;
        }
        if inner.bytes + body.len() > MAX_BYTES || inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
            inner.bytes = 0;
        }
        inner.bytes += body.len();
        if let Some(old) = inner.entries.insert(
            (account, view),
            Entry {
                body,
                stamp,
                at: Instant::now(),
            },
        ) {
            inner.bytes -= old.body.len();
        }
    }

    /// The account's data changed.
    pub(crate) fn changed(&self, account: AccountId) {
        let mut inner = self.lock();
        let n = inner.writes.entry(account).or_insert(0);
        *n = n.wrapping_add(1);
        for view in [View::Vendors, View::Dashboard] {
            if let Some(old) = inner.entries.remove(&(account, view)) {
                inner.bytes -= old.body.len();
            }
        }
    }

    /// Any account's data may have changed.
    pub(crate) fn changed_all(&self) {
        let mut inner = self.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.writes.clear();
        inner.entries.clear();
        inner.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn account(n: u128) -> AccountId {
        AccountId(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn answers_are_kept_until_a_write_or_the_ttl() {
        let c = ResponseCache::new(Duration::from_secs(60));
        let a = account(1);
        let b = account(2);
        let stamp = c.get(a, View::Vendors).unwrap_err();
        c.put(a, View::Vendors, stamp, Bytes::from_static(b"[1]"));
        assert_eq!(c.get(a, View::Vendors).unwrap(), "[1]");
        assert!(c.get(a, View::Dashboard).is_err());
        let sb = c.get(b, View::Vendors).unwrap_err();
        c.put(b, View::Vendors, sb, Bytes::from_static(b"[2]"));
        c.changed(a);
        assert!(c.get(a, View::Vendors).is_err(), "a write drops the answer");
        assert_eq!(
            c.get(b, View::Vendors).unwrap(),
            "[2]",
            "other accounts keep theirs"
        );
        c.changed_all();
        assert!(c.get(b, View::Vendors).is_err());
    }

    #[test]
    fn an_answer_computed_across_a_write_is_not_kept() {
        let c = ResponseCache::new(Duration::from_secs(60));
        let a = account(1);
        let stamp = c.get(a, View::Dashboard).unwrap_err();
        // A write commits while the answer is being computed.
        c.changed(a);
        c.put(a, View::Dashboard, stamp, Bytes::from_static(b"old"));
        assert!(c.get(a, View::Dashboard).is_err());
        let stamp = c.get(a, View::Dashboard).unwrap_err();
        c.changed_all();
        c.put(a, View::Dashboard, stamp, Bytes::from_static(b"old"));
        assert!(c.get(a, View::Dashboard).is_err());
    }

    #[test]
    fn zero_ttl_keeps_nothing_and_old_answers_expire() {
        let off = ResponseCache::new(Duration::ZERO);
        let a = account(1);
        let stamp = off.get(a, View::Vendors).unwrap_err();
        off.put(a, View::Vendors, stamp, Bytes::from_static(b"x"));
        assert!(off.get(a, View::Vendors).is_err());
        let short = ResponseCache::new(Duration::from_millis(30));
        let stamp = short.get(a, View::Vendors).unwrap_err();
        short.put(a, View::Vendors, stamp, Bytes::from_static(b"x"));
        assert!(short.get(a, View::Vendors).is_ok());
        std::thread::sleep(Duration::from_millis(40));
        assert!(short.get(a, View::Vendors).is_err());
    }
}
