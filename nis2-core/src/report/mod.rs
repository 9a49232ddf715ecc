//! Reports and remediation letters, rendered from an [`Assessment`].
//!
//! Pure functions: an assessment (and who it is about) in, text or bytes
//! out. Adapters serve or write them.
//!
//! - [`letter`]: the remediation letter to a vendor (plain text, Markdown,
//!   HTML), citing the customer's duty under NIS2 Art. 21(2)(d) and 21(3).
//! - [`summaries`]: the executive and technical summaries in any [`Lang`].
//! - [`render`] (or [`html`], [`markdown`], [`json`], [`csv`], [`junit`],
//!   [`sarif`], and `pdf` with the `pdf` feature): the per-scan report.
//! - [`portfolio_html`] (and `portfolio_pdf`): all vendors of an account.
//!
//! Every human-readable string comes from [`crate::i18n`]; the evidence of
//! a finding is shown as the scanner recorded it (technical facts, English).
//!
//! ```
//! use nis2_core::i18n::Lang;
//! use nis2_core::report::{self, Format, ReportInput, VendorRef};
//! use nis2_core::{assess, evaluate, samples, History, Timestamp};
//!
//! let now = Timestamp::parse("2026-06-27T10:00:00Z")?;
//! let obs = samples::weak_vendor("weak.example", now);
//! let assessment = assess(&evaluate(&obs, now)?, &History::first_scan(now));
//! let input = ReportInput::new(&assessment, VendorRef::new("weak.example"), now);
//! let csv = report::render(&input, Lang::De, Format::Csv)?;
//! assert_eq!(csv.content_type, "text/csv; charset=utf-8");
//! assert!(String::from_utf8(csv.bytes).unwrap().contains("TLS 1.0 wird noch unterstützt"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;

use crate::Timestamp;
use crate::assessment::{Assessment, Finding, MappingStatus, Status};
use crate::catalog::{Article, CATALOG, CheckId, Severity};
use crate::i18n::{Lang, Texts, UnsupportedLanguage, fill};

mod html;
mod junit;
mod letter;
mod machine;
mod markdown;
#[cfg(feature = "pdf")]
mod pdf;
mod portfolio;
mod sarif;
mod summary;

pub use html::html;
pub use junit::junit;
pub use letter::{CONFIRMATION_DAYS, Letter, LetterInput, Sender, letter};
pub use machine::{CSV_HEADER, JSON_REPORT_VERSION, csv, json};
pub use markdown::markdown;
#[cfg(feature = "pdf")]
pub use pdf::{pdf, portfolio_pdf};
pub use portfolio::{
    OverdueItem, PortfolioInput, PortfolioVendor, WORST_VENDORS, overdue, portfolio_html,
};
pub use sarif::{SARIF_VERSION, sarif};
pub use summary::{Summaries, summaries};

/// The vendor a report or letter is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorRef<'a> {
    /// The vendor's domain.
    pub domain: &'a str,
    /// Its display name, if known.
    pub name: Option<&'a str>,
}

impl<'a> VendorRef<'a> {
    /// A vendor known by its domain only.
    pub fn new(domain: &'a str) -> Self {
        Self { domain, name: None }
    }

    /// A vendor with a display name.
    pub fn named(domain: &'a str, name: &'a str) -> Self {
        Self {
            domain,
            name: Some(name),
        }
    }

    /// The name to show: the display name, else the domain.
    pub fn display(&self) -> &'a str {
        match self.name {
            Some(n) if !n.trim().is_empty() => n,
            _ => self.domain,
        }
    }
}

/// What a per-scan report is made from.
#[derive(Clone, Copy, Debug)]
pub struct ReportInput<'a> {
    /// The graded scan.
    pub assessment: &'a Assessment,
    /// Who it is about.
    pub vendor: VendorRef<'a>,
    /// When the report is made (printed on it; core never reads the clock).
    pub generated_at: Timestamp,
}

impl<'a> ReportInput<'a> {
    /// A report input.
    pub fn new(assessment: &'a Assessment, vendor: VendorRef<'a>, generated_at: Timestamp) -> Self {
        Self {
            assessment,
            vendor,
            generated_at,
        }
    }
}

