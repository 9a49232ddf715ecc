//! The portfolio report: every vendor of an account at a glance.

use std::fmt::Write as _;

use serde::Serialize;

use crate::Timestamp;
use crate::assessment::Assessment;
use crate::catalog::{CheckId, Grade, Severity};
use crate::i18n::{Labels, Lang};

use super::html::{CSS, ChartBar, colour, svg_bars};
use super::{VendorRef, escape_xml as e};

/// How many vendors the "lowest scores" table lists.
pub const WORST_VENDORS: usize = 10;

/// One vendor of the portfolio.
#[derive(Clone, Copy, Debug)]
pub struct PortfolioVendor<'a> {
    /// The vendor.
    pub vendor: VendorRef<'a>,
    /// Its latest assessment (`None`: not scanned yet).
    pub assessment: Option<&'a Assessment>,
    /// For checks failing now: when they were first seen failing in the
    /// current run of failing scans (from the store's history). A failing
    /// check not listed counts from the latest assessment.
    pub failing_since: &'a [(CheckId, Timestamp)],
}

/// What the portfolio report is made from.
#[derive(Clone, Copy, Debug)]
pub struct PortfolioInput<'a> {
    /// The customer account's name.
    pub account: &'a str,
    /// When the report is made; remediation due before it is overdue.
    pub generated_at: Timestamp,
    /// The vendors.
    pub vendors: &'a [PortfolioVendor<'a>],
}

/// A remediation step past its due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverdueItem<'a> {
    /// The vendor.
    pub vendor: VendorRef<'a>,
    /// The failing check.
    pub check_id: CheckId,
    /// Its severity.
    pub severity: Severity,
    /// When it was due: first seen failing plus its deadline.
    pub due: Timestamp,
    /// Whole days past due at the report time.
    pub days_overdue: i64,
}

