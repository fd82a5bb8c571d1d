#!/usr/bin/env python3
# usage: REALISM_VENV python probe_without_paste.py PROBE_OUT_DIR  (the realism probe's --out directory)
"""In the control frames: synthetic people found with the paste (the probe's figure) and without it
(the same frame, same detector, from the base run)."""
import json, sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/tools/realism-probe"))
import common as c
out = sys.argv[1]; render = os.path.join(out, "render"); truth = c.load_truth(render)
recs = [json.loads(l) for f in os.listdir(os.path.join(out, "dets")) for l in open(os.path.join(out, "dets", f))]
for det in sorted({r["det"] for r in recs}):
    base = {(r["camera"], r["frame"]): r["boxes"] for r in recs if r["det"] == det and r["real"] is None}
    wp = wo = n = real = nc = 0
    for r in recs:
        if r["det"] != det or r["real"] is None: continue
        w, h = c.video_size(c.video_path(render, r["camera"]))
        gts = [c.box(o) for o in truth[r["camera"]][r["frame"]] if c.countable(o, w, h)]
        nc += 1; real += any(c.iou(d, r["real"]) >= 0.3 for d in r["boxes"])
        n += len(gts)
        wp += c.matches(gts, r["boxes"], 0.3)
        if (r["camera"], r["frame"]) in base:
            wo += c.matches(gts, base[(r["camera"], r["frame"])], 0.3)
        else:
            wo = None if wo is None else wo
    print(f"{det:10s} real {real}/{nc}  synthetic with paste {wp}/{n}  without paste {wo}/{n}")
