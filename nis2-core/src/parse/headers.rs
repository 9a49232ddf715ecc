//! HTTP security headers: HSTS (RFC 6797), CSP, cookies (RFC 6265), and the
//! small ones (X-Frame-Options, X-Content-Type-Options, Referrer-Policy,
//! version disclosure in Server / X-Powered-By).

use super::{ParseError, clip};

/// A parsed Strict-Transport-Security header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hsts {
    /// `max-age` in seconds.
    pub max_age: u64,
    /// `includeSubDomains` present.
    pub include_subdomains: bool,
    /// `preload` present.
    pub preload: bool,
}

/// One year, the least max-age we accept as strong (and the preload list's minimum).
pub const HSTS_MIN_MAX_AGE: u64 = 31_536_000;

/// A directive value: a token, or an RFC 7230 quoted-string without its
/// quotes. `None` for an unbalanced quote or a `"` inside a token.
fn directive_value(s: &str) -> Option<&str> {
    let Some(inner) = s.strip_prefix('"') else {
        return (!s.contains('"')).then_some(s);
    };
    // The closing quote is the first one not escaped by a backslash, and it ends the value.
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return (i + 1 == b.len()).then(|| &inner[..i]),
            _ => i += 1,
        }
    }
    None
}

/// Parses a Strict-Transport-Security value. Per RFC 6797 §6.1 a header with
/// a directive twice, or without `max-age`, is invalid and must be ignored.
pub fn parse_hsts(value: &str) -> Result<Hsts, ParseError> {
    let err = |r: String| ParseError::new("Strict-Transport-Security header", r);
    let mut max_age = None;
    let (mut sub, mut preload) = (false, false);
    for d in crate::parse::split_at_byte(value, b';') {
        let d = super::trim(d);
        if d.is_empty() {
            continue;
        }
        let (name, arg) = match crate::parse::split_once_byte(d, b'=') {
            Some((n, a)) => {
                let n = super::trim(n);
                let a = directive_value(super::trim(a))
                    .ok_or_else(|| err(format!("unbalanced quotes in directive `{}`", clip(n))))?;
                (n, Some(a))
            }
            None => (d, None),
        };
        let dup = || err(format!("directive `{}` appears twice", clip(name)));
        if super::eq_ci(name, "max-age") {
            if max_age.is_some() {
                return Err(dup());
            }
            let a = arg.unwrap_or("");
            let n = if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) {
                // Absurdly long digit strings saturate rather than fail.
                a.parse::<u64>().unwrap_or(u64::MAX)
            } else {
                return Err(err(format!(
                    "max-age `{}` is not a number of seconds",
                    clip(a)
                )));
            };
            max_age = Some(n);
        } else if super::eq_ci(name, "includesubdomains") {
            if sub {
                return Err(dup());
            }
            sub = true;
        } else if name.eq_ignore_ascii_case("preload") {
            if preload {
                return Err(dup());
            }
            preload = true;
        }
        // Unknown directives are ignored (§6.1 rule 2).
    }
    match max_age {
        Some(max_age) => Ok(Hsts {
            max_age,
            include_subdomains: sub,
            preload,
        }),
        None => Err(err("no max-age directive".to_owned())),
    }
}

/// The directive names of a Content-Security-Policy value, lowercased.
pub fn csp_directives(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(';')
        .filter_map(|d| d.split_whitespace().next().map(str::to_ascii_lowercase))
}

/// Whether a CSP value sets `frame-ancestors`.
pub fn csp_has_frame_ancestors(value: &str) -> bool {
    crate::parse::split_at_byte(value, b';').any(|d| {
        d.split_whitespace()
            .next()
            .is_some_and(|n| super::eq_ci(n, "frame-ancestors"))
    })
}

/// Whether an X-Frame-Options value protects against framing (`DENY` or `SAMEORIGIN`;
/// `ALLOW-FROM` is obsolete and ignored by browsers).
pub fn xfo_protects(value: &str) -> bool {
    let v = super::trim(value);
    v.eq_ignore_ascii_case("deny") || v.eq_ignore_ascii_case("sameorigin")
}

/// Whether an X-Content-Type-Options value is `nosniff`.
pub fn xcto_is_nosniff(value: &str) -> bool {
    value
        .split(',')
        .next()
        .is_some_and(|v| super::eq_ci(super::trim(v), "nosniff"))
}

