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
//! Version reads are shared: while one request of an account reads the
//! version, the requests of that account arriving meanwhile wait for the
//! *next* read, which starts after they arrived (so it sees every write
//! committed before them) and serves them all. Under load that turns one
//! database read per request into one per batch of requests, at the cost of
//! at most two reads' time of waiting.
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
    /// The shared version reads, per account.
    reads: Mutex<HashMap<AccountId, Arc<Reads>>>,
}

/// One account's version reads: at most one runs at a time; each request
/// is served by the first read that started after it arrived.
#[derive(Default)]
struct Reads {
    state: Mutex<ReadState>,
    done: tokio::sync::Notify,
}

#[derive(Default)]
struct ReadState {
    /// Reads started so far (the number of the latest).
    started: u64,
    /// The number of the latest read that finished, and its value (`None`
    /// when it failed).
    finished: u64,
    value: Option<u64>,
    /// Whether a read is under way.
    running: bool,
}

impl Reads {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Marks the running read as over when dropped (also when the request
/// reading it is cancelled), so another can start.
struct Running<'a> {
    reads: &'a Reads,
    number: u64,
    value: Option<Option<u64>>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut s = self.reads.lock();
        s.running = false;
        if let Some(value) = self.value {
            s.finished = self.number;
            s.value = value;
        }
        drop(s);
        self.reads.done.notify_waiters();
    }
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
            reads: Mutex::new(HashMap::new()),
        }
    }

    /// The account's data version as read by `read`, by a read that starts
    /// after this call does; shared with the other calls for the account
    /// waiting for the same read. A failed read is not shared: each waiter
    /// then reads for itself.
    pub(crate) async fn version<F, Fut, E>(&self, account: AccountId, read: F) -> Result<u64, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<u64, E>>,
    {
        let reads = {
            let mut m = self
                .reads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if m.len() > MAX_ENTRIES {
                m.retain(|_, r| Arc::strong_count(r) > 1);
            }
            m.entry(account).or_default().clone()
        };
        // Reads numbered above this one start after now.
        let need = reads.lock().started + 1;
        loop {
            let notified = reads.done.notified();
            tokio::pin!(notified);
            // Registered before looking, so no wake-up is missed.
            notified.as_mut().enable();
            let number = {
                let mut s = reads.lock();
                if s.finished >= need {
                    match s.value {
                        Some(v) => return Ok(v),
                        None => break,
                    }
                }
                if s.running {
                    None
                } else {
                    s.running = true;
                    s.started += 1;
                    Some(s.started)
                }
            };
            if let Some(number) = number {
                let mut running = Running {
                    reads: &reads,
                    number,
                    value: None,
                };
                let result = read().await;
                running.value = Some(result.as_ref().ok().copied());
                drop(running);
                return result;
            }
            notified.await;
        }
        read().await
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

#[cfg(test)]
mod version_tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use tokio::sync::Semaphore;

    use super::*;

    /// A version source: each read returns the next number, once let through.
    #[derive(Clone, Default)]
    struct Source {
        reads: Arc<AtomicU64>,
        gate: Option<Arc<Semaphore>>,
    }

    impl Source {
        fn gated() -> Self {
            Self {
                reads: Arc::default(),
                gate: Some(Arc::new(Semaphore::new(0))),
            }
        }

        async fn read(&self) -> Result<u64, String> {
            let n = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(gate) = &self.gate {
                gate.acquire().await.unwrap().forget();
            }
            Ok(n)
        }

        fn release(&self, n: usize) {
            self.gate.as_ref().unwrap().add_permits(n);
        }

        fn count(&self) -> u64 {
            self.reads.load(Ordering::SeqCst)
        }
    }

    const A: AccountId = AccountId(uuid::Uuid::from_u128(1));

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(30)).await;
    }

    #[tokio::test]
    async fn one_at_a_time_each_call_reads() {
        let c = ResponseCache::new(Duration::from_secs(60));
        let src = Source::default();
        for n in 1..=3 {
            assert_eq!(c.version(A, || src.read()).await.unwrap(), n);
        }
        assert_eq!(src.count(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calls_arriving_during_a_read_share_the_next_one() {
        let c = Arc::new(ResponseCache::new(Duration::from_secs(60)));
        let src = Source::gated();
        let first = tokio::spawn({
            let (c, src) = (c.clone(), src.clone());
            async move { c.version(A, || src.read()).await.unwrap() }
        });
        settle().await;
        assert_eq!(src.count(), 1);
        // Ten more arrive while the first read runs: it started before them,
        // so it must not answer them; they share one read after it.
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let (c, src) = (c.clone(), src.clone());
                tokio::spawn(async move { c.version(A, || src.read()).await.unwrap() })
            })
            .collect();
        settle().await;
        assert_eq!(src.count(), 1, "nobody reads while a read runs");
        src.release(1);
        assert_eq!(first.await.unwrap(), 1);
        settle().await;
        assert_eq!(src.count(), 2, "one read for the ten");
        src.release(1);
        for w in waiters {
            assert_eq!(w.await.unwrap(), 2);
        }
        // Another account reads on its own, at once.
        let b = AccountId(uuid::Uuid::from_u128(2));
        let other = Source::default();
        assert_eq!(c.version(b, || other.read()).await.unwrap(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_or_failed_read_does_not_block_the_others() {
        let c = Arc::new(ResponseCache::new(Duration::from_secs(60)));
        let src = Source::gated();
        let reader = tokio::spawn({
            let (c, src) = (c.clone(), src.clone());
            async move { c.version(A, || src.read()).await }
        });
        settle().await;
        let waiter = tokio::spawn({
            let (c, src) = (c.clone(), src.clone());
            async move { c.version(A, || src.read()).await.unwrap() }
        });
        settle().await;
        // The request reading goes away (its client hung up).
        reader.abort();
        let _ = reader.await;
        settle().await;
        assert_eq!(src.count(), 2, "the waiter read for itself");
        src.release(1);
        assert_eq!(waiter.await.unwrap(), 2);

        // A failed read: the calls waiting for it read for themselves.
        let reads = Arc::new(AtomicU64::new(0));
        let read = || {
            let reads = reads.clone();
            async move {
                let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                if n == 2 {
                    Err("database down".to_owned())
                } else {
                    Ok(n)
                }
            }
        };
        let late = || async {
            settle().await;
            c.version(A, read).await
        };
        let (first, second, third) = tokio::join!(c.version(A, read), late(), late());
        assert_eq!(first.unwrap(), 1);
        // The second and third waited for read 2; one of them ran it.
        let mut rest = [second, third];
        rest.sort();
        assert_eq!(rest, [Ok(3), Err("database down".to_owned())]);
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }
}
