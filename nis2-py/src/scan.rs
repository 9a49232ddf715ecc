//! `scan`, `scan_many`, `scan_async`: the scanner on one shared tokio runtime
//! (pyo3-async-runtimes'), with the GIL released while it works.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use nis2_core::observations::CheckGroup;
use nis2_core::{History, Observations, Timestamp, assess, evaluate};
use nis2_scanner::{DomainResult, DomainScanner, ResolverOptions, ScanOptions, ScannerOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::sync::mpsc;

use crate::error::Error;
use crate::types::{Assessment, quoted};

/// The option names `scan`, `scan_many` and `scan_async` take.
const OPTIONS: &str = "checks, https_port, http_port, dns_port, ports, connect_timeout, request_timeout, \
                       handshake_timeout, group_timeout, resolver, extra_roots, \
                       dnssec_trust_anchors, allow_private, probe_concurrency, dkim_selectors, \
                       max_redirects";

pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Runs `fut` to completion on the shared runtime with the GIL released,
/// looking every 100 ms for a pending signal: Ctrl-C (or a notebook's
/// "interrupt kernel") raises `KeyboardInterrupt` at once instead of when
/// the scan ends; dropping the future stops its scan.
pub(crate) fn block_on<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    py.detach(|| {
        runtime().block_on(async {
            let mut fut = std::pin::pin!(fut);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    out = &mut fut => return Ok(out),
                    _ = tick.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}

/// The current time (the adapter reads the clock; core never does).
pub(crate) fn now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Timestamp::from_unix(i64::try_from(secs).unwrap_or(0)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Observations graded now, as a first scan.
pub(crate) fn grade(obs: Observations, now: Timestamp) -> Result<Assessment, Error> {
    let findings = evaluate(&obs, now)?;
    Ok(Assessment {
        domain: obs.domain.clone(),
        inner: assess(findings, &History::first_scan(now)),
        observations: Some(obs),
    })
}

fn seconds(name: &str, v: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let s: f64 = v.extract()?;
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Error::Config(format!(
                "`{name}` must be a positive number of seconds, not {s}"
            ))
            .into()
        })
}

fn resolver(text: &str) -> Result<SocketAddr, Error> {
    let text = text.trim();
    text.parse::<SocketAddr>()
        .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| {
            Error::Config(format!(
                "`resolver` must be \"ip:port\" or an IP address, not `{text}`"
            ))
        })
}

fn roots(pem: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let roots = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("`extra_roots` is not PEM: {e}")))?;
    if roots.is_empty() {
        return Err(Error::Config(
            "`extra_roots` holds no CERTIFICATE block".into(),
        ));
    }
    Ok(roots)
}

fn groups(names: Vec<String>) -> Result<Vec<CheckGroup>, Error> {
    names
        .iter()
        .map(|c| {
            CheckGroup::ALL
                .into_iter()
                .find(|g| g.as_str() == c)
                .ok_or_else(|| {
                    Error::Config(format!(
                        "unknown check group `{c}`; groups: tls, http, dns, email, ports"
                    ))
                })
        })
        .collect()
}

/// Scanner options parsed from keyword arguments (unset ones keep the
/// scanner's documented defaults).
pub(crate) fn options(
    kwargs: Option<&Bound<'_, PyDict>>,
    function: &str,
) -> PyResult<ScannerOptions> {
    let mut o = ScannerOptions::new();
    let Some(kwargs) = kwargs else { return Ok(o) };
    let mut tls = ScanOptions::new();
    let mut resolver_options: Option<ResolverOptions> = None;
    for (key, value) in kwargs.iter() {
        let key = key.cast::<PyString>()?.to_cow()?.into_owned();
        if value.is_none()
            && matches!(
                key.as_str(),
                "resolver"
                    | "extra_roots"
                    | "checks"
                    | "dnssec_trust_anchors"
                    | "group_timeout"
                    | "ports"
                    | "dkim_selectors"
            )
        {
            continue;
        }
        match key.as_str() {
            "checks" => o = o.groups(groups(value.extract()?)?),
            "https_port" => o = o.https_port(value.extract()?),
            "http_port" => o = o.http_port(value.extract()?),
            "dns_port" => o = o.dns_port(value.extract()?),
            "ports" => o = o.exposure_ports(value.extract::<Vec<u16>>()?),
            "connect_timeout" => {
                // HTTP requests and port probes, and the TLS group's connections.
                let t = seconds(&key, &value)?;
                o = o.connect_timeout(t);
                tls.connect_timeout = t;
            }
            "request_timeout" => o = o.request_timeout(seconds(&key, &value)?),
            "handshake_timeout" => tls.handshake_timeout = seconds(&key, &value)?,
            "group_timeout" => {
                let t = seconds(&key, &value)?;
                for g in CheckGroup::ALL {
                    o = o.group_timeout(g, t);
                }
            }
            "probe_concurrency" => tls = tls.probe_concurrency(value.extract()?),
            "dkim_selectors" => o = o.dkim_selectors(value.extract::<Vec<String>>()?),
            "max_redirects" => o = o.max_redirects(value.extract()?),
            "allow_private" => o = o.allow_private(value.extract()?),
            "resolver" => {
                let addr = resolver(&value.extract::<String>()?)?;
                // A private resolver is usually a lab whose zone changes per run.
                let r = resolver_options.take().unwrap_or_default();
                resolver_options = Some(r.nameservers([addr]).cache_size(0));
            }
            "dnssec_trust_anchors" => {
                let anchors: String = value.extract()?;
                if anchors.trim().is_empty() {
                    return Err(Error::Config(
                        "`dnssec_trust_anchors` holds no DNSKEY record".into(),
                    )
                    .into());
                }
                let r = resolver_options.take().unwrap_or_default();
                resolver_options = Some(r.dnssec_trust_anchors(anchors));
            }
            "extra_roots" => {
                for r in roots(&value.extract::<String>()?)? {
                    o = o.extra_root(r);
                }
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "{function}() got an unexpected keyword argument '{key}' (options: {OPTIONS})"
                )));
            }
        }
    }
    if let Some(r) = resolver_options {
        o = o.resolver(r);
    }
    Ok(o.tls(tls))
}

