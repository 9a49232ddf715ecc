//! Languages and translated texts for letters, summaries and reports.
//!
//! One table of data per language ([`Texts`]), in `i18n/<code>.rs`: every
//! check's title, failure wording, remediation action and positive wording,
//! the Art. 21(2) point subjects, labels, the letter frame and the summary
//! sentences. Templates hold named placeholders such as `{vendor}`, filled by
//! [`fill`]. A unit test holds every language to the English keys and
//! placeholders, and flags any string left in English.
//!
//! Arabic is written right to left and shows numbers with Arabic-Indic digits
//! (٠١٢٣٤٥٦٧٨٩) where a reader expects them ([`Lang::number`], [`Lang::date`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;
use crate::assessment::{MappingStatus, RiskLevel};
use crate::catalog::{Article, CheckId, Severity};

mod ar;
mod de;
mod en;
mod es;
mod fr;
mod it;
mod nl;
mod pl;
mod pt;

/// A language reports and letters can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    /// English.
    En,
    /// German (formal register, "Sie").
    De,
    /// French (formal register, "vous").
    Fr,
    /// Spanish (formal register, "usted").
    Es,
    /// Arabic (Modern Standard Arabic, right to left).
    Ar,
    /// Italian (formal register, "Lei").
    It,
    /// Dutch (formal register, "u").
    Nl,
    /// Polish (formal register, "Państwo").
    Pl,
    /// Portuguese (formal register).
    Pt,
}

/// Writing direction of a language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

impl Direction {
    /// `ltr` or `rtl` (the HTML `dir` attribute).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

/// A language code that is not supported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported language `{code}`; supported languages: {}",
    Lang::supported_codes()
)]
pub struct UnsupportedLanguage {
    /// The code asked for (truncated).
    pub code: String,
}

impl Lang {
    /// Every supported language; the seed API's five first.
    pub const ALL: [Lang; 9] = [
        Lang::En,
        Lang::De,
        Lang::Fr,
        Lang::Es,
        Lang::Ar,
        Lang::It,
        Lang::Nl,
        Lang::Pl,
        Lang::Pt,
    ];

