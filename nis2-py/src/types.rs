//! Result objects: thin read-only views over the core's serde types.
//!
//! Scalars are attributes; nested lists (deductions, remediation steps, …)
//! are plain dicts typed as `TypedDict`s in `nis2.pyi`. `to_dict()` and
//! `to_json()` give the core's stable JSON form.

use nis2_core::catalog::{CATALOG, Check as CoreCheck};
use nis2_core::observations::Observations;
use nis2_core::report::Letter as CoreLetter;
use nis2_core::{Assessment as CoreAssessment, Finding as CoreFinding, Status};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use serde::Serialize;

use crate::error::{Error, Exc, err};

/// `json.loads(serde_json::to_string(value))`: the C parser builds the
/// Python objects faster than walking a `serde_json::Value` from Rust.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let text = serde_json::to_string(value).map_err(|e| err(Exc::Base, e.to_string()))?;
    LOADS.import(py, "json", "loads")?.call1((text,))
}

fn json_text<T: Serialize + ?Sized>(value: &T, indent: Option<usize>) -> PyResult<String> {
    let out = match indent {
        None => serde_json::to_string(value),
        Some(n) => {
            let pad = " ".repeat(n);
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(pad.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            value
                .serialize(&mut ser)
                .map(|()| String::from_utf8_lossy(&buf).into_owned())
        }
    };
    out.map_err(|e| err(Exc::Base, e.to_string()))
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
    }
}

/// A Python-style repr of a string: `'text'`.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// One judgement about one check.
#[pyclass(frozen, module = "nis2")]
pub(crate) struct Finding(pub(crate) CoreFinding);

#[pymethods]
impl Finding {
    #[getter]
    fn check_id(&self) -> &'static str {
        self.0.check_id.as_str()
    }
    #[getter]
    fn status(&self) -> &'static str {
        status(self.0.status)
    }
    #[getter]
    fn failed(&self) -> bool {
        self.0.failed()
    }
    #[getter]
    fn severity(&self) -> &'static str {
        self.0.severity.as_str()
    }
    #[getter]
    fn penalty(&self) -> u8 {
        self.0.penalty
    }
    #[getter]
    fn bonus(&self) -> u8 {
        self.0.bonus
    }
    #[getter]
    fn cap(&self) -> Option<&'static str> {
        self.0.cap.map(|g| g.as_str())
    }
    #[getter]
    fn evidence(&self) -> &str {
        &self.0.evidence
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.0)
    }
    #[pyo3(signature = (indent=None))]
    fn to_json(&self, indent: Option<usize>) -> PyResult<String> {
        json_text(&self.0, indent)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Finding>().is_ok_and(|o| o.get().0 == self.0)
    }
    fn __repr__(&self) -> String {
        format!(
            "Finding(check_id={}, status={}, severity={}, penalty={})",
            quoted(self.0.check_id.as_str()),
            quoted(status(self.0.status)),
            quoted(self.0.severity.as_str()),
            self.0.penalty
        )
    }
}

/// A graded assessment of one domain.
#[pyclass(frozen, module = "nis2")]
pub(crate) struct Assessment {
    pub(crate) domain: String,
    pub(crate) inner: CoreAssessment,
    pub(crate) observations: Option<Observations>,
}

#[derive(Serialize)]
struct AssessmentDict<'a> {
    domain: &'a str,
    #[serde(flatten)]
    inner: &'a CoreAssessment,
    #[serde(skip_serializing_if = "Option::is_none")]
    observations: Option<&'a Observations>,
}

impl Assessment {
    fn dict(&self) -> AssessmentDict<'_> {
        AssessmentDict {
            domain: &self.domain,
            inner: &self.inner,
            observations: self.observations.as_ref(),
        }
    }
}

