//! A UTC instant, serialized as RFC 3339 (`2026-06-27T10:00:00Z`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

/// A point in time, always held in UTC.
///
/// Core never reads the clock: callers pass `now` in (see [`crate::Clock`]).
/// The JSON form is an RFC 3339 string; a malformed one is a deserialization
/// error naming the bad value, never a panic.
///
/// Held as whole seconds since the Unix epoch and nanoseconds, within the
/// range of the `time` crate: comparing, subtracting and adding days are
/// then plain integer operations (they are on the hot path of `evaluate`
/// and `assess`), and `time` is used only to parse unusual RFC 3339 forms
/// and to hand values to adapters.
///
/// The seconds are kept as their high (signed) and low (unsigned) 32-bit
/// halves: the value is then 12 bytes with 4-byte alignment, so the
/// records that carry one (a remediation step is 64 bytes) pack without
/// padding, and the derived order of (high, low, nanoseconds) is exactly
/// the order of the instants.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z, upper half (in `MIN_SECS..=MAX_SECS`).
    secs_hi: i32,
    /// Lower half of the seconds.
    secs_lo: u32,
    /// Nanoseconds within the second, below 1e9.
    nanos: u32,
}

/// The earliest and latest whole second `time` can represent.
const MIN_SECS: i64 = PrimitiveDateTime::MIN.assume_utc().unix_timestamp();
const MAX_SECS: i64 = PrimitiveDateTime::MAX.assume_utc().unix_timestamp();
const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01 (H. Hinnant's `civil_from_days`).
const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Timestamp {
    /// The Unix epoch.
    pub const UNIX_EPOCH: Timestamp = Timestamp::at(0, 0);

    /// From seconds (within the range) and nanoseconds.
    const fn at(secs: i64, nanos: u32) -> Self {
        Timestamp {
            secs_hi: (secs >> 32) as i32,
            secs_lo: secs as u32,
            nanos,
        }
    }

    /// Seconds since the Unix epoch.
    #[inline]
    const fn secs(self) -> i64 {
        ((self.secs_hi as i64) << 32) | self.secs_lo as i64
    }

    /// From whole seconds since the Unix epoch; `None` when out of range.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        (MIN_SECS..=MAX_SECS)
            .contains(&seconds)
            .then_some(Self::at(seconds, 0))
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.secs()
    }

    /// Parses an RFC 3339 string (any offset; converted to UTC).
    pub fn parse(s: &str) -> Result<Self, crate::Error> {
        if let Some(t) = Self::parse_plain_utc(s.as_bytes()) {
            return Ok(t);
        }
        let bad = |reason: String| crate::Error::InvalidTimestamp {
            value: s.chars().take(64).collect(),
            reason,
        };
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|e| bad(e.to_string()))?;
        // `9999-12-31T23:59:59-01:00` parses, but is after the last
        // representable instant once in UTC.
        Self::in_range(t).ok_or_else(|| bad("outside the representable range once in UTC".into()))
    }

    /// `t` in UTC, when that is within the representable range.
    fn in_range(t: OffsetDateTime) -> Option<Self> {
        (MIN_SECS..=MAX_SECS)
            .contains(&t.unix_timestamp())
            .then(|| Self::at(t.unix_timestamp(), t.nanosecond()))
    }

    /// The common form `YYYY-MM-DDTHH:MM:SSZ`, read without the general
    /// parser; `None` for anything else (which the general parser then
    /// reads, or rejects with its message).
    fn parse_plain_utc(b: &[u8]) -> Option<Self> {
        if b.len() != 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return None;
        }
        const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
        if !DIGITS.iter().all(|&i| b[i].is_ascii_digit()) {
            return None;
        }
        let d = |i: usize| u32::from(b[i] - b'0');
        let two = |i: usize| d(i) * 10 + d(i + 1);
        let y = two(0) * 100 + two(2);
        let (mo, d, h, mi, sec) = (two(5), two(8), two(11), two(14), two(17));
        let y = i64::from(y);
        if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
            return None;
        }
        // A leap second (60) is left to the general parser.
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        let secs = days_from_civil(y, mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(sec);
        Some(Self::at(secs, 0))
    }

    /// The same instant truncated to whole seconds (the seed API's precision).
    pub fn trunc_seconds(self) -> Self {
        Self { nanos: 0, ..self }
    }

    /// This instant plus `days` days (saturating at the representable range).
    pub fn plus_days(self, days: i64) -> Self {
        let secs = self.secs().saturating_add(days.saturating_mul(86_400));
        if secs > MAX_SECS {
            Self::at(MAX_SECS, 999_999_999)
        } else if secs < MIN_SECS {
            Self::at(MIN_SECS, 0)
        } else {
            Self::at(secs, self.nanos)
        }
    }

    /// Whole days from `self` until `later` (negative when `later` is earlier),
    /// rounded towards negative infinity.
    pub fn days_until(self, later: Timestamp) -> i64 {
        self.seconds_until(later).div_euclid(86_400)
    }

    /// Seconds from `self` until `later` (negative when `later` is earlier),
    /// rounded towards zero.
    pub fn seconds_until(self, later: Timestamp) -> i64 {
        // Within the range neither difference can overflow. The exact
        // difference is `secs + nanos / 1e9` with |nanos| < 1e9; truncate it.
        let secs = later.secs() - self.secs();
        let nanos = i64::from(later.nanos) - i64::from(self.nanos);
        if secs > 0 && nanos < 0 {
            secs - 1
        } else if secs < 0 && nanos > 0 {
            secs + 1
        } else {
            secs
        }
    }

    /// The calendar date, `YYYY-MM-DD`.
    pub fn date(self) -> time::Date {
        self.into_inner().date()
    }

    /// The underlying `time` value, for adapters that store it.
    pub fn into_inner(self) -> OffsetDateTime {
        let nanos = i128::from(self.secs()) * NANOS_PER_SEC + i128::from(self.nanos);
        // Always in range: every constructor keeps `secs` within it.
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Year, month, day, hour, minute, second.
    fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.secs().div_euclid(86_400);
        let sod = self.secs().rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, sod / 3600, sod / 60 % 60, sod % 60)
    }
}

