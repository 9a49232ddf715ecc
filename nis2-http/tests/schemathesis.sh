#!/bin/sh
# Property-based API test (tests/schemathesis.rs): starts the server on
# loopback inside the test binary, validates /openapi.json with
# openapi-spec-validator and runs schemathesis against it with every check.
# Fails when either finds a problem.
#
# The tools live in a venv under the target directory, made (from PyPI) on
# the first run and reused after:
#
#   nis2-http/tests/schemathesis.sh
#
# Extra arguments go to the test binary (e.g. --nocapture is already set).
set -eu
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
venv="$target/schemathesis-venv"
# Versions known to work with this test; bump together with it.
pins="schemathesis==4.32.5 openapi-spec-validator==0.9.0"
stamp="$venv/.nis2-pins"
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$pins" ]; then
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # the pins are separate words
    "$venv/bin/pip" install --quiet --disable-pip-version-check $pins
    echo "$pins" > "$stamp"
fi
SCHEMATHESIS="$(cd "$venv/bin" && pwd)/schemathesis"
export SCHEMATHESIS
# The workspace test build's flags: the same feature unification as `cargo test
# --workspace --all-features`, so after it nothing is rebuilt.
exec cargo test --workspace --all-features --test schemathesis -- --ignored --nocapture "$@"
