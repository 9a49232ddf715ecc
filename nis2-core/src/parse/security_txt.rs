//! security.txt files (RFC 9116).

use super::{ParseError, clip};
use crate::Timestamp;

/// The fields of a security.txt that the rating uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityTxt<'a> {
    /// `Contact:` values (at least one).
    pub contacts: Vec<&'a str>,
    /// `Expires:` (exactly one).
    pub expires: Timestamp,
}

fn err(reason: impl Into<String>) -> ParseError {
    ParseError::new("security.txt", reason)
}

/// Parses a security.txt body. Requires one or more `Contact` fields and
/// exactly one `Expires` in RFC 3339 form (RFC 9116 §2.5.3, §2.5.5). An
/// OpenPGP clear-signed file is read through its armour.
pub fn parse(body: &str) -> Result<SecurityTxt<'_>, ParseError> {
    let mut contacts = Vec::new();
    let expires = visit(body, |c| contacts.push(c))?;
    Ok(SecurityTxt { contacts, expires })
}

/// Parses as [`parse`] does (same errors) and returns the first `Contact`
/// and the `Expires` time, without collecting the contacts.
pub(crate) fn first_contact(body: &str) -> Result<(&str, Timestamp), ParseError> {
    let mut first = None;
    let expires = visit(body, |c| {
        first.get_or_insert(c);
    })?;
    // `visit` fails when there is no contact.
    Ok((first.unwrap_or_default(), expires))
}

/// Reads the fields, handing each `Contact` value to `contact`, and returns
/// `Expires`.
fn visit<'a>(body: &'a str, mut contact: impl FnMut(&'a str)) -> Result<Timestamp, ParseError> {
    let head = body.trim_ascii_start();
    if head.starts_with('<') {
        return Err(err("is an HTML page, not a text file"));
    }
    let mut contacts = 0usize;
    let mut expires = None;
    let mut in_signature = false;
    let mut n = 0usize;
    for raw in crate::parse::lines(body) {
        n += 1;
        let line = super::trim(raw);
        // Comments, blank lines and the OpenPGP armour; the first byte tells
        // most lines apart without comparing whole prefixes.
        let (skip, dashes) = match line.as_bytes().first() {
            None | Some(b'#') => (true, false),
            Some(b'-') if line.starts_with("-----") => (true, true),
            _ => (in_signature, false),
        };
        if dashes && line[5..].starts_with("BEGIN PGP SIGNATURE") {
            in_signature = true;
        }
        if skip || in_signature {
            if dashes && line[5..].starts_with("END PGP SIGNATURE") {
                in_signature = false;
            }
            continue;
        }
        let Some((name, value)) = crate::parse::split_once_byte(line, b':') else {
            // Armour headers such as "Hash: SHA256" have a colon; other lines
            // without one are not fields.
            return Err(err(format!("line {} `{}` is not a field", n, clip(line))));
        };
        let value = super::trim(value);
        if super::eq_ci(name, "contact") {
            if value.is_empty() {
                return Err(err(format!("line {n}: empty Contact")));
            }
            contacts += 1;
            contact(value);
        } else if super::eq_ci(name, "expires") {
            if expires.is_some() {
                return Err(err("Expires appears more than once"));
            }
            expires = Some(
                Timestamp::parse(value)
                    .map_err(|_| err(format!("Expires `{}` is not RFC 3339", clip(value))))?,
            );
        }
    }
    if contacts == 0 {
        return Err(err("no Contact field"));
    }
    expires.ok_or_else(|| err("no Expires field"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_file() {
        let t = parse("# hi\nContact: mailto:security@example.com\nContact: https://example.com/sec\nExpires: 2027-01-01T00:00:00Z\nPreferred-Languages: en\n").unwrap();
        assert_eq!(t.contacts.len(), 2);
        assert_eq!(t.expires.to_string(), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn signed_file() {
        let body = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:s@example.com\nExpires: 2027-01-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\n\nabc/def+==\n-----END PGP SIGNATURE-----\n";
        assert!(parse(body).is_ok());
    }

    #[test]
    fn malformed_files_are_errors() {
        for bad in [
            "",
            "<html><body>Not found</body></html>",
            "Contact: mailto:a@b.c\n",
            "Expires: 2027-01-01T00:00:00Z\n",
            "Contact:\nExpires: 2027-01-01T00:00:00Z\n",
            "Contact: x\nExpires: tomorrow\n",
            "Contact: x\nExpires: 2027-01-01T00:00:00Z\nExpires: 2028-01-01T00:00:00Z\n",
            "just some text\n",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("invalid security.txt"),
                "{bad:?}: {e}"
            );
        }
    }
}
