//! The full scanner: one call scans a domain end to end (TLS, HTTP, DNS,
//! e-mail, exposed ports), every group concurrently with its own timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use nis2_core::observations::{CheckGroup, ObservationError};
use nis2_core::{Observations, RISKY_PORTS, ScanError, Scanner, Timestamp};
use rustls::pki_types::CertificateDer;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::dns::Dns;
use crate::error::Error;
use crate::http::{Http, HttpSettings};
use crate::policy::{PolicyOptions, ResolvedTarget, ResolverOptions, TargetPolicy};
use crate::scanner::{ScanOptions, TlsScanner};
use crate::{cert, email, ports, zone};

/// How the [`DomainScanner`] behaves. Every field has a documented default;
/// the setters below are the builder.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScannerOptions {
    /// Groups that run (default: all of [`CheckGroup::ALL`]). A group not
    /// run stays `None` in the observations (its checks are not assessed).
    pub groups: Vec<CheckGroup>,
    /// Port of the HTTPS and TLS service (default 443).
    pub https_port: u16,
    /// Port of plain HTTP (default 80).
    pub http_port: u16,
    /// Port name servers are asked on when counting those that answer (default 53).
    pub dns_port: u16,
    /// Ports of the exposure group (default [`nis2_core::RISKY_PORTS`]).
    pub exposure_ports: Vec<u16>,
    /// Deadline of the TLS group (default 30 s; what was learnt by then is kept).
    pub tls_timeout: Duration,
    /// Deadline of the HTTP group (default 20 s).
    pub http_timeout: Duration,
    /// Deadline of the DNS group (default 15 s).
    pub dns_timeout: Duration,
    /// Deadline of the e-mail group, MTA-STS policy fetch included (default 20 s).
    pub email_timeout: Duration,
    /// Deadline of the exposure group (default 15 s).
    pub ports_timeout: Duration,
    /// TCP connect timeout of HTTP requests and port probes (default 3 s).
    pub connect_timeout: Duration,
    /// Timeout of one HTTP request, body included (default 10 s).
    pub request_timeout: Duration,
    /// Bytes of a response body read at most (default 64 KiB).
    pub body_cap: usize,
    /// Redirects followed at most (default 5).
    pub max_redirects: usize,
    /// Port probes of one domain at once (default 16).
    pub port_concurrency: usize,
    /// DKIM selectors probed (default [`crate::DEFAULT_DKIM_SELECTORS`]).
    pub dkim_selectors: Vec<String>,
    /// Domains scanned at once by [`DomainScanner::scan_many`] (default 16).
    pub concurrency: usize,
    /// Target policy (default: public names and addresses only).
    pub policy: PolicyOptions,
    /// Name resolution (default: the system's resolver).
    pub resolver: ResolverOptions,
    /// Roots trusted besides webpki-roots (TLS chain, MTA-STS policy fetch).
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// The TLS group's own knobs (probe concurrency, SSLv2, suite classes,
    /// handshake timeout). Its port, policy, resolver, roots and deadline are
    /// taken from the fields above.
    pub tls: ScanOptions,
    /// User-Agent of HTTP requests (default `nis2-scanner/<version>`).
    pub user_agent: String,
}

