//! Configuration of the server and the worker. Plain values with documented
//! defaults: the CLI maps flags, environment and TOML onto them.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use nis2_scanner::ResolverOptions;
use nis2_store::StoreOptions;

use crate::ratelimit::RateLimits;

/// Everything `nis2 serve` (and `nis2 worker`) needs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where to listen (default `127.0.0.1:8080`; port 0 picks a free port).
    pub listen: SocketAddr,
    /// A SQLite path or a `postgres://` URL (default `./nis2.db`).
    pub database: String,
    /// Store pool, lease and retry options (defaults of [`StoreOptions`]).
    pub store: StoreOptions,
    /// Bearer token checks.
    pub auth: AuthConfig,
    /// Proxies whose `X-Forwarded-For` is believed (default none: the
    /// client IP is always the socket's peer).
    pub trusted_proxies: Vec<IpAddr>,
    /// The base URL clients reach this server at, for `pdf_url` links
    /// (default `http://{listen}`).
    pub public_base_url: Option<String>,
    /// Request body limit in bytes (default 64 KiB); larger bodies get 413.
    pub body_limit: usize,
    /// Whether vendor domains may be private or special-use names (default
    /// `false`; the lab and tests set it). The demo endpoint never allows them.
    pub allow_private_vendors: bool,
    /// How target names are resolved (vendor checks, demo, webhook URLs).
    pub resolver: ResolverOptions,
    /// The scan worker.
    pub worker: WorkerConfig,
    /// The webhook dispatcher.
    pub webhooks: WebhookConfig,
    /// Who signs remediation letters.
    pub letter: LetterConfig,
    /// How long shutdown waits for in-flight scans and deliveries (default
    /// 30 s); scans still running then are given back (queued again at once,
    /// the attempt not counted, the vendor still `scanning`) so another
    /// worker, or the next start, runs them; deliveries still in flight are
    /// dropped and their claims lapse, so they are sent again.
    pub shutdown_grace: Duration,
    /// Longest time a demo scan may take (default 60 s).
    pub demo_timeout: Duration,
    /// Rate limits (default: the seed's).
    pub rate_limits: RateLimits,
    /// The answer cache of `GET /vendors` (the whole list) and `GET
    /// /dashboard/summary`: the longest time an encoded answer is reused
    /// (default 60 s; zero turns the cache off, and every request reads the
    /// database).
    ///
    /// The cache is exact whatever this is: each request reads the account's
    /// data version (one primary-key read; requests of an account that
    /// arrive while one runs share the next), which the store bumps in the
    /// transaction of every write that changes these answers, and a kept
    /// answer is served only while the version it was computed under is
    /// unchanged. So writes by this process, by other processes sharing the
    /// database (`nis2 worker`, the CLI on the same SQLite file) and by
    /// embedders using the store show in the very next request. This time
    /// only bounds how long a change made *behind the store's back* (SQL run
    /// by hand on the database, a restored backup) can stay hidden.
    pub response_cache_ttl: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "./nis2.db".to_owned(),
            store: StoreOptions::default(),
            auth: AuthConfig::default(),
            trusted_proxies: Vec::new(),
            public_base_url: None,
            body_limit: 64 * 1024,
            allow_private_vendors: false,
            resolver: ResolverOptions::default(),
            worker: WorkerConfig::default(),
            webhooks: WebhookConfig::default(),
            letter: LetterConfig::default(),
            shutdown_grace: Duration::from_secs(30),
            demo_timeout: Duration::from_secs(60),
            rate_limits: RateLimits::default(),
            response_cache_ttl: Duration::from_secs(60),
        }
    }
}

/// Where RS256/ES256 verification keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS JSON file, read at start-up.
    File(PathBuf),
    /// A JWKS URL (e.g. Supabase's `…/auth/v1/.well-known/jwks.json`), fetched
    /// at start-up and again when a token names an unknown key id or the keys
    /// are old (see [`AuthConfig::jwks_refresh`] and [`AuthConfig::jwks_max_age`]).
    Url(String),
    /// A JWKS JSON document given inline.
    Inline(String),
}

