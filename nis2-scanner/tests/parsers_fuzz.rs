//! The parsers the scanner's observations are judged with (SPF, DMARC,
//! security.txt, HSTS, CSP, cookies, MTA-STS, version disclosure), driven
//! through the public `nis2_core::parse` API with malformed inputs of every
//! kind (clear errors, no panic) and with proptest as the fuzz target of
//! each parser: arbitrary text never panics, every error names what was
//! parsed and why, and well-formed generated inputs read back what was
//! generated.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use nis2_core::Timestamp;
use nis2_core::parse::{ParseError, dmarc, headers, mta_sts, security_txt, spf};
use proptest::prelude::*;

/// An error must say what was parsed and a non-empty reason, and its text
/// must be bounded (a hostile input is clipped, never echoed whole).
fn clear(e: &ParseError, what: &str, input: &str) {
    assert_eq!(e.what, what, "{input:?}: {e}");
    assert!(!e.reason.trim().is_empty(), "{input:?}: empty reason");
    let text = e.to_string();
    assert!(text.starts_with(&format!("invalid {what}: ")), "{text}");
    assert!(
        text.len() <= 400 + what.len(),
        "{input:?}: error of {} bytes",
        text.len()
    );
}

const LONG: usize = 5000;

fn long(c: char) -> String {
    std::iter::repeat_n(c, LONG).collect()
}

// ------------------------------------------------------------------- SPF

#[test]
fn spf_malformed_records_are_clear_errors() {
    let cases = [
        "v=spf1 foo",
        "v=spf1 ip4:300.1.1.1 -all",
        "v=spf1 ip4:192.0.2.0/33 -all",
        "v=spf1 ip6:zz::1 -all",
        "v=spf1 ip6:2001:db8::/129 -all",
        "v=spf1 include: -all",
        "v=spf1 include -all",
        "v=spf1 exists -all",
        "v=spf1 *all",
        "v=spf1 redirect= -all",
        "v=spf1 redirect=a.example redirect=b.example",
        "v=spf1 mx:/24 -all",
        "v=spf1 -all -all include:",
        "v=spf1 \u{0} -all",
        "v=spf1 ++all",
    ];
    for input in cases {
        match spf::parse(input) {
            Err(e) => clear(&e, e.what, input),
            Ok(r) => panic!("{input:?} parsed as {r:?}"),
        }
    }
    // Not SPF at all.
    for input in ["", "v=spf2 -all", "spf1 -all", "v=spf10 -all", &long('x')] {
        assert!(!spf::is_spf(input), "{input:?}");
        let e = spf::parse(input).unwrap_err();
        clear(&e, e.what, input);
    }
    let e = spf::parse(&format!("v=spf1 {} -all", long('a'))).unwrap_err();
    clear(&e, e.what, "long");
}

