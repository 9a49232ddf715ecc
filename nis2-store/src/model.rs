//! The value types of the public API.

use std::fmt;
use std::time::Duration;

use nis2_core::{
    AccountId, Assessment, Grade, Observations, RiskLevel, ScanId, Timestamp, Vendor, VendorId,
};
use serde::Serialize;
use uuid::Uuid;

/// A customer account: the tenant every stored row belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Id.
    pub id: AccountId,
    /// Display name.
    pub name: String,
    /// The identity provider's subject (a JWT `sub`), when the account is
    /// tied to one; unique across accounts.
    pub external_subject: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A vendor to add (the seed's `POST /vendors` body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVendor {
    /// The vendor's domain; stored trimmed, lower-cased, without a trailing
    /// dot, at most [`crate::limits::DOMAIN`] characters.
    pub domain: String,
    /// Display name, at most [`crate::limits::VENDOR_NAME`] characters.
    pub vendor_name: Option<String>,
    /// Free text, at most [`crate::limits::NOTES`] characters.
    pub notes: Option<String>,
    /// Must be `true`: the customer confirms it may assess this domain. Its
    /// time stamp is stored as the vendor's `consent_timestamp`.
    pub consent_given: bool,
}

impl NewVendor {
    /// A vendor with a domain and consent, no name or notes.
    pub fn new(domain: impl Into<String>, consent_given: bool) -> Self {
        Self {
            domain: domain.into(),
            vendor_name: None,
            notes: None,
            consent_given,
        }
    }
}

/// Which part of a list to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return; clamped to 1..=[`Page::MAX_LIMIT`].
    pub limit: u32,
}

impl Page {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 500;

    /// The first `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self { offset: 0, limit }
    }

    pub(crate) fn sql_limit(self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT))
    }

    pub(crate) fn sql_offset(self) -> i64 {
        i64::try_from(self.offset).unwrap_or(i64::MAX)
    }
}

impl Default for Page {
    /// The first 50 rows.
    fn default() -> Self {
        Self {
            offset: 0,
            limit: 50,
        }
    }
}

/// One page of an account's vendors, newest first, with the account's total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VendorPage {
    /// The vendors on this page.
    pub vendors: Vec<Vendor>,
    /// How many vendors the account has in all.
    pub total: u64,
}

/// A stored scan with its assessment (the seed's SCORE DATA OBJECT) and the
/// observations it was made from.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanRecord {
    /// Id.
    pub id: ScanId,
    /// Owning account.
    pub account_id: AccountId,
    /// The vendor scanned.
    pub vendor_id: VendorId,
    /// When it was assessed.
    pub scanned_at: Timestamp,
    /// Its score.
    pub score: u8,
    /// Its grade.
    pub grade: Grade,
    /// Its risk level.
    pub risk_level: RiskLevel,
    /// The scoring method version (`nis2-score/1`).
    pub method: String,
    /// The full assessment.
    pub assessment: Assessment,
    /// The facts gathered.
    pub observations: Observations,
}

/// An account's webhook endpoint.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct WebhookEndpoint {
    /// Owning account.
    pub account_id: AccountId,
    /// Where events are POSTed.
    pub url: String,
    /// The HMAC-SHA256 key for `X-NIS2-Signature` (not serialized).
    #[serde(skip_serializing)]
    pub secret: String,
    /// When it was first set.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("account_id", &self.account_id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// An API token's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TokenId(pub Uuid);

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for TokenId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// An API token as stored: never the token itself, only its SHA-256 hash
/// (kept inside the store) and a short prefix to recognise it by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Id.
    pub id: TokenId,
    /// Owning account.
    pub account_id: AccountId,
    /// A name the owner chose.
    pub name: String,
    /// The first characters of the token (`nis2_` and 8 more), for display.
    pub prefix: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last authenticated a request.
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

/// A newly issued API token: the only time the raw token is available.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The stored record.
    pub token: ApiToken,
    /// The raw token, `nis2_` followed by 64 hex digits (256 random bits).
    /// Show it once; the store keeps only its hash.
    pub secret: String,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &self.token)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Who a valid API token belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    /// The account it acts for.
    pub account_id: AccountId,
    /// The token.
    pub token_id: TokenId,
}

/// A scan job's id (a sequence number, not a uuid: jobs are internal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a scan job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker (also while waiting for a retry).
    Queued,
    /// Claimed by a worker whose lease may or may not have expired.
    Running,
    /// Completed.
    Done,
    /// Gave up after the last attempt.
    Failed,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// A scan job as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Owning account.
    pub account_id: AccountId,
    /// The vendor to scan.
    pub vendor_id: VendorId,
    /// Where it is.
    pub state: JobState,
    /// Claims so far (a claim whose worker died counts).
    pub attempts: u32,
    /// Claims allowed before it fails for good.
    pub max_attempts: u32,
    /// Not claimable before this time (retry back-off).
    pub run_after: Timestamp,
    /// While running: the lease's end.
    pub lease_until: Option<Timestamp>,
    /// The last heartbeat (or claim) of the worker holding it.
    pub heartbeat_at: Option<Timestamp>,
    /// The worker that claimed it last.
    pub worker: Option<String>,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When it was done or failed.
    pub finished_at: Option<Timestamp>,
}

/// What [`crate::SqlStore::enqueue_scan`] did. Enqueueing is idempotent: a
/// vendor never has two jobs queued or running, so enqueueing a vendor that
/// has one returns that job with `created == false`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enqueued {
    /// The vendor's active job.
    pub job: Job,
    /// Whether this call created it.
    pub created: bool,
}