const REFERRER_TOKENS: [&str; 8] = [
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

/// Whether a Referrer-Policy value holds at least one known policy token.
pub fn referrer_policy_valid(value: &str) -> bool {
    crate::parse::split_at_byte(value, b',').any(|t| {
        REFERRER_TOKENS
            .iter()
            .any(|k| super::trim(t).eq_ignore_ascii_case(k))
    })
}

/// What a Set-Cookie header says about one cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie<'a> {
    /// Cookie name.
    pub name: &'a str,
    /// `Secure` attribute.
    pub secure: bool,
    /// `HttpOnly` attribute.
    pub http_only: bool,
    /// `SameSite` value, if any.
    pub same_site: Option<&'a str>,
}

/// Parses a Set-Cookie header value.
pub fn parse_set_cookie(value: &str) -> Result<Cookie<'_>, ParseError> {
    let mut parts = crate::parse::split_at_byte(value, b';');
    let pair = parts.next().unwrap_or("").trim_ascii();
    let Some((name, _)) = crate::parse::split_once_byte(pair, b'=') else {
        return Err(ParseError::new(
            "Set-Cookie header",
            format!("`{}` has no name=value pair", clip(pair)),
        ));
    };
    let name = super::trim(name);
    if name.is_empty() {
        return Err(ParseError::new("Set-Cookie header", "empty cookie name"));
    }
    let mut c = Cookie {
        name,
        secure: false,
        http_only: false,
        same_site: None,
    };
    for attr in parts {
        let (k, v) = match crate::parse::split_once_byte(attr, b'=') {
            Some((k, v)) => (super::trim(k), super::trim(v)),
            None => (super::trim(attr), ""),
        };
        if k.eq_ignore_ascii_case("secure") {
            c.secure = true;
        } else if super::eq_ci(k, "httponly") {
            c.http_only = true;
        } else if super::eq_ci(k, "samesite") {
            c.same_site = Some(v);
        }
    }
    Ok(c)
}

