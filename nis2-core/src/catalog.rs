//! The check catalog of scoring method `nis2-score/1`, as one table of data.
//!
//! Every check of `CATALOG.md` is one row of [`CATALOG`]: id, title, the
//! wording used when it fails, severity and penalty (one or two tiers), grade
//! cap, the Art. 21(2) points it speaks to (primary first), the anchor in the
//! annex of Implementing Regulation (EU) 2024/2690, the remediation action and,
//! where a pass is worth telling a customer, the positive wording. Bonuses are
//! rows too, with a bonus instead of a penalty.
//!
//! Changing any number here is a new method version ([`METHOD_VERSION`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::observations::CheckGroup;

/// The scoring method implemented by this catalog and [`crate::assess`].
pub const METHOD_VERSION: &str = "nis2-score/1";

/// Severity of a failing check; ordered most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Must be fixed within 7 days.
    Critical,
    /// Within 14 days.
    High,
    /// Within 30 days.
    Medium,
    /// Within 90 days.
    Low,
    /// Informational (bonuses).
    Info,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }
}

/// A letter grade. Ordered best first: `Grade::A < Grade::F`, so the worse of
/// two grades is the `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// 90 and above.
    A,
    /// 80–89.
    B,
    /// 70–79.
    C,
    /// 60–69.
    D,
    /// Below 60.
    F,
}

impl Grade {
    /// Every grade, best first.
    pub const ALL: [Grade; 5] = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::F];

    /// The grade a score earns before caps.
    pub fn from_score(score: u8) -> Grade {
        match score {
            90.. => Grade::A,
            80..=89 => Grade::B,
            70..=79 => Grade::C,
            60..=69 => Grade::D,
            _ => Grade::F,
        }
    }

    /// The letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
            Self::F => "F",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Grade {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Ok(Grade::A),
            "B" => Ok(Grade::B),
            "C" => Ok(Grade::C),
            "D" => Ok(Grade::D),
            "F" => Ok(Grade::F),
            _ => Err(crate::Error::UnknownGrade {
                value: s.chars().take(16).collect(),
            }),
        }
    }
}

/// A point of NIS2 Article 21(2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Article {
    /// (a) risk analysis and information-system security policies.
    A,
    /// (b) incident handling.
    B,
    /// (c) business continuity.
    C,
    /// (d) supply-chain security.
    D,
    /// (e) security in acquisition, development and maintenance; vulnerability handling.
    E,
    /// (f) assessing the effectiveness of measures.
    F,
    /// (g) basic cyber hygiene and training.
    G,
    /// (h) cryptography and encryption.
    H,
    /// (i) HR security, access control, asset management.
    I,
    /// (j) MFA and secured communications.
    J,
}

impl Article {
    /// All ten points, in order.
    pub const ALL: [Article; 10] = [
        Article::A,
        Article::B,
        Article::C,
        Article::D,
        Article::E,
        Article::F,
        Article::G,
        Article::H,
        Article::I,
        Article::J,
    ];

    /// The mapping key of the seed API, e.g. `article_21_2d`.
    pub fn key(self) -> &'static str {
        match self {
            Self::A => "article_21_2a",
            Self::B => "article_21_2b",
            Self::C => "article_21_2c",
            Self::D => "article_21_2d",
            Self::E => "article_21_2e",
            Self::F => "article_21_2f",
            Self::G => "article_21_2g",
            Self::H => "article_21_2h",
            Self::I => "article_21_2i",
            Self::J => "article_21_2j",
        }
    }

    /// The point's letter, e.g. `d`.
    pub fn letter(self) -> char {
        (b'a' + self as u8) as char
    }

    /// The subject of the point, in short.
    pub fn subject(self) -> &'static str {
        match self {
            Self::A => "Risk analysis and information-system security policies",
            Self::B => "Incident handling",
            Self::C => "Business continuity",
            Self::D => "Supply-chain security",
            Self::E => "Security in acquisition, development and maintenance",
            Self::F => "Assessing the effectiveness of measures",
            Self::G => "Basic cyber hygiene and training",
            Self::H => "Cryptography and encryption",
            Self::I => "HR security, access control, asset management",
            Self::J => "MFA and secured communications",
        }
    }
}

