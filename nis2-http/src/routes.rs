//! The seed API's handlers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nis2_core::i18n::Lang;
use nis2_core::report::{self, Format, LetterInput, ReportInput, Sender, VendorRef};
use nis2_core::{Assessment, Grade, History, RiskLevel, ScanId, Timestamp, Vendor, VendorId};
use nis2_store::{DashboardSummary, NewVendor, Page};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::{ComputeGuard, Lookup, Stamp, View};
use crate::clock::now;
use crate::error::ApiError;
use crate::ratelimit::Bucket;
use crate::state::{AppState, Caller, ClientIp};

type JsonBody<T> = Result<Json<T>, JsonRejection>;

/// `GET /health`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Health {
    /// Always `healthy` when the process answers.
    pub(crate) status: String,
    /// The server's version.
    pub(crate) version: String,
    /// Now.
    pub(crate) timestamp: Timestamp,
}

pub(crate) async fn health() -> Json<Health> {
    Json(Health {
        status: "healthy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        timestamp: now().trunc_seconds(),
    })
}

/// Paging of lists.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    limit: Option<u32>,
    offset: Option<u64>,
}

/// `GET /vendors`.
#[derive(Debug, Serialize)]
pub(crate) struct VendorList {
    vendors: Vec<Vendor>,
    total: u64,
}

/// An encoded JSON answer.
fn json_bytes(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Encodes `value`, keeps it in the cache under `stamp` (when given), and answers it.
fn cache_and_answer<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    view: View,
    stamp: Option<Stamp>,
    value: &T,
) -> Result<Response, ApiError> {
    let body = Bytes::from(serde_json::to_vec(value).map_err(ApiError::internal)?);
    if let Some(stamp) = stamp {
        state
            .inner
            .cache
            .put(caller.account, view, stamp, body.clone());
    }
    Ok(json_bytes(body))
}

/// What a cached answer of `view` must have been computed under to be
/// served now: the account's data version and, for the dashboard, the month.
async fn stamp(state: &AppState, caller: &Caller, view: View) -> Result<Stamp, ApiError> {
    let store = state.store();
    let version = state
        .inner
        .cache
        .version(caller.account, || store.data_version(caller.account))
        .await?;
    let period = match view {
        View::Vendors => 0,
        View::Dashboard => {
            let t = now().into_inner();
            i64::from(t.year()) * 12 + i64::from(u8::from(t.month()))
        }
    };
    Ok(Stamp { version, period })
}

/// What [`cached`] found.
enum Cached {
    /// The kept answer, ready to send.
    Hit(Response),
    /// Compute the answer; keep it under the stamp (`None`: the cache is
    /// off) while holding the guard.
    Compute(Option<Stamp>, Option<ComputeGuard>),
}

/// The cached answer of `view`, or what computing it takes.
async fn cached(state: &AppState, caller: &Caller, view: View) -> Result<Cached, ApiError> {
    let cache = &state.inner.cache;
    if !cache.enabled() {
        return Ok(Cached::Compute(None, None));
    }
    let first = stamp(state, caller, view).await?;
    Ok(
        match cache
            .lookup(caller.account, view, first, || stamp(state, caller, view))
            .await?
        {
            Lookup::Hit(body) => Cached::Hit(json_bytes(body)),
            Lookup::Compute(stamp, guard) => Cached::Compute(Some(stamp), Some(guard)),
        },
    )
}