async fn scan_one(options: ScannerOptions, domain: String) -> Result<Assessment, Error> {
    let scanner = DomainScanner::new(options)?;
    let obs = scanner.scan(&domain).await?;
    grade(obs, now())
}

/// `nis2.scan(domain, **options)`: blocks, with the GIL released.
#[pyfunction]
#[pyo3(signature = (domain, **options))]
pub(crate) fn scan(
    py: Python<'_>,
    domain: String,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Assessment> {
    let options = self::options(options, "scan")?;
    Ok(block_on(py, scan_one(options, domain))??)
}

/// `await nis2.scan_async(domain, **options)`.
#[pyfunction]
#[pyo3(signature = (domain, **options))]
pub(crate) fn scan_async<'py>(
    py: Python<'py>,
    domain: String,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = self::options(options, "scan_async")?;
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        scan_one(options, domain).await.map_err(PyErr::from)
    })
}

/// One finished target of `scan_many`.
#[pyclass(frozen, module = "nis2", get_all)]
pub(crate) struct ScanResult {
    index: usize,
    domain: String,
    assessment: Option<Py<Assessment>>,
    error: Option<Py<PyAny>>,
    elapsed: f64,
}

impl ScanResult {
    pub(crate) fn assessment_ref(&self) -> Option<&Py<Assessment>> {
        self.assessment.as_ref()
    }
    pub(crate) fn domain_ref(&self) -> &str {
        &self.domain
    }
    pub(crate) fn error_text(&self, py: Python<'_>) -> Option<String> {
        self.error.as_ref().map(|e| e.bind(py).to_string())
    }
}

#[pymethods]
impl ScanResult {
    #[getter]
    fn ok(&self) -> bool {
        self.error.is_none()
    }
    /// The assessment, or raises the scan's error.
    fn unwrap(&self, py: Python<'_>) -> PyResult<Py<Assessment>> {
        match (&self.assessment, &self.error) {
            (Some(a), _) => Ok(a.clone_ref(py)),
            (None, Some(e)) => Err(PyErr::from_value(e.bind(py).clone())),
            (None, None) => Err(crate::error::err(crate::error::Exc::Scan, "no result")),
        }
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        match (&self.assessment, &self.error) {
            (Some(a), _) => {
                let a = a.get();
                format!(
                    "ScanResult(index={}, domain={}, grade={}, score={})",
                    self.index,
                    quoted(&self.domain),
                    quoted(a.inner.grade.as_str()),
                    a.inner.score
                )
            }
            (None, Some(e)) => format!(
                "ScanResult(index={}, domain={}, error={})",
                self.index,
                quoted(&self.domain),
                e.bind(py).repr().map(|r| r.to_string()).unwrap_or_default()
            ),
            (None, None) => format!(
                "ScanResult(index={}, domain={})",
                self.index,
                quoted(&self.domain)
            ),
        }
    }
}

/// The iterator `scan_many` returns; dropping it stops the remaining scans.
#[pyclass(frozen, module = "nis2")]
pub(crate) struct ScanIterator {
    rx: Mutex<mpsc::Receiver<DomainResult>>,
    total: usize,
}

#[pymethods]
impl ScanIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    fn __next__(&self, py: Python<'_>) -> PyResult<Option<ScanResult>> {
        let mut rx = self
            .rx
            .lock()
            .map_err(|_| crate::error::err(crate::error::Exc::Scan, "scan_many lock poisoned"))?;
        let next = block_on(py, rx.recv())?;
        drop(rx);
        let Some(r) = next else { return Ok(None) };
        let (assessment, error) = match r.result.map_err(Error::from).and_then(|o| grade(o, now()))
        {
            Ok(a) => (Some(Py::new(py, a)?), None),
            Err(e) => (None, Some(PyErr::from(e).into_value(py).into_any())),
        };
        Ok(Some(ScanResult {
            index: r.index,
            domain: r.domain,
            assessment,
            error,
            elapsed: r.elapsed.as_secs_f64(),
        }))
    }
    fn __len__(&self) -> usize {
        self.total
    }
}

/// `nis2.scan_many(domains, concurrency=8, **options)`: results as they finish.
#[pyfunction]
#[pyo3(signature = (domains, concurrency=8, **options))]
pub(crate) fn scan_many(
    py: Python<'_>,
    domains: &Bound<'_, PyAny>,
    concurrency: usize,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<ScanIterator> {
    if concurrency == 0 {
        return Err(Error::Config("`concurrency` must be at least 1".into()).into());
    }
    let options = self::options(options, "scan_many")?.concurrency(concurrency);
    let mut targets: Vec<String> = Vec::new();
    for item in domains.try_iter()? {
        targets.push(
            item?.extract::<String>().map_err(|_| {
                PyTypeError::new_err("scan_many() takes an iterable of domains (str)")
            })?,
        );
    }
    let total = targets.len();
    let rx = py.detach(|| {
        let _guard = runtime().enter();
        DomainScanner::new(options).map(|s| s.scan_many(targets))
    });
    Ok(ScanIterator {
        rx: Mutex::new(rx.map_err(Error::from)?),
        total,
    })
}
