//! JUnit XML validated against `testdata/junit.xsd` (with `xmllint`, Debian
//! package libxml2-utils) and SARIF against the official OASIS SARIF 2.1.0
//! JSON schema (Errata 01), `testdata/sarif-schema-2.1.0.json`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

mod report_support;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use nis2_core::catalog::CATALOG;
use nis2_core::i18n::Lang;
use nis2_core::report;
use report_support::*;

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Runs `xmllint --noout --schema junit.xsd` on `xml`; Err holds its output.
fn xmllint(xml: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("nis2-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = dir.join(format!("{n}.xml"));
    std::fs::File::create(&file)
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(testdata("junit.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint not found: install Debian package libxml2-utils");
    let _ = std::fs::remove_file(&file);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn junit_validates_against_the_xsd_in_every_language() {
    let (g, w) = (good(), weak());
    for lang in Lang::ALL {
        for (a, v) in [(&g, good_vendor()), (&w, weak_vendor())] {
            let xml = report::junit(&input(a, v), lang);
            if let Err(e) = xmllint(&xml) {
                panic!("{lang} {}: {e}\n{xml}", v.domain);
            }
        }
    }
}

#[test]
fn xsd_rejects_malformed_junit() {
    let w = weak();
    let xml = report::junit(&input(&w, weak_vendor()), Lang::En);
    let bad_count = xml.replacen("failures=\"", "failures=\"-", 2);
    assert!(xmllint(&bad_count).is_err());
    let bad_child = xml.replacen("<skipped ", "<ignored ", 1);
    assert!(xmllint(&bad_child).is_err());
    let bad_stamp = xml.replacen("timestamp=\"2026", "timestamp=\"yesterday", 1);
    assert!(xmllint(&bad_stamp).is_err());
}

#[test]
fn junit_has_one_testcase_per_check_with_failures_and_skips() {
    let w = weak();
    let xml = report::junit(&input(&w, weak_vendor()), Lang::En);
    assert_eq!(xml.matches("<testcase ").count(), CATALOG.len());
    let failing = w.findings.iter().filter(|f| f.failed()).count();
    assert_eq!(xml.matches("<failure ").count(), failing);
    // Checks that did not run, plus bonuses not earned, are skipped.
    let ran: Vec<_> = w.findings.iter().map(|f| f.check_id).collect();
    let skipped = CATALOG.iter().filter(|c| !ran.contains(&c.id)).count();
    assert_eq!(xml.matches("<skipped ").count(), skipped);
    assert!(xml.contains(&format!(
        "<testsuites name=\"nis2 {WEAK}\" tests=\"{}\" failures=\"{failing}\"",
        CATALOG.len()
    )));
}

/// The official schema's identifier (OASIS Standard, Errata 01).
const SARIF_SCHEMA_ID: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn sarif_schema() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(testdata("sarif-schema-2.1.0.json")).unwrap())
        .unwrap()
}

fn sarif_validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&sarif_schema())
        .unwrap()
}

#[test]
fn the_sarif_schema_is_the_official_full_one() {
    // Guards against the schema being swapped for a hand-made subset again:
    // the OASIS file is JSON Schema draft 04 and defines every SARIF object.
    let schema = sarif_schema();
    assert_eq!(schema["id"], SARIF_SCHEMA_ID);
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    let defs = schema["definitions"].as_object().unwrap();
    assert_eq!(defs.len(), 52, "{:?}", defs.keys().collect::<Vec<_>>());
    for name in [
        "run",
        "result",
        "toolComponent",
        "reportingDescriptor",
        "webResponse",
    ] {
        assert!(defs.contains_key(name), "{name}");
    }
}

#[test]
fn sarif_validates_against_the_schema_in_every_language() {
    let validator = sarif_validator();
    let (g, w) = (good(), weak());
    for lang in Lang::ALL {
        for (a, v) in [(&g, good_vendor()), (&w, weak_vendor())] {
            let doc: serde_json::Value =
                serde_json::from_str(&report::sarif(&input(a, v), lang).unwrap()).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{lang} {}: {errors:#?}", v.domain);
        }
    }
}

#[test]
fn schema_rejects_malformed_sarif() {
    let validator = sarif_validator();
    let w = weak();
    let good_doc: serde_json::Value =
        serde_json::from_str(&report::sarif(&input(&w, weak_vendor()), Lang::En).unwrap()).unwrap();
    assert!(validator.is_valid(&good_doc));
    let mut bad_level = good_doc.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad_level));
    let mut bad_version = good_doc.clone();
    bad_version["version"] = "2.0.0".into();
    assert!(!validator.is_valid(&bad_version));
    let mut no_message = good_doc.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&no_message));
    let mut bad_time = good_doc.clone();
    bad_time["runs"][0]["invocations"][0]["endTimeUtc"] = "yesterday".into();
    assert!(!validator.is_valid(&bad_time), "date-time format checked");
    let mut bad_index = good_doc.clone();
    bad_index["runs"][0]["results"][0]["ruleIndex"] = (-2).into();
    assert!(!validator.is_valid(&bad_index));
    let mut bad_language = good_doc.clone();
    bad_language["runs"][0]["language"] = "arabic".into();
    assert!(!validator.is_valid(&bad_language));
    let mut typo = good_doc;
    typo["runs"][0]["tool"]["driver"]["rule"] = serde_json::json!([]);
    assert!(!validator.is_valid(&typo));
}

#[test]
fn sarif_has_a_rule_per_check_and_a_result_per_failing_check() {
    let w = weak();
    let doc: serde_json::Value =
        serde_json::from_str(&report::sarif(&input(&w, weak_vendor()), Lang::It).unwrap()).unwrap();
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        CATALOG.iter().filter(|c| !c.id.is_bonus()).count()
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        w.findings.iter().filter(|f| f.failed()).count()
    );
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
    assert_eq!(run["language"], "it");
    assert!(
        rules
            .iter()
            .any(|r| r["shortDescription"]["text"] == "TLS 1.0 disattivato")
    );
    let good_doc: serde_json::Value =
        serde_json::from_str(&report::sarif(&input(&good(), good_vendor()), Lang::En).unwrap())
            .unwrap();
    assert_eq!(good_doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}
