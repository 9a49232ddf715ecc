use std::collections::BTreeSet;

use super::*;
use crate::catalog::CATALOG;

/// Strings that may equal the English one: names, codes and words that are
/// spelt the same in that language. Keys are `lang:key`; every entry must
/// be needed (a test below fails on stale ones).
const SAME_AS_ENGLISH: &[&str] = &[
    // Patterns and punctuation shared by most languages.
    "*:date_format",
    "*:list_separator",
    // Words spelt the same.
    "de:labels.status",
    "nl:labels.status",
    "fr:labels.score",
    "nl:labels.score",
    "de:labels.domain",
    "fr:labels.points",
    "fr:labels.point",
    "fr:labels.action",
    "fr:labels.page",
    "de:month.3",
    "de:month.7",
    "de:month.8",
    "de:month.10",
];

fn placeholders(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.insert(name.to_owned());
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

fn allowed(lang: Lang, key: &str) -> bool {
    SAME_AS_ENGLISH.contains(&format!("{}:{key}", lang.code()).as_str())
        || SAME_AS_ENGLISH.contains(&format!("*:{key}").as_str())
}

#[test]
fn tables_are_in_check_order_and_tagged() {
    for lang in Lang::ALL {
        let t = lang.texts();
        assert_eq!(t.lang, lang);
        for (i, (row, id)) in t.checks.iter().zip(CheckId::ALL).enumerate() {
            assert_eq!(row.id, *id, "{lang}: row {i}");
        }
    }
}

#[test]
fn english_is_the_catalog_wording() {
    let en = Lang::En.texts();
    for row in CATALOG {
        let t = en.check(row.id);
        assert_eq!(t.title, row.title, "{}", row.id);
        assert_eq!(t.failure, row.failure, "{}", row.id);
        assert_eq!(t.remediation, row.remediation, "{}", row.id);
        assert_eq!(t.positive, row.positive.unwrap_or(""), "{}", row.id);
    }
    for a in Article::ALL {
        assert_eq!(en.article(a), a.subject());
    }
    for (s, label) in [
        (Severity::Critical, "Critical"),
        (Severity::High, "High"),
        (Severity::Medium, "Medium"),
        (Severity::Low, "Medium"),
    ] {
        assert_eq!(en.priority(s), label);
        assert_eq!(crate::catalog::remediation_deadline(s).0, label);
    }
    for r in [
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
        RiskLevel::Critical,
    ] {
        assert_eq!(en.risk(r), r.as_str());
    }
}

#[test]
fn every_language_has_every_key_translated() {
    let english = Lang::En.texts().entries();
    let mut problems = Vec::new();
    let mut used_allowances = BTreeSet::new();
    for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
        let entries = lang.texts().entries();
        assert_eq!(entries.len(), english.len(), "{lang}");
        for ((key, en), (tkey, tr)) in english.iter().zip(&entries) {
            assert_eq!(key, tkey);
            if en.is_empty() != tr.is_empty() {
                problems.push(format!("{lang}:{key}: empty in one language only"));
                continue;
            }
            if placeholders(en) != placeholders(tr) {
                problems.push(format!(
                    "{lang}:{key}: placeholders {:?} instead of {:?}",
                    placeholders(tr),
                    placeholders(en)
                ));
            }
            if !en.is_empty() && en == tr {
                if allowed(lang, key) {
                    let exact = format!("{}:{key}", lang.code());
                    if SAME_AS_ENGLISH.contains(&exact.as_str()) {
                        used_allowances.insert(exact);
                    } else {
                        used_allowances.insert(format!("*:{key}"));
                    }
                } else {
                    problems.push(format!("{lang}:{key}: left in English: {en:?}"));
                }
            }
            if key != "list_separator" && tr.trim() != *tr {
                problems.push(format!("{lang}:{key}: leading or trailing blanks"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let stale: Vec<_> = SAME_AS_ENGLISH
        .iter()
        .filter(|a| !used_allowances.contains(**a))
        .collect();
    assert!(
        stale.is_empty(),
        "allow-list entries no longer needed: {stale:?}"
    );
}

#[test]
fn arabic_text_is_arabic() {
    // Every Arabic title and remediation holds Arabic letters (not only codes).
    let ar = Lang::Ar.texts();
    for c in &ar.checks {
        for s in [c.title, c.remediation, c.positive, c.failure] {
            if !s.is_empty() {
                assert!(
                    s.chars().any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch)),
                    "{}: {s}",
                    c.id
                );
            }
        }
    }
}

#[test]
fn parses_codes_and_names_the_supported_ones() {
    assert_eq!(Lang::parse("de").unwrap(), Lang::De);
    assert_eq!(Lang::parse(" DE-at ").unwrap(), Lang::De);
    assert_eq!(Lang::parse("pt_BR").unwrap(), Lang::Pt);
    assert_eq!("ar".parse::<Lang>().unwrap(), Lang::Ar);
    for lang in Lang::ALL {
        assert_eq!(Lang::parse(lang.code()).unwrap(), lang);
        let json = serde_json::to_string(&lang).unwrap();
        assert_eq!(serde_json::from_str::<Lang>(&json).unwrap(), lang);
    }
    let err = Lang::parse("xx").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported language `xx`; supported languages: en, de, fr, es, ar, it, nl, pl, pt"
    );
    assert!(Lang::parse("").is_err());
    assert!(serde_json::from_str::<Lang>("\"tlh\"").is_err());
}

#[test]
fn numbers_and_dates() {
    let t = Timestamp::parse("2026-06-07T10:00:00Z").unwrap();
    assert_eq!(Lang::En.date(t), "7 June 2026");
    assert_eq!(Lang::De.date(t), "7. Juni 2026");
    assert_eq!(Lang::Fr.date(t), "7 juin 2026");
    assert_eq!(Lang::Es.date(t), "7 de junio de 2026");
    assert_eq!(Lang::Pl.date(t), "7 czerwca 2026");
    assert_eq!(Lang::Ar.date(t), "٧ يونيو ٢٠٢٦");
    assert_eq!(Lang::Ar.number(1234567890), "١٢٣٤٥٦٧٨٩٠");
    assert_eq!(Lang::De.number(42), "42");
    assert_eq!(Lang::Ar.days(7), "٧ أيام");
    assert_eq!(Lang::Ar.days(14), "١٤ يومًا");
    assert_eq!(Lang::Ar.days(2), "يومان");
    assert_eq!(Lang::Pl.days(90), "90");
    assert_eq!(
        fill(
            Lang::Ar.texts().labels.days,
            &[("days", &Lang::Ar.days(30))]
        ),
        "٣٠ يومًا"
    );
    assert_eq!(Lang::Ar.direction(), Direction::Rtl);
    assert_eq!(Lang::Fr.direction(), Direction::Ltr);
}

#[test]
fn fill_replaces_known_and_keeps_unknown_placeholders() {
    assert_eq!(
        fill("{a} and {b} {c", &[("a", "x"), ("b", "y")]),
        "x and y {c"
    );
    assert_eq!(fill("{a}{zz}", &[("a", "1")]), "1{zz}");
    assert_eq!(fill("", &[]), "");
}

/// Whether `c` is an Arabic letter or mark (not an Arabic-Indic digit or
/// Arabic punctuation, which belong to the token they touch).
fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}')
        && !matches!(c, '\u{0660}'..='\u{0669}' | '،' | '؛' | '؟')
}

