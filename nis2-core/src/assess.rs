//! `assess`: findings in, a graded and NIS2-mapped assessment out.

use std::borrow::Cow;

use crate::Timestamp;
use crate::assessment::{
    Assessment, Bonus, Deduction, Finding, MappingStatus, Nis2Mapping, RemediationStep, RiskLevel,
    Status,
};
use crate::catalog::{
    Article, BONUS_CAP, CheckId, Grade, METHOD_VERSION, Severity, remediation_deadline,
};
use crate::ports::PastScan;
use crate::text::push_int;

/// What `assess` needs besides the findings: the time and earlier scans.
#[derive(Clone, Copy, Debug)]
pub struct History<'a> {
    /// The assessment time (remediation due dates count from it).
    pub now: Timestamp,
    /// Earlier scans of the same vendor, in any order.
    pub previous: &'a [PastScan],
}

impl<'a> History<'a> {
    /// No earlier scans.
    pub fn first_scan(now: Timestamp) -> History<'static> {
        History { now, previous: &[] }
    }

    /// With earlier scans.
    pub fn new(now: Timestamp, previous: &'a [PastScan]) -> Self {
        History { now, previous }
    }
}

/// Findings given to [`assess`]: an owned `Vec<Finding>` (moved, no copy)
/// or a borrowed slice or vector (copied).
pub trait IntoFindings {
    /// The findings as an owned vector.
    fn into_findings(self) -> Vec<Finding>;
}

impl IntoFindings for Vec<Finding> {
    fn into_findings(self) -> Vec<Finding> {
        self
    }
}

impl IntoFindings for &Vec<Finding> {
    fn into_findings(self) -> Vec<Finding> {
        self.clone()
    }
}

impl IntoFindings for &[Finding] {
    fn into_findings(self) -> Vec<Finding> {
        self.to_vec()
    }
}

impl<const N: usize> IntoFindings for &[Finding; N] {
    fn into_findings(self) -> Vec<Finding> {
        self.to_vec()
    }
}

/// A set of check ids (the catalog has fewer than 64 rows).
#[derive(Clone, Copy, Default)]
struct Seen(u64);

impl Seen {
    fn insert(&mut self, id: CheckId) -> bool {
        let bit = 1u64 << (id as u32);
        let fresh = self.0 & bit == 0;
        self.0 |= bit;
        fresh
    }
    fn contains(self, id: CheckId) -> bool {
        self.0 & (1u64 << (id as u32)) != 0
    }
}

/// Grades findings: score, grade (with caps), risk level, deductions,
/// bonuses, the Art. 21(2) mapping, critical risks, positive findings, the
/// remediation plan and the two summaries (method `nis2-score/1`).
///
/// A check counts once even if it appears several times (the worst
/// occurrence wins). The result is deterministic for the same input.
///
/// Takes the findings by value (`Vec<Finding>`, no copy) or by reference
/// (`&[Finding]`, copied).
pub fn assess(findings: impl IntoFindings, history: &History<'_>) -> Assessment {
    // Keep one finding per check: the failing one with the largest penalty.
    let mut kept: Vec<Finding> = findings.into_findings();
    let mut seen = Seen::default();
    if !kept.iter().all(|f| seen.insert(f.check_id)) {
        let mut unique: Vec<Finding> = Vec::with_capacity(kept.len());
        for f in kept {
            match unique.iter_mut().find(|k| k.check_id == f.check_id) {
                None => unique.push(f),
                Some(slot) => {
                    if (f.failed(), f.penalty) > (slot.failed(), slot.penalty) {
                        *slot = f;
                    }
                }
            }
        }
        kept = unique;
    }

    let mut penalty: u32 = 0;
    let mut bonus: u32 = 0;
    let mut cap: Option<Grade> = None;
    let mut critical = false;
    let mut deductions = Vec::with_capacity(kept.len());
    let mut bonuses = Vec::with_capacity(10);
    let mut failing = Seen::default();
    let mut passing = Seen::default();
    for f in &kept {
        let row = f.check_id.check();
        match f.status {
            Status::Fail if f.penalty > 0 => {
                failing.insert(f.check_id);
                penalty += u32::from(f.penalty);
                cap = cap.max(f.cap);
                critical |= f.severity == Severity::Critical;
                deductions.push(Deduction {
                    reason: Cow::Borrowed(row.failure),
                    penalty: f.penalty,
                    check_id: f.check_id,
                    severity: f.severity,
                });
            }
            Status::Fail => {
                failing.insert(f.check_id);
            }
            Status::Pass if f.bonus > 0 => {
                passing.insert(f.check_id);
                bonus += u32::from(f.bonus);
                bonuses.push(Bonus {
                    reason: Cow::Borrowed(row.positive.unwrap_or(row.title)),
                    bonus: f.bonus,
                    check_id: f.check_id,
                });
            }
            Status::Pass => {
                passing.insert(f.check_id);
            }
        }
    }
    // Largest penalty first, then most severe, then catalog order, packed
    // into one integer so the sort compares plain integers.
    deductions.sort_unstable_by_key(|d| {
        (u32::from(u8::MAX - d.penalty) << 16) | ((d.severity as u32) << 8) | d.check_id as u32
    });

    let raw = 100i64 - i64::from(penalty) + i64::from(bonus.min(u32::from(BONUS_CAP)));
    let score = raw.clamp(0, 100) as u8;
    let by_score = Grade::from_score(score);
    let grade = by_score.max(cap.unwrap_or(Grade::A));
    let mut risk_level = match grade {
        Grade::A | Grade::B => RiskLevel::Low,
        Grade::C => RiskLevel::Medium,
        Grade::D => RiskLevel::High,
        Grade::F => RiskLevel::Critical,
    };
    if critical {
        risk_level = risk_level.max(RiskLevel::High);
    }

    let nis2_mapping = mapping(&kept, grade, failing, history);

    let critical_risks: Vec<Cow<'static, str>> = deductions
        .iter()
        .filter(|d| matches!(d.severity, Severity::Critical | Severity::High))
        .map(|d| d.reason.clone())
        .collect();

    let positive_findings = positives(&kept, passing);

    // Date arithmetic is not free: one due date per severity, computed once.
    let mut dues: [Option<Timestamp>; 5] = [None; 5];
    let mut remediation_steps: Vec<RemediationStep> = deductions
        .iter()
        .map(|d| {
            let (priority, days) = remediation_deadline(d.severity);
            let due = *dues[d.severity as usize]
                .get_or_insert_with(|| history.now.plus_days(i64::from(days)));
            RemediationStep {
                priority: Cow::Borrowed(priority),
                action: Cow::Borrowed(d.check_id.check().remediation),
                deadline_days: days,
                check_id: d.check_id,
                severity: d.severity,
                due,
            }
        })
        .collect();
    remediation_steps.sort_unstable_by_key(|s| ((s.severity as u16) << 8) | s.check_id as u16);

    let technical_summary = technical_summary(
        score,
        grade,
        by_score,
        risk_level,
        &kept,
        &deductions,
        bonus,
    );
    let executive_summary = executive_summary(score, grade, risk_level, &deductions, &nis2_mapping);

    Assessment {
        score,
        grade,
        risk_level,
        deductions,
        bonuses,
        nis2_mapping,
        critical_risks,
        positive_findings,
        remediation_steps,
        technical_summary,
        executive_summary,
        method: Cow::Borrowed(METHOD_VERSION),
        assessed_at: history.now,
        findings: kept,
    }
}

