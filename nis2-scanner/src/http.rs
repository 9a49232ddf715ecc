//! The HTTP group: `http://` and `https://` exchanges with redirects followed
//! by hand, probes of well-known paths, and the MTA-STS policy fetch.
//!
//! Every connection goes through the target policy: reqwest resolves names
//! only through [`PolicyResolve`], which returns checked addresses (so the
//! address connected to is the one checked), and each redirect hop is checked
//! before it is requested — IP literals, which reqwest never resolves, with
//! [`TargetPolicy::check_ip`]. Bodies are read up to a cap, each request has
//! a timeout.
//!
//! Site exchanges and path probes do not verify the certificate (the TLS
//! group judges it; headers are facts either way); the MTA-STS policy fetch
//! does, as RFC 8461 §3.3 requires.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nis2_core::observations::{
    CheckGroup, Header, HttpExchange, HttpHop, HttpObservations, MtaStsPolicyFetch,
    ObservationError, PathProbe,
};
use nis2_core::{DOTENV_PATH, GIT_HEAD_PATH, SECURITY_TXT_LEGACY_PATH, SECURITY_TXT_PATH};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use crate::cert::Trust;
use crate::error::Error;
use crate::policy::TargetPolicy;

/// What the HTTP checks need to know.
#[derive(Clone, Debug)]
pub(crate) struct HttpSettings {
    pub(crate) http_port: u16,
    pub(crate) https_port: u16,
    pub(crate) request_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) body_cap: usize,
    pub(crate) max_redirects: usize,
    pub(crate) user_agent: String,
}

/// Names already resolved and checked by the policy for scans in progress,
/// with how many scans hold each: reqwest connects to these addresses
/// without asking DNS again (no second lookup a rebinding server could
/// answer differently).
type PinTable = Arc<Mutex<HashMap<String, (Vec<IpAddr>, usize)>>>;

/// Resolves names for reqwest through the target policy: a name pinned by
/// a scan gets its checked addresses, any other name is resolved and
/// checked now; a blocked name is an error.
#[derive(Clone, Debug)]
pub(crate) struct PolicyResolve {
    policy: TargetPolicy,
    pins: PinTable,
}

