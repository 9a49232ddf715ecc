//! The seed's rate limits: fixed one-minute windows per key.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nis2_core::AccountId;

use crate::error::ApiError;

/// Which limit a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `POST /scan/demo`, per IP.
    Demo,
    /// `POST /scans/trigger`, per account.
    Trigger,
    /// `POST /reports/letter`, per account.
    Letter,
    /// Every authenticated `GET`, per account.
    Get,
}

/// The limits, requests per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimits {
    /// Demo scans per IP (seed: 2).
    pub demo: u32,
    /// Scan triggers per account (seed: 5).
    pub trigger: u32,
    /// Letters per account (seed: 10).
    pub letter: u32,
    /// GET requests per account (seed: 100).
    pub get: u32,
    /// The window (seed: one minute).
    pub window: Duration,
}

impl Default for RateLimits {
    /// The seed's limits.
    fn default() -> Self {
        Self {
            demo: 2,
            trigger: 5,
            letter: 10,
            get: 100,
            window: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Ip(IpAddr),
    Account(AccountId),
}

#[derive(Debug)]
struct Window {
    start: Instant,
    count: u32,
}

/// Counts requests per bucket and key.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<HashMap<(Bucket, Key), Window>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn check_ip(&self, bucket: Bucket, ip: IpAddr) -> Result<(), ApiError> {
        self.check(bucket, Key::Ip(ip))
    }

    pub(crate) fn check_account(&self, bucket: Bucket, a: AccountId) -> Result<(), ApiError> {
        self.check(bucket, Key::Account(a))
    }

    fn check(&self, bucket: Bucket, key: Key) -> Result<(), ApiError> {
        let limit = match bucket {
            Bucket::Demo => self.limits.demo,
            Bucket::Trigger => self.limits.trigger,
            Bucket::Letter => self.limits.letter,
            Bucket::Get => self.limits.get,
        };
        let per = self.limits.window;
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 50_000 {
            windows.retain(|_, w| now.duration_since(w.start) < per);
        }
        let w = windows.entry((bucket, key)).or_insert(Window {
            start: now,
            count: 0,
        });
        if now.duration_since(w.start) >= per {
            w.start = now;
            w.count = 0;
        }
        if w.count < limit {
            w.count += 1;
            return Ok(());
        }
        let left = per.saturating_sub(now.duration_since(w.start));
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Err(ApiError::RateLimited {
            retry_after: secs.max(1),
        })
    }
}