impl From<OffsetDateTime> for Timestamp {
    /// The same instant in UTC; one that UTC cannot represent (the last
    /// hours of year 9999 at a negative offset, the first of year -9999 at a
    /// positive one) saturates to the first or last representable instant.
    fn from(t: OffsetDateTime) -> Self {
        match Self::in_range(t) {
            Some(ts) => ts,
            None if t.unix_timestamp() > MAX_SECS => Self::at(MAX_SECS, 999_999_999),
            None => Self::at(MIN_SECS, 0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Timestamp")
            .field(&self.into_inner())
            .finish()
    }
}

impl Timestamp {
    /// Appends the text `Display` writes to evidence being built.
    pub(crate) fn put_to(self, out: &mut crate::evidence::Builder) {
        match self.rfc3339() {
            // ASCII digits and separators only.
            Some(text) => out.push_utf8(&text.buf[..text.len]),
            None => out.push_str(itoa::Buffer::new().format(self.secs())),
        }
    }

    /// The RFC 3339 text on the stack, or `None` outside the years 0-9999.
    fn rfc3339(self) -> Option<Rfc3339Text> {
        let (y, mo, d, h, mi, s) = self.civil();
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut buf = [0u8; 30];
        let mut put = |at: usize, v: u32, width: usize| {
            let mut v = v;
            for i in (0..width).rev() {
                buf[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, y as u32, 4);
        put(5, mo, 2);
        put(8, d, 2);
        put(11, h, 2);
        put(14, mi, 2);
        put(17, s, 2);
        let mut len = 19;
        if self.nanos != 0 {
            // A fraction only when there is one, without trailing zeros.
            put(20, self.nanos, 9);
            buf[19] = b'.';
            len = 29;
            while buf[len - 1] == b'0' {
                len -= 1;
            }
        }
        buf[4] = b'-';
        buf[7] = b'-';
        buf[10] = b'T';
        buf[13] = b':';
        buf[16] = b':';
        buf[len] = b'Z';
        Some(Rfc3339Text { buf, len: len + 1 })
    }
}

/// An RFC 3339 time stamp's text, held on the stack.
struct Rfc3339Text {
    buf: [u8; 30],
    len: usize,
}

impl Rfc3339Text {
    fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC (`2026-06-27T10:00:00Z`, with a fraction only when
    /// there is one). Written by hand, without allocating: it is on the hot
    /// path of evaluation and of every JSON response.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            Some(text) => f.write_str(text.as_str()),
            // Not representable in RFC 3339.
            None => write!(f, "{}", self.secs()),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(text) => s.serialize_str(text.as_str()),
            None => Err(serde::ser::Error::custom(
                "timestamp outside the years 0-9999 is not representable in RFC 3339",
            )),
        }
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
            assert_eq!(t.to_string(), t.into_inner().format(&Rfc3339).unwrap());
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

    /// The hand-written calendar agrees with `time` on every day of the
    /// supported range that the tests step through, and the fast parser
    /// agrees with `time`'s parser.
    #[test]
    fn calendar_agrees_with_the_time_crate() {
        let mut secs = MIN_SECS;
        while secs <= MAX_SECS {
            let t = Timestamp::from_unix(secs).unwrap();
            let odt = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            assert_eq!(t.into_inner(), odt);
            let (y, m, d, h, mi, s) = t.civil();
            assert_eq!(
                (y, m, d, h, mi, s),
                (
                    i64::from(odt.year()),
                    u32::from(u8::from(odt.month())),
                    u32::from(odt.day()),
                    u32::from(odt.hour()),
                    u32::from(odt.minute()),
                    u32::from(odt.second())
                ),
                "{secs}"
            );
            if (0..=9999).contains(&y) {
                let text = t.to_string();
                assert_eq!(text, odt.format(&Rfc3339).unwrap());
                assert_eq!(Timestamp::parse_plain_utc(text.as_bytes()), Some(t));
            }
            secs += 86_400 * 13 + 3_607;
        }
        for s in [
            "2024-02-29T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "1900-02-28T12:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            let fast = Timestamp::parse_plain_utc(s.as_bytes()).unwrap();
            let slow = Timestamp::from(OffsetDateTime::parse(s, &Rfc3339).unwrap());
            assert_eq!(fast, slow, "{s}");
        }
        // Left to the general parser (which accepts or rejects them itself).
        for s in [
            "2023-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-06-27T24:00:00Z",
            "2026-06-27T10:60:00Z",
            "2016-12-31T23:59:60Z",
            "2026-06-27t10:00:00z",
            "2026-06-27T10:00:00+00:00",
            "2026-6-27T10:00:00Z",
            "+026-06-27T10:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_plain_utc(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn out_of_range_once_in_utc_is_an_error_not_a_panic() {
        let e = Timestamp::parse("9999-12-31T23:59:59-01:00").unwrap_err();
        assert!(e.to_string().contains("range"), "{e}");
        assert!(Timestamp::parse("9999-12-31T22:59:59-01:00").is_ok());
        let late = OffsetDateTime::parse("9999-12-31T23:59:59-01:00", &Rfc3339).unwrap();
        assert_eq!(
            Timestamp::from(late).into_inner(),
            PrimitiveDateTime::MAX.assume_utc()
        );
        assert_eq!(Timestamp::from_unix(MAX_SECS + 1), None);
        assert_eq!(Timestamp::from_unix(MIN_SECS - 1), None);
    }

    #[test]
    fn plus_days_saturates_like_the_time_crate() {
        let t = Timestamp::parse("2026-06-27T10:00:00.25Z").unwrap();
        for days in [
            0,
            1,
            -1,
            365,
            -100_000,
            5_000_000,
            -5_000_000,
            i64::MAX / 86_400,
        ] {
            assert_eq!(
                t.plus_days(days).into_inner(),
                t.into_inner().saturating_add(time::Duration::days(days)),
                "{days}"
            );
        }
        // Beyond what `time::Duration::days` can even build: still no panic.
        assert_eq!(t.plus_days(i64::MAX), t.plus_days(5_000_000));
        assert_eq!(t.plus_days(i64::MIN), t.plus_days(-5_000_000));
        let a = Timestamp::parse("2026-06-27T10:00:00.75Z").unwrap();
        let b = Timestamp::parse("2026-06-27T10:00:02.25Z").unwrap();
        assert_eq!(a.seconds_until(b), 1);
        assert_eq!(b.seconds_until(a), -1);
        assert_eq!(b.days_until(a), -1);
        assert_eq!(
            format!("{a:?}"),
            "Timestamp(2026-06-27 10:00:00.75 +00:00:00)"
        );
    }

    #[test]
    fn differences_truncate_like_the_time_crate() {
        let base = OffsetDateTime::from_unix_timestamp(1_782_554_400).unwrap();
        let at = |secs: i64, nanos: u32| {
            (base + time::Duration::seconds(secs))
                .replace_nanosecond(nanos)
                .unwrap()
        };
        for s1 in [-200_000, -86_401, -1, 0, 1, 86_399, 86_400, 3_000_000] {
            for n1 in [0, 1, 500_000_000, 999_999_999] {
                for s2 in [-86_400, -2, 0, 2, 86_400, 172_801] {
                    for n2 in [0, 250_000_000, 999_999_999] {
                        let (a, b) = (at(s1, n1), at(s2, n2));
                        let (ta, tb) = (Timestamp::from(a), Timestamp::from(b));
                        assert_eq!(ta.seconds_until(tb), (b - a).whole_seconds());
                        assert_eq!(
                            ta.days_until(tb),
                            (b - a).whole_seconds().div_euclid(86_400)
                        );
                        assert_eq!(ta.cmp(&tb), a.cmp(&b));
                    }
                }
            }
        }
    }

    #[test]
    fn compact_and_ordered_like_the_seconds() {
        assert_eq!(std::mem::size_of::<Timestamp>(), 12);
        let values = [
            MIN_SECS,
            -(1 << 32) - 1,
            -(1 << 32),
            -1,
            0,
            1,
            (1 << 32) - 1,
            1 << 32,
            MAX_SECS,
        ];
        for a in values {
            let ta = Timestamp::from_unix(a).unwrap();
            assert_eq!(ta.unix(), a);
            for b in values {
                let tb = Timestamp::from_unix(b).unwrap();
                assert_eq!(ta.cmp(&tb), a.cmp(&b), "{a} {b}");
            }
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
