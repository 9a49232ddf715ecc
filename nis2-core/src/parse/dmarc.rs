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
        enforces(self.policy, self.pct)
    }
}

/// Same as [`DmarcRecord::enforces`], from the two values.
pub(crate) fn enforces(policy: Policy, pct: u8) -> bool {
    policy != Policy::None && pct == 100
}

/// Whether a TXT record is a DMARC record (starts with `v=DMARC1`).
pub fn is_dmarc(txt: &str) -> bool {
    let first = crate::parse::split_at_byte(txt, b';').next().unwrap_or("");
    match crate::parse::split_once_byte(first, b'=') {
        Some((k, v)) => super::trim(k) == "v" && super::trim(v) == "DMARC1",
        None => false,
    }
}

fn err(reason: impl Into<String>) -> ParseError {
    ParseError::new("DMARC record", reason)
}

/// Parses one DMARC record.
pub fn parse(txt: &str) -> Result<DmarcRecord<'_>, ParseError> {
    let mut rua = Vec::new();
    let (policy, subdomain_policy, pct) = visit(txt, |uri| rua.push(uri))?;
    Ok(DmarcRecord {
        policy,
        subdomain_policy,
        pct,
        rua,
    })
}

/// Parses as [`parse`] does (same errors) and returns the policy and `pct`,
/// without collecting the reporting addresses.
///
/// `inherited`: the record was found at the organisational domain, not at
/// the domain itself, so the subdomain policy `sp=` applies (RFC 7489
/// §6.6.3: the organisational domain's `sp`, defaulting to its `p`).
pub(crate) fn policy_and_pct(txt: &str, inherited: bool) -> Result<(Policy, u8), ParseError> {
    visit(txt, |_| {}).map(|(p, sp, pct)| match (inherited, sp) {
        (true, Some(sp)) => (sp, pct),
        _ => (p, pct),
    })
}

/// The tags `parse` knows, by position; the position is the tag's bit in
/// the set of tags seen.
const TAGS: [&str; 8] = ["p", "sp", "pct", "rua", "ruf", "adkim", "aspf", "fo"];

/// Which of [`TAGS`] `k` is (ASCII case-insensitive), by length first.
fn tag_index(k: &str) -> Option<usize> {
    let candidates: &[usize] = match k.len() {
        1 => &[0],
        2 => &[1, 7],
        3 => &[2, 3, 4],
        4 => &[6],
        5 => &[5],
        _ => &[],
    };
    candidates
        .iter()
        .copied()
        .find(|i| k.eq_ignore_ascii_case(TAGS[*i]))
}

/// Reads the tags, handing each `rua` address to `each_rua`; returns the
/// policy, the subdomain policy and `pct`.
fn visit<'a>(
    txt: &'a str,
    mut each_rua: impl FnMut(&'a str),
) -> Result<(Policy, Option<Policy>, u8), ParseError> {
    if !is_dmarc(txt) {
        return Err(err("does not start with `v=DMARC1`"));
    }
    let mut policy = None;
    let mut sp = None;
    let mut pct = None;
    let mut rua = 0usize;
    let mut seen = 0u8;
    let mut parts = crate::parse::split_at_byte(txt, b';');
    parts.next(); // `v=DMARC1`, checked above
    let mut i = 0;
    for part in parts {
        i += 1;
        let part = super::trim(part);
        if part.is_empty() {
            continue;
        }
        let Some((k, v)) = crate::parse::split_once_byte(part, b'=') else {
            return Err(err(format!("tag {i} `{}` has no `=`", clip(part))));
        };
        let (k, v) = (super::trim(k), super::trim(v));
        let tag = tag_index(k);
        let bit = tag.map_or(0, |i| 1u8 << i);
        if seen & bit != 0 {
            return Err(err(format!("tag `{}` appears twice", clip(k))));
        }
        seen |= bit;
        match tag {
            Some(0) => {
                policy = Some(
                    Policy::parse(v)
                        .ok_or_else(|| err(format!("unknown policy `p={}`", clip(v))))?,
                );
            }
            Some(1) => {
                sp = Some(
                    Policy::parse(v)
                        .ok_or_else(|| err(format!("unknown policy `sp={}`", clip(v))))?,
                )
            }
            Some(2) => {
                let n = v.parse::<u8>().ok().filter(|n| *n <= 100);
                pct = Some(n.ok_or_else(|| err(format!("`pct={}` is not 0-100", clip(v))))?);
            }
            Some(3) => {
                for uri in v.split(',').map(str::trim_ascii).filter(|s| !s.is_empty()) {
                    rua += 1;
                    each_rua(uri);
                }
            }
            _ => {}
        }
    }
    let policy = match policy {
        Some(p) => p,
        None if rua > 0 => Policy::None,
        None => return Err(err("no `p=` policy tag")),
    };
    Ok((policy, sp, pct.unwrap_or(100)))
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
