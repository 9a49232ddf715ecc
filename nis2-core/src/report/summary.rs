//! Executive and technical summaries in every language.

use crate::assessment::{Assessment, MappingStatus};
use crate::catalog::{Article, BONUS_CAP};
use crate::i18n::{Lang, fill};

use super::{VendorRef, counts, failing_sorted, positives};

/// The two summaries of an assessment, in one language.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Summaries {
    /// For a board or purchasing reader.
    pub executive: String,
    /// For a security reader.
    pub technical: String,
}

/// Writes the executive and technical summaries of `a` in `lang`, from the
/// assessment's structured data (score, grade, findings, mapping), so every
/// language says the same thing.
pub fn summaries(a: &Assessment, vendor: VendorRef<'_>, lang: Lang) -> Summaries {
    let t = lang.texts();
    let s = &t.summary;
    let c = counts(a);
    let n = |v: usize| lang.number(i64::try_from(v).unwrap_or(i64::MAX));
    let failing = failing_sorted(a);

    let mut exec = vec![fill(
        s.exec_rating,
        &[
            ("vendor", vendor.display()),
            ("score", &lang.number(a.score)),
            ("grade", a.grade.as_str()),
            ("risk", t.risk(a.risk_level)),
        ],
    )];
    if c.failed > 0 {
        exec.push(fill(
            s.exec_failing,
            &[
                ("failing", &n(c.failed)),
                ("assessed", &n(c.assessed)),
                ("critical", &n(c.critical)),
                ("high", &n(c.high)),
                ("medium", &n(c.medium)),
                ("low", &n(c.low)),
            ],
        ));
    } else if c.assessed > 0 {
        exec.push(fill(s.exec_all_pass, &[("assessed", &n(c.assessed))]));
    }
    // The first step of the plan is the most urgent one.
    if let Some(step) = a.remediation_steps.first() {
        exec.push(fill(
            s.exec_urgent,
            &[
                ("finding", t.check(step.check_id).failure),
                ("date", &lang.date(step.due)),
            ],
        ));
    }
    exec.push(fill(
        s.exec_supply,
        &[("status", t.mapping_status(a.nis2_mapping.get(Article::D)))],
    ));
    exec.push(s.exec_scope.to_owned());

    let penalty: u32 = a.deductions.iter().map(|d| u32::from(d.penalty)).sum();
    let bonus: u32 = a
        .bonuses
        .iter()
        .map(|b| u32::from(b.bonus))
        .sum::<u32>()
        .min(u32::from(BONUS_CAP));
    let mut tech = vec![fill(
        s.tech_counts,
        &[
            ("assessed", &n(c.assessed)),
            ("passed", &n(c.passed)),
            ("failed", &n(c.failed)),
            ("not_assessed", &n(c.not_assessed)),
            ("penalty", &lang.number(penalty)),
            ("bonus", &lang.number(bonus)),
        ],
    )];
    if !failing.is_empty() {
        let items: Vec<String> = failing
            .iter()
            .map(|f| format!("{} ({})", t.check(f.check_id).failure, f.check_id))
            .collect();
        tech.push(fill(s.tech_failing, &[("list", &lang.list(&items))]));
    }
    let pos = positives(a, lang);
    if !pos.is_empty() {
        tech.push(fill(s.tech_positive, &[("list", &lang.list(&pos))]));
    }
    let points = |status: MappingStatus| {
        let items: Vec<String> = a
            .nis2_mapping
            .iter()
            .filter(|(_, st)| *st == status)
            .map(|(art, _)| lang.point(art))
            .collect();
        lang.list(&items)
    };
    tech.push(fill(
        s.tech_mapping,
        &[
            ("noncompliant", &points(MappingStatus::NonCompliant)),
            ("partial", &points(MappingStatus::Partial)),
            ("compliant", &points(MappingStatus::Compliant)),
            ("not_assessed", &points(MappingStatus::NotAssessed)),
        ],
    ));
    tech.push(fill(s.tech_method, &[("method", &a.method)]));

    Summaries {
        executive: exec.join(" "),
        technical: tech.join(" "),
    }
}
