#!/bin/sh
# Property-based API test: starts the server on loopback (inside the test
# binary) and runs schemathesis against its /openapi.json.
#
#   python3 -m venv /tmp/st && /tmp/st/bin/pip install schemathesis
#   SCHEMATHESIS=/tmp/st/bin/schemathesis nis2-http/tests/schemathesis.sh
set -eu
cd "$(dirname "$0")/../.."
SCHEMATHESIS="${SCHEMATHESIS:-schemathesis}" exec cargo test -p nis2-http --test schemathesis -- --ignored --nocapture