fn status_of(f: &Finding) -> MappingStatus {
    match (f.status, f.severity) {
        (Status::Pass, _) => MappingStatus::Compliant,
        (Status::Fail, Severity::Critical | Severity::High) => MappingStatus::NonCompliant,
        (Status::Fail, _) => MappingStatus::Partial,
    }
}

fn mapping(kept: &[Finding], grade: Grade, failing: Seen, history: &History<'_>) -> Nis2Mapping {
    // One pass: the general rule (the worst status over the checks that speak
    // to a point), plus what the special points need.
    let mut st = [MappingStatus::NotAssessed; 10];
    let (mut any, mut critical, mut other_failure) = (false, false, false);
    let mut g = MappingStatus::NotAssessed;
    for f in kept {
        let id = f.check_id;
        if id.is_bonus() {
            continue;
        }
        let s = status_of(f);
        for a in id.check().articles {
            let slot = &mut st[*a as usize];
            *slot = (*slot).max(s);
        }
        any |= !id.is_indicator();
        if f.failed() {
            critical |= f.severity == Severity::Critical;
            other_failure |= f.penalty > 0;
        }
        // (g) follows the HTTP hygiene checks only.
        if (CheckId::HttpNoHttpsRedirect..=CheckId::HttpSensitivePathExposed).contains(&id) {
            g = g.max(s);
        }
    }
    let mut m = Nis2Mapping::default();
    for a in Article::ALL {
        m.set(a, st[a as usize]);
    }

    // (a) the aggregate: non-compliant with any critical finding.
    let a = match (any, critical, other_failure) {
        (false, ..) => MappingStatus::NotAssessed,
        (true, true, _) => MappingStatus::NonCompliant,
        (true, false, true) => MappingStatus::Partial,
        (true, false, false) => MappingStatus::Compliant,
    };
    m.set(Article::A, a);

    // (d) the customer's supply-chain duty rests on the overall grade.
    if any {
        let d = match grade {
            Grade::A | Grade::B => MappingStatus::Compliant,
            Grade::C | Grade::D => MappingStatus::Partial,
            Grade::F => MappingStatus::NonCompliant,
        };
        m.set(Article::D, d);
    }

    // (f) effectiveness: something still failing that already failed a scan
    // older than its remediation deadline. Needs history.
    if !history.previous.is_empty() && any {
        let overdue = history.previous.iter().any(|p| {
            p.failing.iter().any(|id| {
                failing.contains(*id) && !id.is_indicator() && {
                    let (_, days) = remediation_deadline(id.check().tiers[0].severity);
                    p.scanned_at.plus_days(i64::from(days)) <= history.now
                }
            })
        });
        let f = if overdue {
            MappingStatus::NonCompliant
        } else {
            MappingStatus::Compliant
        };
        m.set(Article::F, f);
    }
    m.set(Article::G, g);
    m
}