#[pymethods]
impl Assessment {
    /// Rebuilds an assessment from `to_json()` output (or the core's JSON plus `domain`).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        let mut value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(Exc::Base, format!("invalid assessment JSON: {e}")))?;
        let obj = value
            .as_object_mut()
            .ok_or_else(|| err(Exc::Base, "invalid assessment JSON: not an object"))?;
        let domain = match obj.remove("domain") {
            Some(serde_json::Value::String(d)) => d,
            _ => {
                return Err(err(
                    Exc::Base,
                    "invalid assessment JSON: no `domain` string",
                ));
            }
        };
        let observations = match obj.remove("observations") {
            None | Some(serde_json::Value::Null) => None,
            Some(o) => Some(serde_json::from_value(o).map_err(|e| {
                Error::Core(nis2_core::Error::ObservationsJson {
                    reason: e.to_string(),
                })
            })?),
        };
        let inner = serde_json::from_value(value)
            .map_err(|e| err(Exc::Base, format!("invalid assessment JSON: {e}")))?;
        Ok(Self {
            domain,
            inner,
            observations,
        })
    }
    #[getter]
    fn domain(&self) -> &str {
        &self.domain
    }
    #[getter]
    fn score(&self) -> u8 {
        self.inner.score
    }
    #[getter]
    fn grade(&self) -> &'static str {
        self.inner.grade.as_str()
    }
    #[getter]
    fn risk_level(&self) -> &'static str {
        self.inner.risk_level.as_str()
    }
    #[getter]
    fn method(&self) -> &str {
        &self.inner.method
    }
    #[getter]
    fn assessed_at(&self) -> String {
        self.inner.assessed_at.to_string()
    }
    #[getter]
    fn technical_summary(&self) -> &str {
        &self.inner.technical_summary
    }
    #[getter]
    fn executive_summary(&self) -> &str {
        &self.inner.executive_summary
    }
    #[getter]
    fn critical_risks(&self) -> Vec<&str> {
        self.inner
            .critical_risks
            .iter()
            .map(|c| c.as_ref())
            .collect()
    }
    #[getter]
    fn positive_findings(&self) -> Vec<&str> {
        self.inner
            .positive_findings
            .iter()
            .map(|c| c.as_ref())
            .collect()
    }
    #[getter]
    fn deductions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.deductions)
    }
    #[getter]
    fn bonuses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.bonuses)
    }
    #[getter]
    fn remediation_steps<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.remediation_steps)
    }
    #[getter]
    fn nis2_mapping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.nis2_mapping)
    }
    #[getter]
    fn findings(&self) -> Vec<Finding> {
        self.inner.findings.iter().cloned().map(Finding).collect()
    }
    /// The check ids of the failing findings.
    #[getter]
    fn failing(&self) -> Vec<&'static str> {
        self.inner.failing().map(|f| f.check_id.as_str()).collect()
    }
    #[getter]
    fn observations<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.observations.as_ref().map(|o| to_py(py, o)).transpose()
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.dict())
    }
    #[pyo3(signature = (indent=None))]
    fn to_json(&self, indent: Option<usize>) -> PyResult<String> {
        json_text(&self.dict(), indent)
    }
    /// One flat row for a DataFrame (see `nis2.to_rows`).
    pub(crate) fn to_row<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let a = &self.inner;
        let row = PyDict::new(py);
        row.set_item("domain", &self.domain)?;
        row.set_item("score", a.score)?;
        row.set_item("grade", a.grade.as_str())?;
        row.set_item("risk_level", a.risk_level.as_str())?;
        row.set_item("assessed_at", a.assessed_at.to_string())?;
        row.set_item("method", a.method.as_ref())?;
        row.set_item("deductions", a.deductions.len())?;
        row.set_item(
            "penalty",
            a.deductions
                .iter()
                .map(|d| u32::from(d.penalty))
                .sum::<u32>(),
        )?;
        row.set_item(
            "bonus",
            a.bonuses.iter().map(|b| u32::from(b.bonus)).sum::<u32>(),
        )?;
        row.set_item("critical_risks", a.critical_risks.len())?;
        let failing: Vec<&str> = a.failing().map(|f| f.check_id.as_str()).collect();
        row.set_item("failing", failing.join(","))?;
        for (article, s) in a.nis2_mapping.iter() {
            row.set_item(article.key(), s.as_str())?;
        }
        Ok(row)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Assessment>().is_ok_and(|o| {
            let o = o.get();
            o.domain == self.domain && o.inner == self.inner && o.observations == self.observations
        })
    }
    fn __repr__(&self) -> String {
        format!(
            "Assessment(domain={}, score={}, grade={}, risk_level={}, deductions={})",
            quoted(&self.domain),
            self.inner.score,
            quoted(self.inner.grade.as_str()),
            quoted(self.inner.risk_level.as_str()),
            self.inner.deductions.len()
        )
    }
}

