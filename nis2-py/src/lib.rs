//! # nis2-py
//!
//! The Python module `nis2`, built with maturin (`pip install ./nis2-py`). A
//! thin adapter: every function wraps one `nis2-core` or `nis2-scanner` call;
//! the Python API is described (types and docs) in `nis2.pyi` beside this crate.
//!
//! Observations cross the boundary as JSON (a dict is dumped by Python's
//! `json`, parsed by serde with the core's own field checks); results are
//! read-only classes over the core's types whose nested parts come back as
//! plain dicts (`json.loads` of the core's serde JSON). Blocking calls
//! release the GIL.

use nis2_core::i18n::Lang;
use nis2_core::observations::Observations;
use nis2_core::report::{self as core_report, Format, LetterInput, ReportInput, Sender, VendorRef};
use nis2_core::{Timestamp, samples};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

mod error;
#[cfg(feature = "lab")]
mod lab;
mod scan;
mod types;

use error::Error;
use types::{Assessment, Check, Finding, Letter};

/// Observations from a dict (or JSON text), checked by serde like any JSON input.
fn observations(value: &Bound<'_, PyAny>) -> PyResult<Observations> {
    static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let text: String = if let Ok(s) = value.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else {
        let dumps = DUMPS.import(value.py(), "json", "dumps")?;
        dumps
            .call1((value,))
            .and_then(|t| t.extract())
            .map_err(|e| {
                error::err(
                    error::Exc::InvalidObservations,
                    format!("invalid observations: not JSON-serialisable: {e}"),
                )
            })?
    };
    serde_json::from_str(&text).map_err(|e| {
        Error::Core(nis2_core::Error::ObservationsJson {
            reason: e.to_string(),
        })
        .into()
    })
}

/// `now`: None (the clock), an RFC 3339 string, Unix seconds, or an aware datetime.
fn timestamp(value: Option<&Bound<'_, PyAny>>) -> PyResult<Timestamp> {
    let Some(v) = value.filter(|v| !v.is_none()) else {
        return Ok(scan::now());
    };
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Timestamp::parse(&s.to_cow()?).map_err(Error::from)?);
    }
    let secs: f64 = if v.hasattr("utcoffset")? {
        if v.call_method0("utcoffset")?.is_none() {
            return Err(Error::Timestamp(
                "naive datetime: give a timezone-aware one (tzinfo=timezone.utc)".into(),
            )
            .into());
        }
        v.call_method0("timestamp")?.extract()?
    } else {
        v.extract()?
    };
    if !secs.is_finite() {
        return Err(Error::Timestamp(format!("{secs} is not a time")).into());
    }
    Timestamp::from_unix(secs.floor() as i64)
        .ok_or_else(|| Error::Timestamp(format!("{secs} is out of range")).into())
}

