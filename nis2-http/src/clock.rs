//! The system clock (the core never reads it itself).

use nis2_core::{Clock, Timestamp};
use time::OffsetDateTime;

/// Reads the system time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        now()
    }
}

/// The current time.
pub(crate) fn now() -> Timestamp {
    OffsetDateTime::now_utc().into()
}