/// A catalog row.
#[pyclass(frozen, module = "nis2")]
pub(crate) struct Check(&'static CoreCheck);

#[pymethods]
impl Check {
    #[getter]
    fn id(&self) -> &'static str {
        self.0.id.as_str()
    }
    #[getter]
    fn group(&self) -> &'static str {
        self.0.group.as_str()
    }
    #[getter]
    fn title(&self) -> &'static str {
        self.0.title
    }
    #[getter]
    fn failure(&self) -> &'static str {
        self.0.failure
    }
    #[getter]
    fn bonus(&self) -> u8 {
        self.0.bonus
    }
    #[getter]
    fn is_bonus(&self) -> bool {
        self.0.id.is_bonus()
    }
    #[getter]
    fn tiers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for t in self.0.tiers {
            let d = PyDict::new(py);
            d.set_item("severity", t.severity.as_str())?;
            d.set_item("penalty", t.penalty)?;
            d.set_item("cap", t.cap.map(|g| g.as_str()))?;
            list.append(d)?;
        }
        Ok(list)
    }
    #[getter]
    fn articles(&self) -> Vec<&'static str> {
        self.0.articles.iter().map(|a| a.key()).collect()
    }
    #[getter]
    fn annex(&self) -> &'static str {
        self.0.annex
    }
    #[getter]
    fn remediation(&self) -> &'static str {
        self.0.remediation
    }
    #[getter]
    fn positive(&self) -> Option<&'static str> {
        self.0.positive
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("group", self.group())?;
        d.set_item("title", self.0.title)?;
        d.set_item("failure", self.0.failure)?;
        d.set_item("tiers", self.tiers(py)?)?;
        d.set_item("bonus", self.0.bonus)?;
        d.set_item("articles", self.articles())?;
        d.set_item("annex", self.0.annex)?;
        d.set_item("remediation", self.0.remediation)?;
        d.set_item("positive", self.0.positive)?;
        Ok(d)
    }
    fn __repr__(&self) -> String {
        format!(
            "Check(id={}, title={})",
            quoted(self.id()),
            quoted(self.0.title)
        )
    }
}

/// The catalog, in check-id order.
pub(crate) fn catalog() -> Vec<Check> {
    CATALOG.iter().map(Check).collect()
}

/// A remediation letter in one language.
#[pyclass(frozen, module = "nis2", get_all)]
pub(crate) struct Letter {
    language: &'static str,
    direction: &'static str,
    subject: String,
    text: String,
    markdown: String,
    html: String,
    findings: usize,
}

impl From<CoreLetter> for Letter {
    fn from(l: CoreLetter) -> Self {
        Letter {
            language: l.lang.code(),
            direction: l.direction.as_str(),
            subject: l.subject,
            text: l.text,
            markdown: l.markdown,
            html: l.html,
            findings: l.findings,
        }
    }
}

#[pymethods]
impl Letter {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("language", self.language)?;
        d.set_item("direction", self.direction)?;
        d.set_item("subject", &self.subject)?;
        d.set_item("text", &self.text)?;
        d.set_item("markdown", &self.markdown)?;
        d.set_item("html", &self.html)?;
        d.set_item("findings", self.findings)?;
        Ok(d)
    }
    fn __str__(&self) -> &str {
        &self.text
    }
    fn __repr__(&self) -> String {
        format!(
            "Letter(language={}, subject={})",
            quoted(self.language),
            quoted(&self.subject)
        )
    }
}