/// Latin technical tokens inside Arabic text (`+all`, `/.git`, `_dmarc`)
/// must not start or end with a neutral character (`+ ? - ~ / . _ …`): in a
/// right-to-left paragraph the bidi algorithm puts such a character on the
/// wrong side of the token (`+all` shows as `all+`). A left-to-right mark
/// (U+200E) next to it keeps it inside the token.
fn misordered_latin_tokens(s: &str) -> Vec<String> {
    const LRM: char = '\u{200E}';
    let mut bad = Vec::new();
    for token in s.split(|c: char| c.is_whitespace() || is_arabic_letter(c)) {
        if !token.chars().any(|c| c.is_ascii_alphanumeric() || c == '{') {
            continue;
        }
        // Opening brackets and a right-to-left mark belong to the Arabic
        // side, as do closing brackets and sentence punctuation.
        // A bracket that closes inside the token is part of it: `(EC)DHE`.
        let mut core = token.trim_start_matches('\u{200F}');
        let inner_bracket = core
            .find(')')
            .is_some_and(|i| core[i + 1..].starts_with(|c: char| c.is_ascii_alphanumeric()));
        if !inner_bracket {
            core = core.trim_start_matches(['(', '[', '«', '\u{200F}']);
        }
        for _ in 0..2 {
            core = core
                .strip_suffix(['.', ',', ':', ';', '،', '؛'])
                .unwrap_or(core);
            core = core.trim_end_matches([')', ']', '»']);
        }
        let ok_edge =
            |c: Option<char>| c.is_none_or(|c| c.is_alphanumeric() || matches!(c, '{' | '}' | LRM));
        if !ok_edge(core.chars().next()) || !ok_edge(core.chars().last()) {
            bad.push(core.to_owned());
        }
    }
    bad
}

#[test]
fn arabic_latin_tokens_keep_their_order_right_to_left() {
    let mut problems = Vec::new();
    for (key, s) in Lang::Ar.texts().entries() {
        for token in misordered_latin_tokens(s) {
            problems.push(format!("{key}: {token:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn misordered_latin_token_check_finds_what_it_should() {
    assert_eq!(misordered_latin_tokens("ينتهي بـ -all."), ["-all"]);
    assert_eq!(
        misordered_latin_tokens("إلى /.git و _dmarc"),
        ["/.git", "_dmarc"]
    );
    assert_eq!(misordered_latin_tokens("(rua=mailto:...).").len(), 1);
    assert_eq!(misordered_latin_tokens("المؤقت (EC)DHE فقط"), ["(EC)DHE"]);
    assert!(misordered_latin_tokens("المؤقت \u{200E}(EC)DHE فقط").is_empty());
    assert!(misordered_latin_tokens("ينتهي بـ \u{200E}-all.").is_empty());
    assert!(misordered_latin_tokens("(\u{200F}TLS 1.2 أو 1.3) و {score}/١٠٠،").is_empty());
    assert!(misordered_latin_tokens("max-age=31536000; includeSubDomains").is_empty());
}
