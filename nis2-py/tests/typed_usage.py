"""A typed user of the module: `mypy --strict tests/typed_usage.py` checks the stubs.

Not collected by pytest (no test_ prefix); run-tests.sh also executes it.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Optional

import nis2


def grade_of(observations: dict[str, object]) -> tuple[str, int]:
    a: nis2.Assessment = nis2.assess(observations, now="2026-06-27T10:00:00Z")
    return a.grade, a.score


def worst_deduction(a: nis2.Assessment) -> Optional[nis2.Deduction]:
    return max(a.deductions, key=lambda d: d["penalty"], default=None)


def failing_high(findings: list[nis2.Finding]) -> list[str]:
    return [f.check_id for f in findings if f.failed and f.severity in ("critical", "high")]


def documents(a: nis2.Assessment) -> tuple[str, str, bytes | None]:
    letter: nis2.Letter = nis2.letter(a, "de", sender="CISO", organisation="Kunde GmbH")
    html: str = nis2.report(a, "html", generated_at=datetime.datetime.now(datetime.timezone.utc))
    pdf: bytes | None = None
    if "pdf" in nis2.FEATURES:
        pdf = nis2.report(a, "pdf")
    return letter.text, html, pdf


def portfolio(domains: list[str]) -> list[nis2.Row]:
    results: list[nis2.ScanResult] = []
    for r in nis2.scan_many(domains, concurrency=4, group_timeout=10.0, checks=["tls", "email"]):
        if r.ok and r.assessment is not None:
            print(r.domain, r.assessment.grade, r.elapsed)
        elif r.error is not None:
            print(r.domain, type(r.error).__name__, r.error)
        results.append(r)
    return nis2.to_rows(results)


async def scan_two(a: str, b: str) -> list[nis2.Assessment]:
    first = nis2.scan_async(a, https_port=8443, allow_private=True)
    second = nis2.scan_async(b, checks=["tls"], resolver="127.0.0.1:5353")
    return list(await asyncio.gather(first, second))


def scan_or_explain(domain: str) -> str:
    try:
        a = nis2.scan(domain, connect_timeout=2.0, extra_roots=None)
    except nis2.TargetRefused as e:
        return f"refused: {e}"
    except nis2.ScanError as e:
        return f"scan failed: {e}"
    row: nis2.Row = a.to_row()
    return f"{row['domain']}: {row['grade']}"


def catalog_titles() -> dict[str, str]:
    return {c.id: c.title for c in nis2.catalog() if not c.is_bonus}


def main() -> None:
    weak = nis2.sample_observations("weak", "weak.example")
    print(grade_of(weak))
    a = nis2.assess(weak)
    print(worst_deduction(a), failing_high(nis2.evaluate(weak)))
    text, html, _ = documents(a)
    assert text and html
    again = nis2.Assessment.from_json(a.to_json(indent=2))
    assert again == a
    print(len(catalog_titles()), nis2.METHOD_VERSION, nis2.LANGUAGES)


if __name__ == "__main__":
    main()