    /// The ISO 639-1 code, e.g. `de`.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::Ar => "ar",
            Self::It => "it",
            Self::Nl => "nl",
            Self::Pl => "pl",
            Self::Pt => "pt",
        }
    }

    /// The supported codes, comma separated (`en, de, fr, …`).
    pub fn supported_codes() -> String {
        Lang::ALL
            .iter()
            .map(|l| l.code())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parses a code: `de`, `DE`, `de-AT` and `de_AT` all give German.
    pub fn parse(code: &str) -> Result<Lang, UnsupportedLanguage> {
        let trimmed = code.trim();
        let primary = trimmed
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == primary)
            .ok_or_else(|| UnsupportedLanguage {
                code: trimmed.chars().take(16).collect(),
            })
    }

    /// Writing direction.
    pub fn direction(self) -> Direction {
        match self {
            Self::Ar => Direction::Rtl,
            _ => Direction::Ltr,
        }
    }

    /// This language's texts.
    pub fn texts(self) -> &'static Texts {
        match self {
            Self::En => &en::TEXTS,
            Self::De => &de::TEXTS,
            Self::Fr => &fr::TEXTS,
            Self::Es => &es::TEXTS,
            Self::Ar => &ar::TEXTS,
            Self::It => &it::TEXTS,
            Self::Nl => &nl::TEXTS,
            Self::Pl => &pl::TEXTS,
            Self::Pt => &pt::TEXTS,
        }
    }

    /// Writes the ASCII digits of `s` in this language's digits (Arabic-Indic
    /// for Arabic; unchanged otherwise).
    pub fn digits(self, s: &str) -> String {
        match self {
            Self::Ar => s
                .chars()
                .map(|c| match c {
                    '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c),
                    c => c,
                })
                .collect(),
            _ => s.to_owned(),
        }
    }

    /// A whole number in this language's digits.
    pub fn number(self, n: impl Into<i64>) -> String {
        self.digits(&n.into().to_string())
    }

    /// The value of a `{days}` placeholder: the number, and in Arabic also
    /// the noun, whose form depends on the number (يومان, ٧ أيام, ١٤ يومًا).
    pub fn days(self, n: impl Into<i64>) -> String {
        let n = n.into();
        match self {
            Self::Ar => match n {
                1 => "يوم واحد".to_owned(),
                2 => "يومان".to_owned(),
                3..=10 => format!("{} أيام", self.number(n)),
                _ => format!("{} يومًا", self.number(n)),
            },
            _ => self.number(n),
        }
    }

    /// A date as a reader of this language expects it, e.g. `27 June 2026`,
    /// `27. Juni 2026`, `٢٧ يونيو ٢٠٢٦`.
    pub fn date(self, t: Timestamp) -> String {
        let d = t.date();
        let texts = self.texts();
        let month = texts.months[usize::from(u8::from(d.month())) - 1];
        fill(
            texts.date_format,
            &[
                ("d", &self.number(d.day())),
                ("month", month),
                ("y", &self.number(d.year())),
            ],
        )
    }

    /// The letter of an Art. 21(2) point as this language cites it: `(d)`,
    /// or `(د)` in Arabic (abjad order, as Arabic legal texts number points).
    pub fn point(self, a: Article) -> String {
        match self {
            Self::Ar => {
                const ABJAD: [&str; 10] = ["أ", "ب", "ج", "د", "هـ", "و", "ز", "ح", "ط", "ي"];
                format!("({})", ABJAD[a as usize])
            }
            _ => format!("({})", a.letter()),
        }
    }

    /// A list joined with this language's separator.
    pub fn list(self, items: &[String]) -> String {
        if items.is_empty() {
            return self.texts().labels.none.to_owned();
        }
        items.join(self.texts().list_separator)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = UnsupportedLanguage;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lang::parse(s)
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Lang::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Replaces each `{name}` in `template` with its value. Unknown names are
/// left as they are, so a missing value is visible rather than silent.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The translated texts of one check (empty strings where the English
/// catalog has none, e.g. the failure wording of a bonus row).
#[derive(Debug)]
pub struct CheckText {
    /// The check (tables are in [`CheckId`] order; a test holds them to it).
    pub id: CheckId,
    /// Neutral title.
    pub title: &'static str,
    /// Wording when it fails.
    pub failure: &'static str,
    /// What the vendor should do.
    pub remediation: &'static str,
    /// How a pass is told to a customer (empty when not told).
    pub positive: &'static str,
}

const fn c(
    id: CheckId,
    title: &'static str,
    failure: &'static str,
    remediation: &'static str,
    positive: &'static str,
) -> CheckText {
    CheckText {
        id,
        title,
        failure,
        remediation,
        positive,
    }
}

macro_rules! text_struct {
    ($(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $field:ident, )* }) => {
        $(#[$m])*
        #[derive(Debug, Serialize)]
        pub struct $name {
            $( $(#[$fm])* pub $field: &'static str, )*
        }

        impl $name {
            #[cfg_attr(not(test), allow(dead_code))]
            fn entries(&self, prefix: &str, out: &mut Vec<(String, &'static str)>) {
                $( out.push((format!("{prefix}.{}", stringify!($field)), self.$field)); )*
            }
        }
    };
}

text_struct! {
    /// Headings and labels of reports.
    Labels {
        /// Title of a per-vendor report.
        report_title,
        /// Title of a portfolio report.
        portfolio_title,
        /// "Vendor".
        vendor,
        /// "Domain".
        domain,
        /// "Score".
        score,
        /// "Grade".
        grade,
        /// "Risk level".
        risk_level,
        /// "Assessed on".
        assessed_at,
        /// "Generated on".
        generated_at,
        /// "Scoring method".
        method,
        /// "Executive summary".
        executive_summary,
        /// "Technical summary".
        technical_summary,
        /// Heading of the deductions chart.
        deductions_chart,
        /// "Points" (chart axis).
        points,
        /// Heading of the Art. 21(2) table.
        nis2_table,
        /// "Point" (of Art. 21(2)).
        point,
        /// "Subject".
        subject,
        /// "Status".
        status,
        /// "Findings".
        findings,
        /// "Check".
        check,
        /// "Severity".
        severity,
        /// "Result".
        result,
        /// "Evidence".
        evidence,
        /// "Penalty".
        penalty,
        /// "Remediation plan".
        remediation_plan,
        /// "Priority".
        priority,
        /// "Action".
        action,
        /// "Deadline".
        deadline,
        /// "{days} days".
        days,
        /// "Due by".
        due,
        /// "Positive findings".
        positive_findings,
        /// "Critical risks".
        critical_risks,
        /// "Bonuses".
        bonuses,
        /// Said when no check failed.
        no_failures,
        /// "Not assessed" heading for checks whose facts were not gathered.
        not_assessed_checks,
        /// Heading of the table of the checks that passed.
        passed_checks,
        /// What the rating is and is not (Art. 21(2)(d), 21(3)).
        scope_note,
        /// "none".
        none,
        /// "Page".
        page,
        /// "Vendors".
        vendors,
        /// "Grade distribution".
        grade_distribution,
        /// "Vendors with the lowest scores".
        worst_vendors,
        /// "Overdue remediation".
        overdue,
        /// "Average score".
        average_score,
        /// "Days overdue".
        days_overdue,
        /// "Last scanned".
        last_scanned,
        /// "Not scanned yet".
        not_scanned,
        /// "Number of vendors".
        vendor_count,
        /// Positive finding when no risky service is exposed.
        no_exposure,
    }
}

text_struct! {
    /// The frame of a remediation letter.
    LetterTexts {
        /// Subject line; `{domain}`.
        subject,
        /// Salutation.
        salutation,
        /// Opening; `{org}`, `{date}`, `{domain}`, `{score}`, `{grade}`, `{risk}`.
        intro,
        /// The customer's duty (NIS2 Art. 21(2)(d), 21(3)); `{org}`.
        duty,
        /// Before the list of findings (Art. 21(4)).
        findings_intro,
        /// "Evidence".
        evidence,
        /// "Action required".
        action,
        /// Deadline of one item; `{date}`, `{days}`.
        deadline,
        /// Said instead of the list when nothing failed.
        no_findings,
        /// The request for a written confirmation and completion dates; `{date}`.
        request,
        /// Offer of further contact.
        closing,
        /// Complimentary close.
        regards,
        /// Footnote naming the method; `{method}`, `{date}`.
        method_note,
    }
}

text_struct! {
    /// Sentences of the executive and technical summaries.
    SummaryTexts {
        /// `{vendor}`, `{score}`, `{grade}`, `{risk}`.
        exec_rating,
        /// `{failing}`, `{assessed}`, `{critical}`, `{high}`, `{medium}`, `{low}`.
        exec_failing,
        /// `{assessed}`.
        exec_all_pass,
        /// `{finding}`, `{date}`.
        exec_urgent,
        /// `{status}`.
        exec_supply,
        /// What an outside scan cannot see.
        exec_scope,
        /// `{assessed}`, `{passed}`, `{failed}`, `{not_assessed}`, `{penalty}`, `{bonus}`.
        tech_counts,
        /// `{list}`.
        tech_failing,
        /// `{list}`.
        tech_positive,
        /// `{noncompliant}`, `{partial}`, `{compliant}`, `{not_assessed}`.
        tech_mapping,
        /// `{method}`.
        tech_method,
    }
}

/// Every text of one language.
#[derive(Debug)]
pub struct Texts {
    /// The language.
    pub lang: Lang,
    /// One entry per check, in [`CheckId`] order.
    pub checks: [CheckText; CheckId::ALL.len()],
    /// Subjects of Art. 21(2) points (a) to (j).
    pub articles: [&'static str; 10],
    /// Severity labels: critical, high, medium, low, info.
    pub severities: [&'static str; 5],
    /// Priority labels of remediation steps: Critical, High, Medium.
    pub priorities: [&'static str; 3],
    /// Risk levels: Low, Medium, High, Critical.
    pub risks: [&'static str; 4],
    /// Mapping statuses: not assessed, compliant, partial, non-compliant.
    pub mapping: [&'static str; 4],
    /// Outcomes of a check: passed, failed, not assessed.
    pub outcomes: [&'static str; 3],
    /// Month names as used in a date (genitive where the language needs it).
    pub months: [&'static str; 12],
    /// Date pattern with `{d}`, `{month}`, `{y}`.
    pub date_format: &'static str,
    /// Separator of a list in running text.
    pub list_separator: &'static str,
    /// Report labels.
    pub labels: Labels,
    /// Letter frame.
    pub letter: LetterTexts,
    /// Summary sentences.
    pub summary: SummaryTexts,
}

impl Texts {
    /// The texts of a check.
    pub fn check(&self, id: CheckId) -> &CheckText {
        &self.checks[id as usize]
    }

    /// The subject of an Art. 21(2) point.
    pub fn article(&self, a: Article) -> &'static str {
        self.articles[a as usize]
    }

    /// A severity label.
    pub fn severity(&self, s: Severity) -> &'static str {
        self.severities[s as usize]
    }

    /// The priority label of a remediation step of this severity (the seed's
    /// `Critical`, `High`, `Medium`, translated).
    pub fn priority(&self, s: Severity) -> &'static str {
        match s {
            Severity::Critical => self.priorities[0],
            Severity::High => self.priorities[1],
            _ => self.priorities[2],
        }
    }

    /// A risk level label.
    pub fn risk(&self, r: RiskLevel) -> &'static str {
        self.risks[r as usize]
    }

    /// A mapping status label.
    pub fn mapping_status(&self, m: MappingStatus) -> &'static str {
        self.mapping[m as usize]
    }

    /// Every string with a stable key, for the completeness test.
    #[cfg_attr(not(test), allow(dead_code))]
    fn entries(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for c in &self.checks {
            let id = c.id.as_str();
            out.push((format!("check.{id}.title"), c.title));
            out.push((format!("check.{id}.failure"), c.failure));
            out.push((format!("check.{id}.remediation"), c.remediation));
            out.push((format!("check.{id}.positive"), c.positive));
        }
        let arrays: [(&str, &[&'static str]); 7] = [
            ("article", &self.articles),
            ("severity", &self.severities),
            ("priority", &self.priorities),
            ("risk", &self.risks),
            ("mapping", &self.mapping),
            ("outcome", &self.outcomes),
            ("month", &self.months),
        ];
        for (name, items) in arrays {
            for (i, s) in items.iter().enumerate() {
                out.push((format!("{name}.{i}"), *s));
            }
        }
        out.push(("date_format".into(), self.date_format));
        out.push(("list_separator".into(), self.list_separator));
        self.labels.entries("labels", &mut out);
        self.letter.entries("letter", &mut out);
        self.summary.entries("summary", &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
