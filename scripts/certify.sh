#!/usr/bin/env bash
# The README's main job: certify the reference edge device on a bundled scenario (in process, at
# virtual time, through a real reference platform) and write the certification report: JSON,
# HTML (zh-CN with English), JUnit XML, the evidence and a SHA-256 manifest. The last line
# printed is the path of the HTML report. Arguments go to `eseal certify` (e.g. --scenarios DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --locked --quiet --bin eseal
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
    args=(--scenarios scenarios/conformant/midnight-reset.toml --out "${ESEAL_CERTIFY_OUT:-var/certify}")
fi
exec target/debug/eseal certify "${args[@]}"
