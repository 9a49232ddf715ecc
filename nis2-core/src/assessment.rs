//! Findings and the graded assessment (the seed API's SCORE DATA OBJECT).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::catalog::{Article, CheckId, Grade, Priority, Severity};
use crate::evidence::Evidence;

/// Whether a check held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check held (for a bonus row: the bonus was earned).
    Pass,
    /// The check failed.
    Fail,
}

/// A judgement about one check, made by [`crate::evaluate`].
///
/// Deduction checks that ran appear as `pass` or `fail`; bonus rows appear
/// only when earned (as `pass`). Checks whose facts were not gathered do not
/// appear at all, and so count as not assessed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The check.
    pub check_id: CheckId,
    /// Pass or fail.
    pub status: Status,
    /// Severity of the tier it failed at (the first tier when passing).
    pub severity: Severity,
    /// Points deducted (0 when passing).
    pub penalty: u8,
    /// Bonus points earned (bonus rows only).
    pub bonus: u8,
    /// Grade cap in force while failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Grade>,
    /// The facts behind the judgement, in words.
    pub evidence: Evidence,
}

impl Finding {
    /// Whether the check failed.
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

/// Risk level of a vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RiskLevel {
    /// Grades A and B.
    Low,
    /// Grade C.
    Medium,
    /// Grade D, or any critical finding.
    High,
    /// Grade F.
    Critical,
}

impl RiskLevel {
    /// The seed API's wording (`Low`, `Medium`, `High`, `Critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }
}

/// A deduction from the score (`reason` and `penalty` are the seed's fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deduction {
    /// What failed, in words.
    pub reason: Cow<'static, str>,
    /// Points deducted.
    pub penalty: u8,
    /// The check.
    pub check_id: CheckId,
    /// Its severity.
    pub severity: Severity,
}

/// A bonus added to the score (`reason` and `bonus` are the seed's fields).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bonus {
    /// What earned it.
    pub reason: Cow<'static, str>,
    /// Points added (before the overall bonus cap).
    pub bonus: u8,
    /// The bonus row.
    pub check_id: CheckId,
}

/// A step of the remediation plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemediationStep {
    /// `Critical`, `High` or `Medium` (the seed's labels).
    pub priority: Priority,
    /// What to do.
    pub action: Cow<'static, str>,
    /// Days allowed from the assessment.
    pub deadline_days: u16,
    /// The failing check it fixes.
    pub check_id: CheckId,
    /// The check's severity.
    pub severity: Severity,
    /// The date it is due (assessment time plus the deadline).
    pub due: Timestamp,
}

/// Status of one Art. 21(2) point.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum MappingStatus {
    /// No check that speaks to the point ran.
    #[default]
    #[serde(rename = "not_assessed")]
    NotAssessed,
    /// Every check that speaks to it passed.
    #[serde(rename = "compliant")]
    Compliant,
    /// A medium or low check failed.
    #[serde(rename = "partial")]
    Partial,
    /// A critical or high check failed.
    #[serde(rename = "non-compliant")]
    NonCompliant,
}

impl MappingStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAssessed => "not_assessed",
            Self::Compliant => "compliant",
            Self::Partial => "partial",
            Self::NonCompliant => "non-compliant",
        }
    }
}

/// The status of all ten Art. 21(2) points (the seed lists six; all ten are given).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Nis2Mapping {
    pub article_21_2a: MappingStatus,
    pub article_21_2b: MappingStatus,
    pub article_21_2c: MappingStatus,
    pub article_21_2d: MappingStatus,
    pub article_21_2e: MappingStatus,
    pub article_21_2f: MappingStatus,
    pub article_21_2g: MappingStatus,
    pub article_21_2h: MappingStatus,
    pub article_21_2i: MappingStatus,
    pub article_21_2j: MappingStatus,
}

impl Nis2Mapping {
    /// The status of one point.
    pub fn get(&self, a: Article) -> MappingStatus {
        match a {
            Article::A => self.article_21_2a,
            Article::B => self.article_21_2b,
            Article::C => self.article_21_2c,
            Article::D => self.article_21_2d,
            Article::E => self.article_21_2e,
            Article::F => self.article_21_2f,
            Article::G => self.article_21_2g,
            Article::H => self.article_21_2h,
            Article::I => self.article_21_2i,
            Article::J => self.article_21_2j,
        }
    }

    /// Sets the status of one point.
    pub fn set(&mut self, a: Article, s: MappingStatus) {
        let slot = match a {
            Article::A => &mut self.article_21_2a,
            Article::B => &mut self.article_21_2b,
            Article::C => &mut self.article_21_2c,
            Article::D => &mut self.article_21_2d,
            Article::E => &mut self.article_21_2e,
            Article::F => &mut self.article_21_2f,
            Article::G => &mut self.article_21_2g,
            Article::H => &mut self.article_21_2h,
            Article::I => &mut self.article_21_2i,
            Article::J => &mut self.article_21_2j,
        };
        *slot = s;
    }

    /// All ten points with their status, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Article, MappingStatus)> + '_ {
        Article::ALL.into_iter().map(|a| (a, self.get(a)))
    }
}

/// A graded assessment: the seed's SCORE DATA OBJECT plus documented additions
/// (`method`, `assessed_at`, `findings`, and check ids, severities and due dates
/// inside the lists).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    /// 0–100.
    pub score: u8,
    /// A–F, after caps.
    pub grade: Grade,
    /// Low, Medium, High or Critical.
    pub risk_level: RiskLevel,
    /// One per failing check, largest first.
    pub deductions: Vec<Deduction>,
    /// One per earned bonus.
    pub bonuses: Vec<Bonus>,
    /// Art. 21(2) points.
    pub nis2_mapping: Nis2Mapping,
    /// Reasons of the critical and high findings.
    pub critical_risks: Vec<Cow<'static, str>>,
    /// Passing checks worth telling a customer.
    pub positive_findings: Vec<Cow<'static, str>>,
    /// One step per failing check, most severe first.
    pub remediation_steps: Vec<RemediationStep>,
    /// For a security reader.
    pub technical_summary: String,
    /// For a board or purchasing reader.
    pub executive_summary: String,
    /// Scoring method version, `nis2-score/1`.
    pub method: Cow<'static, str>,
    /// When the assessment was made.
    pub assessed_at: Timestamp,
    /// Every finding, passing and failing, with its evidence.
    pub findings: Vec<Finding>,
}

impl Assessment {
    /// The failing findings.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.failed())
    }
}
