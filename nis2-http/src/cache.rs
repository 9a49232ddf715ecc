//! The cache of the two read-heavy answers, `GET /vendors` (the whole list)
//! and `GET /dashboard/summary`, per account, as encoded JSON — exact, not
//! merely short-lived.
//!
//! Each answer is kept under a [`Stamp`]: the account's data version
//! ([`nis2_store::SqlStore::data_version`], bumped by the store in the
//! transaction of every write that changes these answers, whichever process
//! makes it) read *before* the answer was computed, and for the dashboard
//! the calendar month (UTC) it counts "scanned this month" in. Every request
//! reads the version again (one primary-key read) and is served the kept
//! bytes only while the stamp is the same, so a write by this process, by a
//! `nis2 worker`, by the CLI on the same SQLite file or by an embedder using
//! the store shows in the very next request. A write committing while an
//! answer is computed bumps the version past the kept stamp, so such an
//! answer is used by nobody after that write.
//!
//! One request at a time computes a missing or outdated answer (the others
//! wait for it, then read the version again instead of all reading the
//! database at once). An answer older than the maximum age
//! ([`crate::ServerConfig::response_cache_ttl`]) is computed again even with
//! its stamp unchanged — that only bounds how long a change made *behind the
//! store's back* (SQL typed into the database, a restored backup) can stay
//! hidden; meanwhile the others are served the kept answer, which no write
//! through the store has changed.

use std::collections::HashMap;
use std::future::Future;
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

/// What an answer was computed under: the account's data version (read
/// before the answer) and, for answers that depend on the date, the period
/// they are for (0 otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) version: u64,
    pub(crate) period: i64,
}

struct Entry {
    body: Bytes,
    stamp: Stamp,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<(AccountId, View), Entry>,
    bytes: usize,
}

/// Most memory the cached bodies take before the cache starts over.
const MAX_BYTES: usize = 64 << 20;
/// Most entries before the cache starts over.
const MAX_ENTRIES: usize = 10_000;

/// See the module documentation.
pub(crate) struct ResponseCache {
    max_age: Duration,
    inner: Mutex<Inner>,
    /// Held while an answer is computed, per answer.
    computing: Mutex<HashMap<(AccountId, View), ComputeLock>>,
}

/// Held while one answer is computed.
type ComputeLock = Arc<tokio::sync::Mutex<()>>;

/// What the cache has for an answer.
pub(crate) enum Lookup {
    /// The kept answer, exact for the stamp read.
    Hit(Bytes),
    /// Nothing usable: compute the answer (holding the guard, so others
    /// wait) and [`ResponseCache::put`] it with the stamp.
    Compute(Stamp, ComputeGuard),
}

