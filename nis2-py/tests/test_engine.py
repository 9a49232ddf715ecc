"""The pure engine from Python: evaluate, assess, catalog, letters, reports, rows, errors."""

import datetime
import json
import os
import subprocess
import sys
import threading
import time

import pytest

import nis2

NOW = "2026-06-27T10:00:00Z"


@pytest.fixture
def weak() -> dict:
    return nis2.sample_observations("weak", "weak.example", now=NOW)


@pytest.fixture
def flawless() -> dict:
    return nis2.sample_observations("flawless", "good.example", now=NOW)


def test_flawless_vendor_scores_100_grade_a(flawless: dict) -> None:
    a = nis2.assess(flawless, now=NOW)
    assert isinstance(a, nis2.Assessment)
    assert (a.domain, a.score, a.grade, a.risk_level) == ("good.example", 100, "A", "Low")
    assert a.deductions == [] and a.failing == []
    assert a.method == nis2.METHOD_VERSION == "nis2-score/1"
    assert a.assessed_at == NOW
    assert set(a.nis2_mapping) == {f"article_21_2{c}" for c in "abcdefghij"}
    assert a.positive_findings and a.bonuses
    assert all(f.status == "pass" for f in a.findings)


def test_weak_vendor_is_graded_down_with_a_plan(weak: dict) -> None:
    a = nis2.assess(weak, now=NOW)
    assert a.score < 60 and a.grade == "F" and a.risk_level in ("High", "Critical")
    assert "tls.tls10_enabled" in a.failing
    d = a.deductions[0]
    assert set(d) == {"reason", "penalty", "check_id", "severity"}
    assert d["penalty"] == max(x["penalty"] for x in a.deductions)
    steps = a.remediation_steps
    assert len(steps) == len(a.deductions)
    order = {"Critical": 0, "High": 1, "Medium": 2}
    assert [order[s["priority"]] for s in steps] == sorted(order[s["priority"]] for s in steps)
    assert all(s["due"] > NOW for s in steps) and steps[0]["deadline_days"] <= steps[-1]["deadline_days"]
    assert a.nis2_mapping["article_21_2h"] == "non-compliant"  # cryptography
    assert a.critical_risks and a.technical_summary and a.executive_summary


def test_evaluate_returns_typed_findings(weak: dict) -> None:
    findings = nis2.evaluate(weak, now=NOW)
    assert findings and all(isinstance(f, nis2.Finding) for f in findings)
    tls10 = next(f for f in findings if f.check_id == "tls.tls10_enabled")
    assert (tls10.status, tls10.failed, tls10.severity) == ("fail", True, "high")
    assert tls10.penalty > 0 and "TLS" in tls10.evidence
    assert tls10.to_dict()["check_id"] == "tls.tls10_enabled"
    assert json.loads(tls10.to_json()) == tls10.to_dict()
    # the same findings as inside the assessment
    inside = nis2.assess(weak, now=NOW).findings
    assert sorted(f.to_json() for f in inside) == sorted(f.to_json() for f in findings)
    assert tls10 in inside


def test_observations_accepted_as_json_text_and_equal(weak: dict) -> None:
    assert nis2.assess(json.dumps(weak), now=NOW) == nis2.assess(weak, now=NOW)