/// The product/version token a Server or X-Powered-By value reveals, if any:
/// a `/` followed by a digit (`Apache/2.4.41`, `PHP/8.1.2`, `nginx/1.25.3`).
pub fn disclosed_version(value: &str) -> Option<&str> {
    let bytes = value.as_bytes();
    let i = (0..bytes.len())
        .find(|&i| bytes[i] == b'/' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))?;
    // The token runs back to a space, `(` or `,` and on to a space, `)` or
    // `,`. ASCII bytes are judged as they are; the first other byte hands
    // the rest of that search to the character-wise one.
    let ws = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    let mut start = None;
    for (at, &b) in bytes[..i].iter().enumerate().rev() {
        if !b.is_ascii() {
            break;
        }
        if ws(b) || b == b'(' || b == b',' {
            start = Some(at + 1);
            break;
        }
        if at == 0 {
            start = Some(0);
        }
    }
    let start = start.unwrap_or_else(|| {
        value[..i]
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace() || *c == '(' || *c == ',')
            .map_or(0, |(s, c)| s + c.len_utf8())
    });
    let mut end = None;
    for (at, &b) in bytes[i..].iter().enumerate() {
        if !b.is_ascii() {
            break;
        }
        if ws(b) || b == b')' || b == b',' {
            end = Some(i + at);
            break;
        }
        if i + at + 1 == bytes.len() {
            end = Some(bytes.len());
        }
    }
    let end = end.unwrap_or_else(|| {
        value[i..]
            .find(|c: char| c.is_whitespace() || c == ')' || c == ',')
            .map_or(value.len(), |e| i + e)
    });
    Some(&value[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts() {
        let h = parse_hsts("max-age=63072000; includeSubDomains; preload").unwrap();
        assert_eq!(
            h,
            Hsts {
                max_age: 63_072_000,
                include_subdomains: true,
                preload: true
            }
        );
        assert_eq!(parse_hsts("max-age=\"300\"").unwrap().max_age, 300);
        assert_eq!(
            parse_hsts("max-age=300; ext=\"a\\\"b;c\"")
                .unwrap_err()
                .to_string(),
            parse_hsts("max-age=300; ext=\"a").unwrap_err().to_string(),
            "a `;` inside quotes splits the header (directives are split first), leaving halves"
        );
        assert_eq!(
            parse_hsts("max-age=300; ext=\"a\\\"b\"").unwrap().max_age,
            300
        );
        assert_eq!(
            parse_hsts("MAX-AGE=31536000;;foo=bar").unwrap().max_age,
            31_536_000
        );
        assert_eq!(
            parse_hsts("max-age=99999999999999999999999")
                .unwrap()
                .max_age,
            u64::MAX
        );
        for bad in [
            "",
            "includeSubDomains",
            "max-age=",
            "max-age=-1",
            "max-age=1e9",
            "max-age=1; max-age=2",
            "max-age=5; preload; preload",
            "max-age=\"31536000",
            "max-age=31536000\"",
            "max-age=\"\"31536000\"\"",
            "max-age=\"3153\"6000\"",
            "max-age=31536000; foo=\"bar",
        ] {
            assert!(parse_hsts(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csp_and_friends() {
        assert!(csp_has_frame_ancestors(
            "default-src 'self'; frame-ancestors 'none'"
        ));
        assert!(!csp_has_frame_ancestors(
            "default-src 'self' frame-ancestors"
        ));
        assert_eq!(
            csp_directives("default-src 'self'; script-src x").collect::<Vec<_>>(),
            ["default-src", "script-src"]
        );
        assert!(xfo_protects(" DENY "));
        assert!(xfo_protects("sameorigin"));
        assert!(!xfo_protects("ALLOW-FROM https://x"));
        assert!(xcto_is_nosniff("nosniff"));
        assert!(!xcto_is_nosniff("sniff"));
        assert!(referrer_policy_valid(
            "no-referrer, strict-origin-when-cross-origin"
        ));
        assert!(!referrer_policy_valid("whatever"));
    }

    #[test]
    fn cookies() {
        let c = parse_set_cookie("sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax").unwrap();
        assert!(c.secure && c.http_only);
        assert_eq!(c.same_site, Some("Lax"));
        let c = parse_set_cookie("theme=dark").unwrap();
        assert!(!c.secure && !c.http_only);
        assert!(parse_set_cookie("novalue").is_err());
        assert!(parse_set_cookie("=x; Secure").is_err());
        assert!(parse_set_cookie("").is_err());
    }

    /// The first, character-wise implementation, kept to check the
    /// byte-wise one against.
    fn disclosed_version_reference(value: &str) -> Option<&str> {
        let bytes = value.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'/' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                let start = value[..i]
                    .char_indices()
                    .rev()
                    .find(|(_, c)| c.is_whitespace() || *c == '(' || *c == ',')
                    .map_or(0, |(s, c)| s + c.len_utf8());
                let end = value[i..]
                    .find(|c: char| c.is_whitespace() || c == ')' || c == ',')
                    .map_or(value.len(), |e| i + e);
                return Some(&value[start..end]);
            }
        }
        None
    }

    proptest::proptest! {
        #[test]
        fn disclosed_version_agrees_with_the_reference(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "Apache", "/", "2", ".4", " ", "(", ")", ",", "\u{b}", "\u{85}", "\u{a0}",
                "é", "\u{3000}", "x", "\t", "/9",
            ]), 0..12)
        ) {
            let v = parts.concat();
            proptest::prop_assert_eq!(disclosed_version(&v), disclosed_version_reference(&v));
        }
    }

    #[test]
    fn versions() {
        assert_eq!(
            disclosed_version("Apache/2.4.41 (Ubuntu)"),
            Some("Apache/2.4.41")
        );
        assert_eq!(disclosed_version("PHP/8.1.2"), Some("PHP/8.1.2"));
        assert_eq!(
            disclosed_version("Microsoft-IIS/10.0"),
            Some("Microsoft-IIS/10.0")
        );
        assert_eq!(disclosed_version("nginx"), None);
        assert_eq!(disclosed_version("cloudflare"), None);
        assert_eq!(disclosed_version("ASP.NET"), None);
        assert_eq!(disclosed_version("/"), None);
        assert_eq!(disclosed_version("é/1"), Some("é/1"));
        // A multi-byte separator before the product (found by proptest).
        assert_eq!(disclosed_version("a\u{3000}nginx/1.2"), Some("nginx/1.2"));
        assert_eq!(
            disclosed_version("a\u{b}nginx/1.2\u{b}x"),
            Some("nginx/1.2")
        );
        assert_eq!(disclosed_version("/1"), Some("/1"));
        assert_eq!(disclosed_version("(x/1)"), Some("x/1"));
        assert_eq!(disclosed_version("é x/1\u{a0}y"), Some("x/1"));
        assert_eq!(disclosed_version("x/1é"), Some("x/1é"));
    }
}
