//! DMARC records (RFC 7489 §6.3).

use super::{ParseError, clip};

/// A DMARC policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// Monitor only.
    None,
    /// Treat failures as suspicious.
    Quarantine,
    /// Reject failures.
    Reject,
}

impl Policy {
    fn parse(v: &str) -> Option<Policy> {
        [Policy::None, Policy::Quarantine, Policy::Reject]
            .into_iter()
            .find(|p| v.eq_ignore_ascii_case(p.as_str()))
    }

    /// The tag value, e.g. `reject`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Quarantine => "quarantine",
            Self::Reject => "reject",
        }
    }
}

/// A parsed DMARC record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmarcRecord<'a> {
    /// `p=`.
    pub policy: Policy,
    /// `sp=` (subdomains); defaults to `p`.
    pub subdomain_policy: Option<Policy>,
    /// `pct=` (0–100), 100 when absent.
    pub pct: u8,
    /// `rua=` addresses.
    pub rua: Vec<&'a str>,
}

impl DmarcRecord<'_> {
    /// Whether the policy enforces on every message: `quarantine` or `reject` at pct=100.
    pub fn enforces(&self) -> bool {
        self.policy != Policy::None && self.pct == 100
    }
}

/// Whether a TXT record is a DMARC record (starts with `v=DMARC1`).
pub fn is_dmarc(txt: &str) -> bool {
    let first = crate::parse::split_at_byte(txt, b';').next().unwrap_or("");
    match crate::parse::split_once_byte(first, b'=') {
        Some((k, v)) => k.trim_ascii() == "v" && v.trim_ascii() == "DMARC1",
        None => false,
    }
}

fn err(reason: impl Into<String>) -> ParseError {
    ParseError::new("DMARC record", reason)
}

/// Parses one DMARC record.
pub fn parse(txt: &str) -> Result<DmarcRecord<'_>, ParseError> {
    if !is_dmarc(txt) {
        return Err(err("does not start with `v=DMARC1`"));
    }
    let mut policy = None;
    let mut sp = None;
    let mut pct = None;
    let mut rua = Vec::new();
    // Tags seen so far, for the known tags whose repetition matters.
    let mut seen = 0u8;
    for (i, part) in crate::parse::split_at_byte(txt, b';').enumerate().skip(1) {
        let part = part.trim_ascii();
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = crate::parse::split_once_byte(part, b'=') else {
            return Err(err(format!("tag {i} `{}` has no `=`", clip(part))));
        };
        let (k, v) = (k.trim_ascii(), v.trim_ascii());
        let bit = ["p", "sp", "pct", "rua", "ruf", "adkim", "aspf", "fo"]
            .iter()
            .position(|t| k.eq_ignore_ascii_case(t))
            .map_or(0, |i| 1u8 << i);
        if seen & bit != 0 {
            return Err(err(format!("tag `{}` appears twice", clip(k))));
        }
        seen |= bit;
        match () {
            _ if k.eq_ignore_ascii_case("p") => {
                policy = Some(
                    Policy::parse(v)
                        .ok_or_else(|| err(format!("unknown policy `p={}`", clip(v))))?,
                );
            }
            _ if k.eq_ignore_ascii_case("sp") => {
                sp = Some(
                    Policy::parse(v)
                        .ok_or_else(|| err(format!("unknown policy `sp={}`", clip(v))))?,
                )
            }
            _ if k.eq_ignore_ascii_case("pct") => {
                let n = v.parse::<u8>().ok().filter(|n| *n <= 100);
                pct = Some(n.ok_or_else(|| err(format!("`pct={}` is not 0-100", clip(v))))?);
            }
            _ if k.eq_ignore_ascii_case("rua") => {
                rua = v
                    .split(',')
                    .map(str::trim_ascii)
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            // Other tags (ruf, adkim, aspf, fo, rf, ri, and future ones) do not affect the rating.
            _ => {}
        }
    }
    // RFC 7489 §6.6.3: a record with rua but no valid p is treated as p=none.
    let policy = match policy {
        Some(p) => p,
        None if !rua.is_empty() => Policy::None,
        None => return Err(err("no `p=` policy tag")),
    };
    Ok(DmarcRecord {
        policy,
        subdomain_policy: sp,
        pct: pct.unwrap_or(100),
        rua,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags() {
        let r =
            parse("v=DMARC1; p=reject; sp=quarantine; pct=100; rua=mailto:d@example.com").unwrap();
        assert_eq!(r.policy, Policy::Reject);
        assert_eq!(r.subdomain_policy, Some(Policy::Quarantine));
        assert!(r.enforces());
        assert_eq!(r.rua, ["mailto:d@example.com"]);
        let weak = parse("v=DMARC1;p=none;pct=50").unwrap();
        assert!(!weak.enforces());
        assert_eq!(weak.pct, 50);
        assert!(!parse("v=DMARC1; p=quarantine; pct=50").unwrap().enforces());
        assert_eq!(
            parse("v=DMARC1; rua=mailto:a@b.c").unwrap().policy,
            Policy::None
        );
    }

    #[test]
    fn malformed_records_are_errors() {
        for bad in [
            "",
            "v=DMARC2; p=reject",
            "p=reject; v=DMARC1",
            "v=DMARC1",
            "v=DMARC1; p=block",
            "v=DMARC1; p=reject; pct=101",
            "v=DMARC1; p=reject; pct=-1",
            "v=DMARC1; p=reject; p=none",
            "v=DMARC1; p",
            "v=DMARC1; sp=all; p=reject",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("invalid DMARC record"),
                "{bad}: {e}"
            );
        }
    }
}
