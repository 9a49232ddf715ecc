//! The shared state of the handlers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use nis2_core::{AccountId, Scanner};
use nis2_scanner::{PolicyOptions, TargetPolicy};
use nis2_store::SqlStore;
use tokio::sync::Notify;

use crate::auth::{AuthSetupError, JwtVerifier, SubjectCache};
use crate::cache::ResponseCache;
use crate::clock::now;
use crate::config::{LetterConfig, ServerConfig};
use crate::error::ApiError;
use crate::ratelimit::{Bucket, RateLimiter};

/// Why the state (and so the server) could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The JWT configuration is unusable.
    #[error(transparent)]
    Auth(#[from] AuthSetupError),
    /// A target policy could not be built (resolver configuration).
    #[error("target policy: {0}")]
    Policy(#[from] nis2_scanner::Error),
    /// The store could not be opened.
    #[error("store: {0}")]
    Store(#[from] nis2_store::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The webhook HTTP client could not be built.
    #[error("webhook client: {0}")]
    Http(String),
}

/// What the handlers share: the store, the scanners, the auth and limits.
/// Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) store: SqlStore,
    pub(crate) demo_scanner: Arc<dyn Scanner>,
    pub(crate) vendor_policy: TargetPolicy,
    pub(crate) demo_policy: TargetPolicy,
    pub(crate) jwt: JwtVerifier,
    pub(crate) api_tokens: bool,
    pub(crate) subjects: SubjectCache,
    pub(crate) limiter: RateLimiter,
    pub(crate) trusted_proxies: Vec<IpAddr>,
    pub(crate) base_url: String,
    pub(crate) wake_worker: Arc<Notify>,
    pub(crate) letter: LetterConfig,
    pub(crate) body_limit: usize,
    pub(crate) demo_timeout: Duration,
    pub(crate) cache: Arc<ResponseCache>,
}

impl AppState {
    /// State for [`crate::app`] over an open store. `demo_scanner` serves
    /// `POST /scan/demo`; targets are checked with a strict policy (public
    /// names only) before it is called, and it should itself be built with the
    /// strict policy so it does not resolve the name to a different address.
    pub async fn new(
        config: &ServerConfig,
        store: SqlStore,
        demo_scanner: Arc<dyn Scanner>,
    ) -> Result<AppState, SetupError> {
        let vendor_policy = TargetPolicy::new(
            PolicyOptions::new().allow_private(config.allow_private_vendors),
            &config.resolver,
        )?;
        let demo_policy = TargetPolicy::new(PolicyOptions::new(), &config.resolver)?;
        let jwt = JwtVerifier::new(&config.auth).await?;
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                demo_scanner,
                vendor_policy,
                demo_policy,
                jwt,
                api_tokens: config.auth.api_tokens,
                subjects: SubjectCache::default(),
                limiter: RateLimiter::new(config.rate_limits),
                trusted_proxies: config.trusted_proxies.clone(),
                base_url: base_url(config),
                wake_worker: Arc::new(Notify::new()),
                letter: config.letter.clone(),
                body_limit: config.body_limit,
                demo_timeout: config.demo_timeout,
                cache: Arc::new(ResponseCache::new(config.response_cache_ttl)),
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &SqlStore {
        &self.inner.store
    }

    /// Woken when a scan is queued, so an in-process worker starts at once.
    pub fn worker_wakeup(&self) -> Arc<Notify> {
        self.inner.wake_worker.clone()
    }

    /// The report URL of a scan (the `pdf_url` of history entries and events).
    pub fn report_url(&self, scan: nis2_core::ScanId) -> String {
        report_url(&self.inner.base_url, scan)
    }

    pub(crate) fn limit(&self, bucket: Bucket, caller: &Caller) -> Result<(), ApiError> {
        self.inner.limiter.check_account(bucket, caller.account)
    }
}

/// `{base}/reports/{scan}`.
pub(crate) fn report_url(base: &str, scan: nis2_core::ScanId) -> String {
    format!("{}/reports/{scan}", base.trim_end_matches('/'))
}

pub(crate) fn base_url(config: &ServerConfig) -> String {
    config
        .public_base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen))
}

/// An authenticated caller: the account its token maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The account.
    pub account: AccountId,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let inner = &state.inner;
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("Missing Authorization header"))?;
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("Malformed Authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("Expected `Authorization: Bearer <token>`"))?;
        if token.starts_with("nis2_") {
            if !inner.api_tokens {
                return Err(ApiError::unauthorized("API tokens are not accepted"));
            }
            return match inner.store.authenticate_token(token, now()).await? {
                Some(owner) => Ok(Caller {
                    account: owner.account_id,
                }),
                None => Err(ApiError::unauthorized("Invalid or revoked API token")),
            };
        }
        if !inner.jwt.enabled() {
            return Err(ApiError::unauthorized("Invalid token"));
        }
        let subject = inner.jwt.verify(token).await?;
        if let Some(account) = inner.subjects.get(&subject.subject) {
            return Ok(Caller { account });
        }
        let account = inner
            .store
            .account_for_subject(&subject.subject, &subject.display, now())
            .await?;
        inner.subjects.put(&subject.subject, account.id);
        Ok(Caller {
            account: account.id,
        })
    }
}

/// The client's IP: the socket peer, or the right-most `X-Forwarded-For`
/// entry that is not a trusted proxy when the peer is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let trusted = &state.inner.trusted_proxies;
        if !trusted.contains(&peer) {
            return Ok(ClientIp(peer));
        }
        let mut ip = peer;
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(addr) => {
                    ip = addr;
                    if !trusted.contains(&addr) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        Ok(ClientIp(ip))
    }
}
