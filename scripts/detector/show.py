#!/usr/bin/env python3
"""Look at what the learned detector sees in a scenario (issue 17, diagnosis only).

  show.py SCENARIO.toml --from S --to S [--every N] [--model vision/models/detector.onnx]
          [--eseal target/release/eseal] [--out var/show] [--thr 0.3]

Renders the scenario's frames between FROM and TO seconds (`eseal sim render --png`), runs the
ONNX model on each (letterboxed as the device does), and writes every frame with the boxes drawn
to OUT/<camera>/<frame>.jpg: person green, head-and-shoulders yellow, truck blue (score beside),
the simulator's truth boxes thin white with the person's id. Only ever point it at tuning seeds
(70000-79999) or your own scenarios: never at the random gate's or CI's.
"""
import argparse
import json
import os
import subprocess
import tempfile

import cv2
import numpy as np
import onnxruntime as ort
import torch

from dataset import letterbox
from train import detections

COLOURS = [(0, 220, 0), (0, 220, 220), (255, 120, 0)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--from", dest="start", type=float, required=True)
    ap.add_argument("--to", type=float, required=True)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--model", default="vision/models/detector.onnx")
    ap.add_argument("--eseal", default="target/release/eseal")
    ap.add_argument("--out", default="var/show")
    ap.add_argument("--thr", type=float, default=0.3)
    a = ap.parse_args()
    sess = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    with tempfile.TemporaryDirectory(prefix="show-") as work:
        subprocess.run([a.eseal, "sim", "render", a.scenario, "--out", work, "--png",
                        "--seconds", str(a.to)], check=True, capture_output=True)
        for line in open(os.path.join(work, "objects.jsonl")):
            r = json.loads(line)
            t = r.get("t_ns", 0) / 1e9
            if not (a.start <= t <= a.to) or r["frame"] % a.every:
                continue
            png = os.path.join(work, r["camera"], f"frame-{r['frame']:06d}.png")
            img = cv2.imread(png, cv2.IMREAD_COLOR)
            lb, s, px, py = letterbox(img)
            x = lb[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32)
            out = torch.from_numpy(sess.run(None, {name: x})[0][0])
            for o in r["objects"]:
                b = o.get("full_box")
                if b:
                    cv2.rectangle(img, (b["x0"], b["y0"]), (b["x1"], b["y1"]), (255, 255, 255), 1)
                    cv2.putText(img, str(o.get("id", "")), (b["x0"], b["y1"] + 12),
                                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
            for c, x0, y0, x1, y1, sc in detections(out, a.thr):
                p0 = (round((x0 - px) / s), round((y0 - py) / s))
                p1 = (round((x1 - px) / s), round((y1 - py) / s))
                cv2.rectangle(img, p0, p1, COLOURS[c], 2)
                cv2.putText(img, f"{sc:.2f}", (p0[0], p0[1] - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                            COLOURS[c], 1)
            cv2.putText(img, f"{t:.2f}s", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 255), 2)
            d = os.path.join(a.out, r["camera"])
            os.makedirs(d, exist_ok=True)
            cv2.imwrite(os.path.join(d, f"{r['frame']:06d}.jpg"), img)
    print(a.out)


if __name__ == "__main__":
    main()
