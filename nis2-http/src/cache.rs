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
//!
//! One request at a time computes a missing answer (the others wait for it
//! instead of all reading the database at once); when an answer only aged
//! past its time to live (no write known), the others are served the old
//! one while it is computed again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    /// Held while an answer is computed, per answer.
    computing: Mutex<HashMap<(AccountId, View), ComputeLock>>,
}

/// Held while one answer is computed.
type ComputeLock = Arc<tokio::sync::Mutex<()>>;

/// What the cache has for an answer.
pub(crate) enum Lookup {
    /// A fresh answer.
    Fresh(Bytes),
    /// Nothing usable: compute the answer (holding the guard, so others
    /// wait) and [`ResponseCache::put`] it with the stamp.
    Compute(Stamp, ComputeGuard),
}

/// Held by the one request computing an answer.
pub(crate) struct ComputeGuard {
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
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
            computing: Mutex::new(HashMap::new()),
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

    /// The cached answer if fresh (`Ok`); otherwise the stamp to
    /// [`Self::put`] the answer with once computed, and an answer that is
    /// only old (no write since), if there is one.
    pub(crate) fn get(
        &self,
        account: AccountId,
        view: View,
    ) -> Result<Bytes, (Stamp, Option<Bytes>)> {
        let inner = self.lock();
        let stamp = Self::stamp_of(&inner, account);
        match inner.entries.get(&(account, view)) {
            Some(e) if e.stamp == stamp && e.at.elapsed() < self.ttl => Ok(e.body.clone()),
            Some(e) if e.stamp == stamp => Err((stamp, Some(e.body.clone()))),
            _ => Err((stamp, None)),
        }
    }

    fn compute_lock(&self, key: (AccountId, View)) -> ComputeLock {
        let mut m = self
            .computing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if m.len() > MAX_ENTRIES {
            m.retain(|_, l| Arc::strong_count(l) > 1);
        }
        m.entry(key).or_default().clone()
    }

    /// The answer, or the right to compute it: one request at a time
    /// computes; the others wait for its answer, or are served the previous
    /// answer when it is merely old.
    pub(crate) async fn lookup(&self, account: AccountId, view: View) -> Lookup {
        if self.ttl.is_zero() {
            let stamp = Self::stamp_of(&self.lock(), account);
            return Lookup::Compute(stamp, ComputeGuard { _guard: None });
        }
        let old = match self.get(account, view) {
            Ok(body) => return Lookup::Fresh(body),
            Err((_, old)) => old,
        };
        let lock = self.compute_lock((account, view));
        let guard = match old {
            // Someone is refreshing it: the old answer will do meanwhile.
            Some(old) => match lock.try_lock_owned() {
                Ok(g) => g,
                Err(_) => return Lookup::Fresh(old),
            },
            None => lock.lock_owned().await,
        };
        // Another request may have computed it while this one waited.
        match self.get(account, view) {
            Ok(body) => Lookup::Fresh(body),
            Err((stamp, _)) => Lookup::Compute(
                stamp,
                ComputeGuard {
                    _guard: Some(guard),
                },
            ),
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
        let stamp = c.get(a, View::Vendors).unwrap_err().0;
        c.put(a, View::Vendors, stamp, Bytes::from_static(b"[1]"));
        assert_eq!(c.get(a, View::Vendors).unwrap(), "[1]");
        assert!(c.get(a, View::Dashboard).is_err());
        let sb = c.get(b, View::Vendors).unwrap_err().0;
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
        let stamp = c.get(a, View::Dashboard).unwrap_err().0;
        // A write commits while the answer is being computed.
        c.changed(a);
        c.put(a, View::Dashboard, stamp, Bytes::from_static(b"old"));
        assert!(c.get(a, View::Dashboard).is_err());
        let stamp = c.get(a, View::Dashboard).unwrap_err().0;
        c.changed_all();
        c.put(a, View::Dashboard, stamp, Bytes::from_static(b"old"));
        assert!(c.get(a, View::Dashboard).is_err());
    }

    #[test]
    fn zero_ttl_keeps_nothing_and_old_answers_expire() {
        let off = ResponseCache::new(Duration::ZERO);
        let a = account(1);
        let stamp = off.get(a, View::Vendors).unwrap_err().0;
        off.put(a, View::Vendors, stamp, Bytes::from_static(b"x"));
        assert!(off.get(a, View::Vendors).is_err());
        let short = ResponseCache::new(Duration::from_millis(30));
        let stamp = short.get(a, View::Vendors).unwrap_err().0;
        short.put(a, View::Vendors, stamp, Bytes::from_static(b"x"));
        assert!(short.get(a, View::Vendors).is_ok());
        std::thread::sleep(Duration::from_millis(40));
        let (_, old) = short.get(a, View::Vendors).unwrap_err();
        assert_eq!(
            old.unwrap(),
            "x",
            "old, but kept to serve while it is refreshed"
        );
        short.changed(a);
        assert!(short.get(a, View::Vendors).unwrap_err().1.is_none());
    }
}

#[cfg(test)]
mod lookup_tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn one_request_computes_and_the_others_wait_or_get_the_old_answer() {
        let c = Arc::new(ResponseCache::new(Duration::from_millis(50)));
        let a = AccountId(uuid::Uuid::from_u128(7));
        let Lookup::Compute(stamp, guard) = c.lookup(a, View::Vendors).await else {
            panic!("empty cache");
        };
        // A second request waits while the first computes.
        let c2 = c.clone();
        let waiter = tokio::spawn(async move {
            match c2.lookup(a, View::Vendors).await {
                Lookup::Fresh(b) => b,
                Lookup::Compute(..) => Bytes::from_static(b"computed twice"),
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        c.put(a, View::Vendors, stamp, Bytes::from_static(b"v1"));
        drop(guard);
        assert_eq!(waiter.await.unwrap(), "v1");
        // Aged out: one refreshes, the others get the old answer meanwhile.
        tokio::time::sleep(Duration::from_millis(60)).await;
        let Lookup::Compute(stamp, guard) = c.lookup(a, View::Vendors).await else {
            panic!("aged out");
        };
        match c.lookup(a, View::Vendors).await {
            Lookup::Fresh(b) => assert_eq!(b, "v1"),
            Lookup::Compute(..) => panic!("a second refresh"),
        }
        c.put(a, View::Vendors, stamp, Bytes::from_static(b"v2"));
        drop(guard);
        match c.lookup(a, View::Vendors).await {
            Lookup::Fresh(b) => assert_eq!(b, "v2"),
            Lookup::Compute(..) => panic!("refreshed"),
        }
    }
}
