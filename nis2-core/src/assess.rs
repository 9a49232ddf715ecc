//! `assess`: findings in, a graded and NIS2-mapped assessment out.

use std::borrow::Cow;

use crate::Timestamp;
use crate::assessment::{
    Assessment, Bonus, Deduction, Finding, MappingStatus, Nis2Mapping, RemediationStep, RiskLevel,
    Status,
};
use crate::catalog::{
    ARTICLE_MASKS, Article, BONUS_CAP, BONUS_MASK, CheckId, DEDUCTION_MASK, Grade, METHOD_VERSION,
    POSITIVE_MASK, Severity, remediation_deadline,
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
    fn insert(&mut self, id: CheckId) {
        self.0 |= id.bit();
    }
    fn contains(self, id: CheckId) -> bool {
        self.0 & id.bit() != 0
    }
}

/// The ids of a set, in catalog order.
fn ids_of(mut bits: u64) -> impl Iterator<Item = CheckId> {
    std::iter::from_fn(move || {
        if bits == 0 {
            return None;
        }
        let i = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        CheckId::ALL.get(i).copied()
    })
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
    let mut kept = findings.into_findings();
    loop {
        match graded(kept, history) {
            Ok(a) => return a,
            // A check appeared twice: keep one finding per check, the failing
            // one with the largest penalty. The second round finds no twin.
            Err(twins) => kept = unique(twins),
        }
    }
}

/// One finding per check: the failing one with the largest penalty (the
/// first of equals), in the order of first appearance.
fn unique(findings: Vec<Finding>) -> Vec<Finding> {
    let mut unique: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        match unique.iter_mut().find(|k| k.check_id == f.check_id) {
            None => unique.push(f),
            Some(slot) => {
                if (f.failed(), f.penalty) > (slot.failed(), slot.penalty) {
                    *slot = f;
                }
            }
        }
    }
    unique
}