macro_rules! check_ids {
    ($( $(#[$m:meta])* $variant:ident => $id:literal, )*) => {
        /// A check's stable id (never renamed once released).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum CheckId {
            $( $(#[$m])* #[doc = concat!("`", $id, "`")] $variant, )*
        }

        impl CheckId {
            /// Every check, in catalog order.
            pub const ALL: &'static [CheckId] = &[$(CheckId::$variant,)*];

            /// The dotted id, e.g. `tls.tls10_enabled`.
            pub fn as_str(self) -> &'static str {
                match self { $(CheckId::$variant => $id,)* }
            }

            /// The dotted id after a list separator, e.g. `, tls.tls10_enabled`
            /// (the technical summary lists failing checks with it).
            pub(crate) fn listed(self) -> &'static str {
                match self { $(CheckId::$variant => concat!(", ", $id),)* }
            }
        }

        impl FromStr for CheckId {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($id => Ok(CheckId::$variant),)*
                    _ => Err(crate::Error::UnknownCheck { id: s.chars().take(64).collect() }),
                }
            }
        }
    };
}

check_ids! {
    HttpsUnavailable => "https.unavailable",
    CertExpired => "cert.expired",
    CertRevoked => "cert.revoked",
    CertUntrusted => "cert.untrusted",
    CertHostnameMismatch => "cert.hostname_mismatch",
    CertExpiresSoon => "cert.expires_soon",
    CertWeakKey => "cert.weak_key",
    CertSha1Signature => "cert.sha1_signature",
    TlsSsl3Enabled => "tls.ssl3_enabled",
    TlsTls10Enabled => "tls.tls10_enabled",
    TlsTls11Enabled => "tls.tls11_enabled",
    TlsWeakCipher => "tls.weak_cipher",
    TlsNoForwardSecrecy => "tls.no_forward_secrecy",
    TlsNoTls13 => "tls.no_tls13",
    HttpNoHttpsRedirect => "http.no_https_redirect",
    HttpHstsMissing => "http.hsts_missing",
    HttpHstsWeak => "http.hsts_weak",
    HttpCspMissing => "http.csp_missing",
    HttpFrameProtectionMissing => "http.frame_protection_missing",
    HttpXctoMissing => "http.xcto_missing",
    HttpReferrerPolicyMissing => "http.referrer_policy_missing",
    HttpCookieInsecure => "http.cookie_insecure",
    HttpVersionDisclosure => "http.version_disclosure",
    HttpSensitivePathExposed => "http.sensitive_path_exposed",
    VulnSecurityTxtMissing => "vuln.security_txt_missing",
    EmailSpfMissing => "email.spf_missing",
    EmailSpfPermissive => "email.spf_permissive",
    EmailSpfInvalid => "email.spf_invalid",
    EmailDmarcMissing => "email.dmarc_missing",
    EmailDmarcWeak => "email.dmarc_weak",
    EmailMtaStsMissing => "email.mta_sts_missing",
    EmailTlsrptMissing => "email.tlsrpt_missing",
    DnsDnssecMissing => "dns.dnssec_missing",
    DnsCaaMissing => "dns.caa_missing",
    ExposureRemoteAdmin => "exposure.remote_admin",
    ExposureFileShare => "exposure.file_share",
    ExposureDatabase => "exposure.database",
    IndicatorContinuity => "indicator.continuity",
    BonusModernTls => "bonus.modern_tls",
    BonusHstsPreload => "bonus.hsts_preload",
    BonusDmarcReject => "bonus.dmarc_reject",
    BonusDnssecSigned => "bonus.dnssec_signed",
    BonusMtaStsEnforce => "bonus.mta_sts_enforce",
    BonusCaaPresent => "bonus.caa_present",
    BonusSecurityTxt => "bonus.security_txt",
    BonusDkimFound => "bonus.dkim_found",
    BonusPqKex => "bonus.pq_kex",
}

impl CheckId {
    /// This check's catalog row.
    #[inline]
    pub fn check(self) -> &'static Check {
        // ROWS (= CATALOG) is in CheckId order; a unit test holds it to that.
        &ROWS[self as usize]
    }

    /// Whether the check is a bonus rather than a deduction.
    #[inline]
    pub fn is_bonus(self) -> bool {
        BONUS_MASK & self.bit() != 0
    }

    /// Whether the check is an indicator: it informs the NIS2 mapping but
    /// never moves the score.
    #[inline]
    pub fn is_indicator(self) -> bool {
        INDICATOR_MASK & self.bit() != 0
    }

    /// This check's bit in the masks below.
    #[inline]
    pub(crate) fn bit(self) -> u64 {
        1u64 << (self as u32)
    }
}

// ------------------------------------------------ masks derived from ROWS
//
// The hot path of `assess` asks "is this a bonus?", "which Art. 21(2)
// points does it speak to?" for every finding; answering from bit masks
// computed here at compile time saves walking the row each time.

/// The catalog has fewer than 64 rows, so one `u64` holds a set of checks
/// (and `1 << ROWS.len()` does not overflow).
const _: () = assert!(ROWS.len() < 64);