def test_now_forms_agree(weak: dict) -> None:
    unix = int(datetime.datetime(2026, 6, 27, 10, tzinfo=datetime.timezone.utc).timestamp())
    dt = datetime.datetime(2026, 6, 27, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    by_text = nis2.assess(weak, now=NOW)
    assert nis2.assess(weak, now=unix) == by_text
    assert nis2.assess(weak, now=float(unix) + 0.5) == by_text
    assert nis2.assess(weak, now=dt) == by_text
    # None: the clock
    a = nis2.assess(weak)
    assert abs(datetime.datetime.fromisoformat(a.assessed_at.replace("Z", "+00:00")).timestamp() - time.time()) < 60


def test_round_trip_to_json_and_dict(weak: dict) -> None:
    a = nis2.assess(weak, now=NOW)
    d = a.to_dict()
    assert d["domain"] == "weak.example" and d["score"] == a.score and d["grade"] == a.grade
    assert d["observations"]["domain"] == "weak.example"
    assert json.loads(a.to_json()) == d
    assert json.loads(a.to_json(indent=2)) == d and "\n  " in a.to_json(indent=2)
    assert nis2.Assessment.from_json(a.to_json()) == a
    assert a.observations == weak
    assert repr(a).startswith("Assessment(domain='weak.example', score=0, grade='F'")


def test_catalog_rows() -> None:
    rows = nis2.catalog()
    ids = [c.id for c in rows]
    assert len(ids) == len(set(ids)) > 40
    tls10 = next(c for c in rows if c.id == "tls.tls10_enabled")
    assert tls10.group == "tls" and tls10.title and tls10.failure and tls10.remediation
    assert tls10.articles and all(a.startswith("article_21_2") for a in tls10.articles)
    assert tls10.tiers[0]["severity"] == "high" and tls10.tiers[0]["penalty"] > 0
    assert not tls10.is_bonus and tls10.bonus == 0
    bonus = [c for c in rows if c.is_bonus]
    assert bonus and all(c.bonus > 0 for c in bonus)
    assert tls10.to_dict()["id"] == "tls.tls10_enabled"


def test_letter_in_languages(weak: dict) -> None:
    a = nis2.assess(weak, now=NOW)
    en = nis2.letter(a, "en", sender="Erika Muster, CISO", organisation="Customer GmbH", date=NOW)
    assert isinstance(en, nis2.Letter)
    assert en.language == "en" and en.direction == "ltr" and en.findings == len(a.remediation_steps)
    assert "weak.example" in en.text and "Customer GmbH" in en.text and "21" in en.text
    assert en.html.lstrip().lower().startswith("<!doctype html") and en.markdown
    de = nis2.letter(a, "de-AT", sender="Erika Muster", organisation="Kunde GmbH", date=NOW)
    assert de.language == "de" and de.text != en.text
    ar = nis2.letter(a, "ar", date=NOW)
    assert ar.direction == "rtl"
    assert set(nis2.LANGUAGES) >= {"en", "de", "fr", "es", "ar"}
    with pytest.raises(nis2.UnsupportedLanguage, match="supported languages"):
        nis2.letter(a, "xx")


def test_reports_every_text_format(weak: dict) -> None:
    a = nis2.assess(weak, now=NOW)
    html = nis2.report(a, "html", generated_at=NOW)
    assert isinstance(html, str) and "<html" in html.lower()
    assert "|" in nis2.report(a, "md", generated_at=NOW)
    js = json.loads(nis2.report(a, "json", generated_at=NOW))
    assert js  # the core's versioned JSON report
    csv = nis2.report(a, "csv", "de", generated_at=NOW)
    assert "TLS 1.0 wird noch unterstützt" in csv
    assert "<testsuite" in nis2.report(a, "junit", generated_at=NOW)
    assert json.loads(nis2.report(a, "sarif", generated_at=NOW))["version"] == "2.1.0"
    with pytest.raises(nis2.UnsupportedFormat):
        nis2.report(a, "docx")
    with pytest.raises(nis2.UnsupportedLanguage):
        nis2.report(a, "html", "klingon")


def test_the_build_has_the_features_asked_for() -> None:
    # run-tests.sh says which features it built with; the PDF test below takes
    # the branch of this build (run-tests.sh checks a build without pdf too).
    asked = os.environ.get("NIS2_PY_FEATURES")
    assert asked, "run the suite with nis2-py/run-tests.sh (it sets NIS2_PY_FEATURES)"
    assert sorted(nis2.FEATURES) == sorted(f for f in asked.split(",") if f)


def test_pdf_report_is_bytes_or_unavailable(weak: dict) -> None:
    a = nis2.assess(weak, now=NOW)
    if "pdf" in nis2.FEATURES:
        pdf = nis2.report(a, "pdf", generated_at=NOW)
        assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    else:
        with pytest.raises(nis2.ReportUnavailable, match="pdf"):
            nis2.report(a, "pdf")
        assert issubclass(nis2.ReportUnavailable, nis2.ReportError)


def test_to_rows_feeds_a_dataframe(weak: dict, flawless: dict) -> None:
    rows = nis2.to_rows([nis2.assess(weak, now=NOW), nis2.assess(flawless, now=NOW)])
    assert [r["domain"] for r in rows] == ["weak.example", "good.example"]
    assert rows[1]["grade"] == "A" and rows[1]["score"] == 100 and rows[1]["failing"] == ""
    assert "tls.tls10_enabled" in rows[0]["failing"].split(",")
    assert rows[0]["article_21_2h"] == "non-compliant"
    assert all(isinstance(v, (str, int)) for r in rows for v in r.values())
    assert len({tuple(r) for r in rows}) == 1  # same columns in the same order
    with pytest.raises(TypeError):
        nis2.to_rows([object()])
    # pandas takes the rows as they are (run-tests.sh installs it; nis2 does not need it).
    import pandas as pd

    df = pd.DataFrame(rows)
    assert list(df["grade"]) == ["F", "A"] and df["score"].dtype.kind == "i"
    assert df.set_index("domain").loc["good.example", "article_21_2h"] == "compliant"


def test_nis2_needs_no_pandas() -> None:
    # Importing and using nis2 loads neither pandas nor numpy, and the installed
    # distribution requires nothing.
    code = (
        "import sys, nis2; "
        "rows = nis2.to_rows([nis2.assess(nis2.sample_observations('weak'))]); "
        "assert rows and 'pandas' not in sys.modules and 'numpy' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    from importlib.metadata import distribution

    required = [r for r in distribution("nis2").requires or [] if "extra ==" not in r]
    assert required == []


def test_invalid_observations() -> None:
    with pytest.raises(nis2.InvalidObservations, match="unknown field"):
        nis2.assess({"domain": "x.example", "tsl": {}})
    with pytest.raises(nis2.InvalidObservations):
        nis2.evaluate("{not json")
    with pytest.raises(nis2.InvalidObservations, match="domain"):
        nis2.evaluate({"domain": ""})
    with pytest.raises(nis2.InvalidObservations, match="not JSON-serialisable"):
        nis2.assess({"domain": "x.example", "scanned_at": object()})
    with pytest.raises(ValueError):  # also a ValueError
        nis2.assess({"domain": 5})
    bad_ports = {"domain": "x.example", "ports": {"address": "192.0.2.1", "scanned": [22], "open": [3389]}}
    with pytest.raises(nis2.InvalidObservations, match=r"ports\.open"):
        nis2.assess(bad_ports)


def test_invalid_timestamps(weak: dict) -> None:
    with pytest.raises(nis2.InvalidTimestamp, match="yesterday"):
        nis2.assess(weak, now="yesterday")
    with pytest.raises(nis2.InvalidTimestamp, match="naive"):
        nis2.assess(weak, now=datetime.datetime(2026, 1, 1))
    with pytest.raises(nis2.InvalidTimestamp):
        nis2.assess(weak, now=float("nan"))
    with pytest.raises(nis2.InvalidTimestamp):
        nis2.assess(weak, now=1e300)
    with pytest.raises(ValueError, match="unknown sample"):
        nis2.sample_observations("mediocre")


def test_exception_hierarchy() -> None:
    classes = {
        "InvalidObservations": ValueError,
        "InvalidTimestamp": ValueError,
        "UnsupportedLanguage": ValueError,
        "UnsupportedFormat": ValueError,
        "ReportError": None,
        "ReportUnavailable": nis2.ReportError,
        "ConfigError": ValueError,
        "ScanError": None,
        "InvalidTarget": nis2.ScanError,
        "TargetRefused": nis2.ScanError,
        "ResolutionError": nis2.ScanError,
        "LabError": None,
    }
    assert issubclass(nis2.Nis2Error, Exception) and not issubclass(nis2.Nis2Error, ValueError)
    for name, also in classes.items():
        cls = getattr(nis2, name)
        assert issubclass(cls, nis2.Nis2Error), name
        assert cls.__module__ == "nis2" and cls.__doc__, name
        if also is not None:
            assert issubclass(cls, also), name
    assert not issubclass(nis2.TargetRefused, ValueError)


def test_assess_releases_the_gil_on_large_batches(weak: dict) -> None:
    # Many assessments from several threads give the same results as one thread.
    expected = nis2.assess(weak, now=NOW)
    out: list = []

    def work() -> None:
        out.extend(nis2.assess(weak, now=NOW) for _ in range(50))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 200 and all(a == expected for a in out)


def test_every_result_class_has_its_attributes_and_forms(weak: dict) -> None:
    a = nis2.assess(weak, now=NOW)
    assert a.to_row() == nis2.to_rows([a])[0]
    letter = nis2.letter(a, "fr", date=NOW)
    d = letter.to_dict()
    assert d["language"] == "fr" and d["text"] == letter.text == str(letter)
    assert set(d) == {"language", "direction", "subject", "text", "markdown", "html", "findings"}
    assert repr(letter).startswith("Letter(language='fr', subject=")
    check = nis2.catalog()[0]
    assert repr(check).startswith(f"Check(id='{check.id}'")
    assert set(check.to_dict()) >= {"id", "group", "title", "tiers", "articles", "annex"}
    f = a.findings[0]
    assert repr(f).startswith(f"Finding(check_id='{f.check_id}'") and f == a.findings[0]
    assert f != object() and a != object()
    for cls in (nis2.Assessment, nis2.Finding, nis2.Check, nis2.Letter, nis2.ScanResult):
        with pytest.raises(TypeError):
            cls()  # made by nis2, not by callers
    with pytest.raises(AttributeError):
        a.score = 3  # type: ignore[misc]
    with pytest.raises(nis2.Nis2Error, match="invalid assessment JSON"):
        nis2.Assessment.from_json('{"score": 1}')
