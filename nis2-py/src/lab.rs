//! `nis2._lab` (cargo feature `lab`): the scanner's local lab from Python,
//! for the tests and the example notebook. Loopback only.

use std::sync::Mutex;

use nis2_scanner::lab::{Lab as CoreLab, LabVendors, TargetKind, VendorKind};
use nis2_scanner::{DomainScanner, TlsScanner};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{Error, Exc, err};
use crate::scan::{block_on, grade, now, runtime};
use crate::types::Assessment;

/// The item of `all` whose label is `label`, or a `ValueError` listing them.
fn by_label<K: Copy>(
    all: &[K],
    label_of: fn(&K) -> &'static str,
    label: &str,
    what: &str,
) -> PyResult<K> {
    all.iter()
        .find(|k| label_of(k) == label)
        .copied()
        .ok_or_else(|| {
            let all: Vec<&str> = all.iter().map(label_of).collect();
            pyo3::exceptions::PyValueError::new_err(format!(
                "unknown lab {what} `{label}`; {what}s: {}",
                all.join(", ")
            ))
        })
}

fn kind(label: &str) -> PyResult<TargetKind> {
    by_label(&TargetKind::ALL, |k| k.label(), label, "target")
}

fn vendor_kind(label: &str) -> PyResult<VendorKind> {
    by_label(&VendorKind::ALL, |k| k.label(), label, "vendor")
}

/// Runs `f` on the running lab in `slot`, or fails once it was stopped.
fn with_running<L, T>(slot: &Mutex<Option<L>>, f: impl FnOnce(&L) -> PyResult<T>) -> PyResult<T> {
    let guard = slot
        .lock()
        .map_err(|_| err(Exc::Lab, "lab lock poisoned"))?;
    match guard.as_ref() {
        Some(lab) => f(lab),
        None => Err(err(Exc::Lab, "the lab was stopped")),
    }
}

/// A running lab: TLS targets on 127.0.0.x and a DNS server for `lab.nis2.test`.
#[pyclass(frozen, module = "nis2._lab")]
struct Lab {
    lab: Mutex<Option<CoreLab>>,
}

impl Lab {
    fn with<T>(&self, f: impl FnOnce(&CoreLab) -> PyResult<T>) -> PyResult<T> {
        with_running(&self.lab, f)
    }
}

