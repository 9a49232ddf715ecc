"""Shared fixtures: the scanner's local lab (loopback only), started once.

The suite needs a build with the `lab` feature (run-tests.sh builds one): a
build without it fails the lab tests rather than skipping them, and no test
of this suite may end as "skipped" at all (see the hook below).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import nis2


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A skipped test is a failed test here: nothing may pass by not running."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, which this suite does not allow: {report.longrepr}"


def _lab_module() -> Any:
    if "lab" not in nis2.FEATURES:
        pytest.fail(
            "nis2 was built without the `lab` feature; build it with run-tests.sh "
            "(or `maturin develop --features lab`)"
        )
    from nis2 import _lab  # type: ignore[attr-defined]

    return _lab


LAB_TARGETS = ["good", "expired", "selfsigned", "wronghost", "silent"]


@pytest.fixture(scope="session")
def lab() -> Iterator[Any]:
    """TLS targets of the lab (a DNS server for `lab.nis2.test` and one port per target)."""
    running = _lab_module().start(LAB_TARGETS)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def lab_opts(lab: Any) -> dict[str, Any]:
    """Keyword arguments pointing nis2.scan at the lab (DNS, root CA, private addresses)."""
    opts: dict[str, Any] = lab.scan_options()
    return opts


@pytest.fixture(scope="session")
def vendors() -> Iterator[Any]:
    """Whole lab vendors (signed DNS zone, HTTPS, HTTP, open ports) for full scans."""
    running = _lab_module().start_vendors()
    try:
        yield running
    finally:
        running.stop()
