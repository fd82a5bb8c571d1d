#!/usr/bin/env bash
# The platform-only walk-through (the main job is scripts/certify.sh). It starts the reference
# platform in demo mode, uploads the spec's five example evidence names with curl (FTP for U1-U4, HTTPS for U5),
# registers a stream address (U6), and writes a report of what the platform recorded; the last
# line printed is the report's path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --locked --quiet --bin eseal
exec target/debug/eseal demo --out "${ESEAL_DEMO_OUT:-var/demo}" "$@"
