//! SPF records (RFC 7208).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{ParseError, clip};

/// A mechanism's qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    /// `+` (pass), the default.
    Pass,
    /// `-` (fail).
    Fail,
    /// `~` (softfail).
    SoftFail,
    /// `?` (neutral).
    Neutral,
}

impl Qualifier {
    /// The character, e.g. `-`.
    pub fn as_char(self) -> char {
        match self {
            Self::Pass => '+',
            Self::Fail => '-',
            Self::SoftFail => '~',
            Self::Neutral => '?',
        }
    }
}

/// A mechanism (RFC 7208 §5), borrowing its domain from the record text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mechanism<'a> {
    /// `all`.
    All,
    /// `include:<domain>`.
    Include(&'a str),
    /// `a[:<domain>][/<cidr>]`.
    A(Option<&'a str>),
    /// `mx[:<domain>][/<cidr>]`.
    Mx(Option<&'a str>),
    /// `ptr[:<domain>]`.
    Ptr(Option<&'a str>),
    /// `ip4:<net>`.
    Ip4(Ipv4Addr, u8),
    /// `ip6:<net>`.
    Ip6(Ipv6Addr, u8),
    /// `exists:<domain>`.
    Exists(&'a str),
}

impl Mechanism<'_> {
    /// Whether evaluating it costs a DNS lookup (RFC 7208 §4.6.4).
    pub fn needs_lookup(&self) -> bool {
        matches!(
            self,
            Self::Include(_) | Self::A(_) | Self::Mx(_) | Self::Ptr(_) | Self::Exists(_)
        )
    }
}

/// A parsed SPF record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfRecord<'a> {
    /// Directives in order.
    pub directives: Vec<(Qualifier, Mechanism<'a>)>,
    /// The `redirect=` modifier.
    pub redirect: Option<&'a str>,
    /// The `exp=` modifier.
    pub exp: Option<&'a str>,
}

impl<'a> SpfRecord<'a> {
    /// The qualifier of the first `all` mechanism (later terms are never reached).
    pub fn all(&self) -> Option<Qualifier> {
        self.directives
            .iter()
            .find(|(_, m)| *m == Mechanism::All)
            .map(|(q, _)| *q)
    }

    /// Domains named by `include:` mechanisms, in order.
    pub fn includes(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.directives.iter().filter_map(|(_, m)| match m {
            Mechanism::Include(d) => Some(*d),
            _ => None,
        })
    }

    /// Terms in this record alone that cost a DNS lookup (mechanisms and `redirect`).
    pub fn lookup_terms(&self) -> u32 {
        let m = self
            .directives
            .iter()
            .filter(|(_, m)| m.needs_lookup())
            .count() as u32;
        m + u32::from(self.redirect.is_some())
    }

    /// Whether the record lets anyone send: `+all` or `?all`, or neither
    /// an `all` mechanism nor a `redirect` (the default result is neutral).
    pub fn is_permissive(&self) -> bool {
        match self.all() {
            Some(Qualifier::Pass | Qualifier::Neutral) => true,
            Some(Qualifier::Fail | Qualifier::SoftFail) => false,
            None => self.redirect.is_none(),
        }
    }
}

/// Whether a TXT record is an SPF record (`v=spf1` followed by a space or the end).
pub fn is_spf(txt: &str) -> bool {
    let t = txt.trim_ascii_start();
    t.len() >= 6
        && t.as_bytes()[..6].eq_ignore_ascii_case(b"v=spf1")
        && t.as_bytes().get(6).is_none_or(|b| *b == b' ')
}

fn err(reason: impl Into<String>) -> ParseError {
    ParseError::new("SPF record", reason)
}

fn domain_spec<'a>(s: &'a str, term: &str) -> Result<&'a str, ParseError> {
    // ASCII text (the usual case) needs no decoding: every ASCII whitespace
    // character other than the space is a control character. Text with
    // other characters is checked by character.
    let mut bad_char = false;
    for &b in s.as_bytes() {
        if !b.is_ascii() {
            bad_char = s.chars().any(|c| c.is_whitespace() || c.is_control());
            break;
        }
        if b == b' ' || b.is_ascii_control() {
            bad_char = true;
            break;
        }
    }
    if s.is_empty() || s.len() > 253 || bad_char {
        return Err(err(format!("bad domain in `{}`", clip(term))));
    }
    Ok(s)
}

/// Splits `name[:domain][/cidr4][//cidr6]` forms of `a` and `mx`.
fn opt_domain<'a>(rest: &'a str, term: &str) -> Result<Option<&'a str>, ParseError> {
    let (spec, cidr) = match rest.bytes().position(|b| b == b'/') {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    if let Some(c) = cidr
        && !dual_cidr_valid(c)
    {
        return Err(err(format!("bad CIDR length in `{}`", clip(term))));
    }
    match spec.strip_prefix(':') {
        Some(d) => domain_spec(d, term).map(Some),
        None if spec.is_empty() => Ok(None),
        None => Err(err(format!("unknown mechanism `{}`", clip(term)))),
    }
}