/// An output format of the per-scan report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Self-contained, printable HTML.
    Html,
    /// Markdown (CommonMark with pipe tables).
    Markdown,
    /// The assessment as JSON, with the localized summaries.
    Json,
    /// One row per finding (RFC 4180).
    Csv,
    /// JUnit XML: one test case per check.
    Junit,
    /// SARIF 2.1.0: one result per failing check.
    Sarif,
    /// PDF (needs the `pdf` feature).
    Pdf,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 7] = [
        Format::Html,
        Format::Markdown,
        Format::Json,
        Format::Csv,
        Format::Junit,
        Format::Sarif,
        Format::Pdf,
    ];

    /// The name used on command lines and in URLs (`html`, `md`, `json`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Junit => "junit",
            Self::Sarif => "sarif",
            Self::Pdf => "pdf",
        }
    }

    /// Parses a format name (`markdown` is accepted for `md`, `xml` for `junit`).
    pub fn parse(s: &str) -> Result<Format, ReportError> {
        let lower = s.trim().to_ascii_lowercase();
        let f = match lower.as_str() {
            "html" => Format::Html,
            "md" | "markdown" => Format::Markdown,
            "json" => Format::Json,
            "csv" => Format::Csv,
            "junit" | "xml" => Format::Junit,
            "sarif" => Format::Sarif,
            "pdf" => Format::Pdf,
            _ => {
                return Err(ReportError::UnknownFormat {
                    format: s.chars().take(16).collect(),
                });
            }
        };
        Ok(f)
    }

    /// The media type to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Json => "application/json",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Junit => "application/xml",
            Self::Sarif => "application/sarif+json",
            Self::Pdf => "application/pdf",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Html => "html",
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Junit => "xml",
            Self::Sarif => "sarif",
            Self::Pdf => "pdf",
        }
    }
}

/// A rendered report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The format.
    pub format: Format,
    /// Its media type.
    pub content_type: &'static str,
    /// The document.
    pub bytes: Vec<u8>,
}

/// Why a report could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The language is not supported.
    #[error(transparent)]
    UnsupportedLanguage(#[from] UnsupportedLanguage),
    /// The format name is not known.
    #[error(
        "unknown report format `{format}`; supported formats: html, md, json, csv, junit, sarif, pdf"
    )]
    UnknownFormat {
        /// The name asked for (truncated).
        format: String,
    },
    /// PDF was asked for but this build has no `pdf` feature.
    #[error("PDF reports are not available in this build (nis2-core feature `pdf`)")]
    PdfUnavailable,
    /// The PDF could not be typeset.
    #[error("PDF rendering failed: {reason}")]
    Pdf {
        /// The typesetter's message.
        reason: String,
    },
    /// A value could not be written as JSON (e.g. a date beyond year 9999).
    #[error("JSON rendering failed: {reason}")]
    Json {
        /// The serializer's message.
        reason: String,
    },
}

/// Renders the per-scan report in one format and language.
pub fn render(
    input: &ReportInput<'_>,
    lang: Lang,
    format: Format,
) -> Result<Rendered, ReportError> {
    let bytes = match format {
        Format::Html => html(input, lang).into_bytes(),
        Format::Markdown => markdown(input, lang).into_bytes(),
        Format::Json => json(input, lang)?.into_bytes(),
        Format::Csv => csv(input, lang).into_bytes(),
        Format::Junit => junit(input, lang).into_bytes(),
        Format::Sarif => sarif(input, lang)?.into_bytes(),
        #[cfg(feature = "pdf")]
        Format::Pdf => pdf(input, lang)?,
        #[cfg(not(feature = "pdf"))]
        Format::Pdf => return Err(ReportError::PdfUnavailable),
    };
    Ok(Rendered {
        format,
        content_type: format.content_type(),
        bytes,
    })
}

// ------------------------------------------------------------ shared model

/// Whether a catalog row is judged pass/fail (not a bonus).
fn is_scored(id: CheckId) -> bool {
    !id.is_bonus()
}

/// How a check came out in a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Outcome {
    Fail,
    Pass,
    NotAssessed,
}

impl Outcome {
    fn key(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Pass => "pass",
            Self::NotAssessed => "not_assessed",
        }
    }

    fn label(self, t: &Texts) -> &'static str {
        match self {
            Self::Pass => t.outcomes[0],
            Self::Fail => t.outcomes[1],
            Self::NotAssessed => t.outcomes[2],
        }
    }
}

/// The finding of a check in this assessment, if the check ran.
fn finding_of(a: &Assessment, id: CheckId) -> Option<&Finding> {
    // The worst occurrence wins, as in `assess`.
    a.findings
        .iter()
        .filter(|f| f.check_id == id)
        .max_by_key(|f| (f.failed(), f.penalty))
}

fn outcome_of(a: &Assessment, id: CheckId) -> Outcome {
    match finding_of(a, id) {
        Some(f) if f.status == Status::Fail => Outcome::Fail,
        Some(_) => Outcome::Pass,
        None => Outcome::NotAssessed,
    }
}

fn severity_key(s: Severity) -> &'static str {
    s.as_str()
}

fn mapping_key(m: MappingStatus) -> &'static str {
    m.as_str()
}

