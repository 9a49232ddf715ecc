//! Bearer authentication: JWTs (HS256 secret, RS256/ES256 from a JWKS) and
//! long-lived `nis2_…` API tokens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::config::{AuthConfig, JwksSource};
use crate::error::ApiError;

/// Why the authenticator could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthSetupError {
    /// The JWKS could not be read, fetched or parsed.
    #[error("JWKS: {0}")]
    Jwks(String),
}

/// Who a verified JWT names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JwtSubject {
    pub(crate) subject: String,
    pub(crate) display: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    email: Option<String>,
    role: Option<String>,
}

/// Verification keys with their key ids.
type Keys = Vec<(Option<String>, Arc<KeyEntry>)>;

struct KeyEntry {
    key: DecodingKey,
    alg: Algorithm,
}

/// Verifies JWTs against the configured keys.
pub(crate) struct JwtVerifier {
    hs256: Option<DecodingKey>,
    keys: RwLock<Keys>,
    jwks_url: Option<String>,
    /// When the keys were last fetched successfully.
    fetched_at: std::sync::Mutex<Instant>,
    /// When a fetch was last tried.
    last_try: std::sync::Mutex<Instant>,
    refresh: Duration,
    max_age: Duration,
    audiences: Vec<String>,
    issuers: Vec<String>,
    leeway: u64,
    http: reqwest::Client,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("hs256", &self.hs256.is_some())
            .field("jwks_url", &self.jwks_url)
            .finish_non_exhaustive()
    }
}

fn parse_jwks(text: &str) -> Result<Keys, AuthSetupError> {
    let set: JwkSet =
        serde_json::from_str(text).map_err(|e| AuthSetupError::Jwks(format!("not a JWKS: {e}")))?;
    let mut out = Vec::new();
    for jwk in &set.keys {
        // Only asymmetric keys: a symmetric ("oct") key in a public JWKS
        // would let anyone who can read it sign tokens.
        let alg = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
            _ => continue,
        };
        if let Some(declared) = jwk.common.key_algorithm
            && Algorithm::try_from(declared).ok() != Some(alg)
        {
            continue;
        }
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| AuthSetupError::Jwks(format!("unusable key: {e}")))?;
        out.push((jwk.common.key_id.clone(), Arc::new(KeyEntry { key, alg })));
    }
    Ok(out)
}

