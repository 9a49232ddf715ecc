#!/usr/bin/env bash
# Builds the Python module `nis2` into a fresh venv and tests it: pytest, and
# `mypy --strict` of a typed usage file against the hand-written stubs.
#
#   nis2-py/run-tests.sh            # venv in target/nis2-py-venv (reused if present)
#   NIS2_PY_VENV=/tmp/v nis2-py/run-tests.sh
#   NIS2_PY_FEATURES=lab,pdf nis2-py/run-tests.sh   # default: lab (pdf adds a long typst build)
#   NIS2_PY_PROFILE=debug nis2-py/run-tests.sh      # default: release (what users get)
#
# Needs python3 (>= 3.9, with venv) and PyPI for maturin, pytest and mypy.
# The lab tests also need `openssl` (the scanner's legacy TLS targets).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# maturin builds into the workspace's target dir (CARGO_TARGET_DIR if set).
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${NIS2_PY_VENV:-$target/nis2-py-venv}"
features="${NIS2_PY_FEATURES:-lab}"
profile=(--release)
[ "${NIS2_PY_PROFILE:-release}" = "debug" ] && profile=()
# With the lab built in, its tests must run (a missing lab fails instead of skipping).
case ",$features," in *,lab,*) export NIS2_REQUIRE_LAB=1 ;; esac

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade "maturin>=1.16,<2" "pytest>=7" "mypy>=1.10"

# `maturin develop` installs into the active venv.
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
(cd "$here" && "$venv/bin/maturin" develop "${profile[@]}" --features "$features" --quiet)

"$py" -c 'import nis2, sys; print("nis2", nis2.__version__, "features", nis2.FEATURES, "python", sys.version.split()[0])'
(cd "$here" && "$py" -m mypy --strict tests/typed_usage.py)
(cd "$here" && "$py" tests/typed_usage.py >/dev/null)
(cd "$here" && "$py" -m pytest -q tests)
