"""examples/notebook.ipynb runs top to bottom (its code cells, outside Jupyter)."""

import asyncio
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

import nis2

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"


def test_notebook_runs(capsys: pytest.CaptureFixture[str]) -> None:
    if not NOTEBOOK.exists():
        pytest.skip("examples/notebook.ipynb is not beside this checkout")
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    shown: list[Any] = []
    ns: dict[str, Any] = {"display": shown.append, "__name__": "__notebook__"}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        if "await " in code:  # Jupyter allows top-level await
            code = "async def __cell():\n" + textwrap.indent(code, "    ") + "\nasyncio.run(__cell())\n"
            ns["asyncio"] = asyncio
        exec(compile(code, f"{NOTEBOOK.name}", "exec"), ns)
    out = capsys.readouterr().out
    assert len(ns["assessments"]) >= 2
    assert ns["worst"].score == min(a.score for a in ns["assessments"])
    if "lab" in nis2.FEATURES:
        assert "good-vendor.test" in out and "error:" not in out
        grades = {a.domain: a.grade for a in ns["assessments"]}
        assert grades["good-vendor.test"] == "A" and "F" in grades.values()