/// How bearer tokens are checked. A JWT is accepted only with `exp`, `sub`
/// and, when configured, a matching `aud` and `iss`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuthConfig {
    /// HS256 shared secret (Supabase's "JWT secret"); `None` disables HS256.
    pub hs256_secret: Option<String>,
    /// RS256/ES256 keys; `None` disables them.
    pub jwks: Option<JwksSource>,
    /// Accepted audiences (default `["authenticated"]`, as Supabase issues);
    /// empty disables the check.
    pub audiences: Vec<String>,
    /// Accepted issuers (default none = not checked); when set, `iss` is required.
    pub issuers: Vec<String>,
    /// Clock skew allowed for `exp`/`nbf` (default 30 s).
    pub leeway: Duration,
    /// Accept long-lived `nis2_…` API tokens (default `true`).
    pub api_tokens: bool,
    /// With a JWKS URL: the shortest time between two fetches (default 60 s).
    /// A token naming an unknown key id triggers a fetch (the issuer may have
    /// rotated its keys), but never more often than this, so made-up key ids
    /// cannot flood the issuer.
    pub jwks_refresh: Duration,
    /// With a JWKS URL: keys older than this are fetched again at the next
    /// token (default 1 hour), so keys the issuer withdrew stop working. A
    /// failed fetch keeps the old keys.
    pub jwks_max_age: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            hs256_secret: None,
            jwks: None,
            audiences: vec!["authenticated".to_owned()],
            issuers: Vec::new(),
            leeway: Duration::from_secs(30),
            api_tokens: true,
            jwks_refresh: Duration::from_secs(60),
            jwks_max_age: Duration::from_secs(3_600),
        }
    }
}

/// The scan worker.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// Run scan workers in this process (default `true`).
    pub enabled: bool,
    /// Scans run at once (default 2).
    pub concurrency: usize,
    /// How often an idle worker looks for jobs queued by other processes
    /// (default 2 s; jobs queued by this process wake it at once).
    pub poll_interval: Duration,
    /// How often a running job's lease is renewed (default 30 s; keep it well
    /// under the store's job lease).
    pub heartbeat_interval: Duration,
    /// Queue rescans of vendors whose last scan is older than this (default
    /// 7 days); `None` disables periodic rescans.
    pub rescan_interval: Option<Duration>,
    /// Name recorded on claimed jobs (default `nis2-<pid>`).
    pub name: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            concurrency: 2,
            poll_interval: Duration::from_secs(2),
            heartbeat_interval: Duration::from_secs(30),
            rescan_interval: Some(Duration::from_secs(7 * 24 * 3_600)),
            name: format!("nis2-{}", std::process::id()),
        }
    }
}

/// The webhook dispatcher.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// Run the dispatcher in this process (default `true`).
    pub enabled: bool,
    /// Deliver to private, loopback and other non-public addresses (default
    /// `false`). Tests with a local receiver set it; production should not.
    pub allow_private: bool,
    /// Timeout of one delivery (default 10 s).
    pub timeout: Duration,
    /// Deliveries in flight at once, and so entries claimed at once (default 20).
    pub batch: u32,
    /// How often an idle dispatcher looks for due entries (default 2 s;
    /// scans of this process wake it at once).
    pub poll_interval: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_private: false,
            timeout: Duration::from_secs(10),
            batch: 20,
            poll_interval: Duration::from_secs(2),
        }
    }
}

/// Who signs remediation letters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LetterConfig {
    /// The signer (default "Information Security").
    pub signer: String,
    /// The organisation; `None` uses the account's name.
    pub organisation: Option<String>,
    /// Contact line (default none).
    pub contact: Option<String>,
}

impl Default for LetterConfig {
    fn default() -> Self {
        Self {
            signer: "Information Security".to_owned(),
            organisation: None,
            contact: None,
        }
    }
}