impl Default for ScannerOptions {
    fn default() -> Self {
        Self {
            groups: CheckGroup::ALL.to_vec(),
            https_port: 443,
            http_port: 80,
            dns_port: 53,
            exposure_ports: RISKY_PORTS.to_vec(),
            tls_timeout: Duration::from_secs(30),
            http_timeout: Duration::from_secs(20),
            dns_timeout: Duration::from_secs(15),
            email_timeout: Duration::from_secs(20),
            ports_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            body_cap: 64 * 1024,
            max_redirects: 5,
            port_concurrency: 16,
            dkim_selectors: email::DEFAULT_DKIM_SELECTORS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            concurrency: 16,
            policy: PolicyOptions::default(),
            resolver: ResolverOptions::default(),
            extra_roots: Vec::new(),
            tls: ScanOptions::default(),
            user_agent: concat!("nis2-scanner/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl ScannerOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Only these groups run.
    pub fn groups(mut self, groups: impl IntoIterator<Item = CheckGroup>) -> Self {
        self.groups = groups.into_iter().collect();
        self
    }
    /// Sets the HTTPS (and TLS) port.
    pub fn https_port(mut self, port: u16) -> Self {
        self.https_port = port;
        self
    }
    /// Sets the plain HTTP port.
    pub fn http_port(mut self, port: u16) -> Self {
        self.http_port = port;
        self
    }
    /// Sets the port name servers are asked on.
    pub fn dns_port(mut self, port: u16) -> Self {
        self.dns_port = port;
        self
    }
    /// Sets the ports of the exposure group.
    pub fn exposure_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.exposure_ports = ports.into_iter().collect();
        self
    }
    /// Sets the deadline of one group.
    pub fn group_timeout(mut self, group: CheckGroup, timeout: Duration) -> Self {
        match group {
            CheckGroup::Tls => self.tls_timeout = timeout,
            CheckGroup::Http => self.http_timeout = timeout,
            CheckGroup::Dns => self.dns_timeout = timeout,
            CheckGroup::Email => self.email_timeout = timeout,
            _ => self.ports_timeout = timeout,
        }
        self
    }
    /// Sets the connect timeout (HTTP, ports, TLS probes).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Sets the timeout of one HTTP request.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }
    /// Sets the body cap.
    pub fn body_cap(mut self, bytes: usize) -> Self {
        self.body_cap = bytes;
        self
    }
    /// Sets the redirect limit.
    pub fn max_redirects(mut self, n: usize) -> Self {
        self.max_redirects = n;
        self
    }
    /// Sets the DKIM selectors probed.
    pub fn dkim_selectors(
        mut self,
        selectors: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.dkim_selectors = selectors.into_iter().map(Into::into).collect();
        self
    }
    /// Sets how many domains [`DomainScanner::scan_many`] scans at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// Sets the port probes of one domain at once (at least 1).
    pub fn port_concurrency(mut self, n: usize) -> Self {
        self.port_concurrency = n.max(1);
        self
    }
    /// Sets the target policy.
    pub fn policy(mut self, policy: PolicyOptions) -> Self {
        self.policy = policy;
        self
    }
    /// Allows private addresses (lab and tests only; see [`PolicyOptions::allow_private`]).
    pub fn allow_private(mut self, allow: bool) -> Self {
        self.policy.allow_private = allow;
        self
    }
    /// Sets name resolution.
    pub fn resolver(mut self, resolver: ResolverOptions) -> Self {
        self.resolver = resolver;
        self
    }
    /// Uses these name servers (and no cache when `cache_size` is 0).
    pub fn nameservers(mut self, servers: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.resolver = self.resolver.nameservers(servers);
        self
    }
    /// Adds a root to trust besides webpki-roots.
    pub fn extra_root(mut self, root: CertificateDer<'static>) -> Self {
        self.extra_roots.push(root);
        self
    }
    /// Sets the TLS group's own knobs.
    pub fn tls(mut self, tls: ScanOptions) -> Self {
        self.tls = tls;
        self
    }

    fn runs(&self, group: CheckGroup) -> bool {
        self.groups.contains(&group)
    }

    fn tls_options(&self) -> ScanOptions {
        let mut t = self.tls.clone();
        t.port = self.https_port;
        t.policy = self.policy.clone();
        t.resolver = self.resolver.clone();
        t.extra_roots = self.extra_roots.clone();
        t.scan_timeout = self.tls_timeout;
        t.connect_timeout = self.connect_timeout.min(t.connect_timeout);
        t
    }
}

/// One finished domain of [`DomainScanner::scan_many`], sent when it is done.
#[derive(Debug)]
pub struct DomainResult {
    /// Position of the domain in the input.
    pub index: usize,
    /// The domain as given.
    pub domain: String,
    /// The observations, or why the domain could not be scanned at all.
    pub result: Result<Observations, Error>,
    /// Wall time, resolution included.
    pub elapsed: Duration,
}

/// Scans domains end to end: target policy, then TLS, HTTP, DNS, e-mail and
/// exposed ports concurrently, each group bounded by its own deadline.
///
/// Cheap to clone; create it inside a tokio runtime.
///
/// ```no_run
/// # async fn demo() -> Result<(), nis2_scanner::Error> {
/// use nis2_scanner::{DomainScanner, ScannerOptions};
/// let scanner = DomainScanner::new(ScannerOptions::new())?;
/// let obs = scanner.scan("example.com").await?;
/// let findings = nis2_core::evaluate(&obs, nis2_core::Timestamp::UNIX_EPOCH);
/// # let _ = findings;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DomainScanner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: ScannerOptions,
    tls: TlsScanner,
    policy: TargetPolicy,
    dns: Dns,
    http: Http,
}

fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn timed_out(group: CheckGroup, target: &str, d: Duration) -> ObservationError {
    ObservationError {
        group,
        target: target.to_owned(),
        message: format!(
            "{} group stopped at its {} ms deadline",
            group.as_str(),
            d.as_millis()
        ),
    }
}

impl DomainScanner {
    /// A scanner with these options.
    pub fn new(options: ScannerOptions) -> Result<Self, Error> {
        let tls = TlsScanner::new(options.tls_options())?;
        let policy = tls.policy().clone();
        let dns = Dns::new(&options.resolver)?;
        let trust = cert::trust(&options.extra_roots).map_err(|reason| Error::Config { reason })?;
        let http = Http::new(
            policy.clone(),
            &trust,
            HttpSettings {
                http_port: options.http_port,
                https_port: options.https_port,
                request_timeout: options.request_timeout,
                connect_timeout: options.connect_timeout,
                body_cap: options.body_cap,
                max_redirects: options.max_redirects,
                user_agent: options.user_agent.clone(),
            },
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                tls,
                policy,
                dns,
                http,
            }),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &ScannerOptions {
        &self.inner.options
    }

