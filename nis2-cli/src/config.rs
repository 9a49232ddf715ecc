//! `nis2 serve` and `nis2 worker`: configuration from flags, `NIS2_*`
//! environment variables and a TOML file, in that order of precedence, then
//! the defaults, mapped onto nis2-http's [`nis2_http::ServerConfig`].
//!
//! Flags and variables are read by clap (each flag names its variable); the
//! file is a [`FileConfig`]. Both become a [`FileConfig`] layer, applied in
//! turn onto the defaults ([`apply`]), checked once ([`validate`]); what is
//! in effect prints back in the file's own shape ([`describe`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::cli::{
    ApiConfigArgs, AuthSection, CommonConfigArgs, LetterSection, RateLimitSection, ScannerArgs,
    ServeArgs, StoreSection, WebhookSection, WorkerArgs, WorkerSection,
};
use crate::output::write_stdout;
use crate::{Global, Outcome};

/// A duration written the humantime way: `500ms`, `30s`, `5m`, `1h 30m`, `7days`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dur(pub(crate) Duration);

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s.trim())
            .map(Dur)
            .map_err(|e| format!("`{s}` is not a duration like 30s, 5m or 1h ({e})"))
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_zero() {
            // humantime writes "0s" too, but say so plainly.
            return f.write_str("0s");
        }
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for Dur {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a duration in quotes, like \"30s\" or \"5m\"")
        })?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A period that can be switched off (`off`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interval {
    /// Never.
    Off,
    /// Every so long.
    Every(Duration),
}

impl FromStr for Interval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "never" | "none" => Ok(Interval::Off),
            _ => s
                .parse::<Dur>()
                .map(|d| Interval::Every(d.0))
                .map_err(|e| format!("{e}, or off")),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interval::Off => f.write_str("off"),
            Interval::Every(d) => Dur(*d).fmt(f),
        }
    }
}

impl Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Interval {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a duration in quotes, like \"7days\", or \"off\"")
        })?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line (fields, and the request span's fields).
    Json,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// The TOML file (every key optional; the same file serves `nis2 serve` and
/// `nis2 worker`, which ignores the API's keys). Also the shape of a layer
/// made from flags and variables, and of `--print-config`.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct FileConfig {
    /// Address to listen on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) listen: Option<String>,
    /// SQLite path or PostgreSQL URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) db: Option<String>,
    /// Scan jobs run at once (0: none in this process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) workers: Option<usize>,
    /// Base URL of `pdf_url` links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) public_base_url: Option<String>,
    /// Proxies whose X-Forwarded-For is believed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) trusted_proxies: Option<Vec<IpAddr>>,
    /// Request body limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) body_limit: Option<usize>,
    /// Vendors (and their scans) on private addresses (labs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) allow_private: Option<bool>,
    /// Name servers (instead of the system's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) resolver: Option<Vec<SocketAddr>>,
    /// PEM files of extra trusted roots for the scanner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) extra_roots: Option<Vec<PathBuf>>,
    /// DNSSEC trust anchors file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dnssec_trust_anchors: Option<PathBuf>,
    /// How long shutdown waits for work in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) shutdown_grace: Option<Dur>,
    /// Longest demo scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) demo_timeout: Option<Dur>,
    /// Reuse of list and dashboard answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response_cache_ttl: Option<Dur>,
    /// Log filter (RUST_LOG syntax).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log: Option<String>,
    /// Log format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) log_format: Option<LogFormat>,
    /// `[auth]`.
    #[serde(skip_serializing_if = "is_default")]
    pub(crate) auth: AuthSection,
    /// `[rate_limits]`.
    #[serde(skip_serializing_if = "is_default")]
    pub(crate) rate_limits: RateLimitSection,
    /// `[letter]`.
    #[serde(skip_serializing_if = "is_default")]
    pub(crate) letter: LetterSection,
    /// `[worker]`.
    #[serde(skip_serializing_if = "is_default")]
    pub(crate) worker: WorkerSection,
    /// `[webhooks]`.
    #[serde(skip_serializing_if = "is_default")]
    pub(crate) webhooks: WebhookSection,
    /// `[store]`.
    #[serde(skip_serializing_if = "is_default")]
    pub(crate) store: StoreSection,
}

impl FileConfig {
    /// Without the keys only the HTTP API uses (what `nis2 worker` prints).
    fn without_api(mut self) -> Self {
        self.listen = None;
        self.trusted_proxies = None;
        self.body_limit = None;
        self.demo_timeout = None;
        self.response_cache_ttl = None;
        self.auth = AuthSection::default();
        self.rate_limits = RateLimitSection::default();
        self.letter = LetterSection::default();
        self
    }
}

/// Reads the TOML file.
pub(crate) fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    parse_file(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
}

/// Parses the TOML text of a configuration file (errors on one line).
pub(crate) fn parse_file(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| crate::one_line(&e.to_string()))
}

