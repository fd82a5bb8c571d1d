#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs every test of the workspace
# and the lint gate; the platform's store tests on both SQLite and PostgreSQL. Used as-is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The store tests run on SQLite and, with ESEAL_TEST_PG_URL set, on Debian's PostgreSQL (issue 6).
eval "$(bash scripts/postgres.sh)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
