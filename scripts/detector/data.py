"""The detector's training data: sampled frames of rendered random scenarios and their truth.

A dataset directory (made by `dataset.py`) holds shards `NNNN/` each with `frames/*.jpg`
(letterboxed to the network's 512 x 288) and `labels.jsonl`, one line per image:
`{"image": "frames/....jpg", "scenario": seed, "style": "realistic", "boxes": [[cls, x0, y0, x1, y1,
ignore], ...]}` in network-input pixels; `ignore` 1 marks a box the loss neither rewards nor
punishes (a person barely visible or cut by the image edge).

Targets (CenterNet): per class a heat map with a Gaussian peak at each box centre on the
stride-4 grid, and at the peak cell the box's log size and the centre's sub-cell offset.
"""
import json
import math
import os
import random

import cv2
import numpy as np

from model import CLASSES, STRIDE

MAX_OBJ = 64
# Training sees 320 x 192 windows of the 512 x 288 frame (the network is fully convolutional;
# a window costs 42 % of a frame), placed on a labelled object two times in three.
CROP_W, CROP_H = 320, 192


def load(root):
    """Every labelled image under `root`: (jpeg bytes, boxes array [n, 6], meta dict)."""
    items = []
    for shard in sorted(os.listdir(root)):
        lab = os.path.join(root, shard, "labels.jsonl")
        if not os.path.isfile(lab):
            continue
        for line in open(lab):
            r = json.loads(line)
            with open(os.path.join(root, shard, r["image"]), "rb") as f:
                jpg = f.read()
            boxes = np.array(r["boxes"], dtype=np.float32).reshape(-1, 6)
            items.append((jpg, boxes, {"scenario": r["scenario"], "style": r.get("style", "")}))
    return items


def decode(jpg):
    return cv2.imdecode(np.frombuffer(jpg, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]


def window(img, boxes, rng):
    """A CROP_W x CROP_H window of the frame; boxes it cuts become ignore, boxes outside go."""
    h, w = img.shape[:2]
    keep = boxes[boxes[:, 5] == 0]
    if len(keep) and rng.random() < 2 / 3:
        b = keep[rng.randrange(len(keep))]
        cx, cy = (b[1] + b[3]) / 2, (b[2] + b[4]) / 2
        x0 = int(np.clip(cx - rng.uniform(0.2, 0.8) * CROP_W, 0, w - CROP_W))
        y0 = int(np.clip(cy - rng.uniform(0.2, 0.8) * CROP_H, 0, h - CROP_H))
    else:
        x0, y0 = rng.randrange(w - CROP_W + 1), rng.randrange(h - CROP_H + 1)
    img = img[y0:y0 + CROP_H, x0:x0 + CROP_W]
    boxes = boxes.copy()
    boxes[:, [1, 3]] -= x0
    boxes[:, [2, 4]] -= y0
    return img, clip_boxes(boxes, CROP_W, CROP_H)


def clip_boxes(boxes, w, h):
    """Boxes the frame's edge cuts become ignore (clipped); boxes wholly outside are dropped."""
    cut = (boxes[:, 1] < 0) | (boxes[:, 2] < 0) | (boxes[:, 3] > w) | (boxes[:, 4] > h)
    boxes[cut, 5] = 1
    inside = (boxes[:, 3] > 2) & (boxes[:, 4] > 2) & (boxes[:, 1] < w - 2) & (boxes[:, 2] < h - 2)
    boxes = boxes[inside]
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, w)
    boxes[:, [2, 4]] = boxes[:, [2, 4]].clip(0, h)
    return boxes