/// The layer made from flags and `NIS2_*` variables. clap has already put
/// each flag over its variable; the scanner's keys (shared with `nis2 scan`,
/// whose flags read no variables) and `RUST_LOG` are read from `env` here.
pub(crate) fn flag_layer(
    common: &CommonConfigArgs,
    api: Option<&ApiConfigArgs>,
    scanner: &ScannerArgs,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<FileConfig> {
    let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let list = |k: &str| -> Option<Vec<String>> {
        env(k).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
    };
    let allow_private = if scanner.allow_private {
        Some(true)
    } else {
        env("NIS2_ALLOW_PRIVATE")
            .map(|v| parse_bool("NIS2_ALLOW_PRIVATE", &v))
            .transpose()?
    };
    let resolver = if scanner.resolver.is_empty() {
        list("NIS2_RESOLVER")
            .map(|l| {
                l.iter()
                    .map(|a| {
                        a.parse::<SocketAddr>()
                            .map_err(|_| anyhow::anyhow!("NIS2_RESOLVER: `{a}` is not IP:PORT"))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()
            })
            .transpose()?
    } else {
        Some(scanner.resolver.clone())
    };
    let extra_roots = if scanner.extra_root.is_empty() {
        list("NIS2_EXTRA_ROOTS").map(|l| l.into_iter().map(PathBuf::from).collect())
    } else {
        Some(scanner.extra_root.clone())
    };
    let dnssec_trust_anchors = scanner
        .dnssec_trust_anchors
        .clone()
        .or_else(|| env("NIS2_DNSSEC_TRUST_ANCHORS").map(PathBuf::from));
    let mut layer = FileConfig {
        db: common.db.clone(),
        workers: common.workers,
        public_base_url: common.public_base_url.clone(),
        allow_private,
        resolver,
        extra_roots,
        dnssec_trust_anchors,
        shutdown_grace: common.shutdown_grace,
        log: common.log.clone().or_else(|| env("RUST_LOG")),
        log_format: common.log_format,
        worker: common.worker.clone(),
        webhooks: common.webhooks.clone(),
        store: common.store.clone(),
        ..FileConfig::default()
    };
    if let Some(api) = api {
        layer.listen = api.listen.clone();
        layer.trusted_proxies = api.trusted_proxies.clone();
        layer.body_limit = api.body_limit;
        layer.demo_timeout = api.demo_timeout;
        layer.response_cache_ttl = api.response_cache_ttl;
        layer.auth = api.auth.clone();
        layer.rate_limits = api.rate_limits.clone();
        layer.letter = api.letter.clone();
    }
    Ok(layer)
}

fn parse_bool(name: &str, v: &str) -> anyhow::Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Ok(true),
        "0" | "false" | "no" | "off" | "n" | "f" => Ok(false),
        _ => bail!("{name} `{v}` is not true or false"),
    }
}

/// The configuration in effect: the server's, and what the CLI itself uses.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    /// nis2-http's configuration.
    pub(crate) server: nis2_http::ServerConfig,
    /// Scan jobs run at once (0: none in this process).
    pub(crate) workers: usize,
    /// Name of the worker, if configured (else nis2-http's `nis2-<pid>`).
    pub(crate) worker_name: Option<String>,
    /// Vendors on private addresses.
    pub(crate) allow_private: bool,
    /// Name servers.
    pub(crate) resolver: Vec<SocketAddr>,
    /// Extra root PEM files.
    pub(crate) extra_roots: Vec<PathBuf>,
    /// DNSSEC trust anchors file.
    pub(crate) dnssec_trust_anchors: Option<PathBuf>,
    /// Log filter.
    pub(crate) log: String,
    /// Log format.
    pub(crate) log_format: LogFormat,
}

impl Default for Effective {
    fn default() -> Self {
        Self {
            server: nis2_http::ServerConfig::default(),
            workers: 4,
            worker_name: None,
            allow_private: false,
            resolver: Vec::new(),
            extra_roots: Vec::new(),
            dnssec_trust_anchors: None,
            log: "info".to_owned(),
            log_format: LogFormat::Text,
        }
    }
}

fn set<T: Clone>(slot: &mut T, v: &Option<T>) {
    if let Some(v) = v {
        *slot = v.clone();
    }
}

fn set_dur(slot: &mut Duration, v: Option<Dur>) {
    if let Some(Dur(d)) = v {
        *slot = d;
    }
}

/// A text value; empty counts as "not set" (an empty `NIS2_*` variable or
/// `key = ""` in the file).
fn text(v: &Option<String>) -> Option<String> {
    v.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

/// Applies one layer's values onto `e`; keys the layer leaves out keep what
/// lower layers (or the defaults) gave.
pub(crate) fn apply(e: &mut Effective, f: &FileConfig) -> anyhow::Result<()> {
    let c = &mut e.server;
    if let Some(v) = text(&f.listen) {
        c.listen = v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("listen address `{v}` is not IP:PORT"))?;
    }
    if let Some(v) = text(&f.db) {
        c.database = v;
    }
    set(&mut e.workers, &f.workers);
    if let Some(v) = text(&f.public_base_url) {
        c.public_base_url = Some(base_url(&v)?);
    }
    set(&mut c.trusted_proxies, &f.trusted_proxies);
    set(&mut c.body_limit, &f.body_limit);
    set(&mut e.allow_private, &f.allow_private);
    set(&mut e.resolver, &f.resolver);
    set(&mut e.extra_roots, &f.extra_roots);
    if let Some(p) = &f.dnssec_trust_anchors {
        e.dnssec_trust_anchors = Some(p.clone());
    }
    set_dur(&mut c.shutdown_grace, f.shutdown_grace);
    set_dur(&mut c.demo_timeout, f.demo_timeout);
    set_dur(&mut c.response_cache_ttl, f.response_cache_ttl);
    if let Some(v) = text(&f.log) {
        e.log = v;
    }
    set(&mut e.log_format, &f.log_format);

    let a = &f.auth;
    if let Some(s) = text(&a.jwt_secret) {
        c.auth.hs256_secret = Some(s);
    }
    if let Some(j) = text(&a.jwks) {
        let j = j.trim();
        c.auth.jwks = Some(if j.starts_with("https://") || j.starts_with("http://") {
            nis2_http::JwksSource::Url(j.to_owned())
        } else {
            nis2_http::JwksSource::File(PathBuf::from(j))
        });
    }
    let names = |v: &Vec<String>| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    if let Some(v) = &a.audiences {
        c.auth.audiences = names(v);
    }
    if let Some(v) = &a.issuers {
        c.auth.issuers = names(v);
    }
    set_dur(&mut c.auth.leeway, a.leeway);
    set(&mut c.auth.api_tokens, &a.api_tokens);
    set_dur(&mut c.auth.jwks_refresh, a.jwks_refresh);
    set_dur(&mut c.auth.jwks_max_age, a.jwks_max_age);

    let r = &f.rate_limits;
    set(&mut c.rate_limits.demo, &r.demo);
    set(&mut c.rate_limits.trigger, &r.trigger);
    set(&mut c.rate_limits.letter, &r.letter);
    set(&mut c.rate_limits.get, &r.get);
    set_dur(&mut c.rate_limits.window, r.window);

    let l = &f.letter;
    if let Some(v) = text(&l.signer) {
        c.letter.signer = v;
    }
    if let Some(v) = text(&l.organisation) {
        c.letter.organisation = Some(v);
    }
    if let Some(v) = text(&l.contact) {
        c.letter.contact = Some(v);
    }

    let w = &f.worker;
    set_dur(&mut c.worker.poll_interval, w.poll_interval);
    set_dur(&mut c.worker.heartbeat_interval, w.heartbeat_interval);
    if let Some(i) = w.rescan_interval {
        c.worker.rescan_interval = match i {
            Interval::Off => None,
            Interval::Every(d) => Some(d),
        };
    }
    if let Some(v) = text(&w.name) {
        e.worker_name = Some(v);
    }

    let h = &f.webhooks;
    set(&mut c.webhooks.enabled, &h.enabled);
    set(&mut c.webhooks.allow_private, &h.allow_private);
    set_dur(&mut c.webhooks.timeout, h.timeout);
    set(&mut c.webhooks.batch, &h.batch);
    set_dur(&mut c.webhooks.poll_interval, h.poll_interval);

    let s = &f.store;
    if let Some(n) = s.max_connections {
        c.store.max_connections = Some(n);
    }
    set_dur(&mut c.store.busy_timeout, s.busy_timeout);
    set_dur(&mut c.store.acquire_timeout, s.acquire_timeout);
    set_dur(&mut c.store.jobs.lease, s.job_lease);
    set(&mut c.store.jobs.max_attempts, &s.job_max_attempts);
    set_dur(&mut c.store.jobs.retry_base, s.job_retry_base);
    set_dur(&mut c.store.jobs.retry_max, s.job_retry_max);
    set_dur(&mut c.store.outbox.lease, s.outbox_lease);
    set(&mut c.store.outbox.max_attempts, &s.outbox_max_attempts);
    set_dur(&mut c.store.outbox.retry_base, s.outbox_retry_base);
    set_dur(&mut c.store.outbox.retry_max, s.outbox_retry_max);

    // What follows from the values above.
    c.worker.enabled = e.workers > 0;
    if e.workers > 0 {
        c.worker.concurrency = e.workers;
    }
    if let Some(name) = &e.worker_name {
        c.worker.name.clone_from(name);
    }
    c.allow_private_vendors = e.allow_private;
    Ok(())
}

