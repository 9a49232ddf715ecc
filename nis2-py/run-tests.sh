#!/usr/bin/env bash
# Builds the Python module `nis2` the way users install it (`pip install
# ./nis2-py`: PEP 517 through maturin) into a fresh venv and tests it:
# pytest (engine, scanner against the local lab, GIL release, asyncio,
# exceptions, the example notebook executed in a Jupyter kernel, mypy --strict
# and stubtest of the stubs), then the README's one-liner. Any failure, and
# any skipped test, fails the script.
#
#   nis2-py/run-tests.sh                          # features lab,pdf; release build
#   NIS2_PY_PROFILE=debug nis2-py/run-tests.sh    # dev profile: reuses what `cargo test` built
#   NIS2_PY_FEATURES=lab nis2-py/run-tests.sh     # without PDF reports (skips the typst build)
#   NIS2_PY_VENV=/tmp/v nis2-py/run-tests.sh      # default: target/nis2-py-venv (recreated each run)
#   NIS2_PY_PYTHON=python3.9 nis2-py/run-tests.sh # the interpreter (default python3; abi3 floor is 3.9)
#
# Needs python3 (>= 3.9, with venv), PyPI for the test tools, `openssl` (the
# lab's legacy TLS targets); nothing else reaches beyond loopback.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${NIS2_PY_VENV:-$target/nis2-py-venv}"
features="${NIS2_PY_FEATURES:-lab,pdf}"
export NIS2_PY_FEATURES="$features"   # the tests check the build has exactly these
case ",$features," in
  *,lab,*) ;;
  *) echo "run-tests.sh: NIS2_PY_FEATURES must include lab (the tests scan it)" >&2; exit 2 ;;
esac
case "${NIS2_PY_PROFILE:-release}" in
  release) profile=() ;;
  debug) profile=(--profile dev) ;;
  *) echo "run-tests.sh: NIS2_PY_PROFILE is release or debug" >&2; exit 2 ;;
esac
python="${NIS2_PY_PYTHON:-python3}"
start=$(date +%s)
step() { echo "--- nis2-py: $* ($(($(date +%s) - start))s)"; }

step "fresh venv at $venv"
"$python" -m venv --clear "$venv"
py="$venv/bin/python"
# The venv's tools first (maturin's PEP 517 backend runs the `maturin` binary).
export PATH="$venv/bin:$PATH"
# Test tools only; nis2 itself requires nothing. nbclient + ipykernel execute the
# notebook; matplotlib and pandas are what it plots and tabulates with.
"$py" -m pip install --quiet --disable-pip-version-check \
  "maturin>=1.16,<2" "pytest>=7" "mypy>=1.10" \
  nbformat nbclient ipykernel matplotlib pandas

step "pip install ./nis2-py (features: $features; profile: ${NIS2_PY_PROFILE:-release})"
# The PEP 517 build of `pip install ./nis2-py`, with the features the tests need.
MATURIN_PEP517_ARGS="--features $features ${profile[*]}" \
  "$py" -m pip install --quiet --no-build-isolation --disable-pip-version-check "$here"
"$py" -c 'import nis2, sys; print("nis2", nis2.__version__, "features", nis2.FEATURES, "python", sys.version.split()[0])'

step "pytest"
# -p no:cacheprovider: no .pytest_cache in the source tree; -rfEs lists failures and skips.
(cd "$here" && "$py" -m pytest -p no:cacheprovider -q -rfEs tests)

step "README: pip install ./nis2-py into a fresh venv, then its python -c line"
# Exactly the README's install (no features), in the chosen profile.
readme_venv="$venv-readme"
"$python" -m venv --clear "$readme_venv"
MATURIN_PEP517_ARGS="${profile[*]}" \
  "$readme_venv/bin/python" -m pip install --quiet --disable-pip-version-check "$here"
line=$(grep -m1 -o 'python -c "import nis2;[^`]*"' "$here/README.md")
[ -n "$line" ] || { echo "no python -c line in nis2-py/README.md" >&2; exit 1; }
out=$(cd "$readme_venv" && PATH="$readme_venv/bin:$PATH" sh -c "$line")
echo "$out"
case "$out" in "F 0 ["*) ;; *) echo "unexpected output of the README line" >&2; exit 1 ;; esac
# A build without features: no lab, and PDF is a clear error, not a crash.
"$readme_venv/bin/python" - <<'PY'
import nis2
assert nis2.FEATURES == [], nis2.FEATURES
a = nis2.assess(nis2.sample_observations("weak"))
try:
    nis2.report(a, "pdf")
except nis2.ReportUnavailable as e:
    assert "pdf" in str(e).lower(), e
else:
    raise AssertionError("pdf without the pdf feature did not raise ReportUnavailable")
try:
    from nis2 import _lab  # noqa: F401
except ImportError:
    pass
else:
    raise AssertionError("nis2._lab present without the lab feature")
print("ok: featureless build (no lab, pdf -> ReportUnavailable)")
PY
rm -rf "$readme_venv"

step "done"