fn spf_term() -> impl Strategy<Value = (String, u32)> {
    let domain = "[a-z]{1,10}\\.(example|test)";
    prop_oneof![
        domain.prop_map(|d| (format!("include:{d}"), 1)),
        Just(("a".to_owned(), 1)),
        Just(("mx".to_owned(), 1)),
        domain.prop_map(|d| (format!("a:{d}/24"), 1)),
        domain.prop_map(|d| (format!("mx:{d}"), 1)),
        domain.prop_map(|d| (format!("exists:{d}"), 1)),
        (0u8..=255, 0u8..=255, 8u8..=32)
            .prop_map(|(a, b, p)| (format!("ip4:192.{a}.{b}.0/{p}"), 0)),
        (0u16..=0xffff, 16u8..=128).prop_map(|(h, p)| (format!("ip6:2001:db8:{h:x}::/{p}"), 0)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The SPF fuzz target: arbitrary text never panics; errors are clear.
    #[test]
    fn spf_never_panics(s in any::<String>(), tail in "[ -~]{0,200}") {
        for input in [s.clone(), format!("v=spf1 {s}"), format!("v=spf1 {tail}")] {
            match spf::parse(&input) {
                Ok(r) => {
                    let _ = (r.all(), r.is_permissive(), r.lookup_terms(), r.includes().count());
                }
                Err(e) => clear(&e, e.what, &input),
            }
        }
    }

    /// Well-formed records parse, and count exactly the terms that cost a lookup.
    #[test]
    fn spf_generated_records_read_back(
        terms in proptest::collection::vec(spf_term(), 0..12),
        all in prop_oneof![Just("-all"), Just("~all"), Just("?all"), Just("+all"), Just("all")],
    ) {
        let text = format!(
            "v=spf1 {} {all}",
            terms.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(" ")
        );
        let rec = spf::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let lookups: u32 = terms.iter().map(|(_, n)| n).sum();
        prop_assert_eq!(rec.lookup_terms(), lookups, "{}", text);
        prop_assert_eq!(rec.includes().count(), terms.iter().filter(|(t, _)| t.starts_with("include:")).count());
        let permissive = all == "+all" || all == "all" || all == "?all";
        prop_assert_eq!(rec.is_permissive(), permissive, "{}", text);
    }
}

// ----------------------------------------------------------------- DMARC

#[test]
fn dmarc_malformed_records_are_clear_errors() {
    let cases = [
        "v=DMARC1; p=block",
        "v=DMARC1; p=reject; sp=drop",
        "v=DMARC1; p=reject; pct=101",
        "v=DMARC1; p=reject; pct=-1",
        "v=DMARC1; p=reject; pct=abc",
        "v=DMARC1; p=reject; p=none",
        "v=DMARC1; p",
        "v=DMARC1;",
        "v=DMARC1; sp=reject",
        "v=DMARC2; p=reject",
        "p=reject; v=DMARC1",
        "",
        "v=DMARC1; p=\u{0}",
    ];
    for input in cases {
        match dmarc::parse(input) {
            Err(e) => clear(&e, "DMARC record", input),
            Ok(r) => panic!("{input:?} parsed as {r:?}"),
        }
    }
    let e = dmarc::parse(&format!("v=DMARC1; p={}", long('r'))).unwrap_err();
    clear(&e, "DMARC record", "long");
}

fn policy() -> impl Strategy<Value = (&'static str, dmarc::Policy)> {
    prop_oneof![
        Just(("none", dmarc::Policy::None)),
        Just(("quarantine", dmarc::Policy::Quarantine)),
        Just(("reject", dmarc::Policy::Reject)),
        Just(("REJECT", dmarc::Policy::Reject)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The DMARC fuzz target.
    #[test]
    fn dmarc_never_panics(s in any::<String>(), tail in "[ -~]{0,200}") {
        for input in [s.clone(), format!("v=DMARC1; {s}"), format!("v=DMARC1;{tail}")] {
            match dmarc::parse(&input) {
                Ok(r) => prop_assert!(r.pct <= 100),
                Err(e) => clear(&e, "DMARC record", &input),
            }
        }
    }

    /// Generated records read back p, sp, pct and rua.
    #[test]
    fn dmarc_generated_records_read_back(
        p in policy(),
        sp in proptest::option::of(policy()),
        pct in proptest::option::of(0u8..=100),
        rua in proptest::collection::vec("mailto:[a-z]{1,8}@[a-z]{1,8}\\.example", 0..3),
        extra in prop_oneof![Just(""), Just("; adkim=s"), Just("; fo=1; ri=86400"), Just(";;")],
    ) {
        let mut text = format!("v=DMARC1; p={}", p.0);
        if let Some((s, _)) = sp { text.push_str(&format!("; sp={s}")); }
        if let Some(n) = pct { text.push_str(&format!("; pct={n}")); }
        if !rua.is_empty() { text.push_str(&format!("; rua={}", rua.join(","))); }
        text.push_str(extra);
        prop_assert!(dmarc::is_dmarc(&text));
        let rec = dmarc::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(rec.policy, p.1);
        prop_assert_eq!(rec.subdomain_policy, sp.map(|s| s.1));
        prop_assert_eq!(rec.pct, pct.unwrap_or(100));
        prop_assert_eq!(&rec.rua, &rua.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(rec.enforces(), p.1 != dmarc::Policy::None && pct.unwrap_or(100) == 100);
    }
}

// ---------------------------------------------------------- security.txt

#[test]
fn security_txt_malformed_files_are_clear_errors() {
    let cases = [
        "",
        "\n\n",
        "<html><body>Not here</body></html>",
        "Expires: 2030-01-01T00:00:00Z\n",
        "Contact: mailto:security@example.com\n",
        "Contact: mailto:security@example.com\nExpires: tomorrow\n",
        "Contact: mailto:security@example.com\nExpires: 2030-13-01T00:00:00Z\n",
        "Contact: mailto:security@example.com\nExpires: 2030-01-01T00:00:00Z\nExpires: 2031-01-01T00:00:00Z\n",
        "Contact mailto:security@example.com\nExpires: 2030-01-01T00:00:00Z\n",
        "Contact:\nExpires: 2030-01-01T00:00:00Z\n",
        "-----BEGIN PGP SIGNED MESSAGE-----\n-----BEGIN PGP SIGNATURE-----\nContact: x\nExpires: 2030-01-01T00:00:00Z\n",
    ];
    for input in cases {
        match security_txt::parse(input) {
            Err(e) => clear(&e, "security.txt", input),
            Ok(r) => panic!("{input:?} parsed as {r:?}"),
        }
    }
    let e = security_txt::parse(&long('C')).unwrap_err();
    clear(&e, "security.txt", "long");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The security.txt fuzz target.
    #[test]
    fn security_txt_never_panics(s in any::<String>(), lines in proptest::collection::vec("[ -~]{0,80}", 0..20)) {
        for input in [s.clone(), lines.join("\n"), format!("Contact: {s}\nExpires: {s}\n")] {
            match security_txt::parse(&input) {
                Ok(t) => prop_assert!(!t.contacts.is_empty()),
                Err(e) => clear(&e, "security.txt", &input),
            }
        }
    }

    /// Generated files read back their contacts and expiry, whatever the
    /// comments, blank lines, other fields and line endings around them.
    #[test]
    fn security_txt_generated_files_read_back(
        contacts in proptest::collection::vec("mailto:[a-z]{1,8}@[a-z]{1,8}\\.example|https://[a-z]{1,8}\\.example/security", 1..4),
        expires in 0i64..4_102_444_800,
        crlf in any::<bool>(),
        comment in "# [ -~]{0,40}",
    ) {
        let ts = Timestamp::from_unix(expires).unwrap();
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut body = format!("{comment}{nl}");
        for c in &contacts {
            body.push_str(&format!("Contact: {c}{nl}"));
        }
        body.push_str(&format!("Preferred-Languages: en{nl}{nl}Expires: {ts}{nl}"));
        let t = security_txt::parse(&body).map_err(|e| TestCaseError::fail(format!("{body:?}: {e}")))?;
        prop_assert_eq!(t.contacts, contacts.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(t.expires, ts);
    }
}

// ------------------------------------------------------------------ HSTS

#[test]
fn hsts_malformed_headers_are_clear_errors() {
    let cases = [
        "",
        ";",
        "includeSubDomains",
        "max-age",
        "max-age=",
        "max-age=abc",
        "max-age=-1",
        "max-age=1e9",
        "max-age=1; max-age=2",
        "max-age=1; includeSubDomains; includeSubDomains",
    ];
    for input in cases {
        match headers::parse_hsts(input) {
            Err(e) => clear(&e, "Strict-Transport-Security header", input),
            Ok(h) => panic!("{input:?} parsed as {h:?}"),
        }
    }
    // An absurd max-age saturates (delta-seconds beyond what can be held).
    let h = headers::parse_hsts(&format!("max-age={}", long('9'))).unwrap();
    assert_eq!(h.max_age, u64::MAX);
    let e = headers::parse_hsts(&format!("max-age={}", long('x'))).unwrap_err();
    clear(&e, "Strict-Transport-Security header", "long");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The HSTS fuzz target.
    #[test]
    fn hsts_never_panics(s in any::<String>(), t in "[ -~]{0,120}") {
        for input in [s.clone(), t.clone(), format!("max-age={t}")] {
            if let Err(e) = headers::parse_hsts(&input) {
                clear(&e, "Strict-Transport-Security header", &input);
            }
        }
    }

    /// Generated headers read back, in any order, case and spacing, quoted or not.
    #[test]
    fn hsts_generated_headers_read_back(
        max_age in any::<u32>(),
        sub in any::<bool>(),
        preload in any::<bool>(),
        quoted in any::<bool>(),
        upper in any::<bool>(),
        reverse in any::<bool>(),
    ) {
        let age = if quoted { format!("\"{max_age}\"") } else { max_age.to_string() };
        let mut parts = vec![format!("max-age={age}")];
        if sub { parts.push("includeSubDomains".into()); }
        if preload { parts.push("preload".into()); }
        if reverse { parts.reverse(); }
        let mut text = parts.join(" ;  ");
        if upper { text = text.to_ascii_uppercase(); }
        let h = headers::parse_hsts(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(h.max_age, u64::from(max_age));
        prop_assert_eq!(h.include_subdomains, sub);
        prop_assert_eq!(h.preload, preload);
    }
}

// ------------------------------------------------------------------- CSP

#[test]
fn csp_frame_ancestors_is_found_only_as_a_directive() {
    assert!(headers::csp_has_frame_ancestors(
        "default-src 'self'; frame-ancestors 'none'"
    ));
    assert!(headers::csp_has_frame_ancestors("FRAME-ANCESTORS 'self'"));
    for input in [
        "",
        ";;;",
        "default-src 'self'",
        "default-src frame-ancestors",
        "script-src 'self' https://frame-ancestors.example",
        "frame-ancestorsx 'none'",
        &long(';'),
        &long('f'),
    ] {
        assert!(!headers::csp_has_frame_ancestors(input), "{input:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The CSP fuzz target: the directive names read back, never panic.
    #[test]
    fn csp_never_panics(s in any::<String>()) {
        let _ = headers::csp_directives(&s).count();
        let _ = headers::csp_has_frame_ancestors(&s);
    }

    /// Generated policies yield their directive names, and frame-ancestors
    /// is found exactly when it is one of them.
    #[test]
    fn csp_generated_policies_read_back(
        names in proptest::collection::vec(prop_oneof![
            Just("default-src"), Just("script-src"), Just("img-src"), Just("frame-ancestors"),
            Just("upgrade-insecure-requests"), Just("report-uri"),
        ], 0..6),
        values in proptest::collection::vec("('self'|'none'|https://[a-z]{1,8}\\.example)", 6),
    ) {
        let text = names
            .iter()
            .zip(&values)
            .map(|(n, v)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let got: Vec<String> = headers::csp_directives(&text).collect();
        prop_assert_eq!(got, names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>());
        prop_assert_eq!(headers::csp_has_frame_ancestors(&text), names.contains(&"frame-ancestors"));
    }
}

// --------------------------------------------------------------- cookies

#[test]
fn cookie_malformed_headers_are_clear_errors() {
    for input in [
        "",
        "   ",
        "novalue",
        "; Secure; HttpOnly",
        "=abc; Secure",
        " =x",
    ] {
        match headers::parse_set_cookie(input) {
            Err(e) => clear(&e, "Set-Cookie header", input),
            Ok(c) => panic!("{input:?} parsed as {c:?}"),
        }
    }
    let e = headers::parse_set_cookie(&long('n')).unwrap_err();
    clear(&e, "Set-Cookie header", "long");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The cookie fuzz target.
    #[test]
    fn cookie_never_panics(s in any::<String>()) {
        match headers::parse_set_cookie(&s) {
            Ok(c) => prop_assert!(!c.name.is_empty()),
            Err(e) => clear(&e, "Set-Cookie header", &s),
        }
    }

    /// Generated cookies read back their name and attributes.
    #[test]
    fn cookie_generated_headers_read_back(
        name in "[A-Za-z_][A-Za-z0-9_]{0,10}",
        value in "[A-Za-z0-9]{0,16}",
        secure in any::<bool>(),
        http_only in any::<bool>(),
        same_site in proptest::option::of(prop_oneof![Just("Lax"), Just("Strict"), Just("None")]),
        path in any::<bool>(),
        lower in any::<bool>(),
    ) {
        let mut attrs = Vec::new();
        if path { attrs.push("Path=/".to_owned()); }
        if secure { attrs.push(if lower { "secure".into() } else { "Secure".into() }); }
        if http_only { attrs.push(if lower { "httponly".into() } else { "HttpOnly".into() }); }
        if let Some(s) = same_site { attrs.push(format!("SameSite={s}")); }
        let text = std::iter::once(format!("{name}={value}")).chain(attrs).collect::<Vec<_>>().join("; ");
        let c = headers::parse_set_cookie(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(c.name, name.as_str());
        prop_assert_eq!(c.secure, secure);
        prop_assert_eq!(c.http_only, http_only);
        prop_assert_eq!(c.same_site, same_site);
    }
}

// ------------------------------------------------- MTA-STS, version disclosure

#[test]
fn mta_sts_malformed_policies_are_clear_errors() {
    let cases = [
        "",
        "version: STSv1\nmode: enforce\n",
        "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 86400\n",
        "version: STSv1\nmode: block\nmx: a.example\nmax_age: 86400\n",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: forever\n",
        "mode: enforce\nmx: a.example\nmax_age: 86400\n",
        "<html>policy</html>",
    ];
    for input in cases {
        match mta_sts::parse_policy(input) {
            Err(e) => clear(&e, "MTA-STS policy", input),
            Ok(p) => panic!("{input:?} parsed as {p:?}"),
        }
    }
    assert!(!mta_sts::record_valid("v=STSv1"));
    assert!(!mta_sts::record_valid("v=STSv1; id="));
    assert!(!mta_sts::record_valid(&format!(
        "v=STSv1; id={}",
        long('a')
    )));
    assert!(mta_sts::record_valid("v=STSv1; id=20260101T000000"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The MTA-STS and version-disclosure fuzz targets.
    #[test]
    fn mta_sts_and_versions_never_panic(s in any::<String>(), lines in proptest::collection::vec("[ -~]{0,60}", 0..12)) {
        for input in [s.clone(), lines.join("\n"), format!("version: STSv1\n{}", lines.join("\r\n"))] {
            if let Err(e) = mta_sts::parse_policy(&input) {
                clear(&e, "MTA-STS policy", &input);
            }
            let _ = mta_sts::record_valid(&input);
            if let Some(v) = headers::disclosed_version(&input) {
                prop_assert!(input.contains(v));
            }
            let _ = (headers::xfo_protects(&input), headers::xcto_is_nosniff(&input), headers::referrer_policy_valid(&input));
        }
    }

    /// Generated policies read back mode, mx and max_age.
    #[test]
    fn mta_sts_generated_policies_read_back(
        mode in prop_oneof![Just(("enforce", mta_sts::Mode::Enforce)), Just(("testing", mta_sts::Mode::Testing)), Just(("none", mta_sts::Mode::None))],
        mx in proptest::collection::vec("(\\*\\.)?[a-z]{1,8}\\.example", 1..4),
        max_age in 0u32..=31_557_600,
    ) {
        let mut body = format!("version: STSv1\nmode: {}\n", mode.0);
        for m in &mx { body.push_str(&format!("mx: {m}\n")); }
        body.push_str(&format!("max_age: {max_age}\n"));
        let p = mta_sts::parse_policy(&body).map_err(|e| TestCaseError::fail(format!("{body:?}: {e}")))?;
        prop_assert_eq!(p.mode, mode.1);
        prop_assert_eq!(p.mx, mx.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(p.max_age, u64::from(max_age));
    }
}
