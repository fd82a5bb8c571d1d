#!/usr/bin/env python3
"""Train the reference device's detector (issue 17) and export it to ONNX.

  train.py --data DIR --val DIR --out DIR [--steps N] [--batch B] [--seed S] [--threads T]

Reproducible from the seed on CPU: torch, numpy and the augmentation draw from it, batches
come in a seeded order and torch runs deterministic kernels. Writes OUT/detector.onnx,
OUT/train-log.jsonl (loss every 50 steps, validation every --val-every steps) and
OUT/validation.md (the final figures per class). Never point --data or --val at renders of
the public suite, of the random gate's seeds or at each other (dataset.py keeps the ranges).
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import data
from model import CLASSES, STRIDE, Detector, INPUT_H, INPUT_W


def focal(logits, heat, ign):
    """CenterNet's penalty-reduced focal loss, normalised by the number of peaks."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = (heat >= 0.99).float()
    neg = (1 - pos) * (1 - ign)
    lp = -torch.log(p) * (1 - p) ** 2 * pos
    ln = -torch.log(1 - p) * p ** 2 * (1 - heat) ** 4 * neg
    return (lp.sum() + ln.sum()) / pos.sum().clamp(min=1)


def regression(size, off, cls, idx, tsize, toff, valid):
    b = size.shape[0]
    size = size.view(b, len(CLASSES), 2, -1)
    off = off.view(b, 2, -1)
    bi = torch.arange(b).unsqueeze(1).expand_as(idx)
    ps = size[bi, cls, :, idx]  # [b, n, 2]
    po = off[bi, :, idx]
    m = valid.unsqueeze(-1)
    n = valid.sum().clamp(min=1)
    return (F.l1_loss(ps * m, tsize * m, reduction="sum") / n,
            F.l1_loss(po * m, toff * m, reduction="sum") / n)


def detections(out, thr=0.3, k=100):
    """Boxes [cls, x0, y0, x1, y1, score] in input pixels from one output [11, GH, GW]."""
    heat = out[:3]
    peaks = (heat == F.max_pool2d(heat[None], 3, 1, 1)[0]) & (heat >= thr)
    c, y, x = torch.nonzero(peaks, as_tuple=True)
    s = heat[c, y, x]
    order = torch.argsort(s, descending=True)[:k]
    res = []
    for i in order.tolist():
        ci, yi, xi = int(c[i]), int(y[i]), int(x[i])
        w = float(torch.exp(out[3 + 2 * ci, yi, xi])) * STRIDE
        h = float(torch.exp(out[4 + 2 * ci, yi, xi])) * STRIDE
        cx = (xi + float(out[9, yi, xi])) * STRIDE
        cy = (yi + float(out[10, yi, xi])) * STRIDE
        res.append([ci, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, float(s[i])])
    return suppress(res)


# Same class, same object: two peaks whose boxes overlap this much (IoU), or a truck box lying
# this much inside a stronger truck box, are one object (vision/src/people/learned.rs decodes
# the same way).
SAME_IOU = 0.6
TRUCK_INSIDE = 0.8


def suppress(dets):
    """Keep the strongest of boxes that are one object; dets sorted by score, strongest first."""
    kept = []
    for d in dets:
        same = False
        for k in kept:
            if k[0] != d[0]:
                continue
            if iou(d[1:5], k[1:5]) >= SAME_IOU:
                same = True
            elif d[0] == 2 and inside(d[1:5], k[1:5]) >= TRUCK_INSIDE:
                same = True
            if same:
                break
        if not same:
            kept.append(d)
    return kept