fn positives(kept: &[Finding], passing: Seen) -> Vec<Cow<'static, str>> {
    let mut out: Vec<Cow<'static, str>> = Vec::with_capacity(kept.len());
    for f in kept {
        if f.failed() {
            continue;
        }
        // The modern-TLS bonus says TLS 1.3 already.
        if f.check_id == CheckId::TlsNoTls13 && passing.contains(CheckId::BonusModernTls) {
            continue;
        }
        if let Some(p) = f.check_id.check().positive {
            out.push(Cow::Borrowed(p));
        }
    }
    let exposure = [
        CheckId::ExposureRemoteAdmin,
        CheckId::ExposureFileShare,
        CheckId::ExposureDatabase,
    ];
    if exposure.iter().all(|id| passing.contains(*id)) {
        out.push(Cow::Borrowed(
            "No remote administration, file-sharing or database service exposed",
        ));
    }
    out
}

fn technical_summary(
    score: u8,
    grade: Grade,
    by_score: Grade,
    risk: RiskLevel,
    kept: &[Finding],
    deductions: &[Deduction],
    bonus: u32,
) -> String {
    let mut s = String::with_capacity(200 + 28 * deductions.len());
    let checks = kept
        .iter()
        .filter(|f| !f.check_id.is_bonus() && !f.check_id.is_indicator())
        .count();
    let mut counts = [0usize; 5];
    for d in deductions {
        counts[d.severity as usize] += 1;
    }
    let count = |sev: Severity| counts[sev as usize];
    let int = |s: &mut String, n: usize| push_int(s, n as i64);
    s.push_str("Score ");
    int(&mut s, usize::from(score));
    s.push_str("/100, grade ");
    s.push_str(grade.as_str());
    s.push_str(", ");
    s.push_str(risk.as_str());
    s.push_str(" risk (");
    s.push_str(METHOD_VERSION);
    s.push_str("). ");
    int(&mut s, deductions.len());
    s.push_str(" of ");
    int(&mut s, checks);
    s.push_str(" checks failed (");
    for (i, (sev, label)) in [
        (Severity::Critical, " critical"),
        (Severity::High, " high"),
        (Severity::Medium, " medium"),
        (Severity::Low, " low"),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            s.push_str(", ");
        }
        int(&mut s, count(sev));
        s.push_str(label);
    }
    s.push(')');
    if bonus > 0 {
        s.push_str("; bonuses +");
        int(&mut s, bonus.min(u32::from(BONUS_CAP)) as usize);
    }
    s.push('.');
    if grade != by_score {
        let capper = deductions.iter().find(|d| {
            d.check_id
                .check()
                .tiers
                .iter()
                .any(|t| t.cap == Some(grade))
        });
        if let Some(d) = capper {
            s.push_str(" Grade capped at ");
            s.push_str(grade.as_str());
            s.push_str(" by ");
            s.push_str(d.check_id.as_str());
            s.push_str(" (score alone gives ");
            s.push_str(by_score.as_str());
            s.push_str(").");
        }
    }
    if !deductions.is_empty() {
        s.push_str(" Failing: ");
        for (i, d) in deductions.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(d.check_id.as_str());
        }
        s.push('.');
    }
    s
}

fn executive_summary(
    score: u8,
    grade: Grade,
    risk: RiskLevel,
    deductions: &[Deduction],
    m: &Nis2Mapping,
) -> String {
    let mut s = String::with_capacity(640);
    s.push_str("The vendor's externally visible security is rated ");
    s.push_str(grade.as_str());
    s.push_str(" (");
    push_int(&mut s, i64::from(score));
    s.push_str("/100, ");
    s.push_str(risk.as_str());
    s.push_str(" risk). ");
    let urgent = deductions
        .iter()
        .filter(|d| matches!(d.severity, Severity::Critical | Severity::High));
    let n_urgent = urgent.clone().count();
    match urgent.clone().next() {
        Some(first) => {
            push_int(&mut s, n_urgent as i64);
            s.push_str(if n_urgent == 1 {
                " critical or high-severity issue needs fixing within 7 to 14 days, most urgently: "
            } else {
                " critical or high-severity issues need fixing within 7 to 14 days, most urgently: "
            });
            s.push_str(&first.reason);
            s.push_str(". ");
        }
        None if deductions.is_empty() => s.push_str("No weaknesses were found. "),
        None => {
            push_int(&mut s, deductions.len() as i64);
            s.push_str(if deductions.len() == 1 {
                " lower-severity issue should be fixed within 30 to 90 days. "
            } else {
                " lower-severity issues should be fixed within 30 to 90 days. "
            });
        }
    }
    s.push_str("Supply-chain security (NIS2 Art. 21(2)(d)): ");
    s.push_str(m.article_21_2d.as_str());
    s.push_str(
        ". The scan sees only what is visible from the internet; policy points (a), (b), (c), (f) and (g) are judged from indicators. \
         Use this rating as evidence for your own supplier assessment under Art. 21(2)(d) and 21(3), not as a certification of the vendor.",
    );
    s
}
