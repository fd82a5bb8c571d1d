"""A tiny ONNX model with the detector's I/O contract and a known, constant output, for the
decode tests of `vision/src/people/learned.rs` (vision/tests/it/learned.rs).

Input "image" [N, 3, 288, 512] float32; output "maps" [N, 11, 72, 128] float32 (see model.py):
the same map for every image of the batch, zero except at the cells below. The image enters the
graph only as `0 * mean(image)` added to the map, so the batch size follows the input.

    var/train-venv/bin/python scripts/detector/make_test_model.py vision/tests/fixtures/detector-constant.onnx

Cells are (class, x, y) on the 128 x 72 grid (stride 4); sizes are input pixels, stored as
log(size / 4); offsets are the centre's position inside its cell (channels 9, 10, shared).
"""
import math
import sys

import onnx
from onnx import TensorProto, helper

C, GH, GW = 11, 72, 128

# (class, x, y, score, (w, h) input pixels or None, (dx, dy) offset or None)
PEAKS = [
    # A person: box [141, 133, 181, 233] in input pixels; two lower neighbours are not peaks.
    (0, 40, 45, 0.9, (40, 100), (0.25, 0.75)),
    (0, 41, 45, 0.85, None, None),
    (0, 40, 46, 0.5, None, None),
    # A weaker person: [386, 122, 418, 202]; gone at a threshold of 0.7.
    (0, 100, 40, 0.6, (32, 80), (0.5, 0.5)),
    # Below the default threshold of 0.3.
    (0, 70, 60, 0.25, (32, 80), (0.5, 0.5)),
    # Cut by the left border: [-12, 160, 28, 240], 70 % inside.
    (0, 2, 50, 0.8, (40, 80), None),
    # Far beyond the counting edge (feet high in the picture): [250, 10, 262, 22].
    (0, 64, 4, 0.9, (12, 12), None),
    # Head and shoulders: a plateau of two equal cells gives one box, [150, 150, 170, 170] (x 40).
    (1, 40, 40, 0.75, (20, 20), None),
    (1, 41, 40, 0.75, (20, 20), None),
    # A truck: [380, 80, 500, 160].
    (2, 110, 30, 0.95, (120, 80), None),
]


def entries():
    out = {}
    for cls, x, y, score, size, off in PEAKS:
        out[(cls, y, x)] = score
        if size:
            out[(3 + 2 * cls, y, x)] = math.log(size[0] / 4)
            out[(4 + 2 * cls, y, x)] = math.log(size[1] / 4)
        if off:
            out[(9, y, x)] = off[0]
            out[(10, y, x)] = off[1]
    return sorted(out.items())


def build():
    items = entries()
    indices = [[0, c, y, x] for (c, y, x), _ in items]
    updates = [v for _, v in items]
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["zeros"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("ScatterND", ["zeros", "indices", "updates"], ["map"]),
        helper.make_node("ReduceMean", ["image"], ["mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["nothing", "map"], ["maps"]),
    ]
    inits = [
        helper.make_tensor("shape", TensorProto.INT64, [4], [1, C, GH, GW]),
        helper.make_tensor("indices", TensorProto.INT64, [len(indices), 4],
                           [v for row in indices for v in row]),
        helper.make_tensor("updates", TensorProto.FLOAT, [len(updates)], updates),
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
    ]
    graph = helper.make_graph(
        nodes, "detector-constant",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 288, 512])],
        [helper.make_tensor_value_info("maps", TensorProto.FLOAT, ["batch", C, GH, GW])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="eseal make_test_model.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    onnx.save(build(), sys.argv[1])
