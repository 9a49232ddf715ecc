//! Output of graded vendors. Per-vendor reports come from
//! `nis2_core::report`; this module only formats what the library does not
//! (the table, JSON lines) and joins several vendors into one document.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use nis2_core::i18n::Lang;
use nis2_core::report::{self, ReportInput, VendorRef};
use nis2_core::{Assessment, Grade, Timestamp};

use crate::cli::ScanFormat;

/// One vendor's result.
#[derive(Debug)]
pub(crate) enum Row {
    /// Scanned and graded.
    Graded {
        /// The domain as given.
        domain: String,
        /// Its assessment.
        assessment: Box<Assessment>,
    },
    /// Could not be scanned.
    Failed {
        /// The domain as given.
        domain: String,
        /// Why, in one line.
        error: String,
    },
}

impl Row {
    pub(crate) fn domain(&self) -> &str {
        match self {
            Row::Graded { domain, .. } | Row::Failed { domain, .. } => domain,
        }
    }
}

/// Writes bytes to stdout (locked); a closed pipe surfaces as `BrokenPipe`.
pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// Writes to a file, or stdout without one.
pub(crate) fn write_to(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        None => write_stdout(bytes),
        Some(p) if p.as_os_str() == "-" => write_stdout(bytes),
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display())),
    }
}

