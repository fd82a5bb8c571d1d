"""The reference device's learned detector (issue 17): a CenterNet-style network, small enough
for a CPU core to run four live cameras.

Input: one RGB frame letterboxed to 512 x 288 (16:9; the device scales whatever its camera
gives), values 0..255 as float32, NCHW. Output at stride 4 (128 x 72 cells), concatenated on the
channel axis so the ONNX graph has one output:

- channels 0..2: centre heat maps, after a sigmoid, of the three classes
  (0 person's full body, 1 person's head and shoulders, 2 truck);
- channels 3..8: per class, the box's width and height as log(input pixels / 4) at that centre;
- channels 9..10: the centre's sub-cell offset (0..1, shared by the classes).

Backbone: a stride-2 stem and four stages of depthwise-separable residual blocks (16, 32, 64,
96, 128 channels at strides 2..32), then a top-down path adding each coarser map, upsampled, to
the lateral of the finer one down to stride 4 (a small feature pyramid folded into one map).
About 0.2 M parameters, ~0.15 GFLOP per frame.
"""
import torch
from torch import nn
import torch.nn.functional as F

CLASSES = ("person", "head_shoulder", "truck")
INPUT_W, INPUT_H = 512, 288
STRIDE = 4


def conv_bn(cin, cout, k=3, s=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class Block(nn.Module):
    """Depthwise 3x3 then pointwise 1x1, with a shortcut when the shape allows."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = self.pw(self.dw(x))
        return F.relu(y + x if self.skip else y)


def stage(cin, cout, n):
    return nn.Sequential(Block(cin, cout, 2), *[Block(cout, cout, 1) for _ in range(n - 1)])


class Detector(nn.Module):
    def __init__(self, width=1.0):
        super().__init__()
        c = [max(8, int(v * width)) for v in (16, 32, 64, 96, 128)]
        self.stem = conv_bn(3, c[0], 3, 2)  # stride 2
        self.s4 = stage(c[0], c[1], 2)  # stride 4
        self.s8 = stage(c[1], c[2], 3)  # stride 8
        self.s16 = stage(c[2], c[3], 3)  # stride 16
        self.s32 = stage(c[3], c[4], 2)  # stride 32
        f = 32
        self.lat = nn.ModuleList([nn.Conv2d(ch, f, 1) for ch in (c[1], c[2], c[3], c[4])])
        # The stride-4 map is where the cost is (128 x 72 cells): one shared 3x3 layer, then
        # 1x1 projections per output.
        self.smooth = conv_bn(f, f, 3)
        self.heat = nn.Conv2d(f, len(CLASSES), 1)
        self.size = nn.Conv2d(f, 2 * len(CLASSES), 1)
        self.offset = nn.Conv2d(f, 2, 1)
        # Heat maps start near the background rate (CenterNet's prior), so the first steps do
        # not drown in easy negatives.
        nn.init.constant_(self.heat.bias, -4.6)

    def features(self, x):
        x = x / 255.0 - 0.45
        x4 = self.s4(self.stem(x))
        x8 = self.s8(x4)
        x16 = self.s16(x8)
        x32 = self.s32(x16)
        y = self.lat[3](x32)
        for lat, skip in ((self.lat[2], x16), (self.lat[1], x8), (self.lat[0], x4)):
            y = lat(skip) + F.interpolate(y, size=skip.shape[-2:], mode="nearest")
        return self.smooth(y)

    def forward(self, x):
        f = self.features(x)
        heat = torch.sigmoid(self.heat(f))
        return torch.cat([heat, self.size(f), torch.sigmoid(self.offset(f))], dim=1)

    def forward_raw(self, x):
        """Training: logits of the heat maps (for a stable focal loss), sizes, offsets."""
        f = self.features(x)
        return self.heat(f), self.size(f), torch.sigmoid(self.offset(f))
