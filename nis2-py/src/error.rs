//! The module's exception classes and the one conversion from Rust errors to them.
//!
//! The classes are made at import with `type(name, bases, ns)` rather than
//! `create_exception!` so that the ones about bad input are also `ValueError`s
//! (`except ValueError` keeps working for code that does not know nis2).

use nis2_core::i18n::UnsupportedLanguage;
use nis2_core::report::ReportError;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// Every exception class of the module: name, parent in this table (or a
/// builtin), also a `ValueError`, docstring.
const CLASSES: &[(&str, Option<Exc>, bool, &str)] = &[
    (
        "Nis2Error",
        None,
        false,
        "Base class of every error raised by nis2.",
    ),
    (
        "InvalidObservations",
        Some(Exc::Base),
        true,
        "Observations that do not parse or hold values no real scan can produce.",
    ),
    (
        "InvalidTimestamp",
        Some(Exc::Base),
        true,
        "A time that is not RFC 3339, not timezone-aware or out of range.",
    ),
    (
        "UnsupportedLanguage",
        Some(Exc::Base),
        true,
        "A language code nis2 has no texts for.",
    ),
    (
        "UnsupportedFormat",
        Some(Exc::Base),
        true,
        "A report format nis2 does not know.",
    ),
    (
        "ReportError",
        Some(Exc::Base),
        false,
        "A report could not be rendered.",
    ),
    (
        "ReportUnavailable",
        Some(Exc::Report),
        false,
        "The format exists but this build lacks it (PDF without the `pdf` feature).",
    ),
    (
        "ConfigError",
        Some(Exc::Base),
        true,
        "An unusable scan option (resolver address, extra root PEM, timeout).",
    ),
    (
        "ScanError",
        Some(Exc::Base),
        false,
        "A target could not be scanned as a whole.",
    ),
    (
        "InvalidTarget",
        Some(Exc::Scan),
        true,
        "The domain is not an acceptable host name.",
    ),
    (
        "TargetRefused",
        Some(Exc::Scan),
        false,
        "The target is, or resolves to, an address the target policy forbids.",
    ),
    (
        "ResolutionError",
        Some(Exc::Scan),
        false,
        "The domain does not resolve.",
    ),
    (
        "LabError",
        Some(Exc::Base),
        false,
        "The local test lab could not start.",
    ),
];

/// An exception class, by its row in [`CLASSES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exc {
    Base = 0,
    InvalidObservations,
    InvalidTimestamp,
    UnsupportedLanguage,
    UnsupportedFormat,
    Report,
    ReportUnavailable,
    Config,
    Scan,
    InvalidTarget,
    TargetRefused,
    Resolution,
    Lab,
}

static TYPES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&Vec<Py<PyType>>> {
    TYPES.get_or_try_init(py, || {
        let make = py.import("builtins")?.getattr("type")?;
        let mut made: Vec<Py<PyType>> = Vec::with_capacity(CLASSES.len());
        for (name, parent, value_error, doc) in CLASSES {
            let mut bases: Vec<Bound<'_, PyAny>> = Vec::with_capacity(2);
            match parent {
                None => bases.push(py.get_type::<PyException>().into_any()),
                Some(p) => bases.push(made[*p as usize].bind(py).clone().into_any()),
            }
            if *value_error {
                bases.push(py.get_type::<PyValueError>().into_any());
            }
            let ns = PyDict::new(py);
            ns.set_item("__module__", "nis2")?;
            ns.set_item("__doc__", *doc)?;
            let ty = make.call1((*name, PyTuple::new(py, bases)?, ns))?;
            made.push(ty.cast_into::<PyType>()?.unbind());
        }
        Ok(made)
    })
}

/// Adds every class to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    for (ty, (name, ..)) in types(m.py())?.iter().zip(CLASSES) {
        m.add(*name, ty.bind(m.py()))?;
    }
    Ok(())
}

/// A `PyErr` of class `kind` with `message`.
pub(crate) fn err(kind: Exc, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| match types(py) {
        Ok(t) => PyErr::from_type(t[kind as usize].bind(py).clone(), message),
        Err(e) => e,
    })
}

/// Everything the Rust side can fail with, mapped to the classes above.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Core(#[from] nis2_core::Error),
    #[error(transparent)]
    Scanner(#[from] nis2_scanner::Error),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Language(#[from] UnsupportedLanguage),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Timestamp(String),
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        use nis2_core::Error as C;
        use nis2_scanner::Error as S;
        let kind = match &e {
            Error::Core(C::InvalidObservations { .. } | C::ObservationsJson { .. }) => {
                Exc::InvalidObservations
            }
            Error::Core(C::InvalidTimestamp { .. }) | Error::Timestamp(_) => Exc::InvalidTimestamp,
            Error::Core(_) => Exc::Base,
            Error::Scanner(S::InvalidTarget { .. }) => Exc::InvalidTarget,
            Error::Scanner(S::TargetRefused { .. }) => Exc::TargetRefused,
            Error::Scanner(S::Resolution { .. }) => Exc::Resolution,
            Error::Scanner(S::Config { .. }) | Error::Config(_) => Exc::Config,
            Error::Scanner(S::Lab { .. }) => Exc::Lab,
            Error::Scanner(_) => Exc::Scan,
            Error::Report(ReportError::UnsupportedLanguage(_)) | Error::Language(_) => {
                Exc::UnsupportedLanguage
            }
            Error::Report(ReportError::UnknownFormat { .. }) => Exc::UnsupportedFormat,
            Error::Report(ReportError::PdfUnavailable) => Exc::ReportUnavailable,
            Error::Report(_) => Exc::Report,
        };
        err(kind, e.to_string())
    }
}