/// Parses a `--lang` value.
pub(crate) fn lang(code: &str) -> anyhow::Result<Lang> {
    Lang::parse(code).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Parses a `--fail-under` value.
pub(crate) fn grade(s: &str) -> anyhow::Result<Grade> {
    s.parse::<Grade>()
        .map_err(|_| anyhow::anyhow!("unknown grade `{s}` for --fail-under; use A, B, C, D or F"))
}

/// Renders every row in one format.
pub(crate) fn render(
    rows: &[Row],
    format: ScanFormat,
    lang: Lang,
    now: Timestamp,
    color: bool,
) -> anyhow::Result<Vec<u8>> {
    let mut out = String::new();
    match format {
        ScanFormat::Table => out = table(rows, lang, color),
        ScanFormat::Json | ScanFormat::Jsonl => {
            let mut docs = Vec::with_capacity(rows.len());
            for row in rows {
                docs.push(match row {
                    Row::Graded { domain, assessment } => {
                        let i = ReportInput::new(assessment, VendorRef::new(domain), now);
                        let text = report::json(&i, lang)?;
                        serde_json::from_str::<serde_json::Value>(&text)?
                    }
                    Row::Failed { domain, error } => {
                        serde_json::json!({ "domain": domain, "error": error })
                    }
                });
            }
            if format == ScanFormat::Json {
                out = serde_json::to_string_pretty(&docs)?;
                out.push('\n');
            } else {
                for d in docs {
                    out.push_str(&serde_json::to_string(&d)?);
                    out.push('\n');
                }
            }
        }
        ScanFormat::Csv => {
            out.push_str("domain,");
            out.push_str(&report::CSV_HEADER.join(","));
            out.push('\n');
            for row in rows {
                if let Row::Graded { domain, assessment } = row {
                    let i = ReportInput::new(assessment, VendorRef::new(domain), now);
                    let csv = report::csv(&i, lang);
                    for record in csv_records(&csv).into_iter().skip(1) {
                        out.push_str(&csv_field(domain));
                        out.push(',');
                        out.push_str(record.trim_end_matches('\r'));
                        out.push('\n');
                    }
                }
            }
        }
        ScanFormat::Sarif => {
            let mut runs = Vec::new();
            let mut doc = serde_json::Value::Null;
            for row in rows {
                if let Row::Graded { domain, assessment } = row {
                    let i = ReportInput::new(assessment, VendorRef::new(domain), now);
                    let mut one: serde_json::Value =
                        serde_json::from_str(&report::sarif(&i, lang)?)?;
                    if let Some(r) = one.get_mut("runs").and_then(|r| r.as_array_mut()) {
                        runs.append(r);
                    }
                    if doc.is_null() {
                        doc = one;
                    }
                }
            }
            if doc.is_null() {
                doc = serde_json::json!({
                    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
                    "version": report::SARIF_VERSION,
                });
            }
            doc["runs"] = serde_json::Value::Array(runs);
            out = serde_json::to_string_pretty(&doc)?;
            out.push('\n');
        }
        ScanFormat::Junit => {
            let (mut tests, mut failures, mut errors) = (0usize, 0usize, 0usize);
            let mut body = String::new();
            for row in rows {
                match row {
                    Row::Graded { domain, assessment } => {
                        let i = ReportInput::new(assessment, VendorRef::new(domain), now);
                        let xml = report::junit(&i, lang);
                        let (t, f, e, inner) = junit_inner(&xml);
                        tests += t;
                        failures += f;
                        errors += e;
                        body.push_str(inner);
                    }
                    Row::Failed { domain, error } => {
                        tests += 1;
                        errors += 1;
                        let d = xml_escape(domain);
                        let _ = writeln!(
                            body,
                            "  <testsuite name=\"nis2.scan\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" hostname=\"{d}\">\n    <testcase name=\"scan\" classname=\"{d}\">\n      <error message=\"{}\"/>\n    </testcase>\n  </testsuite>",
                            xml_escape(error)
                        );
                    }
                }
            }
            let _ = writeln!(
                out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"nis2\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
            );
            out.push_str(&body);
            out.push_str("</testsuites>\n");
        }
        ScanFormat::Markdown => {
            for (n, row) in rows.iter().enumerate() {
                if n > 0 {
                    out.push_str("\n---\n\n");
                }
                match row {
                    Row::Graded { domain, assessment } => {
                        let i = ReportInput::new(assessment, VendorRef::new(domain), now);
                        out.push_str(&report::markdown(&i, lang));
                    }
                    Row::Failed { domain, error } => {
                        let _ = writeln!(out, "# {domain}\n\nNot scanned: {error}");
                    }
                }
            }
        }
    }
    Ok(out.into_bytes())
}

/// Splits CSV text into records, keeping quoted newlines inside a record.
fn csv_records(text: &str) -> Vec<&str> {
    let mut records = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                records.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < text.len() {
        records.push(&text[start..]);
    }
    records
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The counts and the `<testsuite>` elements of one JUnit document.
fn junit_inner(xml: &str) -> (usize, usize, usize, &str) {
    let attr = |tag: &str, name: &str| -> usize {
        let key = format!(" {name}=\"");
        tag.find(&key)
            .and_then(|at| {
                let rest = &tag[at + key.len()..];
                rest.find('"').and_then(|end| rest[..end].parse().ok())
            })
            .unwrap_or(0)
    };
    let Some(open) = xml.find("<testsuites") else {
        return (0, 0, 0, "");
    };
    let Some(open_end) = xml[open..].find('>').map(|e| open + e + 1) else {
        return (0, 0, 0, "");
    };
    let tag = &xml[open..open_end];
    let close = xml.rfind("</testsuites>").unwrap_or(xml.len());
    let inner = xml[open_end..close].trim_start_matches(['\r', '\n']);
    (
        attr(tag, "tests"),
        attr(tag, "failures"),
        attr(tag, "errors"),
        inner,
    )
}

/// The worst grade first in colour: A green … F red.
pub(crate) fn paint_grade(g: Grade, color: bool) -> String {
    let s = format!("{g:?}");
    if !color {
        return s;
    }
    let code = match g {
        Grade::A => "32",
        Grade::B => "92",
        Grade::C => "33",
        Grade::D => "91",
        Grade::F => "31;1",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// One line per vendor: domain, grade, score, risk, failed checks, the worst finding.
pub(crate) fn table(rows: &[Row], lang: Lang, color: bool) -> String {
    let t = lang.texts();
    let width = rows
        .iter()
        .map(|r| r.domain().chars().count())
        .max()
        .unwrap_or(0)
        .max("DOMAIN".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  GRADE  SCORE  RISK      FAILED  WORST FINDING",
        "DOMAIN"
    );
    for row in rows {
        match row {
            Row::Graded { domain, assessment } => {
                let failing: Vec<_> = assessment.failing().collect();
                let worst = failing
                    .iter()
                    .min_by_key(|f| (f.severity, std::cmp::Reverse(f.penalty)))
                    .map(|f| t.check(f.check_id).failure)
                    .unwrap_or("-");
                let grade = paint_grade(assessment.grade, color);
                // Pad by the visible width (escape codes take none).
                let pad = 5usize.saturating_sub(format!("{:?}", assessment.grade).len());
                let _ = writeln!(
                    out,
                    "{domain:<width$}  {grade}{:pad$}  {:>5}  {:<8}  {:>6}  {worst}",
                    "",
                    assessment.score,
                    format!("{:?}", assessment.risk_level),
                    failing.len(),
                );
            }
            Row::Failed { domain, error } => {
                let _ = writeln!(
                    out,
                    "{domain:<width$}  -          -  -              -  not scanned: {error}"
                );
            }
        }
    }
    out
}
