//! The TLS scanner: policy, probes, certificate, all bounded in time and
//! concurrency; one target or a stream of many.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use nis2_core::observations::{
    AcceptedSuite, CheckGroup, ObservationError, Probe, ProtocolSupport, Revocation,
    RevocationSource, TlsObservations, TlsVersion,
};
use nis2_core::{Observations, ScanError, Scanner, Timestamp};
use rustls::pki_types::CertificateDer;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::cert::{self, CapturedChain, Trust};
use crate::error::Error;
use crate::hello::{self, HelloSpec, SuiteClass, TLS13_SUITES, X25519_MLKEM768};
use crate::http::{Http, HttpSettings};
use crate::ocsp;
use crate::policy::{PolicyOptions, ResolvedTarget, ResolverOptions, TargetPolicy};
use crate::probe::{self, Outcome, Timeouts};

/// Addresses of one name tried in turn while none accepts a connection.
const MAX_ADDRESSES: usize = 3;

/// How the TLS scanner behaves. Every field has a documented default.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ScanOptions {
    /// Port of the TLS service (default 443; the lab uses others).
    pub port: u16,
    /// TCP connect timeout of one probe (default 3 s).
    pub connect_timeout: Duration,
    /// Time from sending a ClientHello to the end of the answer, or of a
    /// full rustls handshake (default 5 s).
    pub handshake_timeout: Duration,
    /// Bound on the whole analysis of one target, resolution excluded
    /// (default 30 s); what was learnt by then is kept.
    pub scan_timeout: Duration,
    /// Probes of one target run at once (default 4).
    pub probe_concurrency: usize,
    /// Connections to one IP address at once, across every scan of this
    /// scanner: politeness towards hosts behind many names (default 8).
    pub per_host_connections: usize,
    /// Targets analysed at once by [`TlsScanner::batch`] (default 16).
    pub batch_concurrency: usize,
    /// Also probe SSLv2 (default true).
    pub probe_ssl2: bool,
    /// Probe cipher-suite classes on each accepted version ≤ 1.2 (default true).
    pub cipher_classes: bool,
    /// When no OCSP response is stapled, ask the OCSP responder named in the
    /// leaf (plain HTTP, its host checked by the target policy; the answer
    /// must be signed by the issuer) whether the leaf is revoked (default true).
    pub ocsp_responder: bool,
    /// Target policy.
    pub policy: PolicyOptions,
    /// Name resolution.
    pub resolver: ResolverOptions,
    /// Roots trusted in addition to webpki-roots (the lab's CA, a private PKI).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            port: 443,
            connect_timeout: Duration::from_secs(3),
            handshake_timeout: Duration::from_secs(5),
            scan_timeout: Duration::from_secs(30),
            probe_concurrency: 4,
            per_host_connections: 8,
            batch_concurrency: 16,
            probe_ssl2: true,
            cipher_classes: true,
            ocsp_responder: true,
            policy: PolicyOptions::default(),
            resolver: ResolverOptions::default(),
            extra_roots: Vec::new(),
        }
    }
}

impl ScanOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets [`ScanOptions::port`].
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Sets the connect and handshake timeouts.
    pub fn timeouts(mut self, connect: Duration, handshake: Duration) -> Self {
        self.connect_timeout = connect;
        self.handshake_timeout = handshake;
        self
    }
    /// Sets [`ScanOptions::scan_timeout`].
    pub fn scan_timeout(mut self, t: Duration) -> Self {
        self.scan_timeout = t;
        self
    }
    /// Sets [`ScanOptions::probe_concurrency`] (at least 1).
    pub fn probe_concurrency(mut self, n: usize) -> Self {
        self.probe_concurrency = n.max(1);
        self
    }
    /// Sets [`ScanOptions::per_host_connections`] (at least 1).
    pub fn per_host_connections(mut self, n: usize) -> Self {
        self.per_host_connections = n.max(1);
        self
    }
    /// Sets [`ScanOptions::batch_concurrency`] (at least 1).
    pub fn batch_concurrency(mut self, n: usize) -> Self {
        self.batch_concurrency = n.max(1);
        self
    }
    /// Sets [`ScanOptions::policy`].
    pub fn policy(mut self, policy: PolicyOptions) -> Self {
        self.policy = policy;
        self
    }
    /// Sets [`ScanOptions::resolver`].
    pub fn resolver(mut self, resolver: ResolverOptions) -> Self {
        self.resolver = resolver;
        self
    }
    /// Adds a root to trust besides webpki-roots.
    pub fn extra_root(mut self, root: CertificateDer<'static>) -> Self {
        self.extra_roots.push(root);
        self
    }
    /// Sets [`ScanOptions::probe_ssl2`].
    pub fn probe_ssl2(mut self, on: bool) -> Self {
        self.probe_ssl2 = on;
        self
    }
    /// Sets [`ScanOptions::cipher_classes`].
    pub fn cipher_classes(mut self, on: bool) -> Self {
        self.cipher_classes = on;
        self
    }
    /// Sets [`ScanOptions::ocsp_responder`].
    pub fn ocsp_responder(mut self, on: bool) -> Self {
        self.ocsp_responder = on;
        self
    }
}

