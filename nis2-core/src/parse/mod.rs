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
#[non_exhaustive]
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
#[inline(always)]
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

/// `s` without ASCII whitespace at either end, like `str::trim_ascii`, with
/// a fast answer for the usual token that has none: a byte above the space
/// at each end (non-ASCII bytes included) is never ASCII whitespace.
#[inline(always)]
pub(crate) fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if *first > b' ' && *last > b' ' => s,
        [only] if *only > b' ' => s,
        _ => s.trim_ascii(),
    }
}

/// Eight bytes read as one little-endian word, from `s[at..at + 8]`.
#[inline(always)]
fn word_at(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}

/// The word with its ASCII capitals (`A`–`Z`) turned to small letters and
/// every other byte, non-ASCII ones included, left as it is.
#[inline(always)]
fn lower_word(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Per byte, on its low seven bits t (≤ 127, so no carry leaves the
    // byte): t + 63 has the high bit set when t ≥ 'A', t + 37 when t > 'Z'.
    let t = x & LOW7;
    let from_a = t + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = t + 0x2525_2525_2525_2525;
    let capital = from_a & !past_z & !x & HIGHS;
    x | (capital >> 2)
}

/// ASCII case-insensitive equality, the same answer as
/// `eq_ignore_ascii_case` at a fraction of its cost on the header names,
/// tags and host names compared here: eight bytes at a time.
#[inline]
pub(crate) fn eq_ci(a: &str, b: &str) -> bool {
    eq_ci_bytes(a.as_bytes(), b.as_bytes())
}

/// [`eq_ci`] on bytes.
#[inline]
pub(crate) fn eq_ci_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.eq_ignore_ascii_case(b);
    }
    let mut at = 0;
    while at + 8 < n {
        if lower_word(word_at(a, at)) != lower_word(word_at(b, at)) {
            return false;
        }
        at += 8;
    }
    // The last word overlaps the one before when `n` is not a multiple of 8.
    lower_word(word_at(a, n - 8)) == lower_word(word_at(b, n - 8))
}

/// Splits at an ASCII byte. For the short protocol strings parsed here a
/// byte search is several times cheaper than `str::split`.
#[inline]
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

    #[inline(always)]
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
#[inline]
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

    #[inline(always)]
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
#[inline]
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

#[cfg(test)]
mod eq_ci_tests {
    use super::eq_ci_bytes;

    proptest::proptest! {
        #[test]
        fn agrees_with_eq_ignore_ascii_case(
            a in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'A', b'z', b'Z', b'@', b'[', b'`', b'{', b'-', 0u8, 0x7f, 0x80, 0xc1, 0xda, 0xe1, 0xff]),
                0..30,
            ),
            flips in proptest::collection::vec(0u8..4, 30),
        ) {
            // `b` is `a` with some bytes case-flipped or changed, so that
            // both equal and unequal pairs come up often.
            let b: Vec<u8> = a.iter().zip(&flips).map(|(&x, &f)| match f {
                0 if x.is_ascii_alphabetic() => x ^ 0x20,
                1 => x ^ 0x20,
                _ => x,
            }).collect();
            proptest::prop_assert_eq!(eq_ci_bytes(&a, &b), a.eq_ignore_ascii_case(&b));
            proptest::prop_assert_eq!(eq_ci_bytes(&a, &a), true);
            let shorter = &b[..b.len().saturating_sub(1)];
            proptest::prop_assert_eq!(eq_ci_bytes(&a, shorter), a.eq_ignore_ascii_case(shorter));
        }
    }

    #[test]
    fn every_byte_pair() {
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                let a = [b'k', b'e', b'y', b'-', b'n', b'a', b'm', b'e', x, b's'];
                let b = [b'K', b'E', b'Y', b'-', b'N', b'A', b'M', b'E', y, b'S'];
                assert_eq!(eq_ci_bytes(&a, &b), x.eq_ignore_ascii_case(&y), "{x} {y}");
            }
        }
    }
}

#[cfg(test)]
mod trim_tests {
    proptest::proptest! {
        #[test]
        fn trims_as_trim_ascii(s in "[ \t\r\n\x0b\x0ca=\u{e9}\x01]{0,8}") {
            proptest::prop_assert_eq!(super::trim(&s), s.trim_ascii());
        }
    }
}