/// [`assess`] on findings with one finding per check; gives the findings
/// back, untouched, on meeting a check for the second time.
fn graded(kept: Vec<Finding>, history: &History<'_>) -> Result<Assessment, Vec<Finding>> {
    // One pass over the findings. Deductions are gathered as sort keys
    // (an integer per failing check) and the remediation plan as one set
    // of check ids per severity, so that ordering them costs no moves of
    // the structs themselves.
    let mut penalty: u32 = 0;
    let mut bonus: u32 = 0;
    let mut cap: Option<Grade> = None;
    let mut critical = false;
    let mut failing = Seen::default();
    let mut passing = Seen::default();
    // Failing checks that make a point non-compliant (critical, high) or partial.
    let mut failing_severe = 0u64;
    // Failing checks at critical severity, and those with a penalty.
    let (mut failing_critical, mut penalized) = (0u64, 0u64);
    // Index into `kept` of each check's finding (ids are unique there).
    let mut at = [0u8; 64];
    let mut keys = [0u32; 64];
    let mut n_keys = 0usize;
    let mut by_severity = [0u64; 5];
    let mut bonuses = Vec::with_capacity(8);
    // Passing checks worth telling a customer, in the findings' order (at
    // most one per row with a positive wording, and the exposure line).
    let mut positive_findings: Vec<Cow<'static, str>> =
        Vec::with_capacity(POSITIVE_MASK.count_ones() as usize + 1);
    let mut tls13_at = None;
    for (i, f) in kept.iter().enumerate() {
        let id = f.check_id;
        if (failing.0 | passing.0) & id.bit() != 0 {
            return Err(kept);
        }
        at[id as usize] = i as u8;
        if f.status == Status::Pass
            && POSITIVE_MASK & id.bit() != 0
            && let Some(p) = id.check().positive
        {
            if id == CheckId::TlsNoTls13 {
                tls13_at = Some(positive_findings.len());
            }
            positive_findings.push(Cow::Borrowed(p));
        }
        match f.status {
            Status::Fail if f.penalty > 0 => {
                failing.insert(id);
                penalty += u32::from(f.penalty);
                cap = cap.max(f.cap);
                critical |= f.severity == Severity::Critical;
                // Largest penalty first, then most severe, then catalog order.
                keys[n_keys] =
                    (u32::from(u8::MAX - f.penalty) << 16) | ((f.severity as u32) << 8) | id as u32;
                n_keys += 1;
                by_severity[f.severity as usize] |= id.bit();
                penalized |= id.bit();
                if f.severity <= Severity::High {
                    failing_severe |= id.bit();
                }
                if f.severity == Severity::Critical {
                    failing_critical |= id.bit();
                }
            }
            Status::Fail => {
                failing.insert(id);
                if f.severity <= Severity::High {
                    failing_severe |= id.bit();
                }
                if f.severity == Severity::Critical {
                    failing_critical |= id.bit();
                }
            }
            Status::Pass if f.bonus > 0 => {
                passing.insert(id);
                bonus += u32::from(f.bonus);
                let row = id.check();
                bonuses.push(Bonus {
                    reason: Cow::Borrowed(row.positive.unwrap_or(row.title)),
                    bonus: f.bonus,
                    check_id: id,
                });
            }
            Status::Pass => {
                passing.insert(id);
            }
        }
    }
    let keys = &mut keys[..n_keys];
    keys.sort_unstable();
    let finding_of = |id: usize| &kept[usize::from(at[id])];
    // Collected from a slice iterator: one allocation of the exact size and
    // no capacity check per element (the same below).
    let deductions: Vec<Deduction> = keys
        .iter()
        .map(|key| {
            let f = finding_of((*key & 0xff) as usize);
            Deduction {
                reason: Cow::Borrowed(f.check_id.check().failure),
                penalty: f.penalty,
                check_id: f.check_id,
                severity: f.severity,
            }
        })
        .collect();
    let n_urgent = (by_severity[Severity::Critical as usize] | by_severity[Severity::High as usize])
        .count_ones() as usize;

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

    let nis2_mapping = mapping(
        Statuses {
            failing,
            failing_severe,
            passing,
            failing_critical,
            penalized,
        },
        grade,
        history,
        // The current severity of a failing check: its remediation deadline.
        |id| finding_of(id as usize).severity,
    );

    let mut critical_risks: Vec<Cow<'static, str>> = Vec::with_capacity(n_urgent);
    critical_risks.extend(
        deductions
            .iter()
            .filter(|d| matches!(d.severity, Severity::Critical | Severity::High))
            .map(|d| d.reason.clone()),
    );

    // The modern-TLS bonus says TLS 1.3 already.
    if let Some(at) = tls13_at
        && passing.contains(CheckId::BonusModernTls)
    {
        positive_findings.remove(at);
    }
    let exposure = CheckId::ExposureRemoteAdmin.bit()
        | CheckId::ExposureFileShare.bit()
        | CheckId::ExposureDatabase.bit();
    if passing.0 & exposure == exposure {
        positive_findings.push(Cow::Borrowed(
            "No remote administration, file-sharing or database service exposed",
        ));
    }

    // Most severe first, then catalog order: walk the per-severity sets.
    // Date arithmetic is not free: one due date per severity, computed once.
    let mut remediation_steps: Vec<RemediationStep> = Vec::with_capacity(n_keys);
    for (sev, set) in by_severity.iter().enumerate() {
        let mut ids = ids_of(*set).peekable();
        let Some(first) = ids.peek() else {
            continue;
        };
        let severity = finding_of(*first as usize).severity;
        debug_assert_eq!(severity as usize, sev);
        let (priority, days) = remediation_deadline(severity);
        let due = history.now.plus_days(i64::from(days));
        for id in ids {
            remediation_steps.push(RemediationStep {
                priority,
                action: Cow::Borrowed(id.check().remediation),
                deadline_days: days,
                check_id: id,
                severity,
                due,
            });
        }
    }

    let technical_summary = technical_summary(
        score,
        grade,
        by_score,
        risk_level,
        (failing.0 | passing.0) & DEDUCTION_MASK,
        &deductions,
        bonus,
    );
    let executive_summary = executive_summary(
        score,
        grade,
        risk_level,
        &deductions,
        n_urgent,
        &nis2_mapping,
    );

    Ok(Assessment {
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
    })
}

