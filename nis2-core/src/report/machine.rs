//! Machine formats: JSON (the assessment) and CSV (one row per finding).

use std::fmt::Write as _;

use serde_json::json;

use crate::catalog::CATALOG;
use crate::i18n::Lang;

use super::{ReportError, ReportInput, finding_of, is_scored, summaries};

/// The version tag of the JSON report document.
pub const JSON_REPORT_VERSION: &str = "nis2-report/1";

/// The report as JSON: the assessment exactly as stored (English reasons,
/// as the API returns it), with the vendor, the language and the summaries
/// in that language.
pub fn json(input: &ReportInput<'_>, lang: Lang) -> Result<String, ReportError> {
    let sums = summaries(input.assessment, input.vendor, lang);
    let assessment = serde_json::to_value(input.assessment).map_err(|e| ReportError::Json {
        reason: e.to_string(),
    })?;
    let generated = serde_json::to_value(input.generated_at).map_err(|e| ReportError::Json {
        reason: e.to_string(),
    })?;
    let doc = json!({
        "report": JSON_REPORT_VERSION,
        "language": lang.code(),
        "direction": lang.direction().as_str(),
        "generated_at": generated,
        "vendor": { "domain": input.vendor.domain, "name": input.vendor.name },
        "summaries": { "executive": sums.executive, "technical": sums.technical },
        "assessment": assessment,
    });
    let mut s = serde_json::to_string_pretty(&doc).map_err(|e| ReportError::Json {
        reason: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}

/// The CSV header (stable column keys; values of `title`, `description` and
/// `remediation` are in the report's language).
pub const CSV_HEADER: [&str; 14] = [
    "check_id",
    "title",
    "result",
    "severity",
    "penalty",
    "bonus",
    "cap",
    "nis2_articles",
    "annex",
    "description",
    "evidence",
    "remediation",
    "deadline_days",
    "due",
];

/// One field, quoted per RFC 4180 when it holds a comma, quote or line
/// break. A field that a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` (OWASP CSV injection).
fn field(out: &mut String, value: &str) {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn record(out: &mut String, values: &[&str]) {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, v);
    }
    out.push_str("\r\n");
}

/// One CSV row per finding (failing ones first, most severe first; then the
/// passing checks and earned bonuses in catalog order), CRLF line ends, as
/// RFC 4180 describes.
pub fn csv(input: &ReportInput<'_>, lang: Lang) -> String {
    let a = input.assessment;
    let t = lang.texts();
    let mut out = String::with_capacity(8192);
    record(&mut out, &CSV_HEADER);
    let mut rows: Vec<&crate::Finding> = super::failing_sorted(a);
    for r in CATALOG {
        if let Some(f) = finding_of(a, r.id).filter(|f| !f.failed()) {
            rows.push(f);
        }
    }
    for f in rows {
        let c = t.check(f.check_id);
        let row = f.check_id.check();
        let step = a
            .remediation_steps
            .iter()
            .find(|s| s.check_id == f.check_id);
        let articles: Vec<String> = row
            .articles
            .iter()
            .map(|x| x.letter().to_string())
            .collect();
        let description = if f.failed() {
            c.failure
        } else if !c.positive.is_empty() {
            c.positive
        } else {
            c.title
        };
        let mut days = String::new();
        let mut due = String::new();
        if let Some(s) = step {
            let _ = write!(days, "{}", s.deadline_days);
            due = s.due.date().to_string();
        }
        record(
            &mut out,
            &[
                f.check_id.as_str(),
                c.title,
                if f.failed() { "fail" } else { "pass" },
                f.severity.as_str(),
                &f.penalty.to_string(),
                &f.bonus.to_string(),
                f.cap.map(|g| g.as_str()).unwrap_or(""),
                &articles.join(" "),
                row.annex,
                description,
                &f.evidence,
                if f.failed() && is_scored(f.check_id) {
                    c.remediation
                } else {
                    ""
                },
                &days,
                &due,
            ],
        );
    }
    out
}

#[cfg(test)]
pub(super) fn field_for_tests(out: &mut String, value: &str) {
    field(out, value);
}
