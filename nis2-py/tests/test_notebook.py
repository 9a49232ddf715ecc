"""examples/notebook.ipynb, executed top to bottom in a real Jupyter kernel.

nbclient runs every code cell in an ipykernel (the one of this venv, so it
imports the nis2 under test); a cell that raises fails the test. The outputs
are then checked: every lab vendor graded, the pandas table shown, the
matplotlib plot drawn as a PNG, the letter written, the asyncio cell run.
run-tests.sh installs nbformat, nbclient, ipykernel, matplotlib and pandas.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import nbclient
import nbformat

import nis2

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"


def outputs(nb: Any) -> tuple[str, list[dict[str, Any]]]:
    """All stream text, and every rich output's data."""
    text = []
    rich = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text.append(out["text"])
            elif out["output_type"] in ("display_data", "execute_result"):
                rich.append(out["data"])
                text.append(out["data"].get("text/plain", ""))
    return "".join(text), rich


def test_notebook_is_valid_and_runs_in_a_kernel(tmp_path: Path) -> None:
    assert NOTEBOOK.exists(), f"{NOTEBOOK} is missing"
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    nbformat.write(nb, tmp_path / "notebook.executed.ipynb")

    text, rich = outputs(nb)
    assert f"{nis2.__version__} {nis2.METHOD_VERSION}" in text
    # Every lab vendor scanned and graded, none failed.
    from nis2 import _lab  # type: ignore[attr-defined]

    for kind in _lab.VENDORS:
        assert f"{kind}-vendor.test" in text, kind
    assert "error:" not in text, text
    good = next(line for line in text.splitlines() if line.startswith("good-vendor.test "))
    assert good.split()[1] == "A", good
    assert any(line.split()[1] == "F" for line in text.splitlines() if "-vendor.test " in line and len(line.split()) > 1)
    # The pandas table and the matplotlib plot.
    assert any("text/html" in d and "good-vendor.test" in d["text/html"] for d in rich), "no DataFrame shown"
    pngs = [base64.b64decode(d["image/png"]) for d in rich if "image/png" in d]
    assert len(pngs) == 1, "one plot"
    assert pngs[0].startswith(b"\x89PNG\r\n\x1a\n") and len(pngs[0]) > 5000
    # The letter to the worst vendor and the asyncio scan.
    assert "Request to remedy security findings on exposed-vendor.test" in text
    assert "Assessment(domain='good-vendor.test', score=100, grade='A'" in text