/// One target of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchTarget {
    /// The domain.
    pub domain: String,
    /// Its TLS port; `None` for [`ScanOptions::port`].
    pub port: Option<u16>,
}

impl BatchTarget {
    /// A target on the default port.
    pub fn new(domain: impl Into<String>) -> Self {
        Self {
            domain: domain.into(),
            port: None,
        }
    }
    /// A target on a given port.
    pub fn with_port(domain: impl Into<String>, port: u16) -> Self {
        Self {
            domain: domain.into(),
            port: Some(port),
        }
    }
}

/// One finished target of a batch, sent as soon as it is done.
#[derive(Debug)]
pub struct BatchResult {
    /// Position of the target in the input.
    pub index: usize,
    /// The domain as given.
    pub domain: String,
    /// The observations, or why the target could not be scanned.
    pub result: Result<Observations, Error>,
    /// Wall time of this target, resolution included.
    pub elapsed: Duration,
}

/// Scans the TLS service of targets: protocol versions, cipher-suite
/// classes, key-exchange groups, certificate chain.
///
/// Cheap to clone (shared state); must be created inside a tokio runtime.
#[derive(Clone, Debug)]
pub struct TlsScanner {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: ScanOptions,
    policy: TargetPolicy,
    trust: Trust,
    /// Asks OCSP responders (policy-checked, like every connection).
    http: Http,
    hosts: Mutex<HashMap<IpAddr, Weak<Semaphore>>>,
    seed: AtomicU64,
}

/// What one probe is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ProbeKind {
    Version(TlsVersion),
    Class(TlsVersion, SuiteClass),
    HybridPq,
}

impl ProbeKind {
    fn describe(self) -> String {
        match self {
            ProbeKind::Version(v) => format!("{} probe", v.as_str()),
            ProbeKind::Class(v, c) => format!("{} {} suites probe", v.as_str(), c.as_str()),
            ProbeKind::HybridPq => "TLSv1.3 X25519MLKEM768 probe".into(),
        }
    }
}

enum TaskResult {
    Probe(ProbeKind, Outcome),
    Chain(Result<CapturedChain, String>),
}

/// What is learnt while the probes run; kept when the deadline cuts them short.
#[derive(Default)]
struct State {
    protocols: ProtocolSupport,
    suites: Vec<AcceptedSuite>,
    group: Option<String>,
    /// The group of the newest accepted TLS ≤ 1.2 version's key exchange.
    legacy_group: Option<(TlsVersion, String)>,
    hybrid: Option<bool>,
    /// Suite chosen on each accepted version probe.
    chosen: HashMap<TlsVersion, u16>,
    /// Chains seen in the clear on TLS ≤ 1.2 hellos, by version.
    clear_chains: Vec<(TlsVersion, CapturedChain)>,
    chain: Option<Result<CapturedChain, String>>,
    answers: usize,
    errors: Vec<String>,
    /// How version probes were refused (reported only when none was accepted).
    refusals: Vec<String>,
    /// Some probe got a TCP connection.
    connected: bool,
}