pub(crate) async fn list_vendors(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    state.limit(Bucket::Get, &caller)?;
    let Query(q) = query?;
    let store = state.store();
    if let Some(limit) = q.limit {
        let page = store
            .list_vendors(
                caller.account,
                Page {
                    offset: q.offset.unwrap_or(0),
                    limit: limit.clamp(1, Page::MAX_LIMIT),
                },
            )
            .await?;
        return Ok(Json(VendorList {
            vendors: page.vendors,
            total: page.total,
        })
        .into_response());
    }
    // No limit: all vendors (the seed's behaviour). The whole list is what
    // clients poll: read in one statement, and cached.
    if q.offset.unwrap_or(0) == 0 {
        let (stamp, _computing) = match cached(&state, &caller, View::Vendors).await? {
            Cached::Compute(stamp, guard) => (stamp, guard),
            Cached::Hit(hit) => return Ok(hit),
        };
        let page = store.all_vendors(caller.account).await?;
        let list = VendorList {
            vendors: page.vendors,
            total: page.total,
        };
        return cache_and_answer(&state, &caller, View::Vendors, stamp, &list);
    }
    // All from an offset on, a page at a time.
    let mut offset = q.offset.unwrap_or(0);
    let mut vendors = Vec::new();
    loop {
        let page = store
            .list_vendors(
                caller.account,
                Page {
                    offset,
                    limit: Page::MAX_LIMIT,
                },
            )
            .await?;
        let n = page.vendors.len() as u64;
        vendors.extend(page.vendors);
        offset += n;
        if n < u64::from(Page::MAX_LIMIT) || offset >= page.total {
            let list = VendorList {
                vendors,
                total: page.total,
            };
            return Ok(Json(list).into_response());
        }
    }
}

/// `POST /vendors` body.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateVendor {
    domain: String,
    vendor_name: Option<String>,
    notes: Option<String>,
    consent_given: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct VendorCreated {
    id: VendorId,
    domain: String,
    status: &'static str,
    created_at: Timestamp,
}

pub(crate) async fn create_vendor(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody<CreateVendor>,
) -> Result<(StatusCode, Json<VendorCreated>), ApiError> {
    let Json(body) = body?;
    if !body.consent_given {
        return Err(ApiError::bad_request(
            "CONSENT_REQUIRED",
            "consent_given must be true: confirm that you are authorized to conduct security \
             assessments of this domain",
        ));
    }
    let host = state
        .inner
        .vendor_policy
        .parse(&body.domain)
        .map_err(|e| ApiError::bad_request("INVALID_DOMAIN", e.to_string()))?;
    let new = NewVendor {
        domain: host.to_string(),
        vendor_name: body.vendor_name,
        notes: body.notes,
        consent_given: true,
    };
    let vendor = state
        .store()
        .create_vendor(caller.account, &new, now())
        .await
        .map_err(|e| match e {
            nis2_store::Error::Conflict { message } => {
                ApiError::bad_request("VENDOR_EXISTS", message)
            }
            other => other.into(),
        })?;
    tracing::info!(account = %caller.account, vendor = %vendor.id, domain = %vendor.domain, "vendor added");
    Ok((
        StatusCode::CREATED,
        Json(VendorCreated {
            id: vendor.id,
            domain: vendor.domain,
            status: vendor.status.as_str(),
            created_at: vendor.created_at,
        }),
    ))
}

/// `{"message": …}`.
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    message: &'static str,
}

