#!/usr/bin/env bash
# Certify the reference device on N scenarios nobody chose (issue 17): seeds FROM .. FROM+N-1,
# each drawn by `eseal sim random` into var/random/<kind>-<seed>.toml and certified by
# `eseal certify` (in process, virtual time; report in var/random/<kind>-<seed>/, its output in
# var/random/<kind>-<seed>.log). Prints a pass/fail table with seeds and file paths; exits 1 if
# any FAILs, else 2 if any is INCONCLUSIVE, else 0.
#
#   scripts/certify-random.sh N [--from SEED] [--kind shaft|gate|site] [--minutes M]
#                               [--render flat|realistic] [-- CERTIFY-OPTIONS...]
#
# The kind is drawn from each seed unless --kind is given; the length is 2 minutes unless
# --minutes is. ESEAL_PROFILE=release builds and runs the optimised binary (default: debug, as
# scripts/certify.sh). ESEAL_RANDOM_OUT moves var/random.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: scripts/certify-random.sh N [--from SEED] [--kind K] [--minutes M] [--render R] [-- CERTIFY-OPTIONS]"
n=${1:-}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "certify-random: N: expected a number of scenarios ≥ 1, found \"$n\"" >&2; echo "$usage" >&2; exit 2; }
shift
from=1
draw=()
while [ $# -gt 0 ]; do
    case "$1" in
        --from)
            [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "certify-random: --from: expected a seed ≥ 0, found \"${2:-}\"" >&2; exit 2; }
            from=$2; shift 2 ;;
        --kind | --minutes | --render)
            [ $# -ge 2 ] || { echo "certify-random: $1 needs a value" >&2; exit 2; }
            draw+=("$1" "$2"); shift 2 ;;
        --) shift; break ;;
        *) echo "certify-random: unknown option \"$1\"" >&2; echo "$usage" >&2; exit 2 ;;
    esac
done

profile=${ESEAL_PROFILE:-debug}
case "$profile" in
    debug) cargo build --locked --quiet --bin eseal ;;
    release) cargo build --release --locked --quiet --bin eseal ;;
    *) echo "certify-random: ESEAL_PROFILE: expected debug or release, found \"$profile\"" >&2; exit 2 ;;
esac
bin="${CARGO_TARGET_DIR:-target}/$profile/eseal"
out=${ESEAL_RANDOM_OUT:-var/random}
mkdir -p "$out"

rows=()
pass=0 fail=0 inconclusive=0
for ((i = 0; i < n; i++)); do
    seed=$((from + i))
    file=$("$bin" sim random --seed "$seed" "${draw[@]}" --out "$out/")
    name=$(basename "$file" .toml)
    echo "certify-random: seed $seed ($name), $((i + 1)) of $n" >&2
    status=0
    "$bin" certify --scenarios "$file" --out "$out/$name" "$@" >"$out/$name.log" 2>&1 || status=$?
    case $status in
        0) verdict=PASS; pass=$((pass + 1)) ;;
        1) verdict=FAIL; fail=$((fail + 1)) ;;
        2) verdict=INCONCLUSIVE; inconclusive=$((inconclusive + 1)) ;;
        *) verdict="ERROR($status)"; fail=$((fail + 1)) ;;
    esac
    rows+=("$(printf '%-20s %-6s %-13s %s' "$seed" "${name%%-*}" "$verdict" "$file")")
done

printf '%-20s %-6s %-13s %s\n' seed kind verdict file
printf '%s\n' "${rows[@]}"
echo "$n random scenario(s), seeds $from–$((from + n - 1)): $pass PASS, $fail FAIL, $inconclusive INCONCLUSIVE"
echo "reports: $out/<kind>-<seed>/report.html; certify output: $out/<kind>-<seed>.log"
if [ "$fail" -gt 0 ]; then
    echo "a failure is a file: rerun one with $bin certify --scenarios $out/<kind>-<seed>.toml" >&2
    exit 1
fi
[ "$inconclusive" -eq 0 ] || exit 2