/// Counts over the scored checks (not bonuses, not indicators).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    assessed: usize,
    passed: usize,
    failed: usize,
    not_assessed: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
}

fn counts(a: &Assessment) -> Counts {
    let mut c = Counts::default();
    for row in CATALOG
        .iter()
        .filter(|r| is_scored(r.id) && !r.id.is_indicator())
    {
        match finding_of(a, row.id) {
            None => c.not_assessed += 1,
            Some(f) => {
                c.assessed += 1;
                if f.failed() {
                    c.failed += 1;
                    match f.severity {
                        Severity::Critical => c.critical += 1,
                        Severity::High => c.high += 1,
                        Severity::Medium => c.medium += 1,
                        Severity::Low => c.low += 1,
                        Severity::Info => {}
                    }
                } else {
                    c.passed += 1;
                }
            }
        }
    }
    c
}

/// The failing findings, most severe first (then the largest penalty, then
/// catalog order): the order of letters, plans and tables.
fn failing_sorted(a: &Assessment) -> Vec<&Finding> {
    let mut out: Vec<&Finding> = CATALOG
        .iter()
        .filter(|r| is_scored(r.id))
        .filter_map(|r| finding_of(a, r.id))
        .filter(|f| f.failed())
        .collect();
    out.sort_by(|x, y| {
        x.severity
            .cmp(&y.severity)
            .then(y.penalty.cmp(&x.penalty))
            .then(x.check_id.cmp(&y.check_id))
    });
    out
}

/// The passing checks worth telling, localized (the same rule as `assess`).
fn positives(a: &Assessment, lang: Lang) -> Vec<String> {
    let t = lang.texts();
    let passed = |id: CheckId| outcome_of(a, id) == Outcome::Pass;
    let mut out = Vec::new();
    for row in CATALOG {
        if !passed(row.id) {
            continue;
        }
        if row.id == CheckId::TlsNoTls13 && passed(CheckId::BonusModernTls) {
            continue;
        }
        let p = t.check(row.id).positive;
        if !p.is_empty() {
            out.push(p.to_owned());
        }
    }
    let exposure = [
        CheckId::ExposureRemoteAdmin,
        CheckId::ExposureFileShare,
        CheckId::ExposureDatabase,
    ];
    if exposure.iter().all(|id| passed(*id)) {
        out.push(t.labels.no_exposure.to_owned());
    }
    out
}

/// One remediation step, localized.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PlanRow {
    id: &'static str,
    priority: &'static str,
    priority_key: &'static str,
    title: &'static str,
    failure: &'static str,
    action: &'static str,
    days: String,
    due: String,
    due_iso: String,
}

fn plan(a: &Assessment, lang: Lang) -> Vec<PlanRow> {
    let t = lang.texts();
    a.remediation_steps
        .iter()
        .map(|s| {
            let c = t.check(s.check_id);
            PlanRow {
                id: s.check_id.as_str(),
                priority: t.priority(s.severity),
                priority_key: match s.severity {
                    Severity::Critical => "critical",
                    Severity::High => "high",
                    _ => "medium",
                },
                title: c.title,
                failure: c.failure,
                action: c.remediation,
                days: fill(t.labels.days, &[("days", &lang.days(s.deadline_days))]),
                due: lang.date(s.due),
                due_iso: s.due.date().to_string(),
            }
        })
        .collect()
}

/// One row of the findings table.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FindingRow {
    id: &'static str,
    title: &'static str,
    failure: &'static str,
    outcome: &'static str,
    outcome_key: &'static str,
    severity: &'static str,
    severity_key: &'static str,
    penalty: String,
    penalty_value: u8,
    evidence: String,
    articles: String,
}

/// One bar of the deductions chart.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Bar {
    label: &'static str,
    id: &'static str,
    penalty: u8,
    penalty_text: String,
    severity_key: &'static str,
}

/// One earned bonus.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct BonusRow {
    label: &'static str,
    id: &'static str,
    points: String,
    evidence: String,
}

/// One row of the Art. 21(2) table.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct MappingRow {
    point: String,
    key: &'static str,
    subject: &'static str,
    status: &'static str,
    status_key: &'static str,
}

/// Everything a per-scan report shows, localized; the HTML, Markdown and
/// PDF renderers lay it out, so they say the same thing.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Model {
    lang: &'static str,
    dir: &'static str,
    labels: &'static crate::i18n::Labels,
    vendor: String,
    domain: String,
    score: String,
    score_value: u8,
    grade: &'static str,
    risk: &'static str,
    risk_key: &'static str,
    assessed: String,
    generated: String,
    method: String,
    executive: String,
    technical: String,
    chart: Vec<Bar>,
    chart_max: u8,
    mapping: Vec<MappingRow>,
    findings: Vec<FindingRow>,
    not_assessed: Vec<&'static str>,
    plan: Vec<PlanRow>,
    positives: Vec<String>,
    bonuses: Vec<BonusRow>,
    critical_risks: Vec<&'static str>,
}