/// The set of rows for which `$pred` (an expression over `$c: &Check`) holds.
macro_rules! mask_where {
    (|$c:ident| $pred:expr) => {{
        let mut m = 0u64;
        let mut i = 0;
        while i < ROWS.len() {
            let $c = &ROWS[i];
            if $pred {
                m |= 1u64 << i;
            }
            i += 1;
        }
        m
    }};
}

/// Bonus rows.
pub(crate) const BONUS_MASK: u64 = mask_where!(|c| c.bonus > 0);
/// Indicator rows (neither penalty nor bonus).
pub(crate) const INDICATOR_MASK: u64 = mask_where!(|c| c.tiers[0].penalty == 0 && c.bonus == 0);
/// Deduction rows: every row that is neither a bonus nor an indicator.
pub(crate) const DEDUCTION_MASK: u64 = ((1u64 << ROWS.len()) - 1) & !BONUS_MASK & !INDICATOR_MASK;
/// Rows with a positive wording.
pub(crate) const POSITIVE_MASK: u64 = mask_where!(|c| c.positive.is_some());

/// For each row, the Art. 21(2) points it speaks to, as bits (`1 << Article`).
pub(crate) const ARTICLE_MASKS: [u16; ROWS.len()] = {
    let mut out = [0u16; ROWS.len()];
    let mut i = 0;
    while i < ROWS.len() {
        let arts = ROWS[i].articles;
        let mut j = 0;
        while j < arts.len() {
            out[i] |= 1u16 << (arts[j] as u32);
            j += 1;
        }
        i += 1;
    }
    out
};

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CheckId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One severity level of a check: its penalty and grade cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    /// Severity at this tier.
    pub severity: Severity,
    /// Points deducted.
    pub penalty: u8,
    /// Worst grade the vendor can get while this fails (`None`: no cap).
    pub cap: Option<Grade>,
}

/// A catalog row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check {
    /// Stable id.
    pub id: CheckId,
    /// Group that gathers its facts.
    pub group: CheckGroup,
    /// Neutral title, e.g. "TLS 1.0 disabled".
    pub title: &'static str,
    /// What the deduction says when it fails, e.g. "TLS 1.0 still supported".
    pub failure: &'static str,
    /// Tiers, most severe first; a check fails at exactly one tier.
    pub tiers: &'static [Tier],
    /// Bonus points earned when a bonus row holds (0 for deductions).
    pub bonus: u8,
    /// Art. 21(2) points, primary first.
    pub articles: &'static [Article],
    /// Anchor in the annex of Implementing Regulation (EU) 2024/2690.
    pub annex: &'static str,
    /// What the vendor should do.
    pub remediation: &'static str,
    /// How a pass is told to a customer, when it is worth telling.
    pub positive: Option<&'static str>,
}

const fn t(severity: Severity, penalty: u8, cap: Option<Grade>) -> Tier {
    Tier {
        severity,
        penalty,
        cap,
    }
}

use Article as Ar;
use CheckGroup as G;
use Severity::{Critical, High, Info, Low, Medium};

const NONE: Option<Grade> = None;
const CAP_F: Option<Grade> = Some(Grade::F);
const CAP_D: Option<Grade> = Some(Grade::D);
const CAP_C: Option<Grade> = Some(Grade::C);

const BONUS: &[Tier] = &[t(Info, 0, NONE)];

/// The catalog, in [`CheckId`] order.
pub static CATALOG: &[Check] = ROWS;