/// A job a worker holds: the lease token proves it on heartbeat, complete
/// and fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedJob {
    /// The job.
    pub id: JobId,
    /// Owning account.
    pub account_id: AccountId,
    /// The vendor to scan.
    pub vendor_id: VendorId,
    /// The vendor's domain.
    pub domain: String,
    /// This claim's number (1 for the first).
    pub attempt: u32,
    /// Claims allowed.
    pub max_attempts: u32,
    /// Identifies this claim; a later claim of the same job gets a new one.
    pub lease_token: Uuid,
    /// The lease's end; heartbeat before it.
    pub lease_until: Timestamp,
}

/// What [`crate::SqlStore::fail_job`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFailure {
    /// Queued again; claimable from this time.
    Retry {
        /// When.
        at: Timestamp,
    },
    /// That was the last attempt: the job failed and the vendor's status is `error`.
    Failed,
}

/// How scan jobs are leased and retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobPolicy {
    /// How long a claim lasts without a heartbeat (default 5 minutes).
    pub lease: Duration,
    /// Claims per job before it fails for good (default 3). A worker that
    /// died holding the job used one.
    pub max_attempts: u32,
    /// Back-off after the first failure, doubled per further failure
    /// (default 30 s).
    pub retry_base: Duration,
    /// Longest back-off (default 1 hour).
    pub retry_max: Duration,
}

impl Default for JobPolicy {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(300),
            max_attempts: 3,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3_600),
        }
    }
}

/// How webhook deliveries are leased and retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// How long a dispatcher's claim lasts (default 60 s); after it, another
    /// dispatcher may claim the entry (at-least-once delivery).
    pub lease: Duration,
    /// Failed deliveries before an entry is dead (default 10).
    pub max_attempts: u32,
    /// Back-off after the first failure, doubled per further failure (default 30 s).
    pub retry_base: Duration,
    /// Longest back-off (default 6 hours).
    pub retry_max: Duration,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            max_attempts: 10,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(6 * 3_600),
        }
    }
}

/// The back-off before retry number `failures` (1 for the first failure):
/// `base * 2^(failures-1)`, at most `max`.
pub(crate) fn backoff(base: Duration, max: Duration, failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(31));
    base.saturating_mul(factor).min(max)
}

/// An outbox entry's id (a sequence number: entries of one store are
/// claimed oldest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct OutboxId(pub i64);

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an outbox entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting for (another) delivery attempt, possibly claimed.
    Pending,
    /// Delivered.
    Delivered,
    /// Given up after the last attempt.
    Dead,
}

/// A webhook event waiting in (or gone through) the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// Id.
    pub id: OutboxId,
    /// Owning account (whose webhook endpoint gets it).
    pub account_id: AccountId,
    /// `scan_completed`, `grade_changed` or `critical_alert`.
    pub event_name: String,
    /// The exact JSON body to send and sign ([`nis2_core::Event::to_json`]).
    pub body: String,
    /// Failed deliveries so far.
    pub attempts: u32,
    /// Where it is.
    pub state: OutboxState,
    /// When it was written.
    pub created_at: Timestamp,
    /// Not due before this time.
    pub next_attempt_at: Timestamp,
    /// The current claim's end, if claimed.
    pub claimed_until: Option<Timestamp>,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// What [`crate::SqlStore::fail_delivery`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// Due again at this time.
    Retry {
        /// When.
        at: Timestamp,
    },
    /// That was the last attempt: the entry is dead (kept, never claimed again).
    Dead,
    /// Another dispatcher delivered it meanwhile (after this one's claim
    /// lapsed); nothing changed.
    AlreadyDelivered,
}

/// The seed's `/dashboard/summary` for one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DashboardSummary {
    /// Vendors in the account.
    pub total_vendors: u64,
    /// Vendors whose latest scan finished in the calendar month (UTC) of `now`.
    pub scanned_this_month: u64,
    /// Vendors whose current risk level is `Critical` (grade F).
    pub critical_risks: u64,
    /// Mean current score over vendors with a score, rounded half away from
    /// zero; `None` when no vendor has been scanned.
    pub average_score: Option<u8>,
    /// Vendors per current grade (unscanned vendors count in none).
    pub grade_distribution: GradeDistribution,
}

/// Vendors per current grade.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[allow(non_snake_case)] // the seed's JSON keys are the letters
pub struct GradeDistribution {
    /// Grade A.
    pub A: u64,
    /// Grade B.
    pub B: u64,
    /// Grade C.
    pub C: u64,
    /// Grade D.
    pub D: u64,
    /// Grade F.
    pub F: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_secs(30);
        let m = Duration::from_secs(3_600);
        assert_eq!(backoff(b, m, 1), Duration::from_secs(30));
        assert_eq!(backoff(b, m, 2), Duration::from_secs(60));
        assert_eq!(backoff(b, m, 4), Duration::from_secs(240));
        assert_eq!(backoff(b, m, 8), m);
        assert_eq!(backoff(b, m, 1_000), m);
    }

    #[test]
    fn page_limits_are_clamped() {
        assert_eq!(Page::first(0).sql_limit(), 1);
        assert_eq!(Page::first(10_000).sql_limit(), 500);
        assert_eq!(
            Page {
                offset: u64::MAX,
                limit: 5
            }
            .sql_offset(),
            i64::MAX
        );
    }
}