    /// The target policy (to check other URLs the same way).
    pub fn policy(&self) -> &TargetPolicy {
        &self.inner.policy
    }

    /// Scans `domain`. `Err` only when the target is invalid, refused or
    /// does not resolve; what failed inside a group is in
    /// [`Observations::errors`].
    pub async fn scan(&self, domain: &str) -> Result<Observations, Error> {
        let started = now();
        let target = self.inner.policy.resolve(domain).await?;
        let mut obs = self.scan_resolved(&target).await;
        obs.scanned_at = Some(started);
        Ok(obs)
    }

    /// Scans a target that already passed [`TargetPolicy::resolve`].
    pub async fn scan_resolved(&self, target: &ResolvedTarget) -> Observations {
        let o = &self.inner.options;
        let name = target.server_name();
        let mut obs = Observations::new(name.clone());
        obs.scanned_at = Some(now());
        let slack = Duration::from_millis(500);

        let tls = async {
            if !o.runs(CheckGroup::Tls) {
                return None;
            }
            Some(
                tokio::time::timeout(
                    o.tls_timeout + slack,
                    self.inner.tls.scan_resolved(target, o.https_port),
                )
                .await,
            )
        };
        // The HTTP group connects to the addresses checked above, not to a new lookup.
        let _pin = match &target.host {
            crate::policy::Host::Domain(d) => Some(self.inner.http.pin(d, &target.addrs)),
            crate::policy::Host::Ip(_) => None,
        };
        let http = async {
            if !o.runs(CheckGroup::Http) {
                return None;
            }
            Some(tokio::time::timeout(o.http_timeout, self.inner.http.observe(&name)).await)
        };
        let dns = async {
            if !o.runs(CheckGroup::Dns) {
                return None;
            }
            let f = zone::observe(
                &self.inner.dns,
                &self.inner.policy,
                &name,
                o.dns_port,
                o.connect_timeout,
            );
            Some(tokio::time::timeout(o.dns_timeout, f).await)
        };
        let email = async {
            if !o.runs(CheckGroup::Email) {
                return None;
            }
            let f = email::observe(
                &self.inner.dns,
                Some(&self.inner.http),
                &name,
                &o.dkim_selectors,
            );
            Some(tokio::time::timeout(o.email_timeout, f).await)
        };
        let ports = async {
            if !o.runs(CheckGroup::Ports) {
                return None;
            }
            let ip = *target.addrs.first()?;
            let f = ports::scan(ip, &o.exposure_ports, o.connect_timeout, o.port_concurrency);
            Some(tokio::time::timeout(o.ports_timeout, f).await)
        };
        let (tls, http, dns, email, ports) = tokio::join!(tls, http, dns, email, ports);

        match tls {
            Some(Ok(t)) => {
                obs.tls = t.tls;
                obs.errors.extend(t.errors);
            }
            Some(Err(_)) => {
                obs.errors
                    .push(timed_out(CheckGroup::Tls, &name, o.tls_timeout + slack))
            }
            None => {}
        }
        match http {
            Some(Ok((h, errs))) => {
                obs.http = Some(h);
                obs.errors.extend(errs);
            }
            Some(Err(_)) => obs
                .errors
                .push(timed_out(CheckGroup::Http, &name, o.http_timeout)),
            None => {}
        }
        match dns {
            Some(Ok((d, errs))) => {
                obs.dns = Some(d);
                obs.errors.extend(errs);
            }
            Some(Err(_)) => obs
                .errors
                .push(timed_out(CheckGroup::Dns, &name, o.dns_timeout)),
            None => {}
        }
        match email {
            Some(Ok((e, errs))) => {
                obs.email = Some(e);
                obs.errors.extend(errs);
            }
            Some(Err(_)) => obs
                .errors
                .push(timed_out(CheckGroup::Email, &name, o.email_timeout)),
            None => {}
        }
        match ports {
            Some(Ok(p)) => obs.ports = Some(p),
            Some(Err(_)) => obs
                .errors
                .push(timed_out(CheckGroup::Ports, &name, o.ports_timeout)),
            None => {}
        }
        obs
    }