#[pymethods]
impl Lab {
    #[getter]
    fn dns(&self) -> PyResult<String> {
        self.with(|l| Ok(l.dns_addr().to_string()))
    }
    #[getter]
    fn root_ca_pem(&self) -> PyResult<String> {
        self.with(|l| Ok(l.root_ca_pem().to_owned()))
    }
    /// `[{"kind", "name", "address", "port"}]` of the running targets.
    #[getter]
    fn targets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.with(|l| {
            let list = PyList::empty(py);
            for t in l.targets() {
                let d = PyDict::new(py);
                d.set_item("kind", t.kind.label())?;
                d.set_item("name", &t.name)?;
                d.set_item("address", t.addr.ip().to_string())?;
                d.set_item("port", t.addr.port())?;
                list.append(d)?;
            }
            Ok(list)
        })
    }
    /// Keyword arguments for `nis2.scan` that point it at this lab's TLS
    /// targets: the TLS group only, and the values of the Rust
    /// `Lab::scan_options` (the port is per target: `https_port=target(kind)[1]`).
    fn scan_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.with(|l| {
            let o = l.scan_options();
            let d = PyDict::new(py);
            d.set_item("checks", vec!["tls"])?;
            set_resolver(&d, &o.resolver)?;
            d.set_item("extra_roots", l.root_ca_pem())?;
            d.set_item("allow_private", o.policy.allow_private)?;
            d.set_item("connect_timeout", o.connect_timeout.as_secs_f64())?;
            d.set_item("handshake_timeout", o.handshake_timeout.as_secs_f64())?;
            d.set_item("group_timeout", o.scan_timeout.as_secs_f64())?;
            Ok(d)
        })
    }
    /// `(name, port)` of a running target.
    fn target(&self, kind: &str) -> PyResult<(String, u16)> {
        let k = self::kind(kind)?;
        self.with(|l| {
            l.target(k)
                .map(|t| (t.name.clone(), t.addr.port()))
                .ok_or_else(|| err(Exc::Lab, format!("lab target `{kind}` was not started")))
        })
    }
    /// The reference: the target scanned and graded by the Rust API alone
    /// (`TlsScanner::new(lab.scan_options())`, `evaluate`, `assess`).
    fn rust_scan(&self, py: Python<'_>, kind: &str) -> PyResult<Assessment> {
        let k = self::kind(kind)?;
        let (options, name, port) = self.with(|l| {
            let t = l
                .target(k)
                .ok_or_else(|| err(Exc::Lab, format!("lab target `{kind}` was not started")))?;
            Ok((l.scan_options(), t.name.clone(), t.addr.port()))
        })?;
        let result: Result<Assessment, Error> = block_on(py, async move {
            let scanner = TlsScanner::new(options)?;
            let obs = scanner.scan_port(&name, port).await?;
            grade(obs, now())
        })?;
        Ok(result?)
    }
    /// Stops every server (also done when the object is garbage-collected).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let lab = self
            .lab
            .lock()
            .map_err(|_| err(Exc::Lab, "lab lock poisoned"))?
            .take();
        py.detach(|| {
            let _guard = runtime().enter();
            drop(lab);
        });
        Ok(())
    }
    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    fn __exit__(
        &self,
        py: Python<'_>,
        _t: Py<PyAny>,
        _v: Py<PyAny>,
        _tb: Py<PyAny>,
    ) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.lab.lock()
            && let Some(lab) = guard.take()
        {
            let _enter = runtime().enter();
            drop(lab);
        }
    }
}

/// `resolver` (the first name server) and `dnssec_trust_anchors` of Rust resolver options.
fn set_resolver(d: &Bound<'_, PyDict>, r: &nis2_scanner::ResolverOptions) -> PyResult<()> {
    if let Some(ns) = r.nameservers.first() {
        d.set_item("resolver", ns.to_string())?;
    }
    if !r.dnssec_trust_anchors.trim().is_empty() {
        d.set_item("dnssec_trust_anchors", &r.dnssec_trust_anchors)?;
    }
    Ok(())
}

/// Starts the lab (all targets, or the named ones: `good`, `expired`, …).
#[pyfunction]
#[pyo3(signature = (targets=None))]
fn start(py: Python<'_>, targets: Option<Vec<String>>) -> PyResult<Lab> {
    let kinds: Vec<TargetKind> = match targets {
        None => TargetKind::ALL.to_vec(),
        Some(t) => t.iter().map(|s| kind(s)).collect::<PyResult<_>>()?,
    };
    let lab = py
        .detach(|| runtime().block_on(CoreLab::builder().targets(&kinds).start()))
        .map_err(Error::from)?;
    Ok(Lab {
        lab: Mutex::new(Some(lab)),
    })
}

/// Running lab vendors: whole domains (DNS zone, HTTPS, HTTP, open ports) on
/// 127.0.0.x for full scans.
#[pyclass(frozen, module = "nis2._lab")]
struct Vendors {
    lab: Mutex<Option<LabVendors>>,
}

impl Vendors {
    fn with<T>(&self, f: impl FnOnce(&LabVendors) -> PyResult<T>) -> PyResult<T> {
        with_running(&self.lab, f)
    }
}

