//! The per-scan report as Markdown.

use std::fmt::Write as _;

use crate::i18n::Lang;

use super::{ReportInput, ltr_run, model};

/// Escapes a table cell: pipes and line breaks would end it.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Renders the per-scan report as Markdown (pipe tables; the chart as a
/// bar of block characters).
pub fn markdown(input: &ReportInput<'_>, lang: Lang) -> String {
    let m = model(input, lang);
    let l = m.labels;
    let mut s = String::with_capacity(8192);
    let _ = writeln!(s, "# {}: {}\n", l.report_title, cell(&m.vendor));
    let _ = writeln!(s, "| | |\n|---|---|");
    for (k, v) in [
        (l.domain, m.domain.as_str()),
        (l.grade, m.grade),
        (l.score, m.score.as_str()),
        (l.risk_level, m.risk),
        (l.assessed_at, m.assessed.as_str()),
        (l.generated_at, m.generated.as_str()),
        (l.method, m.method.as_str()),
    ] {
        let _ = writeln!(s, "| {} | {} |", k, cell(v));
    }
    let _ = writeln!(
        s,
        "\n## {}\n\n{}\n\n## {}\n\n{}\n",
        l.executive_summary, m.executive, l.technical_summary, m.technical
    );

    let _ = writeln!(s, "## {}\n", l.deductions_chart);
    if m.chart.is_empty() {
        let _ = writeln!(s, "{}\n", l.no_failures);
    } else {
        let _ = writeln!(s, "| {} | {} | |\n|---|---:|---|", l.check, l.points);
        for b in &m.chart {
            let width = usize::from(b.penalty).div_ceil(2).max(1);
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                cell(b.label),
                b.penalty_text,
                "█".repeat(width)
            );
        }
        s.push('\n');
    }

    let _ = writeln!(
        s,
        "## {}\n\n| {} | {} | {} |\n|---|---|---|",
        l.nis2_table, l.point, l.subject, l.status
    );
    for r in &m.mapping {
        let _ = writeln!(s, "| {} | {} | {} |", r.point, cell(r.subject), r.status);
    }

    let _ = writeln!(
        s,
        "\n## {}\n\n| {} | {} | {} | {} | {} |\n|---|---|---|---:|---|",
        l.findings, l.check, l.result, l.severity, l.penalty, l.evidence
    );
    for f in &m.findings {
        let title = if f.outcome_key == "fail" {
            format!("**{}**", cell(f.failure))
        } else {
            cell(f.title)
        };
        let _ = writeln!(
            s,
            "| {} (`{}`) | {} | {} | {} | {} |",
            title,
            f.id,
            f.outcome,
            f.severity,
            f.penalty,
            ltr_run(lang, &cell(&f.evidence))
        );
    }
    if !m.not_assessed.is_empty() {
        let _ = writeln!(
            s,
            "\n**{}:** {}",
            l.not_assessed_checks,
            m.not_assessed.join(lang.texts().list_separator)
        );
    }

    let _ = writeln!(s, "\n## {}\n", l.remediation_plan);
    if m.plan.is_empty() {
        let _ = writeln!(s, "{}", l.no_failures);
    } else {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
            l.priority, l.check, l.action, l.deadline, l.due
        );
        for p in &m.plan {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                p.priority,
                cell(p.title),
                cell(p.action),
                p.days,
                p.due
            );
        }
    }

    if !m.bonuses.is_empty() {
        let _ = writeln!(
            s,
            "\n## {}\n\n| {} | {} | {} |\n|---|---:|---|",
            l.bonuses, l.check, l.points, l.evidence
        );
        for b in &m.bonuses {
            let _ = writeln!(
                s,
                "| {} (`{}`) | {} | {} |",
                cell(b.label),
                b.id,
                b.points,
                ltr_run(lang, &cell(&b.evidence))
            );
        }
    }

    if !m.positives.is_empty() {
        let _ = writeln!(s, "\n## {}\n", l.positive_findings);
        for p in &m.positives {
            let _ = writeln!(s, "- {p}");
        }
    }
    let _ = writeln!(s, "\n---\n\n*{}*", l.scope_note);
    s
}