pub(crate) async fn delete_vendor(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Message>, ApiError> {
    let Path(id) = id?;
    state
        .store()
        .delete_vendor(caller.account, VendorId(id))
        .await?;
    Ok(Json(Message {
        message: "Vendor deleted successfully",
    }))
}

/// `POST /scans/trigger` body.
#[derive(Debug, Deserialize)]
pub(crate) struct Trigger {
    vendor_id: Uuid,
}

#[derive(Debug, Serialize)]
pub(crate) struct Triggered {
    message: &'static str,
    vendor_id: VendorId,
    status: &'static str,
}

pub(crate) async fn trigger_scan(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody<Trigger>,
) -> Result<Json<Triggered>, ApiError> {
    state.limit(Bucket::Trigger, &caller)?;
    let Json(body) = body?;
    let vendor = VendorId(body.vendor_id);
    let queued = state
        .store()
        .enqueue_scan(caller.account, vendor, now())
        .await?;
    state.inner.wake_worker.notify_one();
    tracing::info!(account = %caller.account, %vendor, job = %queued.job.id, created = queued.created, "scan queued");
    Ok(Json(Triggered {
        message: "Scan queued",
        vendor_id: vendor,
        status: "scanning",
    }))
}

/// One entry of `GET /scans/history/{vendor_id}`.
#[derive(Debug, Serialize)]
pub(crate) struct HistoryEntry {
    id: ScanId,
    score: u8,
    grade: Grade,
    risk_level: RiskLevel,
    pdf_url: String,
    scanned_at: Timestamp,
    score_data: Assessment,
}

#[derive(Debug, Serialize)]
pub(crate) struct HistoryList {
    scans: Vec<HistoryEntry>,
}

pub(crate) async fn scan_history(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<HistoryList>, ApiError> {
    state.limit(Bucket::Get, &caller)?;
    let Path(id) = id?;
    let Query(q) = query?;
    let page = Page {
        offset: q.offset.unwrap_or(0),
        limit: q.limit.unwrap_or(50).clamp(1, Page::MAX_LIMIT),
    };
    let scans = state
        .store()
        .scan_history(caller.account, VendorId(id), page)
        .await?;
    Ok(Json(HistoryList {
        scans: scans
            .into_iter()
            .map(|s| HistoryEntry {
                id: s.id,
                score: s.score,
                grade: s.grade,
                risk_level: s.risk_level,
                pdf_url: state.report_url(s.id),
                scanned_at: s.scanned_at,
                score_data: s.assessment,
            })
            .collect(),
    }))
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    state.limit(Bucket::Get, &caller)?;
    let (stamp, _computing) = match cached(&state, &caller, View::Dashboard).await? {
        Cached::Compute(stamp, guard) => (stamp, guard),
        Cached::Hit(hit) => return Ok(hit),
    };
    let summary: DashboardSummary = state
        .store()
        .dashboard_summary(caller.account, now())
        .await?;
    cache_and_answer(&state, &caller, View::Dashboard, stamp, &summary)
}

/// `POST /reports/letter` body.
#[derive(Debug, Deserialize)]
pub(crate) struct LetterRequest {
    vendor_id: Uuid,
    language: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LetterResponse {
    letter: String,
    vendor: String,
    language: &'static str,
    generated_at: Timestamp,
}

fn parse_lang(code: Option<&str>) -> Result<Lang, ApiError> {
    match code {
        None => Ok(Lang::En),
        Some(c) => Lang::parse(c).map_err(|e| ApiError::Validation {
            code: "UNSUPPORTED_LANGUAGE",
            detail: e.to_string(),
        }),
    }
}

pub(crate) async fn letter(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody<LetterRequest>,
) -> Result<Json<LetterResponse>, ApiError> {
    state.limit(Bucket::Letter, &caller)?;
    let Json(body) = body?;
    let lang = parse_lang(body.language.as_deref())?;
    let store = state.store();
    let vendor = store
        .vendor(caller.account, VendorId(body.vendor_id))
        .await?;
    let scan = store
        .latest_scan(caller.account, vendor.id)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(
                "NOT_SCANNED",
                "The vendor has no completed scan yet; trigger a scan first",
            )
        })?;
    let account = store.account(caller.account).await?;
    let cfg = &state.inner.letter;
    let organisation = cfg.organisation.as_deref().unwrap_or(&account.name);
    let generated_at = now().trunc_seconds();
    let vendor_ref = VendorRef {
        domain: &vendor.domain,
        name: vendor.vendor_name.as_deref(),
    };
    let letter = report::letter(
        &LetterInput {
            assessment: &scan.assessment,
            vendor: vendor_ref,
            sender: Sender {
                name: &cfg.signer,
                organisation,
                contact: cfg.contact.as_deref(),
            },
            date: generated_at,
        },
        lang,
    );
    Ok(Json(LetterResponse {
        letter: letter.text,
        vendor: vendor.domain,
        language: lang.code(),
        generated_at,
    }))
}

/// `GET /reports/{scan_id}` query.
#[derive(Debug, Deserialize)]
pub(crate) struct ReportQuery {
    format: Option<String>,
    lang: Option<String>,
}

/// The report format served when none is asked for: PDF when built with the
/// `pdf` feature, HTML otherwise.
pub(crate) const DEFAULT_REPORT_FORMAT: Format = if cfg!(feature = "pdf") {
    Format::Pdf
} else {
    Format::Html
};

pub(crate) async fn report(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    state.limit(Bucket::Get, &caller)?;
    let Path(id) = id?;
    let Query(q) = query?;
    let lang = parse_lang(q.lang.as_deref())?;
    let format = match q.format.as_deref() {
        None => DEFAULT_REPORT_FORMAT,
        Some(f) => Format::parse(f).map_err(|e| ApiError::Validation {
            code: "UNSUPPORTED_FORMAT",
            detail: e.to_string(),
        })?,
    };
    let store = state.store();
    let scan = store.scan(caller.account, ScanId(id)).await?;
    let vendor = store.vendor(caller.account, scan.vendor_id).await.ok();
    let domain = vendor
        .as_ref()
        .map_or(scan.observations.domain.as_str(), |v| v.domain.as_str());
    let vendor_ref = VendorRef {
        domain,
        name: vendor.as_ref().and_then(|v| v.vendor_name.as_deref()),
    };
    let input = ReportInput::new(&scan.assessment, vendor_ref, now().trunc_seconds());
    let rendered = report::render(&input, lang, format).map_err(|e| match e {
        report::ReportError::PdfUnavailable => ApiError::Validation {
            code: "UNSUPPORTED_FORMAT",
            detail: e.to_string(),
        },
        other => ApiError::internal(other),
    })?;
    let mut response = rendered.bytes.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rendered.content_type),
    );
    Ok(response)
}

