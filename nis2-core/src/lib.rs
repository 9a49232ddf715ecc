//! # nis2-core
//!
//! The pure rating engine of nis2: it turns [`Observations`] (raw facts about
//! a vendor's internet-facing domain) into [`Finding`]s with [`evaluate`],
//! grades them into an [`Assessment`] with [`assess`] (score 0–100, grade A–F,
//! risk level, deductions, bonuses, NIS2 Art. 21(2) mapping, remediation plan,
//! summaries), and derives the webhook [`Event`]s a scan raises with
//! [`events::events`].
//!
//! No tokio, no sockets, no files, no clock or environment reads: time is a
//! value passed in, and the I/O lives behind the [`Scanner`], [`Store`],
//! [`Notifier`] and [`Clock`] ports that adapters implement; [`Engine`] ties
//! them together.
//!
//! The scoring method is `nis2-score/1` ([`METHOD_VERSION`]); the check table
//! is [`catalog::CATALOG`].
//!
//! ```
//! use nis2_core::{assess, evaluate, observations::*, Grade, History, Timestamp};
//!
//! let now = Timestamp::parse("2026-06-27T10:00:00Z")?;
//! let mut obs = Observations::new("vendor.example");
//! obs.email = Some(EmailObservations {
//!     mx: vec![MxRecord { preference: 10, exchange: "mx.vendor.example".into() }],
//!     spf: SpfObservations { records: vec!["v=spf1 mx -all".into()], ..Default::default() },
//!     dmarc: DmarcObservations { name: "_dmarc.vendor.example".into(), records: vec!["v=DMARC1; p=none".into()] },
//!     ..Default::default()
//! });
//! let findings = evaluate(&obs, now)?;
//! let assessment = assess(&findings, &History::first_scan(now));
//! assert_eq!(assessment.score, 100 - 6 - 2 - 1); // DMARC p=none, no MTA-STS, no TLS-RPT
//! assert_eq!(assessment.grade, Grade::A);
//! # Ok::<(), nis2_core::Error>(())
//! ```
#![warn(missing_docs)]

mod assess;
mod assessment;
pub mod catalog;
mod engine;
mod error;
mod evaluate;
pub mod events;
mod evidence;
pub mod i18n;
pub mod observations;
pub mod parse;
mod ports;
pub mod report;
pub mod samples;
pub mod signing;
pub mod suites;
mod text;
mod timestamp;

/// `assess` grades findings into an assessment; `History` carries the time and earlier scans.
pub use assess::{History, IntoFindings, assess};
/// The types of a graded assessment.
pub use assessment::{
    Assessment, Bonus, Deduction, Finding, MappingStatus, Nis2Mapping, RemediationStep, RiskLevel,
    Status,
};
/// The catalog's key types.
pub use catalog::{Article, CheckId, Grade, METHOD_VERSION, Priority, Severity};
/// The engine over the ports.
pub use engine::{Engine, EngineError, HISTORY_DEPTH, ReportLink, ScanOutcome};
/// The error type.
pub use error::Error;
/// `evaluate` judges observations; the constants name the paths and ports the checks look at.
pub use evaluate::{
    DATABASE_PORTS, DOTENV_PATH, EXPIRY_HIGH_DAYS, EXPIRY_MEDIUM_DAYS, FILE_SHARE_CRITICAL_PORTS,
    FILE_SHARE_MEDIUM_PORTS, GIT_HEAD_PATH, REMOTE_ADMIN_PORTS, RISKY_PORTS,
    SECURITY_TXT_LEGACY_PATH, SECURITY_TXT_PATH, evaluate, hostname_matches,
};
/// A webhook event.
pub use events::Event;
pub use evidence::Evidence;
/// The raw facts of a scan.
pub use observations::Observations;
/// The ports and the vendor model they share.
pub use ports::{
    AccountId, Clock, NewScan, Notifier, NotifyError, PastScan, ScanError, ScanId, Scanner, Store,
    StoreError, Vendor, VendorId, VendorStatus,
};
/// A UTC instant.
pub use timestamp::Timestamp;