fn now() -> Timestamp {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl TlsScanner {
    /// A scanner with these options.
    pub fn new(options: ScanOptions) -> Result<Self, Error> {
        let policy = TargetPolicy::new(options.policy.clone(), &options.resolver)?;
        let trust = cert::trust(&options.extra_roots).map_err(|reason| Error::Config { reason })?;
        let http = Http::new(
            policy.clone(),
            &trust,
            HttpSettings {
                http_port: 80,
                https_port: 443,
                request_timeout: options.handshake_timeout,
                connect_timeout: options.connect_timeout,
                body_cap: 64 * 1024,
                max_redirects: 0,
                user_agent: concat!("nis2-scanner/", env!("CARGO_PKG_VERSION")).to_owned(),
            },
        )?;
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Ok(Self {
            inner: Arc::new(Inner {
                options,
                policy,
                trust,
                http,
                hosts: Mutex::new(HashMap::new()),
                seed: AtomicU64::new(seed),
            }),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &ScanOptions {
        &self.inner.options
    }

    /// The target policy (to check redirects, MX hosts, webhook URLs the same way).
    pub fn policy(&self) -> &TargetPolicy {
        &self.inner.policy
    }

    /// Scans `domain` on [`ScanOptions::port`]. `Err` only when the target
    /// is invalid, refused or does not resolve; probe failures are in
    /// [`Observations::errors`].
    pub async fn scan(&self, domain: &str) -> Result<Observations, Error> {
        self.scan_port(domain, self.inner.options.port).await
    }

    /// Scans `domain` on `port`.
    pub async fn scan_port(&self, domain: &str, port: u16) -> Result<Observations, Error> {
        let started = now();
        let target = self.inner.policy.resolve(domain).await?;
        let mut obs = self.scan_resolved(&target, port).await;
        obs.scanned_at = Some(started);
        Ok(obs)
    }

    /// Scans a target that already passed [`TargetPolicy::resolve`] (so a
    /// caller running several checks resolves once). Only its checked
    /// addresses are connected to: the first one that accepts a connection
    /// is analysed (at most three are tried).
    pub async fn scan_resolved(&self, target: &ResolvedTarget, port: u16) -> Observations {
        let mut obs = Observations::new(target.server_name());
        obs.scanned_at = Some(now());
        if target.addrs.is_empty() {
            obs.errors.push(ObservationError {
                group: CheckGroup::Tls,
                target: target.server_name(),
                message: "no address to connect to".into(),
            });
            return obs;
        }
        // The first address that accepts a connection is analysed; the
        // next ones are tried only while none does (e.g. AAAA without IPv6).
        for (i, ip) in target.addrs.iter().take(MAX_ADDRESSES).enumerate() {
            let addr = SocketAddr::new(*ip, port);
            let (tls, errors, connected) = self.analyse(addr, &target.server_name()).await;
            obs.errors
                .extend(errors.into_iter().map(|message| ObservationError {
                    group: CheckGroup::Tls,
                    target: addr.to_string(),
                    message,
                }));
            obs.tls = Some(tls);
            if connected || i + 1 == target.addrs.len().min(MAX_ADDRESSES) {
                break;
            }
        }
        obs
    }

    /// Scans many targets, at most [`ScanOptions::batch_concurrency`] at
    /// once (and [`ScanOptions::per_host_connections`] per address), and
    /// sends each result as soon as it is ready. The channel closes after
    /// the last one; dropping the receiver stops the batch.
    pub fn batch(
        &self,
        targets: impl IntoIterator<Item = BatchTarget>,
    ) -> mpsc::Receiver<BatchResult> {
        let targets: Vec<BatchTarget> = targets.into_iter().collect();
        let concurrency = self.inner.options.batch_concurrency.max(1);
        let (tx, rx) = mpsc::channel(concurrency * 2);
        let scanner = self.clone();
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(concurrency));
            let mut running = JoinSet::new();
            for (index, target) in targets.into_iter().enumerate() {
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
                    let port = target.port.unwrap_or(scanner.inner.options.port);
                    let result = scanner.scan_port(&target.domain, port).await;
                    let _ = tx
                        .send(BatchResult {
                            index,
                            domain: target.domain,
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

    fn host_slots(&self, ip: IpAddr) -> Arc<Semaphore> {
        let limit = self.inner.options.per_host_connections.max(1);
        let Ok(mut hosts) = self.inner.hosts.lock() else {
            return Arc::new(Semaphore::new(limit));
        };
        if let Some(s) = hosts.get(&ip).and_then(Weak::upgrade) {
            return s;
        }
        if hosts.len() > 4096 {
            hosts.retain(|_, w| w.strong_count() > 0);
        }
        let s = Arc::new(Semaphore::new(limit));
        hosts.insert(ip, Arc::downgrade(&s));
        s
    }

    fn timeouts(&self) -> Timeouts {
        Timeouts {
            connect: self.inner.options.connect_timeout,
            handshake: self.inner.options.handshake_timeout,
        }
    }

    async fn analyse(&self, addr: SocketAddr, sni: &str) -> (TlsObservations, Vec<String>, bool) {
        let mut state = State::default();
        let deadline = self.inner.options.scan_timeout;
        if tokio::time::timeout(deadline, self.run(addr, sni, &mut state))
            .await
            .is_err()
        {
            state.errors.push(format!(
                "analysis stopped at its {} ms deadline",
                deadline.as_millis()
            ));
        }
        let connected = state.connected || matches!(state.chain, Some(Ok(_)));
        // The chain `finish` reads: the handshake's, else the newest one seen in the clear.
        let chain = match &state.chain {
            Some(Ok(c)) => Some(&c.chain),
            _ => state
                .clear_chains
                .iter()
                .max_by_key(|(v, _)| *v)
                .map(|(_, c)| &c.chain),
        };
        let leaf_and_issuer = chain
            .filter(|c| c.len() >= 2)
            .map(|c| (c[0].clone(), c[1].clone()));
        let (mut tls, mut errors) = self.finish(addr, state);
        if self.inner.options.ocsp_responder
            && let Some(cert) = tls.certificate.as_mut()
            && cert.revocation.is_none()
            && let Some(url) = cert
                .chain
                .first()
                .and_then(|l| l.ocsp_urls.first())
                .cloned()
        {
            match leaf_and_issuer {
                Some((leaf, issuer)) => {
                    let ask = self.ask_responder(&url, &leaf, &issuer);
                    match tokio::time::timeout(self.inner.options.handshake_timeout, ask).await {
                        Ok(Ok(status)) => {
                            cert.revocation = Some(Revocation {
                                status,
                                source: RevocationSource::Responder,
                            })
                        }
                        Ok(Err(e)) => errors.push(format!("OCSP responder {url}: {e}")),
                        Err(_) => errors.push(format!("OCSP responder {url}: timed out")),
                    }
                }
                None => errors.push(format!(
                    "OCSP responder {url} not asked: the server sent no issuer certificate"
                )),
            }
        }
        (tls, errors, connected)
    }

    /// Asks the OCSP responder at `url` about `leaf`, issued by `issuer`.
    async fn ask_responder(
        &self,
        url: &str,
        leaf: &[u8],
        issuer: &[u8],
    ) -> Result<nis2_core::observations::RevocationStatus, String> {
        let request = ocsp::request(leaf, issuer)?;
        let answer = self.inner.http.post_ocsp(url, request).await?;
        ocsp::verified_status(&answer, leaf, issuer)
    }

    async fn run(&self, addr: SocketAddr, sni: &str, state: &mut State) {
        let target_slots = Arc::new(Semaphore::new(self.inner.options.probe_concurrency.max(1)));
        let host_slots = self.host_slots(addr.ip());
        let slots = (target_slots, host_slots);

        // Phase 1: the common versions and the certificate handshake. A
        // target that answers none of them with TLS is not probed further.
        let mut phase = vec![
            ProbeKind::Version(TlsVersion::Tls13),
            ProbeKind::Version(TlsVersion::Tls12),
        ];
        self.run_phase(addr, sni, &phase, true, &slots, state).await;
        if state.answers == 0 && !matches!(state.chain, Some(Ok(_))) {
            return;
        }

        // Phase 2: old versions, and the hybrid group where TLS 1.3 is spoken.
        phase = vec![
            ProbeKind::Version(TlsVersion::Tls11),
            ProbeKind::Version(TlsVersion::Tls10),
            ProbeKind::Version(TlsVersion::Ssl3),
        ];
        if self.inner.options.probe_ssl2 {
            phase.push(ProbeKind::Version(TlsVersion::Ssl2));
        }
        if state.protocols.tls1_3.accepted() {
            phase.push(ProbeKind::HybridPq);
        }
        self.run_phase(addr, sni, &phase, false, &slots, state)
            .await;

        // Phase 3: cipher-suite classes on each accepted version ≤ 1.2,
        // except the class the version probe's choice already shows.
        if self.inner.options.cipher_classes {
            let mut classes = Vec::new();
            for v in [
                TlsVersion::Ssl3,
                TlsVersion::Tls10,
                TlsVersion::Tls11,
                TlsVersion::Tls12,
            ] {
                if !state.protocols.get(v).accepted() {
                    continue;
                }
                let chosen = state
                    .chosen
                    .get(&v)
                    .and_then(|id| tls_parser::TlsCipherSuite::from_id(*id));
                for class in SuiteClass::ALL {
                    if chosen.is_some_and(|s| class.contains(s)) {
                        continue;
                    }
                    classes.push(ProbeKind::Class(v, class));
                }
            }
            self.run_phase(addr, sni, &classes, false, &slots, state)
                .await;
        }
    }

    async fn run_phase(
        &self,
        addr: SocketAddr,
        sni: &str,
        kinds: &[ProbeKind],
        with_chain: bool,
        slots: &(Arc<Semaphore>, Arc<Semaphore>),
        state: &mut State,
    ) {
        let mut set: JoinSet<TaskResult> = JoinSet::new();
        let t = self.timeouts();
        if with_chain {
            let (a, b) = slots.clone();
            let trust = self.inner.trust.clone();
            let sni = sni.to_owned();
            set.spawn(async move {
                let _permits = acquire(&a, &b).await;
                TaskResult::Chain(cert::handshake_chain(addr, &sni, &trust, t).await)
            });
        }
        for kind in kinds {
            let kind = *kind;
            let hello = self.hello_for(kind, sni);
            let want_certs = matches!(kind, ProbeKind::Version(v) if v != TlsVersion::Tls13 && v != TlsVersion::Ssl2);
            let (a, b) = slots.clone();
            set.spawn(async move {
                let _permits = acquire(&a, &b).await;
                TaskResult::Probe(kind, probe::probe(addr, &hello, t, want_certs).await)
            });
        }
        while let Some(done) = set.join_next().await {
            match done {
                Ok(TaskResult::Probe(kind, outcome)) => record(state, kind, outcome),
                Ok(TaskResult::Chain(chain)) => state.chain = Some(chain),
                Err(e) => state.errors.push(format!("probe task failed: {e}")),
            }
        }
    }

    fn hello_for(&self, kind: ProbeKind, sni: &str) -> Vec<u8> {
        let seed = self.inner.seed.fetch_add(1, Ordering::Relaxed);
        match kind {
            ProbeKind::Version(TlsVersion::Ssl2) => hello::sslv2_client_hello(seed),
            ProbeKind::Version(TlsVersion::Tls13) => hello::client_hello(
                &HelloSpec::new(TlsVersion::Tls13, TLS13_SUITES.to_vec(), sni),
                seed,
            ),
            ProbeKind::Version(v) => {
                hello::client_hello(&HelloSpec::new(v, hello::all_legacy_suites(), sni), seed)
            }
            ProbeKind::Class(v, class) => {
                hello::client_hello(&HelloSpec::new(v, class.suites(), sni), seed)
            }
            ProbeKind::HybridPq => {
                let mut spec = HelloSpec::new(TlsVersion::Tls13, TLS13_SUITES.to_vec(), sni);
                spec.groups = vec![X25519_MLKEM768];
                spec.key_shares = vec![X25519_MLKEM768];
                hello::client_hello(&spec, seed)
            }
        }
    }

    fn finish(&self, addr: SocketAddr, mut state: State) -> (TlsObservations, Vec<String>) {
        let now = now();
        let mut certificate = None;
        let captured = match state.chain.take() {
            Some(Ok(c)) => Some(c),
            other => {
                if let Some(Err(e)) = other {
                    state
                        .errors
                        .push(format!("certificate handshake (rustls, TLS 1.2/1.3): {e}"));
                }
                // Fall back to a chain sent in the clear, newest version first.
                state
                    .clear_chains
                    .sort_by_key(|(v, _)| std::cmp::Reverse(*v));
                state.clear_chains.first().map(|(_, c)| c.clone())
            }
        };
        if let Some(c) = captured {
            match cert::observe(&c, &self.inner.trust, now, &mut state.errors) {
                Ok(o) => certificate = Some(o),
                Err(e) => state.errors.push(e),
            }
        }
        if !state.protocols.any_accepted() {
            // Nothing accepted: say how each refusal looked, so "no TLS here"
            // is told apart from "a TLS server that refuses everything".
            let refusals = std::mem::take(&mut state.refusals);
            state.errors.extend(refusals);
        }
        state.suites.sort_by_key(|s| (s.version, s.id));
        state.suites.dedup();
        let tls = TlsObservations {
            address: addr.to_string(),
            reachable: state.protocols.any_accepted(),
            protocols: state.protocols,
            accepted_suites: state.suites,
            // TLS 1.3's key share first; else the newest older version's key exchange.
            negotiated_group: state.group.or(state.legacy_group.map(|(_, g)| g)),
            hybrid_pq_kex: state.hybrid,
            certificate,
        };
        (tls, state.errors)
    }
}

async fn acquire(
    a: &Arc<Semaphore>,
    b: &Arc<Semaphore>,
) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
    let pa = a.clone().acquire_owned().await.ok()?;
    let pb = b.clone().acquire_owned().await.ok()?;
    Some((pa, pb))
}

fn record(state: &mut State, kind: ProbeKind, outcome: Outcome) {
    tracing::debug!(probe = %kind.describe(), outcome = %outcome.describe(), "TLS probe finished");
    if !matches!(
        outcome,
        Outcome::ConnectFailed(_) | Outcome::Timeout("connecting")
    ) {
        state.connected = true;
    }
    if outcome.is_tls_answer() {
        state.answers += 1;
    }
    let failed = |state: &mut State, outcome: &Outcome| {
        state
            .errors
            .push(format!("{}: {}", kind.describe(), outcome.describe()));
    };
    match kind {
        ProbeKind::Version(TlsVersion::Ssl2) => match outcome {
            Outcome::Ssl2Hello => state.protocols.set(TlsVersion::Ssl2, Probe::Accepted),
            o if o.is_tls_answer() => {
                state
                    .refusals
                    .push(format!("{}: refused ({})", kind.describe(), o.describe()));
                state.protocols.set(TlsVersion::Ssl2, Probe::Refused);
            }
            o => failed(state, &o),
        },
        ProbeKind::Version(v) => match outcome {
            Outcome::Hello(h) if h.version == v.wire() => {
                state.protocols.set(v, Probe::Accepted);
                state.chosen.insert(v, h.cipher);
                state.suites.push(AcceptedSuite {
                    version: v,
                    id: h.cipher,
                    name: hello::suite_name(h.cipher),
                });
                if v == TlsVersion::Tls13 {
                    state.group = h.group.map(hello::group_name);
                } else if let Some(g) = h.kx_group.clone()
                    && state
                        .legacy_group
                        .as_ref()
                        .is_none_or(|(seen, _)| *seen < v)
                {
                    state.legacy_group = Some((v, g));
                }
                if !h.chain.is_empty() {
                    state.clear_chains.push((
                        v,
                        CapturedChain {
                            chain: h.chain,
                            ocsp_response: h.ocsp_response,
                        },
                    ));
                }
            }
            o if o.is_tls_answer() => {
                state
                    .refusals
                    .push(format!("{}: refused ({})", kind.describe(), o.describe()));
                state.protocols.set(v, Probe::Refused);
            }
            o => failed(state, &o),
        },
        ProbeKind::Class(v, _) => match outcome {
            Outcome::Hello(h) if h.version == v.wire() => {
                state.suites.push(AcceptedSuite {
                    version: v,
                    id: h.cipher,
                    name: hello::suite_name(h.cipher),
                });
            }
            o if o.is_tls_answer() => {}
            o => failed(state, &o),
        },
        ProbeKind::HybridPq => match outcome {
            Outcome::Hello(h) if h.version == TlsVersion::Tls13.wire() => {
                state.hybrid = Some(h.group == Some(X25519_MLKEM768));
            }
            o if o.is_tls_answer() => state.hybrid = Some(false),
            o => failed(state, &o),
        },
    }
}

#[async_trait]
impl Scanner for TlsScanner {
    /// Scans the TLS group only (`tls` filled; other groups stay `None`).
    async fn scan(&self, domain: &str) -> Result<Observations, ScanError> {
        TlsScanner::scan(self, domain)
            .await
            .map_err(ScanError::from)
    }
}