/// RFC 7208 `dual-cidr-length`: `/<0-32>`, `//<0-128>` or both, in that
/// order, without leading zeros.
fn dual_cidr_valid(c: &str) -> bool {
    fn length(digits: &str, max: u16) -> bool {
        !digits.is_empty()
            && digits.len() <= 3
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'))
            && digits.parse::<u16>().is_ok_and(|n| n <= max)
    }
    let (v4, v6) = match c.find("//") {
        Some(i) => (&c[..i], Some(&c[i + 2..])),
        None => (c, None),
    };
    let v4_ok = v4.is_empty() || v4.strip_prefix('/').is_some_and(|d| length(d, 32));
    v4_ok && v6.is_none_or(|d| length(d, 128))
}

fn net<A: std::str::FromStr>(s: &str, max: u8, term: &str) -> Result<(A, u8), ParseError> {
    let (addr, len) = match crate::parse::split_once_byte(s, b'/') {
        Some((a, l)) => (a, l.parse::<u8>().ok().filter(|l| *l <= max)),
        None => (s, Some(max)),
    };
    match (addr.parse::<A>(), len) {
        (Ok(a), Some(l)) => Ok((a, l)),
        _ => Err(err(format!("bad network in `{}`", clip(term)))),
    }
}

/// Parses one SPF record.
pub fn parse(txt: &str) -> Result<SpfRecord<'_>, ParseError> {
    let mut directives = Vec::new();
    let (redirect, exp) = visit(txt, |q, m| directives.push((q, m)))?;
    Ok(SpfRecord {
        directives,
        redirect,
        exp,
    })
}

/// What the checks need of an SPF record: [`SpfRecord::all`] and
/// [`SpfRecord::is_permissive`], read without building the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The qualifier of the first `all`.
    pub(crate) all: Option<Qualifier>,
    /// Whether a `redirect=` is present.
    pub(crate) redirect: bool,
}

impl Verdict {
    /// Same as [`SpfRecord::is_permissive`].
    pub(crate) fn is_permissive(self) -> bool {
        match self.all {
            Some(Qualifier::Pass | Qualifier::Neutral) => true,
            Some(Qualifier::Fail | Qualifier::SoftFail) => false,
            None => !self.redirect,
        }
    }
}

/// Parses one SPF record as [`parse`] does (same errors), keeping only the
/// [`Verdict`]: no allocation unless the record is invalid.
pub(crate) fn verdict(txt: &str) -> Result<Verdict, ParseError> {
    let mut all = None;
    let (redirect, _) = visit(txt, |q, m| {
        if all.is_none() && m == Mechanism::All {
            all = Some(q);
        }
    })?;
    Ok(Verdict {
        all,
        redirect: redirect.is_some(),
    })
}

