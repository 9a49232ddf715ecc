"""The hand-written stubs (nis2.pyi) against a type checker and the module.

- `mypy --strict` accepts typed_usage.py, a program that uses the whole API;
- it rejects typed_misuse.py on exactly its marked lines (the stubs are real
  types, not `Any`);
- `stubtest` finds no difference between nis2.pyi and the compiled module
  (every function, class, attribute and signature of one is in the other).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    # From a directory without nis2.pyi: the stubs checked are the installed ones.
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", "--show-error-codes", *args],
        cwd=HERE,
        capture_output=True,
        text=True,
    )


def test_installed_package_ships_the_stubs_and_py_typed() -> None:
    import nis2

    package = Path(nis2.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "__init__.pyi").read_text() == (HERE.parent / "nis2.pyi").read_text()


def test_typed_usage_passes_mypy_strict() -> None:
    out = mypy(str(HERE / "typed_usage.py"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_typed_misuse_fails_on_the_marked_lines() -> None:
    path = HERE / "typed_misuse.py"
    wanted: dict[int, set[str]] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = re.search(r"# E: ([a-z|-]+)$", line)
        if m:
            wanted[n] = set(m.group(1).split("|"))
    assert len(wanted) >= 15
    out = mypy(str(path))
    assert out.returncode == 1, out.stdout + out.stderr
    got: dict[int, set[str]] = {}
    for m in re.finditer(r"typed_misuse\.py:(\d+): error: .*\[([a-z-]+)\]$", out.stdout, re.M):
        got.setdefault(int(m.group(1)), set()).add(m.group(2))
    assert set(got) == set(wanted), out.stdout
    for n, codes in wanted.items():
        assert codes & got[n], (n, codes, out.stdout)


def test_stubs_match_the_module() -> None:
    allow = HERE / "stubtest_allowlist.txt"
    out = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "nis2", "--allowlist", str(allow)],
        cwd=HERE,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_typed_usage_runs() -> None:
    # The typed program is also a working one (the parts that need no network).
    subprocess.run([sys.executable, str(HERE / "typed_usage.py")], check=True, capture_output=True)
