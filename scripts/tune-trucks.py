#!/usr/bin/env python3
"""Truck counting over random gate scenes of the TUNING range (issue 17, E5/U2).

  tune-trucks.py FROM COUNT [--kind gate] [--jobs 2] [--quiet] [-- extra `eseal edge trucks` flags]

Draws `eseal sim random --seed S --kind KIND` for S in FROM..FROM+COUNT-1 (refused outside the
tuning range 70000-79999), runs `eseal edge trucks` on each, prints every gate camera's line
with its misses and extras, and the pooled event-level figures per direction (recall,
precision, F1). Files go to var/tune/. `ESEAL_DEBUG_TRUCKS=FROM..TO eseal edge trucks FILE`
shows one scene frame by frame.
"""
import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tuning import check_range, draw, f1, split_extra

LINE = re.compile(r"camera (\S+) \(seed (\d+)\): out (\d+)/(\d+) matched (\d+) · "
                  r"in (\d+)/(\d+) matched (\d+)")


def one(eseal, seed, kind, extra):
    toml = draw(eseal, seed, kind)
    out = subprocess.run([eseal, "edge", "trucks", toml, *extra], capture_output=True, text=True)
    if out.returncode != 0:
        return seed, [], out.stderr.strip()
    rows = [m.groups() for m in map(LINE.search, out.stdout.splitlines()) if m]
    notes = [l.strip() for l in out.stdout.splitlines() if "MISSED" in l or "EXTRA" in l]
    return seed, rows, "\n".join(notes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("first", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--kind", default="gate")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--eseal", default="target/release/eseal")
    ap.add_argument("--quiet", action="store_true", help="totals only")
    own, extra = split_extra(sys.argv[1:])
    a = ap.parse_args(own)
    last = check_range(a.first, a.count)
    tot = [0] * 6
    clean = scenes = 0
    with ThreadPoolExecutor(a.jobs) as pool:
        for seed, rows, notes in pool.map(lambda s: one(a.eseal, s, a.kind, extra),
                                          range(a.first, last + 1)):
            if not rows and notes:
                print(f"seed {seed}: eseal edge trucks failed: {notes}")
                continue
            for cam, _, *v in rows:
                v = [int(x) for x in v]
                tot = [x + y for x, y in zip(tot, v)]
                ok = v[0] == v[1] == v[2] and v[3] == v[4] == v[5]
                scenes += 1
                clean += ok
                if not a.quiet:
                    print(f"seed {seed} camera {cam}: out {v[0]}/{v[1]} matched {v[2]} · "
                          f"in {v[3]}/{v[4]} matched {v[5]}{'' if ok else '   ✗'}")
            if notes and not a.quiet:
                print("   " + notes.replace("\n", "\n   "))
    for name, (r, t, m) in (("out", tot[0:3]), ("in", tot[3:6])):
        rec, prec, f = f1(m, r, t)
        print(f"{name}: {m} matched of {t} true, {r} reported · recall {rec:.3f} precision "
              f"{prec:.3f} F1 {f:.3f}")
    print(f"cameras counted exactly both ways: {clean} of {scenes}")


if __name__ == "__main__":
    sys.exit(main())
