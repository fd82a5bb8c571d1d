#!/usr/bin/env python3
"""People counting and capture over random shaft scenes of the TUNING range (issue 17).

  tune-people.py FROM COUNT [--kind shaft] [--jobs 2] [-- extra `eseal edge people` flags]

Draws `eseal sim random --seed S --kind KIND` for S in FROM..FROM+COUNT-1 (refused outside the
tuning range 70000-79999: the random gate 50001-50040 and CI's 60001-60005 are never looked
into), runs `eseal edge people` on each, prints every camera's line and the pooled event-level
figures per direction (recall, precision, F1) and capture. Files go to var/tune/.
"""
import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tuning import check_range, draw, f1, split_extra

LINE = re.compile(
    r"camera (\S+) \(seed (\d+)\): down (\d+)/(\d+) matched (\d+) · up (\d+)/(\d+) matched (\d+)"
    r" · captured (\d+)/(\d+)")


def one(eseal, seed, kind, extra):
    toml = draw(eseal, seed, kind)
    out = subprocess.run([eseal, "edge", "people", toml, *extra], capture_output=True, text=True)
    if out.returncode != 0:
        return seed, [], out.stderr.strip()
    rows = [m.groups() for m in map(LINE.search, out.stdout.splitlines()) if m]
    misses = [l.strip() for l in out.stdout.splitlines() if "MISSED" in l or "EXTRA" in l]
    return seed, rows, "\n".join(misses)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("first", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--kind", default="shaft")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--eseal", default="target/release/eseal")
    ap.add_argument("--quiet", action="store_true", help="totals only")
    own, a_extra = split_extra(sys.argv[1:])
    a = ap.parse_args(own)
    a.extra = a_extra
    last = check_range(a.first, a.count)
    tot = [0] * 7
    with ThreadPoolExecutor(a.jobs) as pool:
        for seed, rows, notes in pool.map(lambda s: one(a.eseal, s, a.kind, a.extra),
                                          range(a.first, last + 1)):
            if not rows and notes:
                print(f"seed {seed}: eseal edge people failed: {notes}")
                continue
            for cam, _, dr, dt, dm, ur, ut, um, cap, _ in rows:
                v = [int(x) for x in (dr, dt, dm, ur, ut, um, cap)]
                for i, x in enumerate(v):
                    tot[i] += x
                ok = v[0] == v[2] == v[1] and v[3] == v[5] == v[4]
                if not a.quiet:
                    print(f"seed {seed} camera {cam}: down {dr}/{dt} matched {dm} · up {ur}/{ut} "
                          f"matched {um} · captured {cap}/{dt}{'' if ok else '   ✗'}")
            if notes and not a.quiet:
                print("   " + notes.replace("\n", "\n   "))
    dr, dt, dm, ur, ut, um, cap = tot
    for name, (m, r, t) in (("down", (dm, dr, dt)), ("up", (um, ur, ut))):
        rec, prec, f = f1(m, r, t)
        print(f"{name}: {m} matched of {t} true, {r} reported · recall {rec:.3f} precision {prec:.3f} F1 {f:.3f}")
    print(f"capture: {cap}/{dt} = {cap / dt if dt else 1.0:.3f}")


if __name__ == "__main__":
    main()