def augment(img, boxes, rng):
    """Photometric and geometric changes a camera could make: flip, zoom-in crop, gain, gamma,
    colour cast, grey (IR), blur, noise and JPEG loss. `rng` is a seeded random.Random."""
    h, w = img.shape[:2]
    boxes = boxes.copy()
    if rng.random() < 0.5:
        img = img[:, ::-1]
        boxes[:, [1, 3]] = w - boxes[:, [3, 1]]
    if rng.random() < 0.5:
        s = rng.uniform(1.0, 1.6)
        cw, ch = w / s, h / s
        x0, y0 = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
        m = np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], dtype=np.float32)
        img = cv2.warpAffine(np.ascontiguousarray(img), m, (w, h), flags=cv2.INTER_LINEAR)
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - x0) * s
        boxes[:, [2, 4]] = (boxes[:, [2, 4]] - y0) * s
        boxes = clip_boxes(boxes, w, h)
    img, boxes = window(img, boxes, rng)
    x = img.astype(np.float32)
    if rng.random() < 0.2:
        x = np.repeat(x.mean(axis=2, keepdims=True), 3, axis=2)
    x *= rng.uniform(0.6, 1.4)
    x *= np.array([rng.uniform(0.9, 1.1) for _ in range(3)], dtype=np.float32)
    x = 255.0 * (np.clip(x, 0, 255) / 255.0) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.3:
        k = rng.choice([3, 5])
        x = cv2.GaussianBlur(x, (k, k), 0)
    if rng.random() < 0.5:
        nrng = np.random.default_rng(rng.getrandbits(32))
        x += nrng.normal(0, rng.uniform(1, 8), x.shape).astype(np.float32)
    x = np.clip(x, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, enc = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(25, 85)])
        if ok:
            x = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(x), boxes


def gaussian_sigma(bw, bh):
    """Peak spread on the grid (sx, sy) in cells, at least 0.6: a third of the smaller side
    across it, and along the longer side a sixth of that side if more, so that a long truck or
    a tall person has one elongated peak rather than a round one that leaves room for a second
    maximum further along the body."""
    short = min(bw, bh) / STRIDE / 3.0
    sx = max(0.6, short, bw / STRIDE / 6.0 if bw > bh else 0.0)
    sy = max(0.6, short, bh / STRIDE / 6.0 if bh > bw else 0.0)
    return sx, sy


def targets(boxes, w, h):
    """For an image w x h: heat maps [C, h/4, w/4], ignore mask (1 = no loss), and per object:
    class, flat cell index, log size (w, h), offset and a valid flag, padded to MAX_OBJ."""
    GW, GH = w // STRIDE, h // STRIDE
    heat = np.zeros((len(CLASSES), GH, GW), np.float32)
    ign = np.zeros((len(CLASSES), GH, GW), np.float32)
    cls = np.zeros(MAX_OBJ, np.int64)
    idx = np.zeros(MAX_OBJ, np.int64)
    size = np.zeros((MAX_OBJ, 2), np.float32)
    off = np.zeros((MAX_OBJ, 2), np.float32)
    valid = np.zeros(MAX_OBJ, np.float32)
    ys, xs = np.mgrid[0:GH, 0:GW].astype(np.float32)
    n = 0
    for c, x0, y0, x1, y1, ignore in boxes:
        c = int(c)
        bw, bh = x1 - x0, y1 - y0
        if bw < 1 or bh < 1:
            continue
        cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
        if ignore:
            gx0, gy0 = int(max(0, x0 // STRIDE)), int(max(0, y0 // STRIDE))
            gx1, gy1 = int(min(GW, math.ceil(x1 / STRIDE))), int(min(GH, math.ceil(y1 / STRIDE)))
            ign[c, gy0:gy1, gx0:gx1] = 1
            continue
        ix, iy = min(GW - 1, int(cx)), min(GH - 1, int(cy))
        sx, sy = gaussian_sigma(bw, bh)
        g = np.exp(-((xs - ix) ** 2 / (2 * sx * sx) + (ys - iy) ** 2 / (2 * sy * sy)))
        heat[c] = np.maximum(heat[c], g)
        if n < MAX_OBJ:
            cls[n], idx[n] = c, iy * GW + ix
            size[n] = (math.log(bw / STRIDE), math.log(bh / STRIDE))
            off[n] = (cx - ix, cy - iy)
            valid[n] = 1
            n += 1
    ign = ign * (heat < 0.99)
    return heat, ign, cls, idx, size, off, valid


def batches(items, batch, seed, train=True):
    """Endless (train) or one-pass (eval) batches as numpy arrays."""
    rng = random.Random(seed)
    order = list(range(len(items)))
    while True:
        if train:
            rng.shuffle(order)
        for i in range(0, len(order) - (batch - 1 if train else 0), batch):
            imgs, tg = [], []
            for k in order[i:i + batch]:
                jpg, boxes, _ = items[k]
                img = decode(jpg)
                if train:
                    img, boxes = augment(img, boxes, rng)
                imgs.append(img.transpose(2, 0, 1))
                tg.append(targets(boxes, img.shape[1], img.shape[0]))
            yield np.stack(imgs).astype(np.float32), [np.stack(t) for t in zip(*tg)]
        if not train:
            return
