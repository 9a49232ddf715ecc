//! The per-scan report as a self-contained, printable HTML page.

use std::fmt::Write as _;

use crate::i18n::Lang;

use super::{ReportInput, escape_xml as e, model};

/// Fill colour of a severity, risk or status key.
pub(crate) fn colour(key: &str) -> &'static str {
    match key {
        "critical" | "Critical" | "non-compliant" | "fail" | "F" => "#b3261e",
        "high" | "High" | "D" => "#e8710a",
        "medium" | "Medium" | "partial" | "C" => "#d4a100",
        "low" | "Low" | "B" => "#5f8dd3",
        "compliant" | "pass" | "A" => "#1e8e3e",
        _ => "#80868b",
    }
}

/// One bar of a horizontal bar chart.
pub(crate) struct ChartBar<'a> {
    pub(crate) label: &'a str,
    pub(crate) value: u32,
    pub(crate) text: &'a str,
    pub(crate) colour: &'static str,
}

/// An inline SVG horizontal bar chart; mirrored for right-to-left pages,
/// where every text says `direction="rtl"` (so `text-anchor="start"` is its
/// right end).
pub(crate) fn svg_bars(bars: &[ChartBar<'_>], rtl: bool, title: &str) -> String {
    const W: u32 = 680;
    const LABEL: u32 = 300;
    const ROW: u32 = 24;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(1).max(1);
    let height = ROW * u32::try_from(bars.len()).unwrap_or(0) + 8;
    let span = W - LABEL - 50;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"100%\" viewBox=\"0 0 {W} {height}\" aria-label=\"{}\">",
        e(title)
    );
    let _ = write!(s, "<title>{}</title>", e(title));
    for (i, b) in bars.iter().enumerate() {
        let y = ROW * u32::try_from(i).unwrap_or(0) + 4;
        let w = (b.value * span / max).max(2);
        let (label_x, anchor, bar_x, value_x, value_anchor) = if rtl {
            (W - 4, "start", W - LABEL - w, W - LABEL - w - 6, "start")
        } else {
            (4, "start", LABEL, LABEL + w + 6, "start")
        };
        let label: String = if b.label.chars().count() > 44 {
            let mut t: String = b.label.chars().take(43).collect();
            t.push('…');
            t
        } else {
            b.label.to_owned()
        };
        let _ = write!(
            s,
            "<text x=\"{label_x}\" y=\"{}\" font-size=\"12\" text-anchor=\"{anchor}\"{}>{}</text><rect x=\"{bar_x}\" y=\"{y}\" width=\"{w}\" height=\"{}\" rx=\"2\" fill=\"{}\"/><text x=\"{value_x}\" y=\"{}\" font-size=\"12\" text-anchor=\"{value_anchor}\"{}>{}</text>",
            y + 15,
            if rtl { " direction=\"rtl\"" } else { "" },
            e(&label),
            ROW - 6,
            b.colour,
            y + 15,
            if rtl { " direction=\"rtl\"" } else { "" },
            e(b.text)
        );
    }
    s.push_str("</svg>");
    s
}

pub(crate) const CSS: &str = "*{box-sizing:border-box}\
body{font-family:'Noto Sans','Noto Sans Arabic','DejaVu Sans',Arial,sans-serif;color:#1f1f1f;margin:0;background:#fff;font-size:14px;line-height:1.45}\
main{max-width:60rem;margin:0 auto;padding:1.5rem}\
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:1.8rem 0 .6rem;border-bottom:2px solid #e0e0e0;padding-bottom:.2rem}\
.head{display:flex;gap:1.5rem;align-items:center;flex-wrap:wrap}\
.grade{font-size:3rem;font-weight:700;color:#fff;width:5rem;height:5rem;border-radius:.6rem;display:flex;align-items:center;justify-content:center}\
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:0}.facts dt{font-weight:600}.facts dd{margin:0}\
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:start;vertical-align:top}\
th{background:#f3f3f3}td.num{text-align:end;white-space:nowrap}\
.pill{display:inline-block;padding:0 .45rem;border-radius:.7rem;color:#fff;font-size:.8rem;white-space:nowrap}\
code,.ev{font-family:'DejaVu Sans Mono',monospace;font-size:.78rem;word-break:break-word;unicode-bidi:plaintext}\
tr.fail td:first-child{border-inline-start:4px solid #b3261e}\
.note{color:#555;font-size:.85rem;border-top:1px solid #ccc;margin-top:2rem;padding-top:.5rem}\
@page{size:A4;margin:15mm}@media print{main{max-width:none;padding:0}h2{break-after:avoid}tr{break-inside:avoid}}";

