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