/// The HTTP hygiene checks that point (g) follows.
const HYGIENE_MASK: u64 = {
    let mut m = 0u64;
    let mut i = CheckId::HttpNoHttpsRedirect as u32;
    while i <= CheckId::HttpSensitivePathExposed as u32 {
        m |= 1u64 << i;
        i += 1;
    }
    m
};

/// Who passed and who failed, as sets of checks, for the NIS2 roll-up.
#[derive(Clone, Copy)]
struct Statuses {
    /// Failing checks.
    failing: Seen,
    /// Failing checks at critical or high severity.
    failing_severe: u64,
    /// Passing checks (and earned bonuses).
    passing: Seen,
    /// Failing checks at critical severity.
    failing_critical: u64,
    /// Failing checks with a penalty.
    penalized: u64,
}

/// For each Art. 21(2) point, the checks that speak to it (bonuses aside).
const SPEAKING: [u64; 10] = {
    let mut out = [0u64; 10];
    let mut id = 0;
    while id < ARTICLE_MASKS.len() {
        if BONUS_MASK & (1u64 << id) == 0 {
            let mut a = 0;
            while a < 10 {
                if ARTICLE_MASKS[id] & (1u16 << a) != 0 {
                    out[a] |= 1u64 << id;
                }
                a += 1;
            }
        }
        id += 1;
    }
    out
};

/// The worst status over the checks of `among`: a failing critical/high
/// check makes it non-compliant, another failing one partial, only passing
/// ones compliant, none at all not assessed.
fn worst(st: Statuses, among: u64) -> MappingStatus {
    if st.failing_severe & among != 0 {
        MappingStatus::NonCompliant
    } else if st.failing.0 & among != 0 {
        MappingStatus::Partial
    } else if st.passing.0 & among != 0 {
        MappingStatus::Compliant
    } else {
        MappingStatus::NotAssessed
    }
}