impl JwtVerifier {
    pub(crate) async fn new(config: &AuthConfig) -> Result<Self, AuthSetupError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| AuthSetupError::Jwks(e.to_string()))?;
        let (keys, jwks_url) = match &config.jwks {
            None => (Vec::new(), None),
            Some(JwksSource::Inline(text)) => (parse_jwks(text)?, None),
            Some(JwksSource::File(path)) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    AuthSetupError::Jwks(format!("cannot read {}: {e}", path.display()))
                })?;
                (parse_jwks(&text)?, None)
            }
            Some(JwksSource::Url(url)) => (fetch_jwks(&http, url).await?, Some(url.clone())),
        };
        Ok(Self {
            hs256: config
                .hs256_secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.as_bytes())),
            keys: RwLock::new(keys),
            jwks_url,
            fetched_at: std::sync::Mutex::new(Instant::now()),
            last_try: std::sync::Mutex::new(Instant::now()),
            refresh: config.jwks_refresh,
            max_age: config.jwks_max_age,
            audiences: config.audiences.clone(),
            issuers: config.issuers.clone(),
            leeway: config.leeway.as_secs(),
            http,
        })
    }

    /// Whether any JWT can be accepted at all.
    pub(crate) fn enabled(&self) -> bool {
        self.hs256.is_some()
            || self.jwks_url.is_some()
            || !self.keys.try_read().is_ok_and(|k| k.is_empty())
    }

    async fn find_key(&self, kid: Option<&str>) -> Option<Arc<KeyEntry>> {
        let pick = |keys: &Keys| match kid {
            Some(kid) => keys
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .map(|(_, e)| e.clone()),
            None if keys.len() == 1 => keys.first().map(|(_, e)| e.clone()),
            None => None,
        };
        let found = pick(&*self.keys.read().await);
        let Some(url) = self.jwks_url.as_ref() else {
            return found;
        };
        let stale = lock(&self.fetched_at).elapsed() >= self.max_age;
        if found.is_some() && !stale {
            return found;
        }
        // An unknown key id (the issuer may have rotated its keys) or old
        // keys: fetch again, but not more often than `refresh`.
        {
            let mut last = lock(&self.last_try);
            if last.elapsed() < self.refresh {
                return found;
            }
            *last = Instant::now();
        }
        match fetch_jwks(&self.http, url).await {
            Ok(keys) => {
                tracing::info!(url = %url, keys = keys.len(), "JWKS fetched");
                let mut guard = self.keys.write().await;
                *guard = keys;
                *lock(&self.fetched_at) = Instant::now();
                pick(&guard)
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS refresh failed; keeping the keys we have");
                found
            }
        }
    }

    /// Verifies a JWT: algorithm pinned by the key (no `none`, no HS/RS
    /// confusion), signature, `exp`, `nbf`, `aud`, `iss`, and a `sub`.
    pub(crate) async fn verify(&self, token: &str) -> Result<JwtSubject, ApiError> {
        let invalid = |why: &str| ApiError::unauthorized(format!("Invalid token: {why}"));
        let header =
            decode_header(token).map_err(|_| invalid("malformed or unsupported header"))?;
        let (key, alg): (DecodingKey, Algorithm) = match header.alg {
            Algorithm::HS256 => match &self.hs256 {
                Some(k) => (k.clone(), Algorithm::HS256),
                None => return Err(invalid("algorithm HS256 is not accepted")),
            },
            Algorithm::RS256 | Algorithm::ES256 => {
                let entry = self
                    .find_key(header.kid.as_deref())
                    .await
                    .ok_or_else(|| invalid("unknown signing key"))?;
                if entry.alg != header.alg {
                    return Err(invalid("algorithm does not match the key"));
                }
                (entry.key.clone(), entry.alg)
            }
            other => return Err(invalid(&format!("algorithm {other:?} is not accepted"))),
        };
        let mut v = Validation::new(alg);
        v.leeway = self.leeway;
        v.validate_exp = true;
        v.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if self.audiences.is_empty() {
            v.validate_aud = false;
        } else {
            v.set_audience(&self.audiences);
            required.push("aud");
        }
        if !self.issuers.is_empty() {
            v.set_issuer(&self.issuers);
            required.push("iss");
        }
        v.set_required_spec_claims(&required);
        let data = decode::<Claims>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => invalid("expired"),
                ErrorKind::ImmatureSignature => invalid("not valid yet (nbf)"),
                ErrorKind::InvalidAudience => invalid("wrong audience"),
                ErrorKind::InvalidIssuer => invalid("wrong issuer"),
                ErrorKind::InvalidSignature => invalid("bad signature"),
                ErrorKind::MissingRequiredClaim(c) => invalid(&format!("missing claim `{c}`")),
                _ => invalid("verification failed"),
            }
        })?;
        let claims = data.claims;
        if claims.role.as_deref() == Some("anon") {
            return Err(ApiError::Forbidden {
                detail: "Insufficient permissions: anonymous tokens cannot use the API; sign in as a user".into(),
            });
        }
        let subject = claims
            .sub
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| invalid("missing claim `sub`"))?;
        let display = claims.email.unwrap_or_else(|| subject.clone());
        Ok(JwtSubject { subject, display })
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The largest JWKS document read (a key set is a few KiB).
const MAX_JWKS_BYTES: usize = 1 << 20;

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<Keys, AuthSetupError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        AuthSetupError::Jwks(format!("cannot {what} {url}: {e}"))
    };
    let mut response = http
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| fail("fetch", &error_chain(&e)))?;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| fail("read", &error_chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(fail("read", &"the document is larger than 1 MiB"));
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|e| fail("read", &e))?;
    parse_jwks(&text)
}

/// An error and its causes, `: `-separated (reqwest's own message leaves
/// out why a request failed).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Keeps the subject → account mapping warm, so a JWT does not cost a
/// database write per request.
#[derive(Debug, Default)]
pub(crate) struct SubjectCache {
    map: std::sync::Mutex<HashMap<String, nis2_core::AccountId>>,
}

impl SubjectCache {
    pub(crate) fn get(&self, subject: &str) -> Option<nis2_core::AccountId> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(subject)
            .copied()
    }

    pub(crate) fn put(&self, subject: &str, account: nis2_core::AccountId) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 100_000 {
            m.clear();
        }
        m.insert(subject.to_owned(), account);
    }
}
