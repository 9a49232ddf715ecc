"""Wrong uses of nis2 that the stubs must reject: `mypy --strict` reports an
error on exactly the lines marked `# E: <error code>` (`a|b`: either, as
mypy versions differ; see test_typing.py).
Never run; not collected by pytest."""

from __future__ import annotations

import nis2

a = nis2.assess(nis2.sample_observations("weak"))
total: int = a.score + a.grade  # E: operator
grade: int = a.grade  # E: assignment
nis2.scan(42)  # E: arg-type
nis2.scan("x.example", colour="blue")  # E: call-arg
nis2.scan("x.example", https_port="443")  # E: arg-type
nis2.scan("x.example", checks=["smtp"])  # E: list-item
html: bytes = nis2.report(a, "html")  # E: assignment
pdf: str = nis2.report(a, "pdf")  # E: assignment
nis2.letter(a, "de", "CISO")  # E: call-arg|misc
rows: list[nis2.Row] = nis2.to_rows([a])
rows[0]["grad"]  # E: typeddict-item
for r in nis2.scan_many(["a.example"]):
    r.assessment.score  # E: union-attr
nis2.assess(a)  # E: arg-type
a.score = 3  # E: misc
deduction: nis2.Deduction = a.deductions[0]
deduction["penalty"].upper()  # E: attr-defined
awaitable: nis2.Assessment = nis2.scan_async("x.example")  # E: assignment
nis2.sample_observations("mediocre")  # E: arg-type
nis2.catalog()[0].id = "x"  # E: misc