/// `http(s)://host[:port][/path]`, without a trailing slash.
fn base_url(v: &str) -> anyhow::Result<String> {
    let v = v.trim();
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))
        .ok_or_else(|| {
            anyhow::anyhow!("public_base_url `{v}` must start with https:// or http://")
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        bail!("public_base_url `{v}` has no host (or has user info)");
    }
    if v.contains(['?', '#']) || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("public_base_url `{v}` must be a plain URL (no query, fragment or spaces)");
    }
    Ok(v.trim_end_matches('/').to_owned())
}

/// Checks the values that only make sense in some range; names the file key
/// (its flag and variable are in `--help`).
pub(crate) fn validate(e: &Effective) -> anyhow::Result<()> {
    let c = &e.server;
    let positive = |key: &str, d: Duration| -> anyhow::Result<()> {
        if d.is_zero() {
            bail!("{key} must be longer than 0s");
        }
        Ok(())
    };
    let at_least_one = |key: &str, n: u64| -> anyhow::Result<()> {
        if n == 0 {
            bail!("{key} must be at least 1");
        }
        Ok(())
    };
    if e.workers > 256 {
        bail!("workers = {} is too many (at most 256)", e.workers);
    }
    at_least_one("body_limit", c.body_limit as u64)?;
    positive("demo_timeout", c.demo_timeout)?;
    positive("auth.jwks_refresh", c.auth.jwks_refresh)?;
    positive("auth.jwks_max_age", c.auth.jwks_max_age)?;
    for (key, n) in [
        ("rate_limits.demo", c.rate_limits.demo),
        ("rate_limits.trigger", c.rate_limits.trigger),
        ("rate_limits.letter", c.rate_limits.letter),
        ("rate_limits.get", c.rate_limits.get),
        ("webhooks.batch", c.webhooks.batch),
        ("store.job_max_attempts", c.store.jobs.max_attempts),
        ("store.outbox_max_attempts", c.store.outbox.max_attempts),
    ] {
        at_least_one(key, u64::from(n))?;
    }
    if let Some(n) = c.store.max_connections {
        at_least_one("store.max_connections", u64::from(n))?;
    }
    for (key, d) in [
        ("rate_limits.window", c.rate_limits.window),
        ("webhooks.timeout", c.webhooks.timeout),
        ("webhooks.poll_interval", c.webhooks.poll_interval),
        ("worker.poll_interval", c.worker.poll_interval),
        ("worker.heartbeat_interval", c.worker.heartbeat_interval),
        ("store.acquire_timeout", c.store.acquire_timeout),
        ("store.job_lease", c.store.jobs.lease),
        ("store.outbox_lease", c.store.outbox.lease),
    ] {
        positive(key, d)?;
    }
    if let Some(d) = c.worker.rescan_interval {
        positive("worker.rescan_interval", d)?;
    }
    if c.worker.heartbeat_interval >= c.store.jobs.lease {
        bail!(
            "worker.heartbeat_interval ({}) must be shorter than store.job_lease ({}), or running jobs lose their lease",
            Dur(c.worker.heartbeat_interval),
            Dur(c.store.jobs.lease)
        );
    }
    for (key, base, max) in [
        (
            "store.job_retry",
            c.store.jobs.retry_base,
            c.store.jobs.retry_max,
        ),
        (
            "store.outbox_retry",
            c.store.outbox.retry_base,
            c.store.outbox.retry_max,
        ),
    ] {
        if base > max {
            bail!(
                "{key}_base ({}) is longer than {key}_max ({})",
                Dur(base),
                Dur(max)
            );
        }
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(&e.log)
        .map_err(|err| anyhow::anyhow!("log filter `{}`: {err}", e.log))?;
    Ok(())
}

/// What is in effect, in the file's shape (so it can be pasted into one);
/// with `redact`, the JWT secret and a database password are hidden.
pub(crate) fn describe(e: &Effective, redact: bool) -> FileConfig {
    let c = &e.server;
    let d = |v: Duration| Some(Dur(v));
    FileConfig {
        listen: Some(c.listen.to_string()),
        db: Some(if redact {
            crate::portfolio::redact(&c.database)
        } else {
            c.database.clone()
        }),
        workers: Some(e.workers),
        public_base_url: c.public_base_url.clone(),
        trusted_proxies: Some(c.trusted_proxies.clone()),
        body_limit: Some(c.body_limit),
        allow_private: Some(e.allow_private),
        resolver: Some(e.resolver.clone()),
        extra_roots: Some(e.extra_roots.clone()),
        dnssec_trust_anchors: e.dnssec_trust_anchors.clone(),
        shutdown_grace: d(c.shutdown_grace),
        demo_timeout: d(c.demo_timeout),
        response_cache_ttl: d(c.response_cache_ttl),
        log: Some(e.log.clone()),
        log_format: Some(e.log_format),
        auth: AuthSection {
            jwt_secret: c
                .auth
                .hs256_secret
                .as_ref()
                .map(|s| if redact { "***".to_owned() } else { s.clone() }),
            jwks: c.auth.jwks.as_ref().map(|j| match j {
                nis2_http::JwksSource::File(p) => p.display().to_string(),
                nis2_http::JwksSource::Url(u) => u.clone(),
                nis2_http::JwksSource::Inline(_) => "(inline JWKS)".to_owned(),
            }),
            audiences: Some(c.auth.audiences.clone()),
            issuers: Some(c.auth.issuers.clone()),
            leeway: d(c.auth.leeway),
            api_tokens: Some(c.auth.api_tokens),
            jwks_refresh: d(c.auth.jwks_refresh),
            jwks_max_age: d(c.auth.jwks_max_age),
        },
        rate_limits: RateLimitSection {
            demo: Some(c.rate_limits.demo),
            trigger: Some(c.rate_limits.trigger),
            letter: Some(c.rate_limits.letter),
            get: Some(c.rate_limits.get),
            window: d(c.rate_limits.window),
        },
        letter: LetterSection {
            signer: Some(c.letter.signer.clone()),
            organisation: c.letter.organisation.clone(),
            contact: c.letter.contact.clone(),
        },
        worker: WorkerSection {
            poll_interval: d(c.worker.poll_interval),
            heartbeat_interval: d(c.worker.heartbeat_interval),
            rescan_interval: Some(match c.worker.rescan_interval {
                None => Interval::Off,
                Some(d) => Interval::Every(d),
            }),
            name: e.worker_name.clone(),
        },
        webhooks: WebhookSection {
            enabled: Some(c.webhooks.enabled),
            allow_private: Some(c.webhooks.allow_private),
            timeout: d(c.webhooks.timeout),
            batch: Some(c.webhooks.batch),
            poll_interval: d(c.webhooks.poll_interval),
        },
        store: StoreSection {
            max_connections: c.store.max_connections,
            busy_timeout: d(c.store.busy_timeout),
            acquire_timeout: d(c.store.acquire_timeout),
            job_lease: d(c.store.jobs.lease),
            job_max_attempts: Some(c.store.jobs.max_attempts),
            job_retry_base: d(c.store.jobs.retry_base),
            job_retry_max: d(c.store.jobs.retry_max),
            outbox_lease: d(c.store.outbox.lease),
            outbox_max_attempts: Some(c.store.outbox.max_attempts),
            outbox_retry_base: d(c.store.outbox.retry_base),
            outbox_retry_max: d(c.store.outbox.retry_max),
        },
    }
}

/// Defaults, then the file, then flags and variables; checked.
pub(crate) fn resolve(file: &FileConfig, flags: &FileConfig) -> anyhow::Result<Effective> {
    let mut e = Effective::default();
    apply(&mut e, file)?;
    apply(&mut e, flags)?;
    validate(&e)?;
    Ok(e)
}

fn load(
    common: &CommonConfigArgs,
    api: Option<&ApiConfigArgs>,
    scanner: &ScannerArgs,
) -> anyhow::Result<Effective> {
    let file = match &common.config {
        Some(p) => read_file(p)?,
        None => FileConfig::default(),
    };
    let flags = flag_layer(common, api, scanner, |k| std::env::var(k).ok())?;
    resolve(&file, &flags)
}

fn print_config(cfg: FileConfig) -> anyhow::Result<Outcome> {
    let mut s = toml::to_string(&cfg)?;
    if !s.ends_with('\n') {
        s.push('\n');
    }
    write_stdout(s.as_bytes())?;
    Ok(Outcome::Ok)
}

/// The scanner options of portfolio scans: the scanner flags, with the
/// scanner keys of the configuration (allow_private, resolver, extra_roots,
/// dnssec_trust_anchors) in effect.
fn scanner_options(
    e: &Effective,
    scanner: &ScannerArgs,
) -> anyhow::Result<nis2_scanner::ScannerOptions> {
    let mut args = scanner.clone();
    args.allow_private = e.allow_private;
    args.resolver.clone_from(&e.resolver);
    args.extra_root.clone_from(&e.extra_roots);
    args.dnssec_trust_anchors
        .clone_from(&e.dnssec_trust_anchors);
    crate::scan::scanner_options(&args)
}

/// `nis2 serve`.
pub(crate) async fn serve(global: &Global, args: &ServeArgs) -> anyhow::Result<Outcome> {
    let mut cfg = load(&args.common, Some(&args.api), &args.scanner)?;
    if args.common.print_config {
        return print_config(describe(&cfg, true));
    }
    let options = scanner_options(&cfg, &args.scanner)?;
    // Vendor checks and webhook URLs resolve the way the scans do.
    cfg.server.resolver = options.resolver.clone();
    crate::logging::init(&cfg.log, cfg.log_format, global.stderr_color)?;
    let scanner = crate::scan::build_scanner(options.clone())?;
    // The public demo endpoint never scans private addresses.
    let demo = crate::scan::build_scanner(
        nis2_scanner::ScannerOptions::new().resolver(options.resolver.clone()),
    )?;
    let db = crate::portfolio::redact(&cfg.server.database);
    let server = nis2_http::Server::bind(cfg.server.clone(), Arc::new(scanner), Arc::new(demo))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let addr = server
        .local_addr()
        .map_or_else(|| cfg.server.listen.to_string(), |a| a.to_string());
    write_stdout(
        format!("nis2 serving on http://{addr} (database {db}); API docs at http://{addr}/docs\n")
            .as_bytes(),
    )?;
    server
        .run(nis2_http::shutdown_signal())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Outcome::Ok)
}

