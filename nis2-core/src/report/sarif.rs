//! SARIF 2.1.0 for code-scanning dashboards: the catalog's checks are the
//! rules, each failing check of the scan is one result.

use serde_json::{Value, json};

use crate::catalog::{CATALOG, Severity};
use crate::i18n::Lang;

use super::{ReportError, ReportInput, failing_sorted};

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads `security-severity` (0.0–10.0) to rank results.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "7.5",
        Severity::Medium => "5.0",
        Severity::Low => "2.5",
        Severity::Info => "0.0",
    }
}

/// Renders the SARIF 2.1.0 log.
pub fn sarif(input: &ReportInput<'_>, lang: Lang) -> Result<String, ReportError> {
    let a = input.assessment;
    let t = lang.texts();
    let to_value = |v: &crate::Timestamp| {
        serde_json::to_value(v).map_err(|e| ReportError::Json {
            reason: e.to_string(),
        })
    };

    let rows: Vec<&crate::catalog::Check> = CATALOG.iter().filter(|c| !c.id.is_bonus()).collect();
    let rules: Vec<Value> = rows
        .iter()
        .map(|row| {
            let c = t.check(row.id);
            let sev = row.tiers[0].severity;
            let tags: Vec<String> = std::iter::once("security".to_owned())
                .chain(
                    row.articles
                        .iter()
                        .map(|x| format!("nis2-art21-2{}", x.letter())),
                )
                .collect();
            json!({
                "id": row.id.as_str(),
                "name": row.id.as_str(),
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.failure },
                "help": { "text": c.remediation, "markdown": c.remediation },
                "defaultConfiguration": { "level": level(sev) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(sev),
                    "severity": sev.as_str(),
                    "annex": row.annex,
                    "group": row.group.as_str(),
                },
            })
        })
        .collect();

    let uri = format!("https://{}/", input.vendor.domain);
    let mut results = Vec::new();
    for f in failing_sorted(a) {
        let Some(index) = rows.iter().position(|r| r.id == f.check_id) else {
            continue;
        };
        let c = t.check(f.check_id);
        let step = a
            .remediation_steps
            .iter()
            .find(|s| s.check_id == f.check_id);
        let mut props = json!({
            "severity": f.severity.as_str(),
            "penalty": f.penalty,
            "evidence": f.evidence,
        });
        if let (Some(s), Some(map)) = (step, props.as_object_mut()) {
            map.insert("deadline_days".into(), json!(s.deadline_days));
            map.insert("due".into(), to_value(&s.due)?);
        }
        results.push(json!({
            "ruleId": f.check_id.as_str(),
            "ruleIndex": index,
            "level": level(f.severity),
            "kind": "fail",
            "message": { "text": format!("{} — {}", c.failure, f.evidence) },
            "locations": [ { "physicalLocation": { "artifactLocation": { "uri": uri } } } ],
            "partialFingerprints": { "nis2CheckDomain/v1": format!("{}:{}", input.vendor.domain, f.check_id) },
            "properties": props,
        }));
    }

    let assessed_at = to_value(&a.assessed_at)?;
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [ {
            "tool": { "driver": {
                "name": "nis2",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "language": lang.code(),
                "rules": rules,
            } },
            "automationDetails": { "id": format!("nis2/{}/{}", input.vendor.domain, a.assessed_at) },
            "invocations": [ { "executionSuccessful": true, "endTimeUtc": assessed_at } ],
            "language": lang.code(),
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "domain": input.vendor.domain,
                "score": a.score,
                "grade": a.grade.as_str(),
                "risk_level": a.risk_level.as_str(),
                "method": a.method,
            },
        } ],
    });
    let mut s = serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Json {
        reason: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}
