"""nis2: NIS2 supply-chain security rating engine.

Scan a vendor's internet-facing domain the way an outsider can, turn what was
seen into findings, score and grade them (0-100, A-F, risk level), map them to
NIS2 Article 21(2), and write remediation letters and reports.

    >>> import nis2
    >>> a = nis2.assess(nis2.sample_observations("weak", "weak.example"))
    >>> a.grade, a.score
    ('F', ...)

Blocking calls (``scan``, ``scan_many``'s iteration, ``assess``, ``evaluate``,
``report``) release the GIL. Errors are subclasses of :class:`Nis2Error`.

The ``TypedDict`` s (``Deduction``, ``Bonus``, ``RemediationStep``, ``Tier``,
``Row``) and the aliases (``Grade``, ``Severity``, ``Observations``, ...) are
for type checkers only: at run time the values are plain dicts and strings,
so use them in annotations (with ``from __future__ import annotations`` or
quoted), not as constructors.
"""

import datetime
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, Literal, Optional, TypedDict, Union, final, overload

__version__: str
METHOD_VERSION: str
"""The scoring method every assessment records, ``nis2-score/1``."""
LANGUAGES: list[str]
"""Codes of the languages letters and reports can be written in (``en``, ``de``, ...)."""
FORMATS: list[str]
"""Report formats: ``html``, ``md``, ``json``, ``csv``, ``junit``, ``sarif``, ``pdf``."""
FEATURES: list[str]
"""Optional parts compiled into this build: ``pdf`` (PDF reports), ``lab`` (``nis2._lab``)."""

Observations = Union[dict[str, Any], str]
"""Observations as a dict (the JSON form of ``nis2_core::Observations``) or JSON text."""
Time = Union[str, int, float, datetime.datetime, None]
"""A time: RFC 3339 text, Unix seconds, a timezone-aware datetime, or None for now."""

Grade = Literal["A", "B", "C", "D", "F"]
RiskLevel = Literal["Low", "Medium", "High", "Critical"]
Severity = Literal["critical", "high", "medium", "low", "info"]
MappingStatus = Literal["not_assessed", "compliant", "partial", "non-compliant"]
CheckGroup = Literal["tls", "http", "dns", "email", "ports"]
ReportFormat = Literal["html", "md", "markdown", "json", "csv", "junit", "xml", "sarif"]

# ---------------------------------------------------------------- exceptions

class Nis2Error(Exception):
    """Base class of every error raised by nis2."""

class InvalidObservations(Nis2Error, ValueError):
    """Observations that do not parse or hold values no real scan can produce."""

class InvalidTimestamp(Nis2Error, ValueError):
    """A time that is not RFC 3339, not timezone-aware or out of range."""

class UnsupportedLanguage(Nis2Error, ValueError):
    """A language code nis2 has no texts for."""

class UnsupportedFormat(Nis2Error, ValueError):
    """A report format nis2 does not know."""

class ReportError(Nis2Error):
    """A report could not be rendered."""

class ReportUnavailable(ReportError):
    """The format exists but this build lacks it (PDF without the ``pdf`` feature)."""

class ConfigError(Nis2Error, ValueError):
    """An unusable scan option (resolver address, extra root PEM, timeout, check group)."""

class ScanError(Nis2Error):
    """A target could not be scanned as a whole (probe failures are observations, not errors)."""

class InvalidTarget(ScanError, ValueError):
    """The domain is not an acceptable host name."""

class TargetRefused(ScanError):
    """The target is, or resolves to, an address the target policy forbids
    (loopback, private, link-local, ...) and ``allow_private`` was not set."""

class ResolutionError(ScanError):
    """The domain does not resolve."""

class LabError(Nis2Error):
    """The local test lab could not start."""

# ---------------------------------------------------------------- result parts

class Deduction(TypedDict):
    """A deduction from the score: one per failing check."""

    reason: str
    penalty: int
    check_id: str
    severity: Severity

class Bonus(TypedDict):
    """A bonus earned (before the overall bonus cap)."""

    reason: str
    bonus: int
    check_id: str

class RemediationStep(TypedDict):
    """One step of the remediation plan, most severe first."""

    priority: Literal["Critical", "High", "Medium"]
    action: str
    deadline_days: int
    check_id: str
    severity: Severity
    due: str
    """RFC 3339 date the step is due (assessment time plus the deadline)."""