/// `POST /scan/demo` body.
#[derive(Debug, Deserialize)]
pub(crate) struct DemoRequest {
    domain: String,
}

/// `POST /scan/demo` answer: the assessment, not stored.
#[derive(Debug, Serialize)]
pub(crate) struct DemoResponse {
    domain: String,
    score: u8,
    grade: Grade,
    risk_level: RiskLevel,
    scanned_at: Timestamp,
    stored: bool,
    score_data: Assessment,
}

const PRIVATE_NOT_ALLOWED: &str = "scanning private addresses is not allowed";

pub(crate) async fn demo(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: JsonBody<DemoRequest>,
) -> Result<Json<DemoResponse>, ApiError> {
    state.inner.limiter.check_ip(Bucket::Demo, ip)?;
    let Json(body) = body?;
    let target = state
        .inner
        .demo_policy
        .resolve(&body.domain)
        .await
        .map_err(|e| {
            let text = e.to_string();
            match e {
                nis2_scanner::Error::TargetRefused { .. } => {
                    let detail = if text.contains(PRIVATE_NOT_ALLOWED) {
                        text
                    } else {
                        format!("{text}; {PRIVATE_NOT_ALLOWED}")
                    };
                    ApiError::bad_request("TARGET_NOT_ALLOWED", detail)
                }
                nis2_scanner::Error::Resolution { .. } => {
                    ApiError::bad_request("DOMAIN_NOT_RESOLVED", text)
                }
                _ => ApiError::bad_request(
                    "INVALID_DOMAIN",
                    format!(
                        "{text}. Give a public domain name: internal names and IP addresses are \
                         refused, {PRIVATE_NOT_ALLOWED}"
                    ),
                ),
            }
        })?;
    let domain = target.server_name();
    let observations = tokio::time::timeout(
        state.inner.demo_timeout,
        state.inner.demo_scanner.scan(&domain),
    )
    .await
    .map_err(|_| ApiError::bad_request("SCAN_FAILED", "The scan timed out"))?
    .map_err(|e| ApiError::bad_request("SCAN_FAILED", e.to_string()))?;
    let scanned_at = now();
    let findings = nis2_core::evaluate(&observations, scanned_at).map_err(ApiError::internal)?;
    let assessment = nis2_core::assess(findings, &History::first_scan(scanned_at));
    tracing::info!(%ip, %domain, score = assessment.score, "demo scan");
    Ok(Json(DemoResponse {
        domain,
        score: assessment.score,
        grade: assessment.grade,
        risk_level: assessment.risk_level,
        scanned_at: scanned_at.trunc_seconds(),
        stored: false,
        score_data: assessment,
    }))
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("NOT_FOUND", "No such route")
}