impl Resolve for PolicyResolve {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let pinned = self.pins.lock().ok().and_then(|pins| {
            pins.get(&name.as_str().trim_end_matches('.').to_ascii_lowercase())
                .map(|(addrs, _)| addrs.clone())
        });
        Box::pin(async move {
            let ips = match pinned {
                Some(ips) => ips,
                None => policy.resolve(name.as_str()).await?.addrs,
            };
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// Keeps a name pinned to its checked addresses while it lives.
#[derive(Debug)]
pub(crate) struct Pin {
    pins: PinTable,
    name: String,
}

impl Drop for Pin {
    fn drop(&mut self) {
        if let Ok(mut pins) = self.pins.lock()
            && let Some((_, holders)) = pins.get_mut(&self.name)
        {
            *holders -= 1;
            if *holders == 0 {
                pins.remove(&self.name);
            }
        }
    }
}

/// Accepts any certificate (signatures on the handshake are still checked):
/// for reading headers of sites whose certificate the TLS group judges.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The two HTTP clients (lenient for site facts, verifying for MTA-STS).
#[derive(Clone, Debug)]
pub(crate) struct Http {
    lenient: reqwest::Client,
    strict: reqwest::Client,
    policy: TargetPolicy,
    pins: PinTable,
    settings: HttpSettings,
    counter: Arc<AtomicU64>,
}

fn config_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config {
        reason: format!("{what}: {e}"),
    }
}

impl Http {
    pub(crate) fn new(
        policy: TargetPolicy,
        trust: &Trust,
        settings: HttpSettings,
    ) -> Result<Self, Error> {
        let versions = rustls::ALL_VERSIONS;
        let strict_tls = ClientConfig::builder_with_provider(trust.provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| config_error("HTTP TLS versions", e))?
            .with_root_certificates(trust.roots.clone())
            .with_no_client_auth();
        let lenient_tls = ClientConfig::builder_with_provider(trust.provider.clone())
            .with_protocol_versions(versions)
            .map_err(|e| config_error("HTTP TLS versions", e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(trust.provider.clone())))
            .with_no_client_auth();
        let pins: PinTable = Arc::default();
        let build = |tls: ClientConfig| {
            reqwest::Client::builder()
                .tls_backend_preconfigured(tls)
                .dns_resolver(Arc::new(PolicyResolve {
                    policy: policy.clone(),
                    pins: pins.clone(),
                }))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .http1_only()
                .connect_timeout(settings.connect_timeout)
                .timeout(settings.request_timeout)
                .pool_idle_timeout(Duration::from_secs(10))
                .user_agent(settings.user_agent.clone())
                .build()
                .map_err(|e| config_error("HTTP client", e))
        };
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        Ok(Self {
            lenient: build(lenient_tls)?,
            strict: build(strict_tls)?,
            policy,
            pins,
            settings,
            counter: Arc::new(AtomicU64::new(seed)),
        })
    }

    fn url(&self, scheme: &str, host: &str, path: &str) -> Result<Url, String> {
        let (port, default) = if scheme == "https" {
            (self.settings.https_port, 443)
        } else {
            (self.settings.http_port, 80)
        };
        // An IPv6 literal target needs brackets in a URL.
        let bracketed;
        let host = if host.contains(':') && !host.starts_with('[') {
            bracketed = format!("[{host}]");
            bracketed.as_str()
        } else {
            host
        };
        let text = if port == default {
            format!("{scheme}://{host}{path}")
        } else {
            format!("{scheme}://{host}:{port}{path}")
        };
        Url::parse(&text).map_err(|e| format!("bad URL {text}: {e}"))
    }

    /// Pins `name` to `addrs` (already checked by the policy) until the
    /// returned guard drops: requests to it connect there without a new lookup.
    pub(crate) fn pin(&self, name: &str, addrs: &[IpAddr]) -> Pin {
        let key = name.trim_end_matches('.').to_ascii_lowercase();
        if let Ok(mut pins) = self.pins.lock() {
            pins.entry(key.clone())
                .and_modify(|(_, holders)| *holders += 1)
                .or_insert_with(|| (addrs.to_vec(), 1));
        }
        Pin {
            pins: self.pins.clone(),
            name: key,
        }
    }

    /// Checks the host of `url` against the policy (a redirect target); a
    /// name is resolved once and pinned for the request that follows.
    async fn check_hop(&self, url: &Url, held: &mut Vec<Pin>) -> Result<(), String> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(format!("redirect to a `{other}:` URL refused")),
        }
        let refused = |e: Error| format!("redirect to {url} refused: {e}");
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.policy.check_ip(IpAddr::V4(ip)).map_err(refused),
            Some(url::Host::Ipv6(ip)) => self.policy.check_ip(IpAddr::V6(ip)).map_err(refused),
            Some(url::Host::Domain(d)) => {
                let target = self.policy.resolve(d).await.map_err(refused)?;
                held.push(self.pin(d, &target.addrs));
                Ok(())
            }
            None => Err(format!("redirect to {url} has no host")),
        }
    }

    /// `GET url`, following redirects by hand, every hop checked.
    pub(crate) async fn exchange(&self, start: Url) -> HttpExchange {
        let mut out = HttpExchange::default();
        let mut url = start;
        let mut held = Vec::new();
        for hop in 0..=self.settings.max_redirects {
            if hop > 0
                && let Err(e) = self.check_hop(&url, &mut held).await
            {
                out.error = Some(e);
                return out;
            }
            let resp = match self.lenient.get(url.clone()).send().await {
                Ok(r) => r,
                Err(e) => {
                    out.error = Some(describe(&url, &e));
                    return out;
                }
            };
            let status = resp.status().as_u16();
            if !(100..=599).contains(&status) {
                out.error = Some(format!("{url}: invalid HTTP status {status}"));
                return out;
            }
            let headers = headers_of(&resp);
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            // Read (and drop) the body so the connection can be reused.
            let _ = read_capped(resp, self.settings.body_cap).await;
            out.hops.push(HttpHop {
                url: url.to_string(),
                status,
                headers,
            });
            match location {
                Some(loc) if (300..400).contains(&status) => match url.join(loc.trim()) {
                    Ok(next) => url = next,
                    Err(e) => {
                        out.error = Some(format!("bad redirect Location `{}`: {e}", clip(&loc)));
                        return out;
                    }
                },
                _ => return out,
            }
        }
        out.error = Some(format!(
            "more than {} redirects",
            self.settings.max_redirects
        ));
        out
    }

    /// `GET https://host<path>` without following redirects.
    async fn probe(&self, host: &str, path: &str) -> Result<PathProbe, String> {
        let url = self.url("https", host, path)?;
        let resp = self
            .lenient
            .get(url.clone())
            .send()
            .await
            .map_err(|e| describe(&url, &e))?;
        let status = resp.status().as_u16();
        if !(100..=599).contains(&status) {
            return Err(format!("{url}: invalid HTTP status {status}"));
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let (body, _) = read_capped(resp, self.settings.body_cap)
            .await
            .map_err(|e| describe(&url, &e))?;
        Ok(PathProbe {
            path: path.to_owned(),
            status,
            content_type,
            body: text_of(&body),
        })
    }

    /// A path that cannot exist, different on every call.
    fn random_path(&self) -> String {
        let n = self
            .counter
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        let mixed = (n ^ (n >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        format!("/nis2-not-found-{mixed:016x}.txt")
    }

    /// The whole HTTP group for `domain`.
    pub(crate) async fn observe(&self, domain: &str) -> (HttpObservations, Vec<ObservationError>) {
        let mut errors = Vec::new();
        let err = |target: String, message: String| ObservationError {
            group: CheckGroup::Http,
            target,
            message,
        };
        let (plain_url, https_url) = match (
            self.url("http", domain, "/"),
            self.url("https", domain, "/"),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                errors.push(err(domain.to_owned(), e));
                return (HttpObservations::default(), errors);
            }
        };
        let random = self.random_path();
        // The probes follow the HTTPS exchange one by one on its kept-alive
        // connection: one TLS handshake instead of six (the plain exchange
        // runs alongside).
        let https_then_probes = async {
            let https = self.exchange(https_url.clone()).await;
            let mut probes = Vec::with_capacity(5);
            for path in [
                GIT_HEAD_PATH,
                DOTENV_PATH,
                SECURITY_TXT_PATH,
                SECURITY_TXT_LEGACY_PATH,
                random.as_str(),
            ] {
                probes.push(self.probe(domain, path).await);
            }
            (https, probes)
        };
        let (plain, (https, probes)) =
            tokio::join!(self.exchange(plain_url.clone()), https_then_probes);
        let mut probes = probes.into_iter();
        let mut next = || {
            probes
                .next()
                .unwrap_or_else(|| Err("probe not run".to_owned()))
        };
        let (git, env, sec, legacy, baseline) = (next(), next(), next(), next(), next());
        let keep = |x: HttpExchange, url: &Url, errors: &mut Vec<ObservationError>| {
            if let Some(e) = &x.error {
                errors.push(err(url.to_string(), e.clone()));
            }
            // Nothing answered at all: the service is absent, not an exchange.
            if x.hops.is_empty() { None } else { Some(x) }
        };
        let mut obs = HttpObservations {
            plain: keep(plain, &plain_url, &mut errors),
            https: keep(https, &https_url, &mut errors),
            paths: Vec::new(),
            not_found_baseline: None,
        };
        for (path, r) in [
            (GIT_HEAD_PATH, git),
            (DOTENV_PATH, env),
            (SECURITY_TXT_PATH, sec),
            (SECURITY_TXT_LEGACY_PATH, legacy),
        ] {
            match r {
                Ok(p) => obs.paths.push(p),
                Err(e) => errors.push(err(format!("https://{domain}{path}"), e)),
            }
        }
        match baseline {
            Ok(p) => obs.not_found_baseline = Some(p),
            Err(e) => errors.push(err(format!("https://{domain}{random}"), e)),
        }
        (obs, errors)
    }

    /// POSTs an OCSP request to the responder at `url` (from the
    /// certificate; its host checked by the policy like a redirect target)
    /// and returns the DER answer.
    pub(crate) async fn post_ocsp(&self, url: &str, request: Vec<u8>) -> Result<Vec<u8>, String> {
        let url = Url::parse(url).map_err(|e| format!("bad OCSP URL `{}`: {e}", clip(url)))?;
        let mut held = Vec::new();
        self.check_hop(&url, &mut held)
            .await
            .map_err(|e| e.replacen("redirect to", "OCSP responder", 1))?;
        let resp = self
            .strict
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/ocsp-request")
            .body(request)
            .send()
            .await
            .map_err(|e| describe(&url, &e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(format!("{url}: HTTP status {status}"));
        }
        let (body, cut) = read_capped(resp, self.settings.body_cap)
            .await
            .map_err(|e| describe(&url, &e))?;
        if cut {
            return Err(format!(
                "{url}: answer longer than {} bytes",
                self.settings.body_cap
            ));
        }
        Ok(body)
    }

    /// Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt` with
    /// certificate verification, no redirects (RFC 8461 §3.3), the host
    /// checked by the policy first.
    pub(crate) async fn mta_sts_policy(&self, domain: &str) -> MtaStsPolicyFetch {
        let host = format!("mta-sts.{domain}");
        let mut fetch = MtaStsPolicyFetch {
            url: String::new(),
            status: 0,
            body: String::new(),
            error: None,
        };
        let url = match self.url("https", &host, "/.well-known/mta-sts.txt") {
            Ok(u) => u,
            Err(e) => {
                fetch.error = Some(e);
                return fetch;
            }
        };
        fetch.url = url.to_string();
        let _pin = match self.policy.resolve(&host).await {
            Ok(t) => self.pin(&host, &t.addrs),
            Err(e) => {
                fetch.error = Some(format!("policy host refused: {e}"));
                return fetch;
            }
        };
        let resp = match self.strict.get(url.clone()).send().await {
            Ok(r) => r,
            Err(e) => {
                fetch.error = Some(describe(&url, &e));
                return fetch;
            }
        };
        fetch.status = resp.status().as_u16();
        if !(100..=599).contains(&fetch.status) {
            fetch.error = Some(format!("invalid HTTP status {}", fetch.status));
            fetch.status = 0;
            return fetch;
        }
        if (300..400).contains(&fetch.status) {
            fetch.error = Some("policy fetch redirected (not allowed by RFC 8461)".into());
        }
        match read_capped(resp, self.settings.body_cap).await {
            Ok((body, _)) => fetch.body = text_of(&body),
            Err(e) => fetch.error = Some(describe(&url, &e)),
        }
        fetch
    }
}

fn headers_of(resp: &reqwest::Response) -> Vec<Header> {
    resp.headers()
        .iter()
        .map(|(k, v)| {
            Header(
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Reads at most `cap` bytes of the body; `true` when it was cut.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = cap.saturating_sub(body.len());
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// A capped body as text: invalid UTF-8 replaced, a character cut by the cap dropped.
pub(crate) fn text_of(body: &[u8]) -> String {
    match std::str::from_utf8(body) {
        Ok(s) => s.to_owned(),
        Err(e) if e.error_len().is_none() => {
            String::from_utf8_lossy(&body[..e.valid_up_to()]).into_owned()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(120).collect()
}

fn describe(url: &Url, e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    // The innermost cause says what really happened (refused, policy, TLS).
    let mut cause = e.source();
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    if let Some(l) = last {
        msg.push_str(": ");
        msg.push_str(&l);
    }
    format!("{url}: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_of_capped_bodies() {
        assert_eq!(text_of(b"ref: refs/heads/main\n"), "ref: refs/heads/main\n");
        // "é" cut in half by the cap: dropped, not replaced.
        assert_eq!(text_of(&[b'a', 0xc3]), "a");
        assert_eq!(text_of(&[b'a', 0xff, b'b']), "a\u{fffd}b");
    }

    /// An `Http` whose policy allows loopback and whose resolver asks a
    /// port where nothing answers (names never resolve, quickly).
    fn client(rt: &tokio::runtime::Runtime) -> Http {
        rt.block_on(async {
            let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let addr = dead.local_addr().unwrap();
            drop(dead);
            let resolver = crate::ResolverOptions::default()
                .nameservers([addr])
                .timeout(Duration::from_millis(200))
                .cache_size(0);
            let policy = TargetPolicy::new(
                crate::PolicyOptions::new()
                    .allow_private(true)
                    .allow_ip_literals(true),
                &resolver,
            )
            .unwrap();
            let trust = crate::cert::trust(&[]).unwrap();
            Http::new(
                policy,
                &trust,
                HttpSettings {
                    http_port: 80,
                    https_port: 443,
                    request_timeout: Duration::from_secs(2),
                    connect_timeout: Duration::from_secs(1),
                    body_cap: 1024,
                    max_redirects: 3,
                    user_agent: "test".into(),
                },
            )
            .unwrap()
        })
    }

    #[test]
    fn urls_for_names_and_literals() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let http = client(&rt);
        let u = |scheme, host| http.url(scheme, host, "/x").unwrap().to_string();
        assert_eq!(u("https", "example.com"), "https://example.com/x");
        assert_eq!(u("http", "2001:db8::1"), "http://[2001:db8::1]/x");
        assert_eq!(u("https", "192.0.2.1"), "https://192.0.2.1/x");
        assert!(http.url("https", "a b", "/").is_err());
    }

    /// Serves `reply` (raw bytes) to every connection, then closes.
    async fn hostile_server(reply: Vec<u8>) -> (Url, tokio::task::JoinHandle<()>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", l.local_addr().unwrap())).unwrap();
        let task = tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(&reply).await;
                let _ = s.shutdown().await;
            }
        });
        (url, task)
    }

    /// Bodies are read up to the cap and no further, whatever the server sends.
    #[test]
    fn bodies_are_capped() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let http = client(&rt);
        let (body, cut, small) = rt.block_on(async {
            let mut big = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
            big.extend(std::iter::repeat_n(b'x', 100_000));
            let (url, task) = hostile_server(big).await;
            let resp = http.lenient.get(url).send().await.unwrap();
            let (body, cut) = read_capped(resp, 1024).await.unwrap();
            task.abort();
            let (url, task) =
                hostile_server(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec()).await;
            let resp = http.lenient.get(url).send().await.unwrap();
            let small = read_capped(resp, 1024).await.unwrap();
            task.abort();
            (body, cut, small)
        });
        assert_eq!(body.len(), 1024);
        assert!(cut);
        assert_eq!(small, (b"hello".to_vec(), false));
    }

    fn response() -> impl Strategy<Value = Vec<u8>> {
        let status = prop_oneof![Just(200u16), Just(302), Just(301), Just(404), 100u16..1000];
        let header = prop_oneof![
            "[A-Za-z-]{1,20}: [ -~]{0,60}",
            "Location: [ -~]{0,60}",
            Just("Location: http://0.0.0.0/".to_owned()),
            Just("Location: http://[::1]:1/x".to_owned()),
            Just("Location: ftp://x/".to_owned()),
            Just("Location: //evil.invalid/".to_owned()),
            Just("Set-Cookie: a=b; Secure".to_owned()),
            Just("Content-Length: 99999".to_owned()),
            Just("Transfer-Encoding: chunked".to_owned()),
        ];
        (
            status,
            proptest::collection::vec(header, 0..8),
            proptest::collection::vec(any::<u8>(), 0..3000),
            any::<bool>(),
        )
            .prop_map(|(status, headers, body, garbage)| {
                if garbage {
                    return body;
                }
                let mut r = format!("HTTP/1.1 {status} X\r\n").into_bytes();
                for h in headers {
                    r.extend_from_slice(h.as_bytes());
                    r.extend_from_slice(b"\r\n");
                }
                r.extend_from_slice(b"\r\n");
                r.extend_from_slice(&body);
                r
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Whatever a server answers, an exchange ends, records only valid
        /// status codes, follows at most `max_redirects`, and yields
        /// observations nis2-core accepts.
        #[test]
        fn hostile_servers_give_valid_observations(reply in response()) {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            let http = client(&rt);
            let x = rt.block_on(async {
                let (url, task) = hostile_server(reply).await;
                let x = tokio::time::timeout(Duration::from_secs(10), http.exchange(url)).await;
                task.abort();
                x
            });
            let x = x.expect("exchange ended");
            prop_assert!(x.hops.len() <= 4);
            prop_assert!(!x.hops.is_empty() || x.error.is_some());
            let mut obs = nis2_core::Observations::new("hostile.test");
            obs.http = Some(HttpObservations { plain: Some(x.clone()), https: Some(x), ..Default::default() });
            prop_assert!(obs.validate().is_ok(), "{:?}", obs.validate());
        }
    }

    proptest! {
        #[test]
        fn text_of_never_panics_and_keeps_valid_prefix(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let t = text_of(&bytes);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                prop_assert_eq!(t, s);
            }
        }
    }
}