class Tier(TypedDict):
    """A severity level of a check: its penalty and grade cap."""

    severity: Severity
    penalty: int
    cap: Optional[Grade]

class Row(TypedDict, total=False):
    """One row of :func:`to_rows` (``error`` only for failed scans, which have no score)."""

    domain: str
    score: int
    grade: Grade
    risk_level: RiskLevel
    assessed_at: str
    method: str
    deductions: int
    penalty: int
    bonus: int
    critical_risks: int
    failing: str
    """Comma-separated ids of the failing checks."""
    error: str
    article_21_2a: MappingStatus
    article_21_2b: MappingStatus
    article_21_2c: MappingStatus
    article_21_2d: MappingStatus
    article_21_2e: MappingStatus
    article_21_2f: MappingStatus
    article_21_2g: MappingStatus
    article_21_2h: MappingStatus
    article_21_2i: MappingStatus
    article_21_2j: MappingStatus

@final
class Finding:
    """A judgement about one check, made by :func:`evaluate`."""

    @property
    def check_id(self) -> str:
        """The catalog id, e.g. ``tls.tls10_enabled``."""
    @property
    def status(self) -> Literal["pass", "fail"]: ...
    @property
    def failed(self) -> bool: ...
    @property
    def severity(self) -> Severity:
        """Severity of the tier it failed at (the first tier when passing)."""
    @property
    def penalty(self) -> int:
        """Points deducted (0 when passing)."""
    @property
    def bonus(self) -> int:
        """Bonus points earned (bonus rows only)."""
    @property
    def cap(self) -> Optional[Grade]:
        """Grade cap in force while failing."""
    @property
    def evidence(self) -> str:
        """The facts behind the judgement, in words."""
    def to_dict(self) -> dict[str, Any]:
        """The finding's JSON form as a dict."""
    def to_json(self, indent: Optional[int] = None) -> str:
        """The finding as JSON text."""

@final
class Assessment:
    """A graded assessment of one domain: score, grade, risk, deductions,
    bonuses, the NIS2 Art. 21(2) mapping, remediation plan and summaries."""

    @staticmethod
    def from_json(text: str) -> Assessment:
        """Rebuilds an assessment from :meth:`to_json` output."""
    @property
    def domain(self) -> str: ...
    @property
    def score(self) -> int:
        """0-100."""
    @property
    def grade(self) -> Grade:
        """A-F, after grade caps."""
    @property
    def risk_level(self) -> RiskLevel: ...
    @property
    def method(self) -> str:
        """Scoring method version, ``nis2-score/1``."""
    @property
    def assessed_at(self) -> str:
        """RFC 3339 time of the assessment."""
    @property
    def technical_summary(self) -> str: ...
    @property
    def executive_summary(self) -> str: ...
    @property
    def critical_risks(self) -> list[str]:
        """Reasons of the critical and high findings."""
    @property
    def positive_findings(self) -> list[str]: ...
    @property
    def deductions(self) -> list[Deduction]:
        """One per failing check, largest first."""
    @property
    def bonuses(self) -> list[Bonus]: ...
    @property
    def remediation_steps(self) -> list[RemediationStep]: ...
    @property
    def nis2_mapping(self) -> dict[str, MappingStatus]:
        """Status of each Art. 21(2) point, keyed ``article_21_2a`` ... ``article_21_2j``."""
    @property
    def findings(self) -> list[Finding]:
        """Every finding, passing and failing."""
    @property
    def failing(self) -> list[str]:
        """Ids of the failing checks."""
    @property
    def observations(self) -> Optional[dict[str, Any]]:
        """The observations it was graded from (JSON form)."""
    def to_dict(self) -> dict[str, Any]:
        """The assessment's JSON form plus ``domain`` (and ``observations``)."""
    def to_json(self, indent: Optional[int] = None) -> str: ...
    def to_row(self) -> Row:
        """One flat row for a DataFrame (see :func:`to_rows`)."""