/// Renders the per-scan report as one HTML page: inline CSS, an inline SVG
/// chart of the deductions, no external resources; `dir="rtl"` for Arabic.
pub fn html(input: &ReportInput<'_>, lang: Lang) -> String {
    let m = model(input, lang);
    let l = m.labels;
    let rtl = m.dir == "rtl";
    let mut s = String::with_capacity(32 * 1024);
    let title = format!("{}: {}", l.report_title, m.vendor);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        m.lang,
        m.dir,
        e(&title)
    );
    let _ = write!(
        s,
        "<header class=\"head\"><div class=\"grade\" style=\"background:{}\" aria-label=\"{}\">{}</div><div><h1>{}</h1><dl class=\"facts\">",
        colour(m.grade),
        e(l.grade),
        m.grade,
        e(&title)
    );
    for (k, v) in [
        (l.domain, m.domain.as_str()),
        (l.score, m.score.as_str()),
        (l.grade, m.grade),
        (l.risk_level, m.risk),
        (l.assessed_at, m.assessed.as_str()),
        (l.generated_at, m.generated.as_str()),
        (l.method, m.method.as_str()),
    ] {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", e(k), e(v));
    }
    s.push_str("</dl></div></header>\n");

    let _ = writeln!(
        s,
        "<section><h2>{}</h2><p>{}</p></section>",
        e(l.executive_summary),
        e(&m.executive)
    );
    let _ = writeln!(
        s,
        "<section><h2>{}</h2><p>{}</p></section>",
        e(l.technical_summary),
        e(&m.technical)
    );

    let _ = write!(s, "<section><h2>{}</h2>", e(l.deductions_chart));
    if m.chart.is_empty() {
        let _ = write!(s, "<p>{}</p>", e(l.no_failures));
    } else {
        let bars: Vec<ChartBar<'_>> = m
            .chart
            .iter()
            .map(|b| ChartBar {
                label: b.label,
                value: u32::from(b.penalty),
                text: &b.penalty_text,
                colour: colour(b.severity_key),
            })
            .collect();
        s.push_str(&svg_bars(&bars, rtl, l.deductions_chart));
    }
    s.push_str("</section>\n");

    let _ = write!(
        s,
        "<section><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        e(l.nis2_table),
        e(l.point),
        e(l.subject),
        e(l.status)
    );
    for r in &m.mapping {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td><span class=\"pill\" style=\"background:{}\">{}</span></td></tr>",
            e(&r.point),
            e(r.subject),
            colour(r.status_key),
            e(r.status)
        );
    }
    s.push_str("</tbody></table></section>\n");

    let _ = write!(
        s,
        "<section><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        e(l.findings),
        e(l.check),
        e(l.result),
        e(l.severity),
        e(l.penalty),
        e(l.evidence)
    );
    for f in &m.findings {
        let _ = write!(
            s,
            "<tr class=\"{}\"><td>{}<br><code>{}</code></td><td><span class=\"pill\" style=\"background:{}\">{}</span></td><td>{}</td><td class=\"num\">{}</td><td class=\"ev\">{}</td></tr>",
            f.outcome_key,
            e(if f.outcome_key == "fail" {
                f.failure
            } else {
                f.title
            }),
            f.id,
            colour(f.outcome_key),
            e(f.outcome),
            e(f.severity),
            e(&f.penalty),
            e(&f.evidence)
        );
    }
    s.push_str("</tbody></table>");
    if !m.not_assessed.is_empty() {
        let _ = write!(
            s,
            "<p><strong>{}:</strong> {}</p>",
            e(l.not_assessed_checks),
            e(&m.not_assessed.join(lang.texts().list_separator))
        );
    }
    s.push_str("</section>\n");

    let _ = write!(s, "<section><h2>{}</h2>", e(l.remediation_plan));
    if m.plan.is_empty() {
        let _ = write!(s, "<p>{}</p>", e(l.no_failures));
    } else {
        let _ = write!(
            s,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            e(l.priority),
            e(l.check),
            e(l.action),
            e(l.deadline),
            e(l.due)
        );
        for p in &m.plan {
            let _ = write!(
                s,
                "<tr><td><span class=\"pill\" style=\"background:{}\">{}</span></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\"><time datetime=\"{}\">{}</time></td></tr>",
                colour(p.priority_key),
                e(p.priority),
                e(p.title),
                e(p.action),
                e(&p.days),
                p.due_iso,
                e(&p.due)
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str("</section>\n");

    if !m.bonuses.is_empty() {
        let _ = write!(
            s,
            "<section><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            e(l.bonuses),
            e(l.check),
            e(l.points),
            e(l.evidence)
        );
        for b in &m.bonuses {
            let _ = write!(
                s,
                "<tr><td>{}<br><code>{}</code></td><td class=\"num\">{}</td><td class=\"ev\">{}</td></tr>",
                e(b.label),
                b.id,
                e(&b.points),
                e(&b.evidence)
            );
        }
        s.push_str("</tbody></table></section>\n");
    }

    if !m.positives.is_empty() {
        let _ = write!(s, "<section><h2>{}</h2><ul>", e(l.positive_findings));
        for p in &m.positives {
            let _ = write!(s, "<li>{}</li>", e(p));
        }
        s.push_str("</ul></section>\n");
    }
    let _ = writeln!(
        s,
        "<p class=\"note\">{}</p>\n</main>\n</body>\n</html>",
        e(l.scope_note)
    );
    s
}
