#!/usr/bin/env python3
"""Independent check of the judge's event-level figures (issue 15).

Reads every matching file `eseal certify --export-matching DIR` wrote (one per E3/E5 events
check: truth and report times, the R2 window, the judge's own figures) and scores the same times
with sed_eval's event-based metrics (optimal onset matching, onsets only), which nobody here
wrote. The judge's window is asymmetric, [t - skew, t + skew + latency]; sed_eval's onset
collar is symmetric, so report times are shifted by -latency/2 and the collar is
skew + latency/2, which admits exactly the same pairs.

Exit 0 when every file agrees (matched, precision, recall to 1e-9); 1 otherwise, naming each
disagreement; 2 when there is nothing to check.
"""

import json
import math
import sys
from pathlib import Path

import sed_eval


def score(m):
    skew = m["window"]["skew_s"]
    latency = m["window"]["latency_s"]
    shift = latency / 2.0
    collar = skew + latency / 2.0
    label = "event"
    ref = [{"event_label": label, "onset": t, "offset": t + 0.1, "file": "f"} for t in m["truth_s"]]
    est = [{"event_label": label, "onset": r - shift, "offset": r - shift + 0.1, "file": "f"} for r in m["reported_s"]]
    metrics = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=[label],
        evaluate_onset=True,
        evaluate_offset=False,
        t_collar=float(collar),
        percentage_of_length=0.0,
        event_matching_type="optimal",
    )
    metrics.evaluate(reference_event_list=ref, estimated_event_list=est)
    overall = metrics.results_overall_metrics()
    counts = metrics.overall
    return {
        "matched": int(counts["Ntp"]),
        "truth": int(counts["Nref"]),
        "reported": int(counts["Nsys"]),
        "precision": overall["f_measure"]["precision"],
        "recall": overall["f_measure"]["recall"],
    }


def agrees(judge, theirs):
    problems = []
    for k in ("matched", "truth", "reported"):
        if judge[k] != theirs[k]:
            problems.append(f"{k}: judge {judge[k]}, sed_eval {theirs[k]}")
    for k in ("precision", "recall"):
        j, t = judge[k], theirs[k]
        # sed_eval gives NaN for 0/0; the judge's convention is 1 (nothing claimed, nothing missed).
        if isinstance(t, float) and math.isnan(t):
            denominator = judge["reported"] if k == "precision" else judge["truth"]
            if denominator == 0:
                continue
        if not math.isclose(j, t, abs_tol=1e-9):
            problems.append(f"{k}: judge {j}, sed_eval {t}")
    return problems


def main(root):
    files = sorted(Path(root).rglob("*.json"))
    if not files:
        print(f"no matching files under {root}", file=sys.stderr)
        return 2
    bad = 0
    for f in files:
        m = json.loads(f.read_text())
        problems = agrees(m["judge"], score(m))
        j = m["judge"]
        status = "ok" if not problems else "DISAGREES: " + "; ".join(problems)
        print(f"{f.relative_to(root)}: {j['truth']} true, {j['reported']} reported, {j['matched']} matched: {status}")
        bad += bool(problems)
    print(f"{len(files)} file(s), {bad} disagreement(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
