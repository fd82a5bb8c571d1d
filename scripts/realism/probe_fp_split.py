#!/usr/bin/env python3
# usage: REALISM_VENV python probe_fp_split.py PROBE_OUT_DIR  (the realism probe's --out directory)
"""False positives split: 'part' (0.05 <= best IoU < 0.3 with a person: a second box on someone)
and 'away' (best IoU < 0.05); in control frames, part-boxes per real person vs per synthetic person."""
import json, sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/tools/realism-probe"))
import common as c
out = sys.argv[1]; render = os.path.join(out, "render"); truth = c.load_truth(render)
recs = [json.loads(l) for f in os.listdir(os.path.join(out, "dets")) for l in open(os.path.join(out, "dets", f))]
for det in sorted({r["det"] for r in recs}):
    fr = part = away = bg = 0
    cpart_real = cpart_syn = nsyn = nreal = 0
    for r in recs:
        if r["det"] != det: continue
        w, h = c.video_size(c.video_path(render, r["camera"]))
        objs = truth[r["camera"]][r["frame"]]
        if not any(c.countable(o, w, h) for o in objs): continue
        boxes = [b for b in (c.box(o) for o in objs) if b]
        if r["real"] is None:
            fr += 1
            for d in r["boxes"]:
                b = max([c.iou(d, x) for x in boxes] or [0])
                if b <= 0.0: bg += 1
                if b < 0.3:
                    if b >= 0.05: part += 1
                    else: away += 1
        else:
            nreal += 1; nsyn += len(boxes)
            for d in r["boxes"]:
                ir = c.iou(d, r["real"]); bs = max([c.iou(d, x) for x in boxes] or [0])
                if max(ir, bs) >= 0.3: continue
                if ir >= 0.05 and ir >= bs: cpart_real += 1
                elif bs >= 0.05: cpart_syn += 1
    print(f"{det:10s} frames={fr} FP/frame={(part+away)/max(fr,1):.2f} part={part/max(fr,1):.2f} away={away/max(fr,1):.2f} touching-no-one={bg/max(fr,1):.2f} | control: part boxes per real person {cpart_real}/{nreal}, per synthetic {cpart_syn}/{nsyn}")
