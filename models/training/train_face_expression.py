"""Train the 7-class facial-expression CNN on FER2013 and export it to ONNX.

Data: ../shared/data/faces/fer2013 (train/ = official Training split; test/PublicTest_* =
validation, used for model selection; test/PrivateTest_* = held-out test, reported only).

Budget: the machine has 2 cores shared by several people, so the net is small (about 13 M
multiply-adds per face), runs on 1 thread and stops after --minutes of wall time. A checkpoint is
written after every epoch; re-running the same command resumes from it.

Usage:
    .venv/bin/python models/training/train_face_expression.py \
        --data ../shared/data/faces/fer2013 --out models/face_expression.onnx \
        --work /tmp/face_expr --epochs 10 --minutes 22
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SIZE = 48


def load_split(root: Path, cache: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read the JPEG crops once into uint8 arrays, cached as .npz in the work folder."""
    if cache.exists():
        data = np.load(cache)
        return {k: (data[f"{k}_x"], data[f"{k}_y"]) for k in ("train", "val", "test")}
    parts: dict[str, tuple[list, list]] = {k: ([], []) for k in ("train", "val", "test")}
    for split_dir in ("train", "test"):
        for ci, label in enumerate(LABELS):
            for path in sorted((root / split_dir / label).glob("*.jpg")):
                if split_dir == "train":
                    key = "train"
                elif path.name.startswith("PublicTest"):
                    key = "val"
                else:
                    key = "test"
                img = Image.open(path).convert("L")
                if img.size != (SIZE, SIZE):
                    img = img.resize((SIZE, SIZE), Image.BILINEAR)
                parts[key][0].append(np.asarray(img, dtype=np.uint8))
                parts[key][1].append(ci)
    out = {k: (np.stack(v[0]), np.asarray(v[1], dtype=np.int64)) for k, v in parts.items()}
    np.savez_compressed(cache, **{f"{k}_x": v[0] for k, v in out.items()},
                        **{f"{k}_y": v[1] for k, v in out.items()})
    return out


class ExpressionNet(nn.Module):
    """Small VGG-like CNN: 48x48 grey in [0, 1] -> 7 logits (softmax added at export)."""

    def __init__(self):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

        self.features = nn.Sequential(
            block(1, 16), nn.MaxPool2d(2),            # 24x24
            block(16, 32), nn.MaxPool2d(2),           # 12x12
            block(32, 64), block(64, 64), nn.MaxPool2d(2),   # 6x6
            block(64, 128), nn.MaxPool2d(2),          # 3x3
        )
        self.drop = nn.Dropout(0.4)
        self.fc = nn.Linear(128 * 9, len(LABELS))

    def forward(self, x):
        x = (x - 0.5) / 0.25
        x = self.features(x)
        return self.fc(self.drop(torch.flatten(x, 1)))


class Exported(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return F.softmax(self.net(x), dim=1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random flip, shift (pad 4 + crop) and brightness/contrast jitter."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (4, 4, 4, 4), mode="replicate")
    dx, dy = torch.randint(0, 9, (2,), generator=gen).tolist()
    x = padded[:, :, dy:dy + SIZE, dx:dx + SIZE]
    gain = 1 + 0.3 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    bias = 0.1 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)
    return (x * gain + bias).clamp(0, 1)


def evaluate(net, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    net.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), 512):
            xb = torch.from_numpy(x[i:i + 512]).float().div(255).unsqueeze(1)
            preds.append(net(xb).argmax(1).numpy())
    pred = np.concatenate(preds)
    cm = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    return float((pred == y).mean()), cm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/faces/fer2013"))
    ap.add_argument("--out", type=Path, default=Path("models/face_expression.onnx"))
    ap.add_argument("--work", type=Path, default=Path("/tmp/face_expr"))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--minutes", type=float, default=22.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(1)  # 2 cores shared by several people
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    data = load_split(args.data, args.work / "fer2013.npz")
    xtr, ytr = data["train"]
    print({k: len(v[1]) for k, v in data.items()}, flush=True)

    net = ExpressionNet()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps_per_epoch = (len(xtr) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    # mild class weighting: disgust has ~1/10 of the others' examples
    counts = np.bincount(ytr, minlength=len(LABELS)).astype(np.float64)
    weights = torch.tensor((counts.mean() / counts) ** 0.5, dtype=torch.float32)
    ckpt_path = args.work / "checkpoint.pt"
    start_epoch, best_val, log = 0, 0.0, []
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, weights_only=False)
        net.load_state_dict(ckpt["net"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        start_epoch, best_val, log = ckpt["epoch"], ckpt["best_val"], ckpt["log"]
        print(f"resumed at epoch {start_epoch}, best val {best_val:.4f}", flush=True)
    gen = torch.Generator().manual_seed(args.seed + start_epoch)
    t0 = time.time()
    for epoch in range(start_epoch, args.epochs):
        net.train()
        order = torch.randperm(len(xtr), generator=gen).numpy()
        total, seen = 0.0, 0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            xb = torch.from_numpy(xtr[idx]).float().div(255).unsqueeze(1)
            xb = augment(xb, gen)
            yb = torch.from_numpy(ytr[idx])
            loss = F.cross_entropy(net(xb), yb, weight=weights, label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            seen += len(idx)
        val_acc, _ = evaluate(net, *data["val"])
        log.append({"epoch": epoch + 1, "loss": total / seen, "val_acc": val_acc,
                    "minutes": (time.time() - t0) / 60})
        print(json.dumps(log[-1]), flush=True)
        if val_acc > best_val:
            best_val = val_acc
            torch.save(net.state_dict(), args.work / "best.pt")
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": epoch + 1, "best_val": best_val,
                    "log": log}, ckpt_path)
        if (time.time() - t0) / 60 > args.minutes:
            print("time budget reached; stopping early", flush=True)
            break

    net.load_state_dict(torch.load(args.work / "best.pt"))
    val_acc, _ = evaluate(net, *data["val"])
    test_acc, cm = evaluate(net, *data["test"])
    print(f"best val (PublicTest) {val_acc:.4f}  held-out test (PrivateTest) {test_acc:.4f}")
    print("confusion (rows true, cols pred):", LABELS)
    print(cm)
    net.eval()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(Exported(net), torch.zeros(1, 1, SIZE, SIZE), str(args.out),
                      input_names=["face"], output_names=["probs"],
                      dynamic_axes={"face": {0: "n"}, "probs": {0: "n"}}, opset_version=17,
                      dynamo=False)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    Path(str(args.out) + ".sha256").write_text(f"{digest}  {args.out.name}\n")
    (args.work / "metrics.json").write_text(json.dumps(
        {"val_acc": val_acc, "test_acc": test_acc, "confusion": cm.tolist(), "log": log},
        indent=1))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
