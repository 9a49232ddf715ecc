//! Input checks made before anything is written.

use crate::error::Error;

/// The input limits the store enforces (in characters unless noted).
pub mod limits {
    /// A vendor domain (the DNS limit for a name in text form; the adapters
    /// pass ASCII names, IDNA-converted by the scanner's target policy).
    pub const DOMAIN: usize = 253;
    /// A vendor's display name.
    pub const VENDOR_NAME: usize = 200;
    /// A vendor's free-text notes.
    pub const NOTES: usize = 2_000;
    /// An account's name.
    pub const ACCOUNT_NAME: usize = 200;
    /// An account's external subject (e.g. a JWT `sub`).
    pub const SUBJECT: usize = 512;
    /// An API token's name.
    pub const TOKEN_NAME: usize = 100;
    /// A webhook URL.
    pub const URL: usize = 2_048;
    /// A webhook secret.
    pub const SECRET: usize = 512;
    /// A worker or dispatcher name.
    pub const WORKER: usize = 200;
    /// Error messages kept with a job, a vendor or an outbox entry; longer
    /// ones are cut, not refused (they come from the system, not from users).
    pub const ERROR_MESSAGE: usize = 2_000;
}

/// Refuses NUL bytes (PostgreSQL cannot store them in text, and no field
/// needs them) and text longer than `max` characters.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    if value.contains('\0') {
        return Err(Error::Invalid {
            field,
            reason: "contains a NUL byte".into(),
        });
    }
    let len = value.chars().count();
    if len > max {
        return Err(Error::TooLong { field, max, len });
    }
    Ok(())
}

/// Like [`text`], and also refuses empty or blank text.
pub(crate) fn required(field: &'static str, value: &str, max: usize) -> Result<(), Error> {
    text(field, value, max)?;
    if value.trim().is_empty() {
        return Err(Error::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    Ok(())
}

/// The stored form of a vendor domain: trimmed, without one trailing dot,
/// lower-cased, so `Vendor.COM.` and `vendor.com` are the same vendor.
/// Refuses empty names, names over [`limits::DOMAIN`] characters, and any
/// whitespace, control character, `/`, `@` or `:` (a URL or e-mail address
/// given where a domain belongs). Full host-name syntax is the scanner's
/// target policy's business.
pub(crate) fn domain(raw: &str) -> Result<String, Error> {
    const FIELD: &str = "domain";
    if raw.contains('\0') {
        return Err(Error::Invalid {
            field: FIELD,
            reason: "contains a NUL byte".into(),
        });
    }
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let d = trimmed.to_lowercase();
    if d.is_empty() {
        return Err(Error::Invalid {
            field: FIELD,
            reason: "must not be empty".into(),
        });
    }
    let len = d.chars().count();
    if len > limits::DOMAIN {
        return Err(Error::TooLong {
            field: FIELD,
            max: limits::DOMAIN,
            len,
        });
    }
    if let Some(c) = d
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '@' | ':'))
    {
        return Err(Error::Invalid {
            field: FIELD,
            reason: format!("must be a host name; {c:?} is not allowed"),
        });
    }
    Ok(d)
}

/// An absolute `http` or `https` URL with a host.
pub(crate) fn url(value: &str) -> Result<(), Error> {
    const FIELD: &str = "url";
    required(FIELD, value, limits::URL)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| Error::Invalid {
            field: FIELD,
            reason: "must start with https:// or http://".into(),
        })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(Error::Invalid {
            field: FIELD,
            reason: "has no host".into(),
        });
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::Invalid {
            field: FIELD,
            reason: format!("{c:?} is not allowed"),
        });
    }
    Ok(())
}

/// An error message cut to [`limits::ERROR_MESSAGE`] characters with NUL
/// bytes replaced, so recording a failure never fails on its message.
pub(crate) fn message(value: &str) -> String {
    value
        .chars()
        .take(limits::ERROR_MESSAGE)
        .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(domain(" Vendor.COM. ").unwrap(), "vendor.com");
        assert!(matches!(domain(""), Err(Error::Invalid { .. })));
        assert!(matches!(domain("."), Err(Error::Invalid { .. })));
        assert!(matches!(domain("a\0b.com"), Err(Error::Invalid { .. })));
        assert!(matches!(domain("a b.com"), Err(Error::Invalid { .. })));
        assert!(matches!(
            domain("https://x.com"),
            Err(Error::Invalid { .. })
        ));
        let long = format!("{}.com", "a".repeat(250));
        assert!(matches!(
            domain(&long),
            Err(Error::TooLong {
                max: 253,
                len: 254,
                ..
            })
        ));
        let max = format!("{}.com", "a".repeat(249));
        assert_eq!(domain(&max).unwrap().len(), 253);
    }

    #[test]
    fn text_limits_count_characters() {
        assert!(text("notes", &"é".repeat(limits::NOTES), limits::NOTES).is_ok());
        assert!(matches!(
            text("notes", &"é".repeat(limits::NOTES + 1), limits::NOTES),
            Err(Error::TooLong { len: 2_001, .. })
        ));
        assert!(required("name", "  ", 10).is_err());
    }

    #[test]
    fn urls() {
        assert!(url("https://hooks.example/x?y=1").is_ok());
        assert!(url("http://127.0.0.1:8080/hook").is_ok());
        assert!(url("ftp://x").is_err());
        assert!(url("https:///path").is_err());
        assert!(url("https://a b").is_err());
    }

    #[test]
    fn messages_are_cut_not_refused() {
        let m = message(&format!("a\0{}", "x".repeat(5_000)));
        assert_eq!(m.chars().count(), limits::ERROR_MESSAGE);
        assert!(m.starts_with("a\u{fffd}x"));
    }
}