/// `nis2 worker`: scan jobs from the store's queue and webhook deliveries
/// from its outbox (nis2-http's worker and dispatcher, without the API);
/// with `--once`, drains the scan queue and exits.
pub(crate) async fn worker(global: &Global, args: &WorkerArgs) -> anyhow::Result<Outcome> {
    let mut cfg = load(&args.common, None, &args.scanner)?;
    if args.common.print_config {
        return print_config(describe(&cfg, true).without_api());
    }
    let options = scanner_options(&cfg, &args.scanner)?;
    cfg.server.resolver = options.resolver.clone();
    crate::logging::init(&cfg.log, cfg.log_format, global.stderr_color)?;
    let db = crate::portfolio::redact(&cfg.server.database);
    if !args.once {
        let config = cfg.server.clone();
        if !config.worker.enabled && !config.webhooks.enabled {
            bail!("nothing to run: workers = 0 and webhooks are off");
        }
        let scanner = crate::scan::build_scanner(options)?;
        let scans = if config.worker.enabled {
            format!("{} scan(s) at once", config.worker.concurrency)
        } else {
            "no scans".to_owned()
        };
        let hooks = if config.webhooks.enabled {
            "webhooks on"
        } else {
            "webhooks off"
        };
        let mut err = std::io::stderr().lock();
        let _ = std::io::Write::write_all(
            &mut err,
            format!("nis2 worker: {scans}, {hooks}, on {db}; Ctrl-C stops it\n").as_bytes(),
        );
        drop(err);
        nis2_http::run_worker(config, Arc::new(scanner), nis2_http::shutdown_signal())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(Outcome::Ok);
    }
    // `--once`: drain the queue and exit (cron, CI). Webhook events stay in
    // the outbox for a long-running worker or server.
    let store = crate::portfolio::open_store_with(&cfg.server.database, cfg.server.store).await?;
    let scanner = crate::scan::build_scanner(options)?;
    let engine = Arc::new(crate::portfolio::engine(global, scanner, store.clone()));
    let name = cfg
        .worker_name
        .clone()
        .unwrap_or_else(|| format!("nis2-cli-{}", std::process::id()));
    let mut set = tokio::task::JoinSet::new();
    for n in 0..cfg.workers.max(1) {
        let (store, engine, global) = (store.clone(), engine.clone(), *global);
        let name = format!("{name}-{n}");
        set.spawn(async move { work(&store, &engine, &global, &name).await });
    }
    let mut done = 0u64;
    let mut first_err = None;
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                Some(Ok(Ok(n))) => done += n,
                Some(Ok(Err(e))) => { first_err.get_or_insert(e); }
                Some(Err(e)) => { first_err.get_or_insert(anyhow::anyhow!("worker task: {e}")); }
                None => break,
            },
            _ = crate::lab::shutdown_signal() => {
                set.abort_all();
                break;
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let mut err = std::io::stderr().lock();
    let _ = std::io::Write::write_all(&mut err, format!("worker: {done} job(s) done\n").as_bytes());
    Ok(Outcome::Ok)
}

