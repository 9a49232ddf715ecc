"""Shared fixtures: the scanner's local lab (loopback only), started once."""

import os
from collections.abc import Iterator
from typing import Any

import pytest

import nis2

# run-tests.sh builds with the `lab` feature and sets this, so a build without
# the lab fails the lab tests instead of skipping them.
REQUIRE_LAB = os.environ.get("NIS2_REQUIRE_LAB") == "1"
LAB_TARGETS = ["good", "expired", "selfsigned", "wronghost", "silent"]


@pytest.fixture(scope="session")
def lab() -> Iterator[Any]:
    if "lab" not in nis2.FEATURES:
        if REQUIRE_LAB:
            pytest.fail("nis2 was built without the `lab` feature")
        pytest.skip("nis2 built without the `lab` feature")
    from nis2 import _lab  # type: ignore[attr-defined]

    running = _lab.start(LAB_TARGETS)
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
    """Whole lab vendors (DNS zone, HTTPS, HTTP, open ports) for full scans."""
    if "lab" not in nis2.FEATURES:
        if REQUIRE_LAB:
            pytest.fail("nis2 was built without the `lab` feature")
        pytest.skip("nis2 built without the `lab` feature")
    from nis2 import _lab  # type: ignore[attr-defined]

    running = _lab.start_vendors()
    try:
        yield running
    finally:
        running.stop()