/// Held by the one request computing an answer.
pub(crate) struct ComputeGuard {
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// How a kept answer compares with the stamp just read.
enum Kept {
    /// Same stamp, younger than the maximum age.
    Fresh(Bytes),
    /// Same stamp, older than the maximum age.
    Aged(Bytes),
    /// None, or another stamp.
    Missing,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl ResponseCache {
    /// A cache keeping answers at most `max_age` (zero: keeps nothing).
    pub(crate) fn new(max_age: Duration) -> Self {
        Self {
            max_age,
            inner: Mutex::new(Inner::default()),
            computing: Mutex::new(HashMap::new()),
        }
    }

    /// Whether answers are kept at all.
    pub(crate) fn enabled(&self) -> bool {
        !self.max_age.is_zero()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn kept(&self, account: AccountId, view: View, stamp: Stamp) -> Kept {
        let inner = self.lock();
        match inner.entries.get(&(account, view)) {
            Some(e) if e.stamp == stamp && e.at.elapsed() < self.max_age => {
                Kept::Fresh(e.body.clone())
            }
            Some(e) if e.stamp == stamp => Kept::Aged(e.body.clone()),
            _ => Kept::Missing,
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

    /// The answer for `stamp` (read just now, before anything else), or the
    /// right to compute it. One request at a time computes; the others wait
    /// and then read the stamp again with `reread` (the answer just computed
    /// is usually for it), or are served the kept answer when it is merely
    /// old.
    pub(crate) async fn lookup<F, Fut, E>(
        &self,
        account: AccountId,
        view: View,
        stamp: Stamp,
        reread: F,
    ) -> Result<Lookup, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Stamp, E>>,
    {
        if !self.enabled() {
            return Ok(Lookup::Compute(stamp, ComputeGuard { _guard: None }));
        }
        let lock = self.compute_lock((account, view));
        let (stamp, guard) = match self.kept(account, view, stamp) {
            Kept::Fresh(body) => return Ok(Lookup::Hit(body)),
            // Someone is refreshing it: the kept answer is still exact.
            Kept::Aged(body) => match lock.try_lock_owned() {
                Ok(g) => (stamp, g),
                Err(_) => return Ok(Lookup::Hit(body)),
            },
            Kept::Missing => {
                let guard = match lock.clone().try_lock_owned() {
                    Ok(g) => g,
                    Err(_) => {
                        // Another request computes it: wait, then see
                        // whether its answer is for the stamp now.
                        let g = lock.lock_owned().await;
                        let now = reread().await?;
                        if let Kept::Fresh(body) = self.kept(account, view, now) {
                            return Ok(Lookup::Hit(body));
                        }
                        return Ok(Lookup::Compute(now, ComputeGuard { _guard: Some(g) }));
                    }
                };
                (stamp, guard)
            }
        };
        Ok(Lookup::Compute(
            stamp,
            ComputeGuard {
                _guard: Some(guard),
            },
        ))
    }

    /// Keeps an answer computed after `stamp` was read.
    pub(crate) fn put(&self, account: AccountId, view: View, stamp: Stamp, body: Bytes) {
        if !self.enabled() {
            return;
        }
        let mut inner = self.lock();
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
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::convert::Infallible;
    use std::sync::Arc;

    use super::*;

    fn account(n: u128) -> AccountId {
        AccountId(uuid::Uuid::from_u128(n))
    }

    fn stamp(version: u64) -> Stamp {
        Stamp { version, period: 0 }
    }

    async fn look(c: &ResponseCache, a: AccountId, view: View, s: Stamp) -> Lookup {
        c.lookup(a, view, s, || async move { Ok::<_, Infallible>(s) })
            .await
            .unwrap()
    }

    fn hit(l: Lookup) -> Option<Bytes> {
        match l {
            Lookup::Hit(b) => Some(b),
            Lookup::Compute(..) => None,
        }
    }

    #[tokio::test]
    async fn answers_are_served_only_for_their_stamp() {
        let c = ResponseCache::new(Duration::from_secs(60));
        let (a, b) = (account(1), account(2));
        let Lookup::Compute(s, g) = look(&c, a, View::Vendors, stamp(1)).await else {
            panic!("empty cache");
        };
        c.put(a, View::Vendors, s, Bytes::from_static(b"[1]"));
        drop(g);
        assert_eq!(
            hit(look(&c, a, View::Vendors, stamp(1)).await).unwrap(),
            "[1]"
        );
        assert!(hit(look(&c, a, View::Dashboard, stamp(1)).await).is_none());
        assert!(
            hit(look(&c, b, View::Vendors, stamp(1)).await).is_none(),
            "other accounts have their own"
        );
        assert!(
            hit(look(&c, a, View::Vendors, stamp(2)).await).is_none(),
            "a new version"
        );
        let next_month = Stamp {
            version: 1,
            period: 1,
        };
        assert!(
            hit(look(&c, a, View::Vendors, next_month).await).is_none(),
            "another period"
        );
    }

    #[tokio::test]
    async fn zero_max_age_keeps_nothing_and_aged_answers_are_refreshed_once() {
        let off = ResponseCache::new(Duration::ZERO);
        let a = account(1);
        off.put(a, View::Vendors, stamp(0), Bytes::from_static(b"x"));
        assert!(hit(look(&off, a, View::Vendors, stamp(0)).await).is_none());

        let short = Arc::new(ResponseCache::new(Duration::from_millis(30)));
        short.put(a, View::Vendors, stamp(0), Bytes::from_static(b"x"));
        assert!(hit(look(&short, a, View::Vendors, stamp(0)).await).is_some());
        tokio::time::sleep(Duration::from_millis(40)).await;
        // Aged: one request refreshes it; meanwhile the others get the kept answer.
        let Lookup::Compute(s, guard) = look(&short, a, View::Vendors, stamp(0)).await else {
            panic!("aged out");
        };
        assert_eq!(
            hit(look(&short, a, View::Vendors, stamp(0)).await).unwrap(),
            "x"
        );
        // But not a request that read a newer version: it waits, then computes.
        let newer = tokio::spawn({
            let short = short.clone();
            async move {
                match look(&short, a, View::Vendors, stamp(1)).await {
                    Lookup::Hit(b) => Ok(b),
                    Lookup::Compute(s, _g) => Err(s),
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!newer.is_finished());
        short.put(a, View::Vendors, s, Bytes::from_static(b"y"));
        drop(guard);
        assert_eq!(newer.await.unwrap().unwrap_err(), stamp(1));
        assert_eq!(
            hit(look(&short, a, View::Vendors, stamp(0)).await).unwrap(),
            "y"
        );
    }

    #[tokio::test]
    async fn one_request_computes_and_the_others_wait_then_read_the_stamp_again() {
        let c = Arc::new(ResponseCache::new(Duration::from_secs(60)));
        let a = account(7);
        let Lookup::Compute(s, guard) = look(&c, a, View::Vendors, stamp(1)).await else {
            panic!("empty cache");
        };
        // Two requests wait while the first computes; by the time they get
        // the lock, one sees the stamp the answer is for, one a newer one.
        let spawn_waiter = |read_first: u64, read_again: u64| {
            let c = c.clone();
            tokio::spawn(async move {
                let again = stamp(read_again);
                let l = c
                    .lookup(a, View::Vendors, stamp(read_first), || async move {
                        Ok::<_, Infallible>(again)
                    })
                    .await
                    .unwrap();
                match l {
                    Lookup::Hit(b) => Ok(b),
                    Lookup::Compute(s, _g) => Err(s),
                }
            })
        };
        let same = spawn_waiter(1, 1);
        let newer = spawn_waiter(1, 2);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!same.is_finished() && !newer.is_finished());
        c.put(a, View::Vendors, s, Bytes::from_static(b"v1"));
        drop(guard);
        assert_eq!(same.await.unwrap().unwrap(), "v1");
        assert_eq!(
            newer.await.unwrap().unwrap_err(),
            stamp(2),
            "computes again, for the newer version"
        );
    }
}