/// Runs queued jobs until the queue is empty.
async fn work(
    store: &nis2_store::SqlStore,
    engine: &nis2_core::Engine,
    global: &Global,
    name: &str,
) -> anyhow::Result<u64> {
    let mut done = 0;
    while let Some(job) = store.claim_job(name, global.now()).await? {
        let vendor = store.vendor(job.account_id, job.vendor_id).await;
        let result = match vendor {
            Ok(v) => engine
                .scan_vendor(&v)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => store.complete_job(&job, global.now()).await?,
            Err(message) => {
                store.fail_job(&job, global.now(), &message).await?;
            }
        }
        done += 1;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../nis2.example.toml");

    fn file(text: &str) -> FileConfig {
        parse_file(text).unwrap()
    }

    #[test]
    fn durations_parse_and_print_back() {
        for (text, secs) in [
            ("30s", 30),
            ("5m", 300),
            ("1h 30m", 5400),
            ("7days", 604_800),
        ] {
            let d: Dur = text.parse().unwrap();
            assert_eq!(d.0, Duration::from_secs(secs), "{text}");
            assert_eq!(d.to_string().parse::<Dur>().unwrap(), d);
        }
        assert_eq!(
            "500ms".parse::<Dur>().unwrap().0,
            Duration::from_millis(500)
        );
        assert_eq!(Dur(Duration::ZERO).to_string(), "0s");
        assert!("30".parse::<Dur>().is_err());
        assert!("soon".parse::<Dur>().is_err());
        assert_eq!("off".parse::<Interval>().unwrap(), Interval::Off);
        assert_eq!(
            "2h".parse::<Interval>().unwrap(),
            Interval::Every(Duration::from_secs(7200))
        );
        assert!(parse_file("shutdown_grace = 30").is_err());
    }

    #[test]
    fn defaults_are_nis2_https_except_workers() {
        let e = resolve(&FileConfig::default(), &FileConfig::default()).unwrap();
        let d = nis2_http::ServerConfig::default();
        assert_eq!(e.server.listen, d.listen);
        assert_eq!(e.server.database, "./nis2.db");
        assert_eq!(e.workers, 4);
        assert_eq!(e.server.worker.concurrency, 4);
        assert!(e.server.worker.enabled && e.server.webhooks.enabled);
        assert!(!e.server.webhooks.allow_private && !e.server.allow_private_vendors);
        assert_eq!(e.server.auth.audiences, ["authenticated"]);
        assert_eq!(e.server.rate_limits, d.rate_limits);
        assert_eq!(e.server.response_cache_ttl, d.response_cache_ttl);
        assert_eq!(e.log, "info");
    }

    /// A file that sets every key to a value that is not its default.
    const ALL_SET: &str = "\
listen = \"0.0.0.0:9999\"
db = \"postgres://nis2:pw@db/nis2\"
workers = 7
public_base_url = \"https://nis2.example/base/\"
trusted_proxies = [\"10.0.0.1\", \"::1\"]
body_limit = 1000
allow_private = true
resolver = [\"127.0.0.1:5353\"]
extra_roots = [\"ca.pem\"]
dnssec_trust_anchors = \"anchors.txt\"
shutdown_grace = \"5s\"
demo_timeout = \"20s\"
response_cache_ttl = \"0s\"
log = \"warn,nis2_http=debug\"
log_format = \"json\"
[auth]
jwt_secret = \"s3cret\"
jwks = \"https://auth.example/.well-known/jwks.json\"
audiences = [\"a1\", \"a2\"]
issuers = [\"https://auth.example\"]
leeway = \"5s\"
api_tokens = false
jwks_refresh = \"10s\"
jwks_max_age = \"10m\"
[rate_limits]
demo = 3
trigger = 6
letter = 11
get = 101
window = \"2m\"
[letter]
signer = \"Erika Muster\"
organisation = \"Acme\"
contact = \"sec@acme.example\"
[worker]
poll_interval = \"3s\"
heartbeat_interval = \"20s\"
rescan_interval = \"off\"
name = \"w1\"
[webhooks]
enabled = false
allow_private = true
timeout = \"4s\"
batch = 5
poll_interval = \"1s\"
[store]
max_connections = 12
busy_timeout = \"11s\"
acquire_timeout = \"31s\"
job_lease = \"6m\"
job_max_attempts = 4
job_retry_base = \"31s\"
job_retry_max = \"2h\"
outbox_lease = \"2m\"
outbox_max_attempts = 11
outbox_retry_base = \"32s\"
outbox_retry_max = \"7h\"
";

    /// Every key, set to a value that is not the default, reaches its field
    /// of the server configuration.
    #[test]
    fn every_key_reaches_the_server_config() {
        let text = ALL_SET;
        let f = file(text);
        let e = resolve(&f, &FileConfig::default()).unwrap();
        let c = &e.server;
        let s = Duration::from_secs;
        assert_eq!(c.listen, "0.0.0.0:9999".parse().unwrap());
        assert_eq!(c.database, "postgres://nis2:pw@db/nis2");
        assert_eq!((c.worker.enabled, c.worker.concurrency), (true, 7));
        assert_eq!(
            c.public_base_url.as_deref(),
            Some("https://nis2.example/base")
        );
        assert_eq!(
            c.trusted_proxies,
            [
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert_eq!(c.body_limit, 1000);
        assert!(c.allow_private_vendors && e.allow_private);
        assert_eq!(e.resolver, ["127.0.0.1:5353".parse().unwrap()]);
        assert_eq!(e.extra_roots, [PathBuf::from("ca.pem")]);
        assert_eq!(
            e.dnssec_trust_anchors.as_deref(),
            Some(Path::new("anchors.txt"))
        );
        assert_eq!(c.shutdown_grace, s(5));
        assert_eq!(c.demo_timeout, s(20));
        assert_eq!(c.response_cache_ttl, Duration::ZERO);
        assert_eq!(e.log, "warn,nis2_http=debug");
        assert_eq!(e.log_format, LogFormat::Json);
        assert_eq!(c.auth.hs256_secret.as_deref(), Some("s3cret"));
        assert_eq!(
            c.auth.jwks,
            Some(nis2_http::JwksSource::Url(
                "https://auth.example/.well-known/jwks.json".into()
            ))
        );
        assert_eq!(c.auth.audiences, ["a1", "a2"]);
        assert_eq!(c.auth.issuers, ["https://auth.example"]);
        assert_eq!(c.auth.leeway, s(5));
        assert!(!c.auth.api_tokens);
        assert_eq!(c.auth.jwks_refresh, s(10));
        assert_eq!(c.auth.jwks_max_age, s(600));
        assert_eq!(
            (
                c.rate_limits.demo,
                c.rate_limits.trigger,
                c.rate_limits.letter,
                c.rate_limits.get,
                c.rate_limits.window
            ),
            (3, 6, 11, 101, s(120))
        );
        assert_eq!(c.letter.signer, "Erika Muster");
        assert_eq!(c.letter.organisation.as_deref(), Some("Acme"));
        assert_eq!(c.letter.contact.as_deref(), Some("sec@acme.example"));
        assert_eq!(c.worker.poll_interval, s(3));
        assert_eq!(c.worker.heartbeat_interval, s(20));
        assert_eq!(c.worker.rescan_interval, None);
        assert_eq!(c.worker.name, "w1");
        assert!(!c.webhooks.enabled && c.webhooks.allow_private);
        assert_eq!(c.webhooks.timeout, s(4));
        assert_eq!(c.webhooks.batch, 5);
        assert_eq!(c.webhooks.poll_interval, s(1));
        assert_eq!(c.store.max_connections, Some(12));
        assert_eq!(c.store.busy_timeout, s(11));
        assert_eq!(c.store.acquire_timeout, s(31));
        assert_eq!(
            (
                c.store.jobs.lease,
                c.store.jobs.max_attempts,
                c.store.jobs.retry_base,
                c.store.jobs.retry_max
            ),
            (s(360), 4, s(31), s(7200))
        );
        assert_eq!(
            (
                c.store.outbox.lease,
                c.store.outbox.max_attempts,
                c.store.outbox.retry_base,
                c.store.outbox.retry_max
            ),
            (s(120), 11, s(32), s(25_200))
        );
        // What is in effect prints back as the same file (every key covered
        // both ways), and the defaults print back as themselves.
        let back = describe(&e, false);
        let mut expected = f.clone();
        expected.public_base_url = Some("https://nis2.example/base".into());
        assert_eq!(back, expected);
        let again = file(&toml::to_string(&back).unwrap());
        assert_eq!(again, back);
        let d = resolve(&FileConfig::default(), &FileConfig::default()).unwrap();
        let printed = file(&toml::to_string(&describe(&d, false)).unwrap());
        let d2 = resolve(&printed, &FileConfig::default()).unwrap();
        assert_eq!(describe(&d2, false), describe(&d, false));
        // Redacted: the secret and the database password.
        let r = toml::to_string(&describe(&e, true)).unwrap();
        assert!(!r.contains("s3cret") && !r.contains(":pw@"), "{r}");
        assert!(r.contains("jwt_secret = \"***\""), "{r}");
    }

    /// The top-level and `section.key` names of a TOML text; with
    /// `commented`, also those of `# key = …` lines.
    fn keys(text: &str, commented: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut section = String::new();
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_owned();
                continue;
            }
            let line = match line.strip_prefix('#') {
                Some(rest) if commented => rest.trim_start(),
                Some(_) => continue,
                None => line,
            };
            let Some((key, _)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                continue;
            }
            out.push(if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            });
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn the_example_file_parses_and_documents_every_key() {
        // Its values (the uncommented keys) are the defaults.
        let e = resolve(&file(EXAMPLE), &FileConfig::default()).unwrap();
        let d = resolve(&FileConfig::default(), &FileConfig::default()).unwrap();
        assert_eq!(describe(&e, false), describe(&d, false));
        // Every key is there, set or commented out (keys unset by default).
        let all = resolve(&file(ALL_SET), &FileConfig::default()).unwrap();
        let all = keys(&toml::to_string(&describe(&all, false)).unwrap(), false);
        assert_eq!(keys(ALL_SET, false), all, "ALL_SET sets every key");
        assert_eq!(keys(EXAMPLE, true), all);
    }

    /// The field names of a `Debug` struct print (`Name { a: …, b: … }`),
    /// at the top level only.
    fn debug_fields(debug: &str) -> Vec<String> {
        let inner = debug
            .split_once(" { ")
            .map(|(_, r)| r.trim_end_matches(" }"))
            .unwrap_or("");
        let (mut depth, mut out, mut cur) = (0i32, Vec::new(), String::new());
        let mut in_str = false;
        for ch in inner.chars() {
            match ch {
                '"' => in_str = !in_str,
                '{' | '[' | '(' if !in_str => depth += 1,
                '}' | ']' | ')' if !in_str => depth -= 1,
                ',' if depth == 0 && !in_str => {
                    out.push(std::mem::take(&mut cur));
                    continue;
                }
                _ => {}
            }
            cur.push(ch);
        }
        out.push(cur);
        out.iter()
            .filter_map(|f| f.split_once(':').map(|(k, _)| k.trim().to_owned()))
            .collect()
    }

    /// nis2-http's configuration has no field the CLI does not know about:
    /// a field added there fails this test until it is mapped here (or
    /// listed as deliberately not configurable).
    #[test]
    fn every_server_config_field_is_mapped() {
        let c = nis2_http::ServerConfig::default();
        let known = |what: &str, debug: String, fields: &[&str]| {
            assert_eq!(debug_fields(&debug), fields, "{what}: {debug}");
        };
        known(
            "ServerConfig",
            format!("{c:?}"),
            &[
                "listen",
                "database",
                "store",
                "auth",
                "trusted_proxies",
                "public_base_url",
                "body_limit",
                "allow_private_vendors",
                "resolver",
                "worker",
                "webhooks",
                "letter",
                "shutdown_grace",
                "demo_timeout",
                "rate_limits",
                "response_cache_ttl",
            ],
        );
        known(
            "AuthConfig",
            format!("{:?}", c.auth),
            &[
                "hs256_secret",
                "jwks",
                "audiences",
                "issuers",
                "leeway",
                "api_tokens",
                "jwks_refresh",
                "jwks_max_age",
            ],
        );
        known(
            "WorkerConfig",
            format!("{:?}", c.worker),
            &[
                "enabled",
                "concurrency",
                "poll_interval",
                "heartbeat_interval",
                "rescan_interval",
                "name",
            ],
        );
        known(
            "WebhookConfig",
            format!("{:?}", c.webhooks),
            &[
                "enabled",
                "allow_private",
                "timeout",
                "batch",
                "poll_interval",
            ],
        );
        known(
            "LetterConfig",
            format!("{:?}", c.letter),
            &["signer", "organisation", "contact"],
        );
        known(
            "RateLimits",
            format!("{:?}", c.rate_limits),
            &["demo", "trigger", "letter", "get", "window"],
        );
        known(
            "StoreOptions",
            format!("{:?}", c.store),
            &[
                "max_connections",
                "busy_timeout",
                "acquire_timeout",
                "jobs",
                "outbox",
            ],
        );
        for (what, debug) in [
            ("JobPolicy", format!("{:?}", c.store.jobs)),
            ("OutboxPolicy", format!("{:?}", c.store.outbox)),
        ] {
            known(
                what,
                debug,
                &["lease", "max_attempts", "retry_base", "retry_max"],
            );
        }
        // The resolver's name servers and DNSSEC anchors are the scanner's
        // keys (resolver, dnssec_trust_anchors); its timeout, attempts and
        // cache keep the scanner's defaults.
        known(
            "ResolverOptions",
            format!("{:?}", c.resolver),
            &[
                "nameservers",
                "timeout",
                "attempts",
                "cache_size",
                "dnssec_trust_anchors",
            ],
        );
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn layers_stack_flags_over_file_over_defaults() {
        let f = file(
            "db = \"file.db\"\nworkers = 2\n[auth]\njwt_secret = \"f\"\nissuers = [\"https://file\"]\n[webhooks]\nallow_private = true\n",
        );
        let flags = FileConfig {
            db: Some("flag.db".into()),
            auth: AuthSection {
                issuers: Some(vec!["https://flag".into()]),
                ..AuthSection::default()
            },
            ..FileConfig::default()
        };
        let e = resolve(&f, &flags).unwrap();
        assert_eq!(e.server.database, "flag.db");
        assert_eq!(e.workers, 2);
        assert_eq!(e.server.auth.hs256_secret.as_deref(), Some("f"));
        assert_eq!(e.server.auth.issuers, ["https://flag"]);
        assert!(e.server.webhooks.allow_private);
        // An explicit `false` in a higher layer wins over a lower `true`.
        let flags = FileConfig {
            webhooks: WebhookSection {
                allow_private: Some(false),
                ..WebhookSection::default()
            },
            ..FileConfig::default()
        };
        assert!(!resolve(&f, &flags).unwrap().server.webhooks.allow_private);
        // Empty text is "not set"; an empty list clears.
        let flags = FileConfig {
            db: Some(String::new()),
            auth: AuthSection {
                audiences: Some(vec![String::new()]),
                ..AuthSection::default()
            },
            ..FileConfig::default()
        };
        let e = resolve(&f, &flags).unwrap();
        assert_eq!(e.server.database, "file.db");
        assert!(e.server.auth.audiences.is_empty());
    }

    #[test]
    fn scanner_keys_come_from_flags_then_env() {
        use clap::Parser as _;
        let cli = crate::cli::Cli::try_parse_from(["nis2", "worker"]).unwrap();
        let crate::cli::Command::Worker(args) = cli.command else {
            panic!("worker")
        };
        let env = |k: &str| -> Option<String> {
            match k {
                "NIS2_ALLOW_PRIVATE" => Some("yes".into()),
                "NIS2_RESOLVER" => Some("127.0.0.1:53, 127.0.0.2:53".into()),
                "NIS2_EXTRA_ROOTS" => Some("a.pem,b.pem".into()),
                "NIS2_DNSSEC_TRUST_ANCHORS" => Some("k.txt".into()),
                "RUST_LOG" => Some("debug".into()),
                _ => None,
            }
        };
        let l = flag_layer(&args.common, None, &args.scanner, env).unwrap();
        assert_eq!(l.allow_private, Some(true));
        assert_eq!(l.resolver.as_ref().map(Vec::len), Some(2));
        assert_eq!(
            l.extra_roots,
            Some(vec![PathBuf::from("a.pem"), PathBuf::from("b.pem")])
        );
        assert_eq!(l.dnssec_trust_anchors, Some(PathBuf::from("k.txt")));
        assert_eq!(l.log.as_deref(), Some("debug"));
        let l = flag_layer(&args.common, None, &args.scanner, no_env).unwrap();
        assert_eq!(l, FileConfig::default());
        let cli = crate::cli::Cli::try_parse_from([
            "nis2",
            "worker",
            "--allow-private",
            "--resolver",
            "127.0.0.9:53",
            "--log",
            "warn",
        ])
        .unwrap();
        let crate::cli::Command::Worker(args) = cli.command else {
            panic!("worker")
        };
        let l = flag_layer(&args.common, None, &args.scanner, env).unwrap();
        assert_eq!(l.resolver, Some(vec!["127.0.0.9:53".parse().unwrap()]));
        assert_eq!(l.log.as_deref(), Some("warn"));
        let bad = |k: &str| (k == "NIS2_ALLOW_PRIVATE").then(|| "maybe".to_owned());
        let cli = crate::cli::Cli::try_parse_from(["nis2", "worker"]).unwrap();
        let crate::cli::Command::Worker(args) = cli.command else {
            panic!("worker")
        };
        assert!(flag_layer(&args.common, None, &args.scanner, bad).is_err());
    }

    #[test]
    fn bad_values_are_errors() {
        let bad = [
            "listen = \"nowhere\"",
            "workers = 1000",
            "public_base_url = \"ftp://x\"",
            "public_base_url = \"https://\"",
            "public_base_url = \"https://x/?q\"",
            "body_limit = 0",
            "demo_timeout = \"0s\"",
            "log = \"nis2=loud\"",
            "[rate_limits]\nget = 0",
            "[webhooks]\nbatch = 0",
            "[worker]\nheartbeat_interval = \"10m\"",
            "[worker]\npoll_interval = \"0s\"",
            "[store]\njob_retry_base = \"2h\"",
            "[store]\nmax_connections = 0",
        ];
        for text in bad {
            let f = file(text);
            assert!(
                resolve(&f, &FileConfig::default()).is_err(),
                "accepted: {text}"
            );
        }
        for text in [
            "listne = \"x\"",
            "[auth]\njwt_secert = \"x\"",
            "trusted_proxies = [\"not-an-ip\"]",
            "shutdown_grace = \"soon\"",
            "log_format = \"xml\"",
        ] {
            assert!(parse_file(text).is_err(), "parsed: {text}");
        }
        let err = parse_file("[auth]\njwt_secert = \"x\"").unwrap_err();
        assert!(!err.contains('\n') && err.contains("jwt_secert"), "{err}");
    }
}
