//! Conversions between the domain types and their stored form.

use std::time::Duration;

use nis2_core::{Grade, RiskLevel, Timestamp, VendorStatus};
use time::OffsetDateTime;

use crate::error::Error;

/// Microseconds since the Unix epoch (saturating outside ±292,000 years).
pub(crate) fn micros(t: Timestamp) -> i64 {
    let n = t.into_inner().unix_timestamp_nanos() / 1_000;
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

/// The instant `m` microseconds after the Unix epoch.
pub(crate) fn from_micros(m: i64) -> Result<Timestamp, Error> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(m) * 1_000)
        .map(Timestamp::from)
        .map_err(|e| Error::corrupt(format!("time stamp {m}: {e}")))
}

pub(crate) fn opt_from_micros(m: Option<i64>) -> Result<Option<Timestamp>, Error> {
    m.map(from_micros).transpose()
}

/// A duration in microseconds, saturating.
pub(crate) fn duration_micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// `t + d` in microseconds, saturating.
pub(crate) fn after(t: Timestamp, d: Duration) -> i64 {
    micros(t).saturating_add(duration_micros(d))
}

pub(crate) fn grade(s: &str) -> Result<Grade, Error> {
    match s {
        "A" => Ok(Grade::A),
        "B" => Ok(Grade::B),
        "C" => Ok(Grade::C),
        "D" => Ok(Grade::D),
        "F" => Ok(Grade::F),
        other => Err(Error::corrupt(format!("grade `{other}`"))),
    }
}

pub(crate) fn risk(s: &str) -> Result<RiskLevel, Error> {
    match s {
        "Low" => Ok(RiskLevel::Low),
        "Medium" => Ok(RiskLevel::Medium),
        "High" => Ok(RiskLevel::High),
        "Critical" => Ok(RiskLevel::Critical),
        other => Err(Error::corrupt(format!("risk level `{other}`"))),
    }
}

pub(crate) fn vendor_status(s: &str) -> Result<VendorStatus, Error> {
    match s {
        "pending" => Ok(VendorStatus::Pending),
        "scanning" => Ok(VendorStatus::Scanning),
        "complete" => Ok(VendorStatus::Complete),
        "error" => Ok(VendorStatus::Error),
        other => Err(Error::corrupt(format!("vendor status `{other}`"))),
    }
}

pub(crate) fn score(v: i64) -> Result<u8, Error> {
    u8::try_from(v)
        .ok()
        .filter(|s| *s <= 100)
        .ok_or_else(|| Error::corrupt(format!("score {v}")))
}

pub(crate) fn count(v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::corrupt(format!("count {v}")))
}

pub(crate) fn attempts(v: i64) -> Result<u32, Error> {
    u32::try_from(v).map_err(|_| Error::corrupt(format!("attempt count {v}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_round_trip() {
        let t = Timestamp::parse("2026-06-27T10:00:00.123456Z").unwrap();
        assert_eq!(from_micros(micros(t)).unwrap(), t);
        assert_eq!(micros(Timestamp::UNIX_EPOCH), 0);
        let before = Timestamp::parse("1969-12-31T23:59:59Z").unwrap();
        assert_eq!(micros(before), -1_000_000);
    }

    #[test]
    fn text_forms_round_trip() {
        for g in Grade::ALL {
            assert_eq!(grade(g.as_str()).unwrap(), g);
        }
        for r in [
            RiskLevel::Low,
            RiskLevel::Medium,
            RiskLevel::High,
            RiskLevel::Critical,
        ] {
            assert_eq!(risk(r.as_str()).unwrap(), r);
        }
        for s in [
            VendorStatus::Pending,
            VendorStatus::Scanning,
            VendorStatus::Complete,
            VendorStatus::Error,
        ] {
            assert_eq!(vendor_status(s.as_str()).unwrap(), s);
        }
        assert!(grade("E").is_err());
        assert!(score(101).is_err());
        assert_eq!(score(100).unwrap(), 100);
    }
}