/// Reads the record term by term, handing each directive to `each`, and
/// returns the `redirect=` and `exp=` modifiers.
#[allow(clippy::type_complexity)]
fn visit<'a>(
    txt: &'a str,
    mut each: impl FnMut(Qualifier, Mechanism<'a>),
) -> Result<(Option<&'a str>, Option<&'a str>), ParseError> {
    if !is_spf(txt) {
        return Err(err("does not start with `v=spf1`"));
    }
    let mut redirect = None;
    let mut exp = None;
    for term in crate::parse::split_at_byte(super::trim(txt), b' ')
        .skip(1)
        .filter(|t| !t.is_empty())
    {
        // The first `=`, `:` or `/` ends a modifier's or a mechanism's name.
        let split = term.bytes().position(|b| matches!(b, b'=' | b':' | b'/'));
        // Modifiers: name=value, where name is ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
        // (A name with `:` or `/` before the `=` is no modifier name.)
        if let Some(i) = split
            && term.as_bytes()[i] == b'='
        {
            let (name, value) = (&term[..i], &term[i + 1..]);
            let valid_name = name.bytes().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
            if valid_name {
                let slot = if super::eq_ci(name, "redirect") {
                    &mut redirect
                } else if name.eq_ignore_ascii_case("exp") {
                    &mut exp
                } else {
                    continue; // unknown modifiers are ignored (§6)
                };
                if slot.is_some() {
                    return Err(err(format!("`{name}=` appears twice")));
                }
                *slot = Some(domain_spec(value, term)?);
                continue;
            }
        }
        let (q, skip) = match term.as_bytes()[0] {
            b'+' => (Qualifier::Pass, 1),
            b'-' => (Qualifier::Fail, 1),
            b'~' => (Qualifier::SoftFail, 1),
            b'?' => (Qualifier::Neutral, 1),
            _ => (Qualifier::Pass, 0),
        };
        let body = &term[skip..];
        let name_end = match split {
            // The first special byte is already known, unless it was an `=`.
            Some(i) if term.as_bytes()[i] != b'=' => i - skip,
            None => body.len(),
            Some(_) => body
                .bytes()
                .position(|b| b == b':' || b == b'/')
                .unwrap_or(body.len()),
        };
        let (name, rest) = body.split_at(name_end);
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let m = match () {
            _ if is("all") && rest.is_empty() => Mechanism::All,
            _ if is("include") => {
                Mechanism::Include(domain_spec(rest.strip_prefix(':').unwrap_or(""), term)?)
            }
            _ if is("exists") => {
                Mechanism::Exists(domain_spec(rest.strip_prefix(':').unwrap_or(""), term)?)
            }
            _ if is("a") => Mechanism::A(opt_domain(rest, term)?),
            _ if is("mx") => Mechanism::Mx(opt_domain(rest, term)?),
            _ if is("ptr") && !rest.contains('/') => Mechanism::Ptr(opt_domain(rest, term)?),
            _ if is("ip4") => {
                let (a, l) = net::<Ipv4Addr>(rest.strip_prefix(':').unwrap_or(""), 32, term)?;
                Mechanism::Ip4(a, l)
            }
            _ if is("ip6") => {
                let (a, l) = net::<Ipv6Addr>(rest.strip_prefix(':').unwrap_or(""), 128, term)?;
                Mechanism::Ip6(a, l)
            }
            _ => return Err(err(format!("unknown mechanism `{}`", clip(term)))),
        };
        each(q, m);
    }
    Ok((redirect, exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_record() {
        let r = parse("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com mx -all").unwrap();
        assert_eq!(r.all(), Some(Qualifier::Fail));
        assert!(!r.is_permissive());
        assert_eq!(r.includes().collect::<Vec<_>>(), ["_spf.example.com"]);
        assert_eq!(r.lookup_terms(), 2);
    }

    #[test]
    fn permissive_forms() {
        assert!(parse("v=spf1 +all").unwrap().is_permissive());
        assert!(parse("v=spf1 a ?all").unwrap().is_permissive());
        assert!(parse("v=spf1 a mx").unwrap().is_permissive());
        assert!(
            !parse("v=spf1 redirect=_spf.example.com")
                .unwrap()
                .is_permissive()
        );
        assert!(!parse("v=spf1 ~all").unwrap().is_permissive());
        // Terms after `all` are never reached.
        assert!(!parse("v=spf1 -all +all").unwrap().is_permissive());
    }

    #[test]
    fn recognises_spf() {
        assert!(is_spf("v=spf1 -all"));
        assert!(is_spf("V=SPF1"));
        assert!(!is_spf("v=spf10 -all"));
        assert!(!is_spf("v=DMARC1; p=none"));
        assert!(!is_spf(""));
    }

    #[test]
    fn malformed_records_are_errors() {
        for bad in [
            "v=spf1 foo",
            "v=spf1 include:",
            "v=spf1 ip4:300.1.1.1",
            "v=spf1 ip4:10.0.0.0/33",
            "v=spf1 ip6:zz::1",
            "v=spf1 redirect=a.example redirect=b.example",
            "v=spf1 a:/24",
            "v=spf1 mx/200",
            "v=spf1 allx",
            "v=spf1 ptr/24",
            "spf1 -all",
            "v=spf1 exists",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("invalid SPF record"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn modifiers_and_cidr() {
        let r =
            parse("v=spf1 a:mail.example.com/24//64 mx/24 exp=explain.example.com unknown=x -all")
                .unwrap();
        assert_eq!(r.exp, Some("explain.example.com"));
        assert_eq!(r.directives.len(), 3);
        for good in ["a/32", "a/0", "mx//128", "a:x.example/24//64", "mx//0", "a"] {
            assert!(parse(&format!("v=spf1 {good} -all")).is_ok(), "{good}");
        }
        // IPv4 lengths above 32, IPv6 above 128, leading zeros, wrong order, junk.
        for bad in [
            "a/33", "a/99", "mx//129", "a/024", "a//064", "a/", "a//", "a/24/", "a///64",
            "a//64/24", "a/x", "a/24//", "mx/-1",
        ] {
            let e = parse(&format!("v=spf1 {bad} -all")).unwrap_err();
            assert!(e.to_string().contains("bad CIDR length"), "{bad}: {e}");
        }
    }
}
