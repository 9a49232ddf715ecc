//! Parsers for the text records and headers the checks judge: SPF, DMARC,
//! HSTS, CSP, cookies, security.txt and MTA-STS policies.
//!
//! Every parser takes untrusted text and returns either a structured value or
//! a [`ParseError`] that says what is wrong; none of them panics or allocates
//! in proportion to anything but its input.

use std::fmt;

pub mod dmarc;
pub mod headers;
pub mod mta_sts;
pub mod security_txt;
pub mod spf;

/// Why a record or header could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What was being parsed, e.g. `SPF`.
    pub what: &'static str,
    /// What is wrong, e.g. "unknown mechanism `foo`".
    pub reason: String,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self {
            what,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.what, self.reason)
    }
}

impl std::error::Error for ParseError {}

/// The first position of `needle` in `hay`. Eight bytes at a time: the
/// protocol strings searched here (header values, record text, policy
/// lines) are mostly longer than a machine word.
#[inline]
pub(crate) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let pattern = u64::from(needle) * ONES;
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // Bytes equal to the needle become zero; the lowest byte flagged
        // by the zero-byte test is exactly the first of them (borrows only
        // ever run upwards, past a zero byte).
        let x = u64::from_le_bytes(word) ^ pattern;
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| at + i)
}

/// Splits at an ASCII byte. For the short protocol strings parsed here a
/// byte search is several times cheaper than `str::split`.
pub(crate) fn split_at_byte(s: &str, sep: u8) -> SplitByte<'_> {
    debug_assert!(sep.is_ascii());
    SplitByte { rest: Some(s), sep }
}

/// The iterator of [`split_at_byte`].
#[derive(Clone)]
pub(crate) struct SplitByte<'a> {
    /// What is left; `None` once the last piece was returned.
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let r = self.rest?;
        match find_byte(r.as_bytes(), self.sep) {
            // `sep` is ASCII, so `i` and `i + 1` are character boundaries.
            Some(i) => {
                self.rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                self.rest = None;
                Some(r)
            }
        }
    }
}

/// Lines ending in `\n` or `\r\n`, like `str::lines`.
pub(crate) fn lines(s: &str) -> Lines<'_> {
    let body = s.strip_suffix('\n').unwrap_or(s);
    Lines {
        rest: (!s.is_empty()).then_some(body),
    }
}

/// The iterator of [`lines`].
pub(crate) struct Lines<'a> {
    /// What is left; `None` once the last line was returned.
    rest: Option<&'a str>,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let r = self.rest?;
        let (line, rest) = match find_byte(r.as_bytes(), b'\n') {
            // `\n` is ASCII: both sides are character boundaries.
            Some(i) => (&r[..i], Some(&r[i + 1..])),
            None => (r, None),
        };
        self.rest = rest;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Splits once at the first ASCII `sep`.
pub(crate) fn split_once_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    find_byte(s.as_bytes(), sep).map(|i| (&s[..i], &s[i + 1..]))
}

/// ASCII case-insensitive substring search, without allocating.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(first) = n.first().map(u8::to_ascii_lowercase) else {
        return true;
    };
    h.windows(n.len())
        .any(|w| w[0].to_ascii_lowercase() == first && w.eq_ignore_ascii_case(n))
}

/// Shortens untrusted text for use inside an error message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 64;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod find_byte_tests {
    use super::find_byte;

    proptest::proptest! {
        #[test]
        fn finds_what_position_finds(
            hay in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b';', b'\n', 0u8, 0x80, 0xff, 0x8a, b'=']),
                0..40,
            ),
            needle in proptest::sample::select(vec![b';', b'\n', b'=', 0u8, 0xff]),
        ) {
            proptest::prop_assert_eq!(find_byte(&hay, needle), hay.iter().position(|&b| b == needle));
        }
    }
}
