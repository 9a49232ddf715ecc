//! Webhook events raised by a scan, exactly as the seed API sends them.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::assessment::{Assessment, RiskLevel};
use crate::catalog::{Grade, Severity};
use crate::ports::VendorId;

/// An event, serialized with its `event` name first (`scan_completed`,
/// `grade_changed`, `critical_alert`) and the seed's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A vendor scan finished.
    ScanCompleted {
        /// Vendor.
        vendor_id: VendorId,
        /// Its domain.
        domain: String,
        /// New score.
        score: u8,
        /// New grade.
        grade: Grade,
        /// New risk level.
        risk_level: RiskLevel,
        /// Link to the PDF report, when the server knows one.
        pdf_url: Option<String>,
        /// When the scan was assessed.
        timestamp: Timestamp,
    },
    /// The grade differs from the previous scan's.
    GradeChanged {
        /// Vendor.
        vendor_id: VendorId,
        /// Its domain.
        domain: String,
        /// Grade before.
        previous_grade: Grade,
        /// Grade now.
        new_grade: Grade,
        /// Score now minus score before.
        score_change: i16,
        /// When the scan was assessed.
        timestamp: Timestamp,
    },
    /// The vendor dropped to grade D or F.
    CriticalAlert {
        /// Vendor.
        vendor_id: VendorId,
        /// Its domain.
        domain: String,
        /// Grade now (D or F).
        grade: Grade,
        /// Score now.
        score: u8,
        /// Reasons of the critical and high findings.
        critical_findings: Vec<String>,
        /// When the scan was assessed.
        timestamp: Timestamp,
    },
}

impl Event {
    /// The event's name, as in the `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            Event::ScanCompleted { .. } => "scan_completed",
            Event::GradeChanged { .. } => "grade_changed",
            Event::CriticalAlert { .. } => "critical_alert",
        }
    }

    /// The exact JSON body to send (and sign).
    pub fn to_json(&self) -> String {
        // Serializing these plain structs cannot fail; keep a fallback anyway.
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// What an earlier scan of the vendor looked like, for comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Previous {
    /// Its score.
    pub score: u8,
    /// Its grade.
    pub grade: Grade,
}

impl From<&Assessment> for Previous {
    fn from(a: &Assessment) -> Self {
        Previous {
            score: a.score,
            grade: a.grade,
        }
    }
}

/// Who the events are about.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// Vendor id.
    pub vendor_id: VendorId,
    /// Vendor domain.
    pub domain: &'a str,
    /// Report link for `scan_completed`.
    pub pdf_url: Option<&'a str>,
}

/// The events a scan raises, given the previous scan (if any).
///
/// - `scan_completed` always.
/// - `grade_changed` when there was a previous scan and the grade differs.
/// - `critical_alert` when the grade is D or F and the vendor *dropped* to it:
///   a first scan at D/F, or a previous grade better than the current one.
///   A vendor that stays at F does not alert again on every rescan.
pub fn events(
    previous: Option<Previous>,
    current: &Assessment,
    subject: Subject<'_>,
) -> Vec<Event> {
    let timestamp = current.assessed_at;
    let mut out = Vec::with_capacity(3);
    out.push(Event::ScanCompleted {
        vendor_id: subject.vendor_id,
        domain: subject.domain.to_owned(),
        score: current.score,
        grade: current.grade,
        risk_level: current.risk_level,
        pdf_url: subject.pdf_url.map(str::to_owned),
        timestamp,
    });
    if let Some(prev) = previous
        && prev.grade != current.grade
    {
        out.push(Event::GradeChanged {
            vendor_id: subject.vendor_id,
            domain: subject.domain.to_owned(),
            previous_grade: prev.grade,
            new_grade: current.grade,
            score_change: i16::from(current.score) - i16::from(prev.score),
            timestamp,
        });
    }
    let bad = matches!(current.grade, Grade::D | Grade::F);
    let dropped = previous.is_none_or(|p| p.grade < current.grade);
    if bad && dropped {
        let critical_findings = current
            .deductions
            .iter()
            .filter(|d| matches!(d.severity, Severity::Critical | Severity::High))
            .map(|d| d.reason.to_string())
            .collect();
        out.push(Event::CriticalAlert {
            vendor_id: subject.vendor_id,
            domain: subject.domain.to_owned(),
            grade: current.grade,
            score: current.score,
            critical_findings,
            timestamp,
        });
    }
    out
}