/// The remediation steps of all vendors that are past due at
/// `input.generated_at`, the longest overdue first.
pub fn overdue<'a>(input: &PortfolioInput<'a>) -> Vec<OverdueItem<'a>> {
    let mut out = Vec::new();
    for v in input.vendors {
        let Some(a) = v.assessment else { continue };
        for step in &a.remediation_steps {
            let since = v
                .failing_since
                .iter()
                .filter(|(id, _)| *id == step.check_id)
                .map(|(_, t)| *t)
                .min()
                .unwrap_or(a.assessed_at);
            let due = since.plus_days(i64::from(step.deadline_days));
            if due < input.generated_at {
                out.push(OverdueItem {
                    vendor: v.vendor,
                    check_id: step.check_id,
                    severity: step.severity,
                    due,
                    days_overdue: due.days_until(input.generated_at).max(1),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.severity.cmp(&b.severity))
            .then(a.vendor.domain.cmp(b.vendor.domain))
            .then(a.check_id.cmp(&b.check_id))
    });
    out
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct GradeCount {
    grade: &'static str,
    /// The grade letter, or "Not scanned yet" for the vendors without a scan.
    label: &'static str,
    count: usize,
    count_text: String,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct VendorRow {
    vendor: String,
    domain: String,
    grade: &'static str,
    score: String,
    risk: &'static str,
    last_scanned: String,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct OverdueRow {
    vendor: String,
    title: &'static str,
    priority: &'static str,
    priority_key: &'static str,
    due: String,
    days: String,
}

/// Everything the portfolio report shows, localized.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PortfolioModel {
    lang: &'static str,
    dir: &'static str,
    labels: &'static Labels,
    account: String,
    generated: String,
    vendor_count: String,
    average: String,
    grades: Vec<GradeCount>,
    grade_max: usize,
    worst: Vec<VendorRow>,
    overdue: Vec<OverdueRow>,
}

pub(crate) fn portfolio_model(input: &PortfolioInput<'_>, lang: Lang) -> PortfolioModel {
    let t = lang.texts();
    let n = |v: usize| lang.number(i64::try_from(v).unwrap_or(i64::MAX));
    let scanned: Vec<(&PortfolioVendor<'_>, &Assessment)> = input
        .vendors
        .iter()
        .filter_map(|v| v.assessment.map(|a| (v, a)))
        .collect();
    let mut grades: Vec<GradeCount> = Grade::ALL
        .iter()
        .map(|g| {
            let count = scanned.iter().filter(|(_, a)| a.grade == *g).count();
            GradeCount {
                grade: g.as_str(),
                label: g.as_str(),
                count,
                count_text: n(count),
            }
        })
        .collect();
    let unscanned = input.vendors.len() - scanned.len();
    if unscanned > 0 {
        grades.push(GradeCount {
            grade: "–",
            label: t.labels.not_scanned,
            count: unscanned,
            count_text: n(unscanned),
        });
    }
    let grade_max = grades.iter().map(|g| g.count).max().unwrap_or(0);
    let average = if scanned.is_empty() {
        "–".to_owned()
    } else {
        let sum: usize = scanned.iter().map(|(_, a)| usize::from(a.score)).sum();
        // Rounded half up, as the dashboard does.
        n((sum * 2 + scanned.len()) / (scanned.len() * 2))
    };

    let mut ranked = scanned.clone();
    ranked.sort_by(|(va, a), (vb, b)| {
        a.score
            .cmp(&b.score)
            .then(b.grade.cmp(&a.grade))
            .then(va.vendor.domain.cmp(vb.vendor.domain))
    });
    let worst = ranked
        .iter()
        .take(WORST_VENDORS)
        .map(|(v, a)| VendorRow {
            vendor: v.vendor.display().to_owned(),
            domain: v.vendor.domain.to_owned(),
            grade: a.grade.as_str(),
            score: lang.number(a.score),
            risk: t.risk(a.risk_level),
            last_scanned: lang.date(a.assessed_at),
        })
        .collect();
    let overdue = overdue(input)
        .into_iter()
        .map(|o| OverdueRow {
            vendor: o.vendor.display().to_owned(),
            title: t.check(o.check_id).title,
            priority: t.priority(o.severity),
            priority_key: match o.severity {
                Severity::Critical => "critical",
                Severity::High => "high",
                _ => "medium",
            },
            due: lang.date(o.due),
            days: lang.number(o.days_overdue),
        })
        .collect();
    PortfolioModel {
        lang: lang.code(),
        dir: lang.direction().as_str(),
        labels: &t.labels,
        account: input.account.to_owned(),
        generated: lang.date(input.generated_at),
        vendor_count: n(input.vendors.len()),
        average,
        grades,
        grade_max,
        worst,
        overdue,
    }
}

/// Renders the portfolio report as one self-contained HTML page: the grade
/// distribution (inline SVG), the vendors with the lowest scores, and the
/// overdue remediation across the portfolio.
pub fn portfolio_html(input: &PortfolioInput<'_>, lang: Lang) -> String {
    let m = portfolio_model(input, lang);
    let l = m.labels;
    let title = format!("{}: {}", l.portfolio_title, m.account);
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<dl class=\"facts\">",
        m.lang,
        m.dir,
        e(&title),
        e(&title)
    );
    for (k, v) in [
        (l.generated_at, &m.generated),
        (l.vendor_count, &m.vendor_count),
        (l.average_score, &m.average),
    ] {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", e(k), e(v));
    }
    s.push_str("</dl>\n");

    let _ = write!(s, "<section><h2>{}</h2>", e(l.grade_distribution));
    let bars: Vec<ChartBar<'_>> = m
        .grades
        .iter()
        .map(|g| ChartBar {
            label: g.label,
            value: u32::try_from(g.count).unwrap_or(u32::MAX),
            text: &g.count_text,
            colour: colour(g.grade),
        })
        .collect();
    s.push_str(&svg_bars(&bars, m.dir == "rtl", l.grade_distribution));
    s.push_str("</section>\n");

    let _ = write!(s, "<section><h2>{}</h2>", e(l.worst_vendors));
    if m.worst.is_empty() {
        let _ = write!(s, "<p>{}</p>", e(l.not_scanned));
    } else {
        let _ = write!(
            s,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            e(l.vendor),
            e(l.domain),
            e(l.grade),
            e(l.score),
            e(l.risk_level),
            e(l.last_scanned)
        );
        for v in &m.worst {
            let _ = write!(
                s,
                "<tr><td>{}</td><td><code>{}</code></td><td><span class=\"pill\" style=\"background:{}\">{}</span></td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                e(&v.vendor),
                e(&v.domain),
                colour(v.grade),
                v.grade,
                e(&v.score),
                e(v.risk),
                e(&v.last_scanned)
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");

    let _ = write!(s, "<section><h2>{}</h2>", e(l.overdue));
    if m.overdue.is_empty() {
        let _ = write!(s, "<p>{}</p>", e(l.none));
    } else {
        let _ = write!(
            s,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            e(l.vendor),
            e(l.check),
            e(l.priority),
            e(l.due),
            e(l.days_overdue)
        );
        for o in &m.overdue {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td><span class=\"pill\" style=\"background:{}\">{}</span></td><td>{}</td><td class=\"num\">{}</td></tr>",
                e(&o.vendor),
                e(o.title),
                colour(o.priority_key),
                e(o.priority),
                e(&o.due),
                e(&o.days)
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");
    let _ = writeln!(
        s,
        "<p class=\"note\">{}</p>\n</main>\n</body>\n</html>",
        e(l.scope_note)
    );
    s
}
