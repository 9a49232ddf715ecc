//! A UTC instant, serialized as RFC 3339 (`2026-06-27T10:00:00Z`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// A point in time, always held in UTC.
///
/// Core never reads the clock: callers pass `now` in (see [`crate::Clock`]).
/// The JSON form is an RFC 3339 string; a malformed one is a deserialization
/// error naming the bad value, never a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp(OffsetDateTime::UNIX_EPOCH);

    /// From whole seconds since the Unix epoch; `None` when out of range.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Parses an RFC 3339 string (any offset; converted to UTC).
    pub fn parse(s: &str) -> Result<Self, crate::Error> {
        OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| Self(t.to_offset(UtcOffset::UTC)))
            .map_err(|e| crate::Error::InvalidTimestamp {
                value: s.chars().take(64).collect(),
                reason: e.to_string(),
            })
    }

    /// The same instant truncated to whole seconds (the seed API's precision).
    pub fn trunc_seconds(self) -> Self {
        Self(self.0.replace_nanosecond(0).unwrap_or(self.0))
    }

    /// This instant plus `days` days (saturating at the representable range).
    pub fn plus_days(self, days: i64) -> Self {
        Self(self.0.saturating_add(Duration::days(days)))
    }

    /// Whole days from `self` until `later` (negative when `later` is earlier),
    /// rounded towards negative infinity.
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0).whole_seconds().div_euclid(86_400)
    }

    /// Seconds from `self` until `later` (negative when `later` is earlier).
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0).whole_seconds()
    }

    /// The calendar date, `YYYY-MM-DD`.
    pub fn date(self) -> time::Date {
        self.0.date()
    }

    /// The underlying `time` value, for adapters that store it.
    pub fn into_inner(self) -> OffsetDateTime {
        self.0
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Self(t.to_offset(UtcOffset::UTC))
    }
}

impl Timestamp {
    /// Appends the RFC 3339 form to `out` (see `Display`).
    pub(crate) fn push_to(self, out: &mut String) {
        use std::fmt::Write as _;
        let t = self.0;
        if (0..=9999).contains(&t.year()) && t.nanosecond() == 0 {
            let buf = self.digits();
            out.push_str(std::str::from_utf8(&buf).unwrap_or("?"));
        } else {
            let _ = write!(out, "{self}");
        }
    }

    fn digits(self) -> [u8; 20] {
        let t = self.0;
        let mut buf = [0u8; 20];
        let mut put = |at: usize, v: u32, width: usize| {
            let mut v = v;
            for i in (0..width).rev() {
                buf[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, t.year().clamp(0, 9999) as u32, 4);
        put(5, u32::from(u8::from(t.month())), 2);
        put(8, u32::from(t.day()), 2);
        put(11, u32::from(t.hour()), 2);
        put(14, u32::from(t.minute()), 2);
        put(17, u32::from(t.second()), 2);
        buf[4] = b'-';
        buf[7] = b'-';
        buf[10] = b'T';
        buf[13] = b':';
        buf[16] = b':';
        buf[19] = b'Z';
        buf
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC (`2026-06-27T10:00:00Z`, with a fraction only when
    /// there is one). Written by hand: it is on the hot path of evaluation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let year = t.year();
        if !(0..=9999).contains(&year) {
            // Not representable in RFC 3339.
            return write!(f, "{}", t.unix_timestamp());
        }
        let buf = self.digits();
        let text = std::str::from_utf8(&buf).map_err(|_| fmt::Error)?;
        let nanos = t.nanosecond();
        if nanos == 0 {
            f.write_str(text)
        } else {
            let mut frac = format!("{nanos:09}");
            while frac.ends_with('0') {
                frac.pop();
            }
            write!(f, "{}.{frac}Z", &text[..19])
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !(0..=9999).contains(&self.0.year()) {
            return Err(serde::ser::Error::custom(
                "timestamp outside the years 0-9999 is not representable in RFC 3339",
            ));
        }
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339_in_utc() {
        let t = Timestamp::parse("2026-06-27T12:00:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-06-27T10:00:00Z");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-06-27T10:00:00Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
    }

    #[test]
    fn display_matches_the_time_crate() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2026-12-31T23:59:59Z",
            "2000-02-29T12:34:56.5Z",
            "0001-01-01T00:00:00.000000001Z",
        ] {
            let t = Timestamp::parse(s).unwrap();
            assert_eq!(t.to_string(), t.0.format(&Rfc3339).unwrap());
            assert_eq!(t.to_string(), s);
        }
    }

    #[test]
    fn malformed_dates_are_errors() {
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "yesterday",
            "2026-06-27",
            "2026-02-30T00:00:00Z",
        ] {
            let err = Timestamp::parse(bad).unwrap_err();
            assert!(err.to_string().contains("timestamp"), "{err}");
            assert!(serde_json::from_str::<Timestamp>(&format!("\"{bad}\"")).is_err());
        }
    }

    #[test]
    fn day_arithmetic() {
        let t = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(t.days_until(t.plus_days(30)), 30);
        assert_eq!(t.plus_days(1).days_until(t), -1);
        let almost = Timestamp::from_unix(t.unix() + 86_399).unwrap();
        assert_eq!(t.days_until(almost), 0);
    }
}
