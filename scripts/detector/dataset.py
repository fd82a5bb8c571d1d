#!/usr/bin/env python3
"""Make the detector's training or validation set from scenarios nobody chose (issue 17).

  dataset.py --eseal BIN --out DIR --seeds FIRST:LAST [--every N] [--seconds S] [--jobs J]

For each seed: `eseal sim random` draws a scenario (the kind cycles shaft, gate, site with the
seed; three in four drawn in the realistic style, one in four flat: domain randomisation over
both render styles), `eseal sim render --png --every N` renders every Nth frame with its truth,
and each frame is letterboxed to the network's 512 x 288 and stored as JPEG with its boxes in
network pixels (see data.py). Frames with nobody in view are kept one in four.

Seed ranges (fixed before any training; see scripts/detector/README.md): training 100000..,
validation 200000..; the public suite's files and seeds, the random gate's seeds and the tracker's
tuning seeds are never drawn here, and the script refuses ranges that overlap them.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from model import INPUT_H, INPUT_W

KINDS = ("shaft", "gate", "site")
# Seeds that are someone else's: the random gate's and CI's lists, the tracker's tuning range
# (scripts/detector/README.md). A training or validation range must avoid all of them.
RESERVED = [(1, 99_999)]


def letterbox(img):
    """Scale to fit 512 x 288 keeping the aspect, pad with grey; returns image, scale, pad."""
    h, w = img.shape[:2]
    s = min(INPUT_W / w, INPUT_H / h)
    nw, nh = round(w * s), round(h * s)
    out = np.full((INPUT_H, INPUT_W, 3), 114, np.uint8)
    px, py = (INPUT_W - nw) // 2, (INPUT_H - nh) // 2
    out[py:py + nh, px:px + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    return out, s, px, py


def labels(objects, s, px, py):
    """Boxes [cls, x0, y0, x1, y1, ignore] in network pixels from one frame's truth."""
    out = []

    def add(cls, b, visible):
        if not b:
            return
        x0, y0 = b["x0"] * s + px, b["y0"] * s + py
        x1, y1 = b["x1"] * s + px, b["y1"] * s + py
        small = (y1 - y0) < (6 if cls == 1 else 10)
        ignore = int(visible < 0.5 or small)
        out.append([cls, round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1), ignore])

    for o in objects:
        vis = o.get("visible_fraction", 0.0)
        if o["class"] == "person":
            add(0, o.get("full_box"), vis)
            add(1, o.get("head_shoulder_box"), vis)
        elif o["class"] == "truck":
            add(2, o.get("full_box"), vis)
    return out


def one(eseal, seed, every, seconds, shard_dir):
    kind = KINDS[seed % 3]
    style = "flat" if seed % 4 == 3 else "realistic"
    work = tempfile.mkdtemp(prefix=f"det-{seed}-")
    try:
        toml = os.path.join(work, "scenario.toml")
        subprocess.run([eseal, "sim", "random", "--seed", str(seed), "--kind", kind,
                        "--render", style, "--out", toml], check=True, capture_output=True)
        render = os.path.join(work, "render")
        subprocess.run([eseal, "sim", "render", toml, "--out", render, "--png", "--every", str(every),
                        "--seconds", str(seconds)], check=True, capture_output=True)
        os.makedirs(os.path.join(shard_dir, "frames"), exist_ok=True)
        kept = []
        for line in open(os.path.join(render, "objects.jsonl")):
            r = json.loads(line)
            png = os.path.join(render, r["camera"], f"frame-{r['frame']:06d}.png")
            if not os.path.exists(png):
                continue
            if not r["objects"] and (r["frame"] // every) % 4 != 0:
                continue
            img = cv2.imread(png, cv2.IMREAD_COLOR)
            lb, s, px, py = letterbox(img)
            name = f"frames/{seed}-{r['camera']}-{r['frame']:06d}.jpg"
            cv2.imwrite(os.path.join(shard_dir, name), lb, [cv2.IMWRITE_JPEG_QUALITY, 92])
            kept.append({"image": name, "scenario": seed, "kind": kind, "style": style,
                         "boxes": labels(r["objects"], s, px, py)})
        with open(os.path.join(shard_dir, "labels.jsonl"), "w") as f:
            for k in kept:
                f.write(json.dumps(k) + "\n")
        shutil.copy(toml, os.path.join(shard_dir, "scenario.toml"))
        return seed, len(kept)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eseal", default="target/release/eseal")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", required=True, help="FIRST:LAST, inclusive")
    ap.add_argument("--every", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    first, last = (int(v) for v in a.seeds.split(":"))
    for lo, hi in RESERVED:
        if first <= hi and last >= lo:
            sys.exit(f"--seeds {a.seeds} overlaps the reserved range {lo}:{hi} (gate, CI and tuning seeds)")
    os.makedirs(a.out, exist_ok=True)
    todo = [s for s in range(first, last + 1) if not os.path.exists(os.path.join(a.out, str(s), "labels.jsonl"))]
    with ThreadPoolExecutor(a.jobs) as pool:
        for seed, n in pool.map(lambda s: one(a.eseal, s, a.every, a.seconds, os.path.join(a.out, str(s))), todo):
            print(f"seed {seed}: {n} frames", flush=True)


if __name__ == "__main__":
    main()