fn mapping(
    st: Statuses,
    grade: Grade,
    history: &History<'_>,
    severity_of: impl Fn(CheckId) -> Severity,
) -> Nis2Mapping {
    let mut m = Nis2Mapping::default();
    for a in Article::ALL {
        m.set(a, worst(st, SPEAKING[a as usize]));
    }
    // Whether any deduction check (not a bonus, not an indicator) ran.
    let any = (st.failing.0 | st.passing.0) & DEDUCTION_MASK != 0;
    // Bonus rows never take part in the roll-up.
    let critical = st.failing_critical & !BONUS_MASK != 0;
    let other_failure = st.penalized & !BONUS_MASK != 0;
    let failing = st.failing;

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
    // older than its remediation deadline (the deadline of the severity it
    // fails at now: FTP alone has 30 days, SMB 7). Needs history.
    if !history.previous.is_empty() && any {
        let overdue = history.previous.iter().any(|p| {
            p.failing.iter().any(|id| {
                failing.contains(*id) && !id.is_indicator() && {
                    let (_, days) = remediation_deadline(severity_of(*id));
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
    // (g) follows the HTTP hygiene checks only.
    m.set(Article::G, worst(st, HYGIENE_MASK));
    m
}

/// `/100, grade B, Low risk (nis2-score/1). `, spelled out for every pair.
fn grade_and_risk(grade: Grade, risk: RiskLevel) -> &'static str {
    macro_rules! text {
        ($g:literal, $r:literal) => {
            concat!("/100, grade ", $g, ", ", $r, " risk (nis2-score/1). ")
        };
    }
    use Grade::{A, B, C, D, F};
    use RiskLevel::{Critical, High, Low, Medium};
    match (grade, risk) {
        (A, Low) => text!("A", "Low"),
        (A, Medium) => text!("A", "Medium"),
        (A, High) => text!("A", "High"),
        (A, Critical) => text!("A", "Critical"),
        (B, Low) => text!("B", "Low"),
        (B, Medium) => text!("B", "Medium"),
        (B, High) => text!("B", "High"),
        (B, Critical) => text!("B", "Critical"),
        (C, Low) => text!("C", "Low"),
        (C, Medium) => text!("C", "Medium"),
        (C, High) => text!("C", "High"),
        (C, Critical) => text!("C", "Critical"),
        (D, Low) => text!("D", "Low"),
        (D, Medium) => text!("D", "Medium"),
        (D, High) => text!("D", "High"),
        (D, Critical) => text!("D", "Critical"),
        (F, Low) => text!("F", "Low"),
        (F, Medium) => text!("F", "Medium"),
        (F, High) => text!("F", "High"),
        (F, Critical) => text!("F", "Critical"),
    }
}

fn technical_summary(
    score: u8,
    grade: Grade,
    by_score: Grade,
    risk: RiskLevel,
    assessed: u64,
    deductions: &[Deduction],
    bonus: u32,
) -> String {
    let mut s = String::with_capacity(200 + 28 * deductions.len());
    let checks = assessed.count_ones() as usize;
    let mut counts = [0usize; 5];
    for d in deductions {
        counts[d.severity as usize] += 1;
    }
    let count = |sev: Severity| counts[sev as usize];
    let int = |s: &mut String, n: usize| push_int(s, n as i64);
    s.push_str("Score ");
    int(&mut s, usize::from(score));
    s.push_str(grade_and_risk(grade, risk));
    int(&mut s, deductions.len());
    s.push_str(" of ");
    int(&mut s, checks);
    s.push_str(" checks failed (");
    for (sev, label) in [
        (Severity::Critical, " critical, "),
        (Severity::High, " high, "),
        (Severity::Medium, " medium, "),
        (Severity::Low, " low)"),
    ] {
        int(&mut s, count(sev));
        s.push_str(label);
    }
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
    if let Some((first, rest)) = deductions.split_first() {
        s.push_str(" Failing: ");
        s.push_str(first.check_id.as_str());
        for d in rest {
            s.push_str(d.check_id.listed());
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
    n_urgent: usize,
    m: &Nis2Mapping,
) -> String {
    let mut s = String::with_capacity(640);
    s.push_str(match grade {
        Grade::A => "The vendor's externally visible security is rated A (",
        Grade::B => "The vendor's externally visible security is rated B (",
        Grade::C => "The vendor's externally visible security is rated C (",
        Grade::D => "The vendor's externally visible security is rated D (",
        Grade::F => "The vendor's externally visible security is rated F (",
    });
    push_int(&mut s, i64::from(score));
    s.push_str(match risk {
        RiskLevel::Low => "/100, Low risk). ",
        RiskLevel::Medium => "/100, Medium risk). ",
        RiskLevel::High => "/100, High risk). ",
        RiskLevel::Critical => "/100, Critical risk). ",
    });
    let mut urgent = deductions
        .iter()
        .filter(|d| matches!(d.severity, Severity::Critical | Severity::High));
    match urgent.next() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelled_out_summary_pieces_say_what_formatting_would() {
        for g in Grade::ALL {
            for r in [
                RiskLevel::Low,
                RiskLevel::Medium,
                RiskLevel::High,
                RiskLevel::Critical,
            ] {
                assert_eq!(
                    grade_and_risk(g, r),
                    format!("/100, grade {g}, {} risk ({METHOD_VERSION}). ", r.as_str())
                );
            }
        }
    }
}
