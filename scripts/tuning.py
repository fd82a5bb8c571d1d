"""Shared by tune-people.py and tune-trucks.py: the tuning seed range, drawing a scene of it,
and pooled event-level figures (issue 17). The random gate (50001-50040) and CI's seeds
(60001-60005) are never drawn here."""
import os
import subprocess
import sys

TUNING = (70000, 79999)


def check_range(first, count):
    last = first + count - 1
    if first < TUNING[0] or last > TUNING[1]:
        sys.exit(f"seeds {first}..{last}: the tuning range is {TUNING[0]}..{TUNING[1]}")
    return last


def draw(eseal, seed, kind):
    """Draws `eseal sim random --seed SEED --kind KIND` into var/tune/ and returns the path."""
    os.makedirs("var/tune", exist_ok=True)
    toml = f"var/tune/{seed}.toml" if kind == "shaft" else f"var/tune/{kind}-{seed}.toml"
    subprocess.run([eseal, "sim", "random", "--seed", str(seed), "--kind", kind, "--out", toml],
                   check=True, capture_output=True)
    return toml


def f1(matched, reported, truth):
    """Recall, precision and F1 of MATCHED of TRUTH true events with REPORTED reports."""
    r = matched / truth if truth else 1.0
    p = matched / reported if reported else 1.0
    return r, p, (2 * r * p / (r + p) if r + p else 0.0)


def split_extra(argv):
    """Splits `... -- extra flags` into (own args, extra flags)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []
