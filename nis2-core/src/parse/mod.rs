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

/// Splits at an ASCII byte. For the short protocol strings parsed here a
/// plain byte loop is several times cheaper than `str::split`.
pub(crate) fn split_at_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> + Clone {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Lines ending in `\n` or `\r\n`, like `str::lines`.
pub(crate) fn lines(s: &str) -> impl Iterator<Item = &str> {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let mut it = split_at_byte(body, b'\n');
    if s.is_empty() {
        it.next();
    }
    it.map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// Splits once at the first ASCII `sep`.
pub(crate) fn split_once_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    s.bytes()
        .position(|b| b == sep)
        .map(|i| (&s[..i], &s[i + 1..]))
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