fn articles_text(lang: Lang, articles: &[Article]) -> String {
    let parts: Vec<String> = articles.iter().map(|a| lang.point(*a)).collect();
    parts.join(" ")
}

pub(crate) fn model(input: &ReportInput<'_>, lang: Lang) -> Model {
    let a = input.assessment;
    let t = lang.texts();
    let sums = summaries(a, input.vendor, lang);

    let chart: Vec<Bar> = a
        .deductions
        .iter()
        .map(|d| Bar {
            label: t.check(d.check_id).title,
            id: d.check_id.as_str(),
            penalty: d.penalty,
            penalty_text: lang.number(-i64::from(d.penalty)),
            severity_key: severity_key(d.severity),
        })
        .collect();
    let chart_max = chart.iter().map(|b| b.penalty).max().unwrap_or(0);
    let bonuses = a
        .bonuses
        .iter()
        .map(|b| BonusRow {
            label: t.check(b.check_id).positive,
            id: b.check_id.as_str(),
            points: format!("+{}", lang.number(b.bonus)),
            evidence: finding_of(a, b.check_id)
                .map(|f| f.evidence.to_string())
                .unwrap_or_default(),
        })
        .collect();

    let mapping = a
        .nis2_mapping
        .iter()
        .map(|(art, status)| MappingRow {
            point: lang.point(art),
            key: art.key(),
            subject: t.article(art),
            status: t.mapping_status(status),
            status_key: mapping_key(status),
        })
        .collect();

    let mut findings: Vec<FindingRow> = Vec::new();
    let row = |f: &Finding| {
        let c = t.check(f.check_id);
        let outcome = if f.failed() {
            Outcome::Fail
        } else {
            Outcome::Pass
        };
        FindingRow {
            id: f.check_id.as_str(),
            title: c.title,
            failure: c.failure,
            outcome: outcome.label(t),
            outcome_key: outcome.key(),
            severity: t.severity(f.severity),
            severity_key: severity_key(f.severity),
            penalty: if f.failed() && f.penalty > 0 {
                lang.number(-i64::from(f.penalty))
            } else {
                String::new()
            },
            penalty_value: if f.failed() { f.penalty } else { 0 },
            evidence: f.evidence.to_string(),
            articles: articles_text(lang, f.check_id.check().articles),
        }
    };
    for f in failing_sorted(a) {
        findings.push(row(f));
    }
    for r in CATALOG.iter().filter(|r| is_scored(r.id)) {
        if let Some(f) = finding_of(a, r.id).filter(|f| !f.failed()) {
            findings.push(row(f));
        }
    }
    let not_assessed = CATALOG
        .iter()
        .filter(|r| is_scored(r.id) && outcome_of(a, r.id) == Outcome::NotAssessed)
        .map(|r| t.check(r.id).title)
        .collect();
    let critical_risks = a
        .deductions
        .iter()
        .filter(|d| matches!(d.severity, Severity::Critical | Severity::High))
        .map(|d| t.check(d.check_id).failure)
        .collect();

    Model {
        lang: lang.code(),
        dir: lang.direction().as_str(),
        labels: &t.labels,
        vendor: input.vendor.display().to_owned(),
        domain: input.vendor.domain.to_owned(),
        score: format!("{}/{}", lang.number(a.score), lang.number(100)),
        score_value: a.score,
        grade: a.grade.as_str(),
        risk: t.risk(a.risk_level),
        risk_key: a.risk_level.as_str(),
        assessed: lang.date(a.assessed_at),
        generated: lang.date(input.generated_at),
        method: a.method.to_string(),
        executive: sums.executive,
        technical: sums.technical,
        chart,
        chart_max,
        mapping,
        findings,
        not_assessed,
        plan: plan(a, lang),
        positives: positives(a, lang),
        bonuses,
        critical_risks,
    }
}

/// Marks a left-to-right run (the scanner's evidence, in English) inside
/// right-to-left plain text or Markdown with a left-to-right mark on each
/// side, so its leading and trailing punctuation stays where it belongs
/// (`/.git/HEAD` would otherwise show as `git/HEAD/.`). Left-to-right
/// languages get the text unchanged.
pub(crate) fn ltr_run(lang: Lang, s: &str) -> String {
    match lang.direction() {
        crate::i18n::Direction::Rtl if !s.is_empty() => format!("\u{200E}{s}\u{200E}"),
        _ => s.to_owned(),
    }
}

/// Escapes text for HTML and XML content and attribute values.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
