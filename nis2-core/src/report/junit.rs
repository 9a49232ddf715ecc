//! JUnit XML: one test case per catalog check, so CI systems show failures.
//!
//! The layout is the Ant/Jenkins JUnit schema (`testdata/junit.xsd`): a
//! `testsuites` root with two suites, the scored checks and the bonuses.
//! A failing check is a `<failure>`; a check whose facts were not gathered
//! is `<skipped>`; a bonus not earned is `<skipped>` too.

use std::fmt::Write as _;

use crate::catalog::{CATALOG, Check};
use crate::i18n::Lang;

use super::{Outcome, ReportInput, escape_xml as e, finding_of, outcome_of};

/// Renders the JUnit XML report.
pub fn junit(input: &ReportInput<'_>, lang: Lang) -> String {
    let a = input.assessment;
    let t = lang.texts();
    let domain = input.vendor.domain;
    // JUnit's timestamp has no zone; the value is UTC.
    let stamp = a.assessed_at.to_string().trim_end_matches('Z').to_owned();

    let suites: [(&str, Vec<&Check>); 2] = [
        (
            "checks",
            CATALOG.iter().filter(|c| !c.id.is_bonus()).collect(),
        ),
        (
            "bonuses",
            CATALOG.iter().filter(|c| c.id.is_bonus()).collect(),
        ),
    ];
    let mut body = String::with_capacity(16 * 1024);
    let (mut all_tests, mut all_fail) = (0usize, 0usize);
    for (i, (suite, rows)) in suites.iter().enumerate() {
        let outcomes: Vec<Outcome> = rows.iter().map(|r| outcome_of(a, r.id)).collect();
        let failures = outcomes.iter().filter(|o| **o == Outcome::Fail).count();
        let skipped = outcomes
            .iter()
            .filter(|o| **o == Outcome::NotAssessed)
            .count();
        all_tests += rows.len();
        all_fail += failures;
        let _ = writeln!(
            body,
            "  <testsuite name=\"nis2.{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{stamp}\" hostname=\"{}\" id=\"{i}\" package=\"nis2\">",
            rows.len(),
            e(domain)
        );
        if i == 0 {
            body.push_str("    <properties>\n");
            for (k, v) in [
                ("domain", domain.to_owned()),
                ("score", a.score.to_string()),
                ("grade", a.grade.as_str().to_owned()),
                ("risk_level", a.risk_level.as_str().to_owned()),
                ("method", a.method.to_string()),
                ("language", lang.code().to_owned()),
            ] {
                let _ = writeln!(body, "      <property name=\"{k}\" value=\"{}\"/>", e(&v));
            }
            body.push_str("    </properties>\n");
        }
        for (row, outcome) in rows.iter().zip(&outcomes) {
            let c = t.check(row.id);
            let _ = write!(
                body,
                "    <testcase name=\"{} – {}\" classname=\"nis2.{}\" time=\"0\"",
                row.id,
                e(c.title),
                row.group.as_str()
            );
            match (outcome, finding_of(a, row.id)) {
                (Outcome::Fail, Some(f)) => {
                    let mut detail = format!("{}: {}", t.labels.evidence, f.evidence);
                    if !c.remediation.is_empty() {
                        let _ = write!(detail, "\n{}: {}", t.labels.action, c.remediation);
                    }
                    if let Some(s) = a.remediation_steps.iter().find(|s| s.check_id == row.id) {
                        let _ = write!(detail, "\n{}: {}", t.labels.due, lang.date(s.due));
                    }
                    let _ = writeln!(
                        body,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        e(c.failure),
                        f.severity.as_str(),
                        e(&detail)
                    );
                }
                (Outcome::NotAssessed, _) => {
                    let _ = writeln!(
                        body,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        e(t.outcomes[2])
                    );
                }
                (_, Some(f)) if !f.evidence.is_empty() => {
                    let _ = writeln!(
                        body,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        e(&f.evidence)
                    );
                }
                _ => body.push_str("/>\n"),
            }
        }
        body.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nis2 {}\" tests=\"{all_tests}\" failures=\"{all_fail}\" errors=\"0\" time=\"0\">\n{body}</testsuites>\n",
        e(domain)
    )
}
