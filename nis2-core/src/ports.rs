//! The ports the engine is written against, and the vendor model they share.
//!
//! Adapters implement them: `nis2-scanner` the [`Scanner`], `nis2-store` the
//! [`Store`], the HTTP server a [`Notifier`] that wakes its webhook dispatcher
//! and a [`Clock`] that reads the system time. Core never spawns tasks, sleeps
//! or reads the clock itself.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Timestamp;
use crate::assessment::{Assessment, RiskLevel};
use crate::catalog::{CheckId, Grade};
use crate::events::Event;
use crate::observations::Observations;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A customer account (the tenant every stored row belongs to).
    AccountId
);
id_type!(
    /// A vendor in an account's portfolio.
    VendorId
);
id_type!(
    /// One stored scan.
    ScanId
);

/// Where a vendor is in its scan life cycle (the seed's `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VendorStatus {
    /// Added, never scanned.
    Pending,
    /// A scan is queued or running.
    Scanning,
    /// The last scan completed.
    Complete,
    /// The last scan failed.
    Error,
}

impl VendorStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scanning => "scanning",
            Self::Complete => "complete",
            Self::Error => "error",
        }
    }
}

/// A vendor (the seed's VENDOR OBJECT, plus its account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vendor {
    /// Id.
    pub id: VendorId,
    /// Owning account (not part of the seed's JSON).
    #[serde(skip_serializing)]
    pub account_id: AccountId,
    /// The vendor's domain.
    pub domain: String,
    /// Display name.
    pub vendor_name: Option<String>,
    /// Free text.
    pub notes: Option<String>,
    /// The customer confirmed it may assess this domain.
    pub consent_given: bool,
    /// When consent was given.
    pub consent_timestamp: Timestamp,
    /// Scan life cycle.
    pub status: VendorStatus,
    /// Latest score.
    pub current_score: Option<u8>,
    /// Latest grade.
    pub current_grade: Option<Grade>,
    /// Latest risk level.
    pub risk_level: Option<RiskLevel>,
    /// When the latest scan finished.
    pub last_scanned_at: Option<Timestamp>,
    /// When the vendor was added.
    pub created_at: Timestamp,
}

/// What the engine needs to know of an earlier scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastScan {
    /// The scan.
    pub scan_id: ScanId,
    /// When it was made.
    pub scanned_at: Timestamp,
    /// Its score.
    pub score: u8,
    /// Its grade.
    pub grade: Grade,
    /// The checks that failed in it.
    pub failing: Vec<CheckId>,
}

/// A scan to store, with the events it raised.
#[derive(Clone, Debug)]
pub struct NewScan<'a> {
    /// Id chosen by the engine.
    pub scan_id: ScanId,
    /// Owning account.
    pub account_id: AccountId,
    /// The vendor scanned.
    pub vendor_id: VendorId,
    /// The facts gathered.
    pub observations: &'a Observations,
    /// The graded result.
    pub assessment: &'a Assessment,
    /// Events to deliver; stored in the outbox in the same transaction.
    pub events: &'a [Event],
}

/// Why a scan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The domain is not a valid host name.
    #[error("invalid domain `{domain}`: {reason}")]
    InvalidTarget {
        /// The input (truncated).
        domain: String,
        /// Why.
        reason: String,
    },
    /// The target resolves to an address the policy forbids.
    #[error("target `{domain}` refused: {reason}")]
    TargetRefused {
        /// The domain.
        domain: String,
        /// Which rule refused it (e.g. "127.0.0.1 is a loopback address; scanning private addresses is not allowed").
        reason: String,
    },
    /// The domain does not resolve.
    #[error("cannot resolve `{domain}`: {reason}")]
    Resolution {
        /// The domain.
        domain: String,
        /// The resolver's answer.
        reason: String,
    },
    /// Anything else that stopped the scan as a whole.
    #[error("scan failed: {message}")]
    Failed {
        /// What happened.
        message: String,
    },
}

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such row in this account (also for rows of other accounts).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// A uniqueness rule was broken (e.g. the vendor already exists).
    #[error("conflict: {message}")]
    Conflict {
        /// What conflicts.
        message: String,
    },
    /// Input the store refuses (too long, invalid).
    #[error("invalid input: {message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// The database failed.
    #[error("storage failure: {message}")]
    Backend {
        /// The cause (logged; not shown to API clients).
        message: String,
    },
}

/// Why a notification could not be handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notification failed: {message}")]
#[non_exhaustive]
pub struct NotifyError {
    /// What happened.
    pub message: String,
}

impl NotifyError {
    /// A failure described in words.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Gathers the facts about a domain.
#[async_trait]
pub trait Scanner: Send + Sync {
    /// Scans one domain end to end. Problems met with single checks are
    /// recorded in [`Observations::errors`]; an `Err` means no scan was made.
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError>;
}

/// The storage the engine needs (the full store offers more).
#[async_trait]
pub trait Store: Send + Sync {
    /// Earlier scans of the vendor, newest first, at most `limit`.
    async fn previous_scans(
        &self,
        account: AccountId,
        vendor: VendorId,
        limit: usize,
    ) -> Result<Vec<PastScan>, StoreError>;

    /// Stores a scan, updates the vendor's current score, grade, risk and
    /// status, and writes its events to the outbox — all in one transaction.
    async fn record_scan(&self, scan: NewScan<'_>) -> Result<(), StoreError>;

    /// Marks the vendor's scan as failed (status `error`) with a reason.
    async fn record_scan_failure(
        &self,
        account: AccountId,
        vendor: VendorId,
        message: &str,
    ) -> Result<(), StoreError>;
}

/// Told about events once they are durably stored; delivers or wakes whoever does.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Events of one account, already in the outbox.
    async fn notify(&self, account: AccountId, events: &[Event]) -> Result<(), NotifyError>;
}

/// The time source.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}
