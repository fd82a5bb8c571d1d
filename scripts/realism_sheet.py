#!/usr/bin/env python3
"""Side-by-side sheet of the two render styles (issue 16): flat | realistic, by day and by night
IR, people and trucks, from the tuning scenarios (scenarios/tuning/, seeds 7101, 7202, 7303 and
7404), one frame each.

  python3 scripts/realism_sheet.py [OUT.png]     (default docs/img/realism-flat-vs-realistic.png)

Renders with target/release/eseal (built with `cargo build --release --bin eseal`) into
var/realism-sheet/ and writes a 2-column PNG of 480×270 crops, one row per shot. Deterministic: same binary, same PNG.
"""
import os
import re
import subprocess
import sys

from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "var", "realism-sheet")
ESEAL = os.path.join(ROOT, "target", "release", "eseal")
# (scenario, camera, frame, crop box in the frame's pixels, label)
SHOTS = [
    ("realism-day", "21", 450, (480, 240, 1440, 780), "day 白天"),
    ("realism-night", "21", 425, (320, 0, 1280, 540), "night IR 夜间红外"),
    ("realism-gate-day", "31", 239, (0, 0, 1280, 720), "gate 车辆出入口"),
    ("realism-gate-night", "31", 239, (0, 0, 1280, 720), "gate night IR 夜间"),
]


def render(name, camera, style, frame):
    src = os.path.join(ROOT, "scenarios", "tuning", f"{name}.toml")
    text = re.sub(r'(?m)^render = ".*"$', f'render = "{style}"', open(src, encoding="utf-8").read())
    os.makedirs(WORK, exist_ok=True)
    toml = os.path.join(WORK, f"{name}-{style}.toml")
    with open(toml, "w", encoding="utf-8") as f:
        f.write(text)
    out = os.path.join(WORK, f"{name}-{style}")
    seconds = frame / 25 + 0.2
    subprocess.run([ESEAL, "sim", "render", toml, "--out", out, "--png", "--seconds", str(seconds)],
                   check=True, stdout=subprocess.DEVNULL)
    return Image.open(os.path.join(out, camera, f"frame-{frame:06d}.png")).convert("RGB")


def main():
    dest = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "img", "realism-flat-vs-realistic.png")
    tile = (480, 270)
    sheet = Image.new("RGB", (2 * tile[0], len(SHOTS) * tile[1]))
    for row, (name, camera, frame, box, label) in enumerate(SHOTS):
        for col, style in enumerate(["flat", "realistic"]):
            im = render(name, camera, style, frame).crop(box).resize(tile, Image.LANCZOS)
            d = ImageDraw.Draw(im)
            d.rectangle((0, 0, 200, 16), fill=(0, 0, 0))
            d.text((4, 3), f"{style} · {label.split(' ')[0]}", fill=(255, 255, 255))
            sheet.paste(im, (col * tile[0], row * tile[1]))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    sheet.save(dest, optimize=True)
    print(dest)


if __name__ == "__main__":
    main()