#[pymethods]
impl Vendors {
    #[getter]
    fn dns(&self) -> PyResult<String> {
        self.with(|l| Ok(l.dns_addr().to_string()))
    }
    #[getter]
    fn root_ca_pem(&self) -> PyResult<String> {
        self.with(|l| Ok(l.root_ca_pem().to_owned()))
    }
    /// `[{"kind", "domain", "address", "open_ports"}]`.
    #[getter]
    fn vendors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.with(|l| {
            let list = PyList::empty(py);
            for v in l.vendors() {
                let d = PyDict::new(py);
                d.set_item("kind", v.kind.label())?;
                d.set_item("domain", &v.domain)?;
                d.set_item("address", v.ip.to_string())?;
                d.set_item("open_ports", v.open_ports.clone())?;
                list.append(d)?;
            }
            Ok(list)
        })
    }
    /// The domain of a vendor kind (`good`, `weakmail`, …).
    fn domain(&self, kind: &str) -> PyResult<String> {
        Ok(vendor_kind(kind)?.domain())
    }
    /// Keyword arguments for `nis2.scan`: the values of the Rust
    /// `LabVendors::scanner_options` (read from it, so the two cannot drift).
    fn scan_options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.with(|l| {
            let o = l.scanner_options();
            let d = PyDict::new(py);
            set_resolver(&d, &o.resolver)?;
            d.set_item("extra_roots", l.root_ca_pem())?;
            d.set_item("allow_private", o.policy.allow_private)?;
            d.set_item("https_port", o.https_port)?;
            d.set_item("http_port", o.http_port)?;
            d.set_item("dns_port", o.dns_port)?;
            // The effective TLS connect timeout is the smaller of the two.
            let connect = o.connect_timeout.min(o.tls.connect_timeout);
            d.set_item("connect_timeout", connect.as_secs_f64())?;
            d.set_item("request_timeout", o.request_timeout.as_secs_f64())?;
            d.set_item("handshake_timeout", o.tls.handshake_timeout.as_secs_f64())?;
            let group = [
                o.tls_timeout,
                o.http_timeout,
                o.dns_timeout,
                o.email_timeout,
                o.ports_timeout,
            ]
            .into_iter()
            .max()
            .unwrap_or_default();
            d.set_item("group_timeout", group.as_secs_f64())?;
            Ok(d)
        })
    }
    /// The reference: the vendor scanned by the Rust API alone
    /// (`DomainScanner::new(lab.scanner_options())`, `evaluate`, `assess`).
    fn rust_scan(&self, py: Python<'_>, kind: &str) -> PyResult<Assessment> {
        let domain = vendor_kind(kind)?.domain();
        let options = self.with(|l| Ok(l.scanner_options()))?;
        let result: Result<Assessment, Error> = block_on(py, async move {
            let scanner = DomainScanner::new(options)?;
            let obs = scanner.scan(&domain).await?;
            grade(obs, now())
        })?;
        Ok(result?)
    }
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let lab = self
            .lab
            .lock()
            .map_err(|_| err(Exc::Lab, "lab lock poisoned"))?
            .take();
        py.detach(|| {
            let _guard = runtime().enter();
            drop(lab);
        });
        Ok(())
    }
    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    fn __exit__(
        &self,
        py: Python<'_>,
        _t: Py<PyAny>,
        _v: Py<PyAny>,
        _tb: Py<PyAny>,
    ) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }
}

impl Drop for Vendors {
    fn drop(&mut self) {
        if let Ok(mut guard) = self.lab.lock()
            && let Some(lab) = guard.take()
        {
            let _enter = runtime().enter();
            drop(lab);
        }
    }
}

/// Starts every lab vendor.
#[pyfunction]
fn start_vendors(py: Python<'_>) -> PyResult<Vendors> {
    let lab = py
        .detach(|| runtime().block_on(LabVendors::start()))
        .map_err(Error::from)?;
    Ok(Vendors {
        lab: Mutex::new(Some(lab)),
    })
}

/// Adds the `_lab` submodule (also importable as `nis2._lab`).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let sub = PyModule::new(py, "_lab")?;
    sub.add_class::<Lab>()?;
    sub.add_class::<Vendors>()?;
    sub.add_function(wrap_pyfunction!(start, &sub)?)?;
    sub.add_function(wrap_pyfunction!(start_vendors, &sub)?)?;
    sub.add(
        "VENDORS",
        VendorKind::ALL
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>(),
    )?;
    sub.add(
        "TARGETS",
        TargetKind::ALL
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>(),
    )?;
    m.add_submodule(&sub)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("nis2._lab", &sub)?;
    Ok(())
}
