//! MTA-STS TXT records and policy files (RFC 8461).

use super::{ParseError, clip};

/// A policy mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Refuse delivery that fails validation.
    Enforce,
    /// Report only.
    Testing,
    /// No policy.
    None,
}

/// A parsed policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy<'a> {
    /// `mode`.
    pub mode: Mode,
    /// `mx` patterns.
    pub mx: Vec<&'a str>,
    /// `max_age` in seconds.
    pub max_age: u64,
}

/// Whether a TXT record at `_mta-sts` is valid: `v=STSv1` first and an `id` of 1–32 alphanumerics.
pub fn record_valid(txt: &str) -> bool {
    let mut first = true;
    for f in crate::parse::split_at_byte(txt, b';') {
        let f = super::trim(f);
        if f.is_empty() {
            continue;
        }
        if first {
            if f != "v=STSv1" {
                return false;
            }
            first = false;
            continue;
        }
        if let Some((k, v)) = crate::parse::split_once_byte(f, b'=') {
            let v = super::trim(v);
            if super::trim(k) == "id"
                && (1..=32).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return true;
            }
        }
    }
    false
}

/// Parses a policy file body (`version: STSv1`, `mode`, `mx`, `max_age`).
pub fn parse_policy(body: &str) -> Result<Policy<'_>, ParseError> {
    let mut mx = Vec::new();
    let (mode, max_age) = visit(body, |m| mx.push(m))?;
    Ok(Policy { mode, mx, max_age })
}

/// Parses as [`parse_policy`] does (same errors) and returns only the mode.
pub(crate) fn policy_mode(body: &str) -> Result<Mode, ParseError> {
    visit(body, |_| {}).map(|(mode, _)| mode)
}

/// Reads the policy, handing each `mx` pattern to `each_mx`; returns the
/// mode and max_age.
fn visit<'a>(body: &'a str, mut each_mx: impl FnMut(&'a str)) -> Result<(Mode, u64), ParseError> {
    let err = |r: String| ParseError::new("MTA-STS policy", r);
    let (mut version, mut mode, mut max_age) = (None, None, None);
    let mut mx = 0usize;
    for line in crate::parse::lines(body) {
        let line = super::trim(line);
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = crate::parse::split_once_byte(line, b':') else {
            return Err(err(format!("line `{}` is not `key: value`", clip(line))));
        };
        let v = super::trim(v);
        match super::trim(k) {
            "version" => version = Some(v == "STSv1"),
            "mode" => {
                mode = Some(match v {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    _ => return Err(err(format!("unknown mode `{}`", clip(v)))),
                })
            }
            "max_age" => {
                max_age = Some(
                    v.parse::<u64>()
                        .map_err(|_| err(format!("max_age `{}` is not a number", clip(v))))?,
                )
            }
            "mx" => {
                mx += 1;
                each_mx(v);
            }
            _ => {}
        }
    }
    if version != Some(true) {
        return Err(err("no `version: STSv1` line".to_owned()));
    }
    let mode = mode.ok_or_else(|| err("no mode".to_owned()))?;
    let max_age = max_age.ok_or_else(|| err("no max_age".to_owned()))?;
    if mode != Mode::None && mx == 0 {
        return Err(err("no mx pattern".to_owned()));
    }
    Ok((mode, max_age))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records() {
        assert!(record_valid("v=STSv1; id=20240101T000000"));
        assert!(!record_valid("v=STSv1;"));
        assert!(!record_valid("id=1; v=STSv1"));
        assert!(!record_valid("v=STSv1; id=has-dash"));
    }

    #[test]
    fn policies() {
        let p = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n",
        )
        .unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.mx, ["mail.example.com"]);
        for bad in [
            "",
            "<html>",
            "version: STSv1\nmode: enforce\nmax_age: 1\n",
            "version: STSv2\nmode: enforce\nmx: a\nmax_age: 1\n",
            "version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n",
            "version: STSv1\nmode: testing\nmx: a\nmax_age: soon\n",
            "version: STSv1\nmx: a\nmax_age: 1\n",
        ] {
            assert!(parse_policy(bad).is_err(), "{bad:?}");
        }
    }
}