#[pyfunction]
#[pyo3(signature = (observations, now=None))]
fn evaluate(
    py: Python<'_>,
    observations: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Finding>> {
    let (obs, now) = (self::observations(observations)?, timestamp(now)?);
    let findings = py
        .detach(|| nis2_core::evaluate(&obs, now))
        .map_err(Error::from)?;
    Ok(findings.into_iter().map(Finding).collect())
}

#[pyfunction]
#[pyo3(signature = (observations, now=None))]
fn assess(
    py: Python<'_>,
    observations: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Assessment> {
    let (obs, now) = (self::observations(observations)?, timestamp(now)?);
    Ok(py.detach(|| scan::grade(obs, now))?)
}

#[pyfunction]
fn catalog() -> Vec<Check> {
    types::catalog()
}

#[pyfunction]
#[pyo3(signature = (assessment, language="en", *, sender="", organisation="", contact=None, vendor_name=None, date=None))]
#[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments
fn letter(
    assessment: &Bound<'_, Assessment>,
    language: &str,
    sender: &str,
    organisation: &str,
    contact: Option<&str>,
    vendor_name: Option<&str>,
    date: Option<&Bound<'_, PyAny>>,
) -> PyResult<Letter> {
    let a = assessment.get();
    let lang = Lang::parse(language).map_err(Error::from)?;
    let input = LetterInput {
        assessment: &a.inner,
        vendor: VendorRef {
            domain: &a.domain,
            name: vendor_name,
        },
        sender: Sender {
            name: sender,
            organisation,
            contact,
        },
        date: timestamp(date)?,
    };
    Ok(core_report::letter(&input, lang).into())
}

#[pyfunction]
#[pyo3(signature = (assessment, format="html", language="en", *, vendor_name=None, generated_at=None))]
fn report<'py>(
    py: Python<'py>,
    assessment: &Bound<'py, Assessment>,
    format: &str,
    language: &str,
    vendor_name: Option<&str>,
    generated_at: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = assessment.get();
    let format = Format::parse(format).map_err(Error::from)?;
    let lang = Lang::parse(language).map_err(Error::from)?;
    let generated_at = timestamp(generated_at)?;
    let vendor = VendorRef {
        domain: &a.domain,
        name: vendor_name,
    };
    let input = ReportInput::new(&a.inner, vendor, generated_at);
    // PDF typesetting takes tens of milliseconds: let other threads run.
    let rendered = py
        .detach(|| core_report::render(&input, lang, format))
        .map_err(Error::from)?;
    if format == Format::Pdf {
        return Ok(PyBytes::new(py, &rendered.bytes).into_any());
    }
    Ok(PyString::new(py, &String::from_utf8_lossy(&rendered.bytes)).into_any())
}

#[pyfunction]
#[pyo3(signature = (kind="weak", domain="vendor.example", now=None))]
fn sample_observations<'py>(
    py: Python<'py>,
    kind: &str,
    domain: &str,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let now = timestamp(now)?;
    let obs = match kind {
        "weak" => samples::weak_vendor(domain, now),
        "flawless" => samples::flawless_vendor(domain, now),
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown sample `{kind}`; samples: weak, flawless"
            )));
        }
    };
    types::to_py(py, &obs)
}

#[pyfunction]
fn to_rows<'py>(py: Python<'py>, assessments: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let rows = PyList::empty(py);
    for item in assessments.try_iter()? {
        let item = item?;
        // scan_many results are accepted as they come: failed scans become rows with the error.
        if let Ok(r) = item.cast::<scan::ScanResult>() {
            let r = r.get();
            if let Some(a) = r.assessment_ref() {
                rows.append(a.bind(py).get().to_row(py)?)?;
            } else {
                let row = PyDict::new(py);
                row.set_item("domain", r.domain_ref())?;
                row.set_item("error", r.error_text(py))?;
                rows.append(row)?;
            }
            continue;
        }
        let a = item.cast::<Assessment>()?;
        rows.append(a.get().to_row(py)?)?;
    }
    Ok(rows)
}

/// nis2: NIS2 supply-chain security rating engine (scan, assess, evaluate, catalog,
/// letter, report, scan_many, scan_async). Types and docs: nis2.pyi.
#[pymodule]
fn nis2(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("METHOD_VERSION", nis2_core::METHOD_VERSION)?;
    m.add(
        "LANGUAGES",
        Lang::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
    )?;
    m.add(
        "FORMATS",
        Format::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
    )?;
    m.add("FEATURES", {
        let mut f: Vec<&str> = Vec::new();
        if cfg!(feature = "pdf") {
            f.push("pdf");
        }
        if cfg!(feature = "lab") {
            f.push("lab");
        }
        f
    })?;
    error::register(m)?;
    m.add_class::<Assessment>()?;
    m.add_class::<Finding>()?;
    m.add_class::<Check>()?;
    m.add_class::<Letter>()?;
    m.add_class::<scan::ScanResult>()?;
    m.add_class::<scan::ScanIterator>()?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(assess, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(letter, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(sample_observations, m)?)?;
    m.add_function(wrap_pyfunction!(to_rows, m)?)?;
    m.add_function(wrap_pyfunction!(scan::scan, m)?)?;
    m.add_function(wrap_pyfunction!(scan::scan_async, m)?)?;
    m.add_function(wrap_pyfunction!(scan::scan_many, m)?)?;
    #[cfg(feature = "lab")]
    lab::register(m)?;
    Ok(())
}