@final
class Check:
    """A row of the check catalog."""

    @property
    def id(self) -> str: ...
    @property
    def group(self) -> CheckGroup:
        """The scanner group that gathers its facts."""
    @property
    def title(self) -> str: ...
    @property
    def failure(self) -> str:
        """What the deduction says when it fails."""
    @property
    def tiers(self) -> list[Tier]: ...
    @property
    def bonus(self) -> int: ...
    @property
    def is_bonus(self) -> bool: ...
    @property
    def articles(self) -> list[str]:
        """Art. 21(2) points, primary first (``article_21_2d``, ...)."""
    @property
    def annex(self) -> str:
        """Anchor in the annex of Implementing Regulation (EU) 2024/2690."""
    @property
    def remediation(self) -> str: ...
    @property
    def positive(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Letter:
    """A remediation letter to a vendor in one language."""

    @property
    def language(self) -> str: ...
    @property
    def direction(self) -> Literal["ltr", "rtl"]: ...
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str:
        """Plain text."""
    @property
    def markdown(self) -> str: ...
    @property
    def html(self) -> str:
        """A self-contained HTML page."""
    @property
    def findings(self) -> int:
        """How many findings it asks to remedy."""
    def to_dict(self) -> dict[str, Any]: ...

@final
class ScanResult:
    """One finished target of :func:`scan_many`."""

    @property
    def index(self) -> int:
        """Position of the domain in the input."""
    @property
    def domain(self) -> str: ...
    @property
    def assessment(self) -> Optional[Assessment]: ...
    @property
    def error(self) -> Optional[Nis2Error]: ...
    @property
    def ok(self) -> bool: ...
    @property
    def elapsed(self) -> float:
        """Seconds this target took, resolution included."""
    def unwrap(self) -> Assessment:
        """The assessment, or raises the scan's error."""

@final
class ScanIterator(Iterator[ScanResult]):
    """Results of :func:`scan_many` in the order they finish.
    Dropping it stops the scans not yet started."""

    def __iter__(self) -> ScanIterator: ...
    def __next__(self) -> ScanResult: ...
    def __len__(self) -> int:
        """How many domains were given."""

# ---------------------------------------------------------------- functions

def evaluate(observations: Observations, now: Time = None) -> list[Finding]:
    """Judges observations against the catalog at time ``now``.

    Raises :class:`InvalidObservations` for JSON that does not fit the
    observations schema or holds impossible values, :class:`InvalidTimestamp`
    for a bad ``now``.
    """

def assess(observations: Observations, now: Time = None) -> Assessment:
    """Evaluates and grades observations (as a first scan) at time ``now``."""

def catalog() -> list[Check]:
    """The check catalog, in check-id order."""

def letter(
    assessment: Assessment,
    language: str = "en",
    *,
    sender: str = "",
    organisation: str = "",
    contact: Optional[str] = None,
    vendor_name: Optional[str] = None,
    date: Time = None,
) -> Letter:
    """The remediation letter to the assessed vendor, citing NIS2 Art. 21(2)(d)
    and 21(3). ``language`` is a code from :data:`LANGUAGES` (``de-AT`` works);
    raises :class:`UnsupportedLanguage` otherwise."""

@overload
def report(
    assessment: Assessment,
    format: Literal["pdf"],
    language: str = "en",
    *,
    vendor_name: Optional[str] = None,
    generated_at: Time = None,
) -> bytes: ...
@overload
def report(
    assessment: Assessment,
    format: ReportFormat = "html",
    language: str = "en",
    *,
    vendor_name: Optional[str] = None,
    generated_at: Time = None,
) -> str: ...
@overload
def report(
    assessment: Assessment,
    format: str,
    language: str = "en",
    *,
    vendor_name: Optional[str] = None,
    generated_at: Time = None,
) -> Union[str, bytes]:
    """The per-scan report: text for every format, bytes for ``pdf``.

    Raises :class:`UnsupportedFormat`, :class:`UnsupportedLanguage`, or
    :class:`ReportUnavailable` for ``pdf`` in a build without the ``pdf`` feature.
    """

def sample_observations(
    kind: Literal["weak", "flawless"] = "weak",
    domain: str = "vendor.example",
    now: Time = None,
) -> dict[str, Any]:
    """Observations of a made-up vendor: ``weak`` (old TLS, missing headers, ...)
    or ``flawless`` (scores 100, grade A)."""

def to_rows(assessments: Iterable[Union[Assessment, ScanResult]]) -> list[Row]:
    """Flat rows for ``pandas.DataFrame(nis2.to_rows(...))`` (pandas is not needed).
    Failed :class:`ScanResult` s become rows with ``domain`` and ``error``."""

def scan(
    domain: str,
    *,
    checks: Optional[list[CheckGroup]] = None,
    https_port: int = 443,
    http_port: int = 80,
    dns_port: int = 53,
    ports: Optional[list[int]] = None,
    connect_timeout: float = 3.0,
    request_timeout: float = 10.0,
    handshake_timeout: float = 5.0,
    group_timeout: Optional[float] = None,
    resolver: Optional[str] = None,
    extra_roots: Optional[str] = None,
    dnssec_trust_anchors: Optional[str] = None,
    allow_private: bool = False,
    probe_concurrency: int = 4,
    dkim_selectors: Optional[list[str]] = None,
    max_redirects: int = 5,
) -> Assessment:
    """Scans ``domain`` end to end and grades it. Blocks with the GIL released.

    The groups in ``checks`` (default: all) run concurrently, each within
    ``group_timeout`` seconds (default: the scanner's, 15-30 s per group):
    ``tls`` (protocols, cipher-suite classes, key exchange, certificate chain
    on ``https_port``), ``http`` (redirects, headers, cookies, well-known
    paths on ``https_port`` and ``http_port``), ``dns`` (name servers asked
    on ``dns_port``, CAA, DNSSEC), ``email`` (MX, SPF, DMARC, DKIM with
    ``dkim_selectors``, MTA-STS, TLS-RPT) and ``ports`` (TCP ``ports``;
    default: the catalog's risky ports). A group not run is "not assessed".

    ``resolver`` is a DNS server ``"ip:port"`` (default: the system's);
    ``extra_roots`` PEM certificates to trust besides the web PKI;
    ``dnssec_trust_anchors`` DNSKEY records (zone-file lines) that DNSSEC
    validation starts from instead of the IANA root keys (a lab or a
    private signed zone);
    ``allow_private`` lets the target policy accept private and loopback
    addresses (off by default: :class:`TargetRefused`). Timeouts are seconds.

    Raises :class:`InvalidTarget`, :class:`TargetRefused`,
    :class:`ResolutionError`, :class:`ConfigError`.
    """

def scan_async(
    domain: str,
    *,
    checks: Optional[list[CheckGroup]] = None,
    https_port: int = 443,
    http_port: int = 80,
    dns_port: int = 53,
    ports: Optional[list[int]] = None,
    connect_timeout: float = 3.0,
    request_timeout: float = 10.0,
    handshake_timeout: float = 5.0,
    group_timeout: Optional[float] = None,
    resolver: Optional[str] = None,
    extra_roots: Optional[str] = None,
    dnssec_trust_anchors: Optional[str] = None,
    allow_private: bool = False,
    probe_concurrency: int = 4,
    dkim_selectors: Optional[list[str]] = None,
    max_redirects: int = 5,
) -> Awaitable[Assessment]:
    """``await nis2.scan_async(domain, ...)``: :func:`scan` for asyncio code.
    Must be called with a running event loop."""

def scan_many(
    domains: Iterable[str],
    concurrency: int = 8,
    *,
    checks: Optional[list[CheckGroup]] = None,
    https_port: int = 443,
    http_port: int = 80,
    dns_port: int = 53,
    ports: Optional[list[int]] = None,
    connect_timeout: float = 3.0,
    request_timeout: float = 10.0,
    handshake_timeout: float = 5.0,
    group_timeout: Optional[float] = None,
    resolver: Optional[str] = None,
    extra_roots: Optional[str] = None,
    dnssec_trust_anchors: Optional[str] = None,
    allow_private: bool = False,
    probe_concurrency: int = 4,
    dkim_selectors: Optional[list[str]] = None,
    max_redirects: int = 5,
) -> ScanIterator:
    """Scans many domains, ``concurrency`` at a time, with the options of
    :func:`scan`, and yields a :class:`ScanResult` for each as soon as it
    finishes. Waiting for the next result releases the GIL."""