/// The rows themselves, as a constant so that the bit masks below are
/// computed from them at compile time (no scoring rule is written twice).
const ROWS: &[Check] = &[
    Check {
        id: CheckId::HttpsUnavailable,
        group: G::Tls,
        title: "HTTPS service available",
        failure: "No TLS service on the HTTPS port",
        tiers: &[t(Critical, 40, CAP_F)],
        bonus: 0,
        articles: &[Ar::H, Ar::E],
        annex: "9.1.2(b), 6.7.2(i)",
        remediation: "Serve the website over HTTPS (TLS 1.2 or 1.3) on port 443 with a certificate from a publicly trusted CA.",
        positive: None,
    },
    Check {
        id: CheckId::CertExpired,
        group: G::Tls,
        title: "Certificate within its validity period",
        failure: "Expired TLS certificate",
        tiers: &[t(Critical, 40, CAP_F)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(c)",
        remediation: "Replace the expired or not-yet-valid certificate now and automate renewal (e.g. ACME) with expiry monitoring.",
        positive: Some("Valid TLS certificate"),
    },
    Check {
        id: CheckId::CertRevoked,
        group: G::Tls,
        title: "Certificate not revoked",
        failure: "Revoked TLS certificate",
        tiers: &[t(Critical, 40, CAP_F)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(c)",
        remediation: "Install a newly issued certificate with a fresh key pair, find out why the old one was revoked, and treat its key as compromised.",
        positive: None,
    },
    Check {
        id: CheckId::CertUntrusted,
        group: G::Tls,
        title: "Certificate chain trusted",
        failure: "Certificate chain not trusted (self-signed or unknown issuer)",
        tiers: &[t(Critical, 30, CAP_D)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(c)",
        remediation: "Use a certificate from a publicly trusted CA and serve the complete intermediate chain.",
        positive: Some("Certificate chain verifies to a trusted root"),
    },
    Check {
        id: CheckId::CertHostnameMismatch,
        group: G::Tls,
        title: "Certificate matches the domain",
        failure: "TLS certificate does not match the domain",
        tiers: &[t(Critical, 30, CAP_D)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(c)",
        remediation: "Issue a certificate whose subjectAltName covers the domain (and www, where used).",
        positive: None,
    },
    Check {
        id: CheckId::CertExpiresSoon,
        group: G::Tls,
        title: "Certificate not about to expire",
        failure: "TLS certificate expires soon",
        tiers: &[t(High, 20, NONE), t(Medium, 8, NONE)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(c)(v)",
        remediation: "Renew the certificate before it expires and automate renewal with monitoring.",
        positive: None,
    },
    Check {
        id: CheckId::CertWeakKey,
        group: G::Tls,
        title: "Certificate key strong enough",
        failure: "Weak certificate key (RSA below 2048 bits or ECDSA below 256 bits)",
        tiers: &[t(High, 20, CAP_C)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Generate a new key (RSA 3072 bits or ECDSA P-256 or stronger) and reissue the certificate.",
        positive: None,
    },
    Check {
        id: CheckId::CertSha1Signature,
        group: G::Tls,
        title: "Certificate signed with SHA-2",
        failure: "Certificate chain signed with SHA-1 or MD5",
        tiers: &[t(High, 15, CAP_C)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Reissue the certificate and intermediates with a SHA-256 (or stronger) signature.",
        positive: None,
    },
    Check {
        id: CheckId::TlsSsl3Enabled,
        group: G::Tls,
        title: "SSL disabled",
        failure: "SSLv3 (or SSLv2) still supported",
        tiers: &[t(Critical, 30, CAP_D)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Disable SSLv2 and SSLv3 on every TLS endpoint.",
        positive: None,
    },
    Check {
        id: CheckId::TlsTls10Enabled,
        group: G::Tls,
        title: "TLS 1.0 disabled",
        failure: "TLS 1.0 still supported",
        tiers: &[t(High, 15, CAP_C)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Disable TLS 1.0; offer only TLS 1.2 and TLS 1.3.",
        positive: None,
    },
    Check {
        id: CheckId::TlsTls11Enabled,
        group: G::Tls,
        title: "TLS 1.1 disabled",
        failure: "TLS 1.1 still supported",
        tiers: &[t(High, 10, CAP_C)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Disable TLS 1.1; offer only TLS 1.2 and TLS 1.3.",
        positive: None,
    },
    Check {
        id: CheckId::TlsWeakCipher,
        group: G::Tls,
        title: "No weak cipher suites",
        failure: "Weak cipher suites accepted (RC4, DES, 3DES, NULL, EXPORT or anonymous)",
        tiers: &[t(High, 15, CAP_C)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Remove RC4, DES, 3DES, NULL, EXPORT and anonymous suites; keep AEAD suites (AES-GCM, ChaCha20-Poly1305) with ECDHE.",
        positive: None,
    },
    Check {
        id: CheckId::TlsNoForwardSecrecy,
        group: G::Tls,
        title: "Forward secrecy enforced",
        failure: "Key exchange without forward secrecy accepted",
        tiers: &[t(Medium, 6, NONE)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Accept only ephemeral (EC)DHE key exchange on TLS 1.2; remove static RSA and static (EC)DH suites.",
        positive: Some("Forward secrecy on every accepted suite"),
    },
    Check {
        id: CheckId::TlsNoTls13,
        group: G::Tls,
        title: "TLS 1.3 offered",
        failure: "TLS 1.3 not offered",
        tiers: &[t(Low, 3, NONE)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "Enable TLS 1.3 alongside TLS 1.2.",
        positive: Some("TLS 1.3 offered"),
    },
    Check {
        id: CheckId::HttpNoHttpsRedirect,
        group: G::Http,
        title: "HTTP redirects to HTTPS",
        failure: "Plain HTTP served without redirect to HTTPS",
        tiers: &[t(Medium, 8, NONE)],
        bonus: 0,
        articles: &[Ar::H, Ar::E],
        annex: "6.7.2(i)",
        remediation: "Redirect every plain-HTTP request to HTTPS with a 301 or 308.",
        positive: Some("HTTP redirects to HTTPS"),
    },
    Check {
        id: CheckId::HttpHstsMissing,
        group: G::Http,
        title: "HSTS enabled",
        failure: "HTTP Strict Transport Security (HSTS) missing",
        tiers: &[t(Medium, 8, NONE)],
        bonus: 0,
        articles: &[Ar::H, Ar::E],
        annex: "6.7.2(i)",
        remediation: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response.",
        positive: None,
    },
    Check {
        id: CheckId::HttpHstsWeak,
        group: G::Http,
        title: "HSTS max-age at least one year",
        failure: "HSTS max-age shorter than one year",
        tiers: &[t(Low, 3, NONE)],
        bonus: 0,
        articles: &[Ar::H],
        annex: "6.7.2(i)",
        remediation: "Raise the HSTS max-age to at least 31536000 seconds (one year).",
        positive: None,
    },
    Check {
        id: CheckId::HttpCspMissing,
        group: G::Http,
        title: "Content Security Policy set",
        failure: "Content-Security-Policy header missing",
        tiers: &[t(Low, 5, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::G],
        annex: "6.2",
        remediation: "Define a Content-Security-Policy that restricts script sources and sets frame-ancestors.",
        positive: None,
    },
    Check {
        id: CheckId::HttpFrameProtectionMissing,
        group: G::Http,
        title: "Clickjacking protection set",
        failure: "No clickjacking protection (X-Frame-Options or CSP frame-ancestors)",
        tiers: &[t(Low, 3, NONE)],
        bonus: 0,
        articles: &[Ar::E],
        annex: "6.2",
        remediation: "Send X-Frame-Options: DENY (or SAMEORIGIN) or a CSP frame-ancestors directive.",
        positive: None,
    },
    Check {
        id: CheckId::HttpXctoMissing,
        group: G::Http,
        title: "X-Content-Type-Options set",
        failure: "X-Content-Type-Options: nosniff missing",
        tiers: &[t(Low, 3, NONE)],
        bonus: 0,
        articles: &[Ar::E],
        annex: "6.2",
        remediation: "Send X-Content-Type-Options: nosniff on every response.",
        positive: None,
    },
    Check {
        id: CheckId::HttpReferrerPolicyMissing,
        group: G::Http,
        title: "Referrer-Policy set",
        failure: "Referrer-Policy header missing",
        tiers: &[t(Low, 2, NONE)],
        bonus: 0,
        articles: &[Ar::E],
        annex: "6.2",
        remediation: "Send Referrer-Policy: strict-origin-when-cross-origin (or stricter).",
        positive: None,
    },
    Check {
        id: CheckId::HttpCookieInsecure,
        group: G::Http,
        title: "Cookies set with Secure and HttpOnly",
        failure: "Cookie set without Secure or HttpOnly",
        tiers: &[t(Low, 4, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::I],
        annex: "6.2, 11.6",
        remediation: "Set the Secure and HttpOnly attributes (and SameSite) on every cookie.",
        positive: None,
    },
    Check {
        id: CheckId::HttpVersionDisclosure,
        group: G::Http,
        title: "No software versions disclosed",
        failure: "Server software version disclosed in HTTP headers",
        tiers: &[t(Low, 3, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::G],
        annex: "6.6.1, 6.3",
        remediation: "Remove product versions from the Server and X-Powered-By headers, and keep the software patched.",
        positive: None,
    },
    Check {
        id: CheckId::HttpSensitivePathExposed,
        group: G::Http,
        title: "No sensitive files exposed",
        failure: "Sensitive file exposed on the web server (.git or .env)",
        tiers: &[t(Critical, 30, CAP_D)],
        bonus: 0,
        articles: &[Ar::E, Ar::H],
        annex: "6.3",
        remediation: "Block access to /.git and /.env at once, remove them from the web root, and rotate every secret they held.",
        positive: None,
    },
    Check {
        id: CheckId::VulnSecurityTxtMissing,
        group: G::Http,
        title: "security.txt published",
        failure: "No valid security.txt (RFC 9116)",
        tiers: &[t(Low, 3, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::B],
        annex: "6.10.2(e)",
        remediation: "Publish /.well-known/security.txt with a Contact and a future Expires field (RFC 9116).",
        positive: None,
    },
    Check {
        id: CheckId::EmailSpfMissing,
        group: G::Email,
        title: "SPF record published",
        failure: "No SPF record for a domain that receives mail",
        tiers: &[t(High, 12, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "Publish one SPF record listing the permitted senders and ending in -all.",
        positive: None,
    },
    Check {
        id: CheckId::EmailSpfPermissive,
        group: G::Email,
        title: "SPF policy strict",
        failure: "SPF record lets any server send (+all, ?all or no all)",
        tiers: &[t(High, 12, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "End the SPF record with -all (or ~all while DMARC enforces).",
        positive: None,
    },
    Check {
        id: CheckId::EmailSpfInvalid,
        group: G::Email,
        title: "SPF record valid",
        failure: "SPF record invalid (several records, syntax error or over 10 DNS lookups)",
        tiers: &[t(Medium, 8, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "Keep exactly one valid SPF record needing at most 10 DNS lookups (flatten or drop includes).",
        positive: None,
    },
    Check {
        id: CheckId::EmailDmarcMissing,
        group: G::Email,
        title: "DMARC record published",
        failure: "No DMARC record",
        tiers: &[t(High, 12, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "Publish a DMARC record at _dmarc with p=quarantine or p=reject and a rua reporting address.",
        positive: None,
    },
    Check {
        id: CheckId::EmailDmarcWeak,
        group: G::Email,
        title: "DMARC policy enforced",
        failure: "DMARC policy does not enforce (p=none or pct below 100)",
        tiers: &[t(Medium, 6, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "Move DMARC to p=quarantine, then p=reject, with pct=100.",
        positive: None,
    },
    Check {
        id: CheckId::EmailMtaStsMissing,
        group: G::Email,
        title: "MTA-STS published",
        failure: "No MTA-STS policy in enforce or testing mode",
        tiers: &[t(Low, 2, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::H],
        annex: "6.7.2(k)",
        remediation: "Publish an _mta-sts TXT record and a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt in enforce mode.",
        positive: None,
    },
    Check {
        id: CheckId::EmailTlsrptMissing,
        group: G::Email,
        title: "TLS-RPT published",
        failure: "No SMTP TLS reporting (TLS-RPT) record",
        tiers: &[t(Low, 1, NONE)],
        bonus: 0,
        articles: &[Ar::E],
        annex: "6.7.2(k)",
        remediation: "Publish a _smtp._tls TXT record (v=TLSRPTv1; rua=mailto:...).",
        positive: None,
    },
    Check {
        id: CheckId::DnsDnssecMissing,
        group: G::Dns,
        title: "DNSSEC enabled",
        failure: "DNS zone not signed with DNSSEC",
        tiers: &[t(Low, 4, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::H],
        annex: "6.7.2(l)",
        remediation: "Sign the zone with DNSSEC and publish the DS record at the parent.",
        positive: None,
    },
    Check {
        id: CheckId::DnsCaaMissing,
        group: G::Dns,
        title: "CAA record published",
        failure: "No CAA record restricting certificate issuance",
        tiers: &[t(Low, 2, NONE)],
        bonus: 0,
        articles: &[Ar::H, Ar::D],
        annex: "9.1.2(c)",
        remediation: "Publish CAA records naming the certificate authorities allowed to issue for the domain.",
        positive: None,
    },
    Check {
        id: CheckId::ExposureRemoteAdmin,
        group: G::Ports,
        title: "No remote administration exposed",
        failure: "Remote administration service exposed to the internet (RDP, VNC, Telnet or WinRM)",
        tiers: &[t(Critical, 25, CAP_D)],
        bonus: 0,
        articles: &[Ar::E, Ar::I],
        annex: "6.7.2(c),(d),(f)",
        remediation: "Close RDP, VNC, Telnet and WinRM to the internet; reach them only through a VPN or bastion with MFA.",
        positive: None,
    },
    Check {
        id: CheckId::ExposureFileShare,
        group: G::Ports,
        title: "No file sharing exposed",
        failure: "File-sharing service exposed to the internet (SMB, NetBIOS or FTP)",
        // SMB and NetBIOS are critical; plain FTP alone is the medium tier.
        tiers: &[t(Critical, 25, CAP_D), t(Medium, 8, NONE)],
        bonus: 0,
        articles: &[Ar::E, Ar::I],
        annex: "6.7.2(f)",
        remediation: "Close SMB (445), NetBIOS (139) and FTP (21) to the internet; use SFTP or HTTPS for file transfer.",
        positive: None,
    },
    Check {
        id: CheckId::ExposureDatabase,
        group: G::Ports,
        title: "No database exposed",
        failure: "Database service exposed to the internet",
        tiers: &[t(Critical, 25, CAP_D)],
        bonus: 0,
        articles: &[Ar::E, Ar::I],
        annex: "6.7.2(c),(f)",
        remediation: "Bind databases and caches to private networks only and firewall their ports from the internet.",
        positive: None,
    },
    Check {
        id: CheckId::IndicatorContinuity,
        group: G::Dns,
        title: "Redundant name servers and mail exchangers",
        failure: "Single name server or single mail exchanger",
        // An indicator for Art. 21(2)(c): it moves the mapping, never the score.
        tiers: &[t(Info, 0, NONE)],
        bonus: 0,
        articles: &[Ar::C],
        annex: "4.1",
        remediation: "Run at least two name servers and, where the domain receives mail, two mail exchangers on separate networks.",
        positive: Some("Redundant name servers and mail exchangers"),
    },
    Check {
        id: CheckId::BonusModernTls,
        group: G::Tls,
        title: "Modern TLS only",
        failure: "",
        tiers: BONUS,
        bonus: 2,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "",
        positive: Some("TLS 1.3 offered and no protocol older than TLS 1.2 accepted"),
    },
    Check {
        id: CheckId::BonusHstsPreload,
        group: G::Http,
        title: "HSTS preload-ready",
        failure: "",
        tiers: BONUS,
        bonus: 2,
        articles: &[Ar::H],
        annex: "6.7.2(i)",
        remediation: "",
        positive: Some("HSTS with includeSubDomains and preload"),
    },
    Check {
        id: CheckId::BonusDmarcReject,
        group: G::Email,
        title: "DMARC reject",
        failure: "",
        tiers: BONUS,
        bonus: 2,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "",
        positive: Some("DMARC policy p=reject"),
    },
    Check {
        id: CheckId::BonusDnssecSigned,
        group: G::Dns,
        title: "DNSSEC signed",
        failure: "",
        tiers: BONUS,
        bonus: 2,
        articles: &[Ar::E, Ar::H],
        annex: "6.7.2(l)",
        remediation: "",
        positive: Some("DNS zone signed with DNSSEC and validated"),
    },
    Check {
        id: CheckId::BonusMtaStsEnforce,
        group: G::Email,
        title: "MTA-STS enforce",
        failure: "",
        tiers: BONUS,
        bonus: 1,
        articles: &[Ar::E, Ar::H],
        annex: "6.7.2(k)",
        remediation: "",
        positive: Some("MTA-STS in enforce mode"),
    },
    Check {
        id: CheckId::BonusCaaPresent,
        group: G::Dns,
        title: "CAA present",
        failure: "",
        tiers: BONUS,
        bonus: 1,
        articles: &[Ar::H, Ar::D],
        annex: "9.1.2(c)",
        remediation: "",
        positive: Some("CAA records restrict certificate issuance"),
    },
    Check {
        id: CheckId::BonusSecurityTxt,
        group: G::Http,
        title: "security.txt valid",
        failure: "",
        tiers: BONUS,
        bonus: 1,
        articles: &[Ar::E, Ar::B],
        annex: "6.10.2(e)",
        remediation: "",
        positive: Some("Valid security.txt with a security contact"),
    },
    Check {
        id: CheckId::BonusDkimFound,
        group: G::Email,
        title: "DKIM key found",
        failure: "",
        tiers: BONUS,
        bonus: 1,
        articles: &[Ar::E, Ar::J],
        annex: "6.7.2(k)",
        remediation: "",
        positive: Some("DKIM signing key published"),
    },
    Check {
        id: CheckId::BonusPqKex,
        group: G::Tls,
        title: "Post-quantum key exchange",
        failure: "",
        tiers: BONUS,
        bonus: 1,
        articles: &[Ar::H],
        annex: "9.1.2(b)",
        remediation: "",
        positive: Some("Hybrid post-quantum key exchange (e.g. X25519MLKEM768) on TLS 1.3"),
    },
];

/// The most bonus points a scan can earn in total.
pub const BONUS_CAP: u8 = 10;

/// The priority of a remediation step: the seed API's labels `Critical`,
/// `High` and `Medium` (in JSON too). Ordered most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// A critical finding: 7 days.
    Critical,
    /// A high-severity finding: 14 days.
    High,
    /// A medium (30 days) or low-severity (90 days) finding.
    Medium,
}

impl Priority {
    /// The label, e.g. `Critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "Critical",
            Self::High => "High",
            Self::Medium => "Medium",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Priority {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Deadline in days for remediating a failing check of this severity, and
/// its priority.
pub fn remediation_deadline(severity: Severity) -> (Priority, u16) {
    match severity {
        Severity::Critical => (Priority::Critical, 7),
        Severity::High => (Priority::High, 14),
        Severity::Medium => (Priority::Medium, 30),
        Severity::Low | Severity::Info => (Priority::Medium, 90),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_in_id_order_and_complete() {
        assert_eq!(CATALOG.len(), CheckId::ALL.len());
        for (i, (row, id)) in CATALOG.iter().zip(CheckId::ALL).enumerate() {
            assert_eq!(row.id, *id, "row {i}");
            assert_eq!(*id as usize, i);
            assert_eq!(id.as_str().parse::<CheckId>().unwrap(), *id);
            assert!(!row.tiers.is_empty());
            assert!(!row.articles.is_empty());
            assert!(!row.title.is_empty() && !row.annex.is_empty());
            if id.is_indicator() {
                assert!(id.as_str().starts_with("indicator."));
            } else if row.bonus == 0 {
                assert!(
                    !row.failure.is_empty() && !row.remediation.is_empty(),
                    "{id}"
                );
                assert!(
                    row.tiers
                        .iter()
                        .all(|t| t.penalty > 0 && t.severity != Severity::Info)
                );
                // Tiers are ordered most severe first.
                assert!(row.tiers.windows(2).all(|w| w[0].severity < w[1].severity));
            } else {
                assert!(
                    row.positive.is_some(),
                    "bonus {id} needs a positive wording"
                );
                assert!(id.as_str().starts_with("bonus."));
            }
        }
    }

    #[test]
    fn listed_ids_and_masks_follow_the_rows() {
        for (i, id) in CheckId::ALL.iter().enumerate() {
            assert_eq!(id.listed(), format!(", {id}"));
            let row = &CATALOG[i];
            assert_eq!(id.is_bonus(), row.bonus > 0, "{id}");
            assert_eq!(
                id.is_indicator(),
                row.tiers[0].penalty == 0 && row.bonus == 0,
                "{id}"
            );
            assert_eq!(POSITIVE_MASK & id.bit() != 0, row.positive.is_some());
            assert_eq!(
                DEDUCTION_MASK & id.bit() != 0,
                !id.is_bonus() && !id.is_indicator()
            );
            for a in Article::ALL {
                assert_eq!(
                    ARTICLE_MASKS[i] & (1 << a as u32) != 0,
                    row.articles.contains(&a),
                    "{id} {a:?}"
                );
            }
        }
        assert_eq!(
            CheckId::IndicatorContinuity.bit() & INDICATOR_MASK,
            INDICATOR_MASK
        );
    }

    #[test]
    fn bonuses_sum_beyond_cap_so_cap_matters() {
        let total: u32 = CATALOG.iter().map(|c| u32::from(c.bonus)).sum();
        assert_eq!(total, 13);
        assert_eq!(BONUS_CAP, 10);
    }

    #[test]
    fn grades_from_score() {
        assert_eq!(Grade::from_score(100), Grade::A);
        assert_eq!(Grade::from_score(90), Grade::A);
        assert_eq!(Grade::from_score(89), Grade::B);
        assert_eq!(Grade::from_score(80), Grade::B);
        assert_eq!(Grade::from_score(79), Grade::C);
        assert_eq!(Grade::from_score(70), Grade::C);
        assert_eq!(Grade::from_score(69), Grade::D);
        assert_eq!(Grade::from_score(60), Grade::D);
        assert_eq!(Grade::from_score(59), Grade::F);
        assert_eq!(Grade::from_score(0), Grade::F);
        assert!(Grade::A < Grade::F);
        assert_eq!("d".parse::<Grade>().unwrap(), Grade::D);
        assert!("E".parse::<Grade>().is_err());
    }

    #[test]
    fn deadlines() {
        assert_eq!(
            remediation_deadline(Severity::Critical),
            (Priority::Critical, 7)
        );
        assert_eq!(remediation_deadline(Severity::High), (Priority::High, 14));
        assert_eq!(
            remediation_deadline(Severity::Medium),
            (Priority::Medium, 30)
        );
        assert_eq!(remediation_deadline(Severity::Low), (Priority::Medium, 90));
        for p in [Priority::Critical, Priority::High, Priority::Medium] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{p}\""));
            assert_eq!(serde_json::from_str::<Priority>(&json).unwrap(), p);
        }
        assert!(serde_json::from_str::<Priority>("\"Low\"").is_err());
    }

    #[test]
    fn article_keys() {
        assert_eq!(Article::D.key(), "article_21_2d");
        assert_eq!(Article::J.letter(), 'j');
    }
}