    /// Scans many domains, at most [`ScannerOptions::concurrency`] at once,
    /// and sends each result as soon as it is ready. The channel closes
    /// after the last one; dropping the receiver stops the scans.
    pub fn scan_many(
        &self,
        domains: impl IntoIterator<Item = impl Into<String>>,
    ) -> mpsc::Receiver<DomainResult> {
        let domains: Vec<String> = domains.into_iter().map(Into::into).collect();
        let concurrency = self.inner.options.concurrency.max(1);
        let (tx, rx) = mpsc::channel(concurrency * 2);
        let scanner = self.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(concurrency));
            let mut running = JoinSet::new();
            for (index, domain) in domains.into_iter().enumerate() {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                if tx.is_closed() {
                    break;
                }
                let scanner = scanner.clone();
                let tx = tx.clone();
                running.spawn(async move {
                    let start = Instant::now();
                    let result = scanner.scan(&domain).await;
                    let _ = tx
                        .send(DomainResult {
                            index,
                            domain,
                            result,
                            elapsed: start.elapsed(),
                        })
                        .await;
                    drop(permit);
                });
                while running.try_join_next().is_some() {}
            }
            while running.join_next().await.is_some() {}
        });
        rx
    }
}

#[async_trait]
impl Scanner for DomainScanner {
    /// Scans every configured group of `domain`.
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        DomainScanner::scan(self, domain)
            .await
            .map_err(ScanError::from)
    }
}