def inside(a, b):
    """Share of box a's area inside box b."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1])
    return ix * iy / area if area > 0 else 0.0


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / u if u > 0 else 0.0


def score(model, items, thr=0.3, min_iou=0.5):
    """Per class: recall and precision at IoU >= min_iou, greedy one-to-one by score; a box
    marked ignore is neither a miss nor makes the detection that matches it false."""
    model.eval()
    stats = {c: [0, 0, 0] for c in range(len(CLASSES))}
    with torch.no_grad():
        for start in range(0, len(items), 8):
            chunk = items[start:start + 8]
            x = np.stack([data.decode(j).transpose(2, 0, 1) for j, _, _ in chunk]).astype(np.float32)
            out = model(torch.from_numpy(x))
            for bi, (_, boxes, _) in enumerate(chunk):
                dets = detections(out[bi], thr)
                for c in range(len(CLASSES)):
                    gts = [b for b in boxes if int(b[0]) == c]
                    ds = sorted([d for d in dets if d[0] == c], key=lambda d: -d[5])
                    used = set()
                    fp = 0
                    for d in ds:
                        best, bj = 0.0, -1
                        for j, g in enumerate(gts):
                            if j in used:
                                continue
                            v = iou(d[1:5], g[1:5])
                            if v > best:
                                best, bj = v, j
                        if best >= min_iou:
                            used.add(bj)
                            if gts[bj][5]:
                                continue  # matched an ignored box: neither right nor wrong
                            stats[c][0] += 1
                        else:
                            fp += 1
                    stats[c][1] += sum(1 for g in gts if not g[5])
                    stats[c][2] += fp
    model.train()
    return {CLASSES[c]: {"recall": tp / max(g, 1), "precision": tp / max(tp + fpn, 1), "gt": g}
            for c, (tp, g, fpn) in stats.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=12000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=17001)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--size-weight", type=float, default=0.5,
                    help="weight of the box-size loss (the feet of a person are the box's bottom)")
    a = ap.parse_args()
    print(f"seed {a.seed}", flush=True)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    torch.use_deterministic_algorithms(True)
    os.makedirs(a.out, exist_ok=True)
    train_items, val_items = data.load(a.data), data.load(a.val)
    print(f"{len(train_items)} training images, {len(val_items)} validation images", flush=True)
    model = Detector()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.steps, pct_start=0.05)
    log = open(os.path.join(a.out, "train-log.jsonl"), "w")
    t0, run = time.time(), []
    for step, (x, tg) in zip(range(1, a.steps + 1), data.batches(train_items, a.batch, a.seed)):
        heat, ign, cls, idx, size, off, valid = (torch.from_numpy(t) for t in tg)
        lh, ls, lo = model.forward_raw(torch.from_numpy(x))
        l_heat = focal(lh, heat, ign)
        l_size, l_off = regression(ls, lo, cls, idx, size, off, valid)
        loss = l_heat + a.size_weight * l_size + l_off
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        sched.step()
        run.append([loss.item(), l_heat.item(), l_size.item(), l_off.item()])
        if step % 50 == 0:
            m = np.mean(run, axis=0).round(4).tolist()
            run = []
            rec = {"step": step, "loss": m[0], "heat": m[1], "size": m[2], "offset": m[3],
                   "lr": round(sched.get_last_lr()[0], 6), "s": round(time.time() - t0)}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
        if step % a.val_every == 0 or step == a.steps:
            v = score(model, val_items)
            rec = {"step": step, "validation": v}
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n")
            log.flush()
    torch.save(model.state_dict(), os.path.join(a.out, "detector.pt"))
    export(model, os.path.join(a.out, "detector.onnx"))
    v = score(model, val_items)
    with open(os.path.join(a.out, "validation.md"), "w") as f:
        f.write(f"seed {a.seed}, {a.steps} steps, batch {a.batch}, size weight {a.size_weight}; "
                "validation at IoU 0.5, score 0.3\n\n")
        f.write("| class | recall | precision | boxes |\n|---|---|---|---|\n")
        for c, r in v.items():
            f.write(f"| {c} | {r['recall']:.3f} | {r['precision']:.3f} | {r['gt']} |\n")
    print(open(os.path.join(a.out, "validation.md")).read())


def export(model, path):
    model.eval()
    x = torch.zeros(1, 3, INPUT_H, INPUT_W)
    torch.onnx.export(model, (x,), path, input_names=["image"], output_names=["maps"],
                      dynamic_axes={"image": {0: "batch"}, "maps": {0: "batch"}}, opset_version=17,
                      dynamo=False)


if __name__ == "__main__":
    main()
