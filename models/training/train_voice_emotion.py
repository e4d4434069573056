"""Train the speech-emotion CNN (models/voice_emotion.onnx) on RAVDESS speech.

A small VGG-like net on log-mel spectrograms (after the source paper: stacked 3x3 conv blocks,
a 512-unit dense layer with dropout), kept small for 2 shared CPU cores. The split is by actor
(speaker-independent): actors 1-16 train, 17-20 validation (checkpoint choice), 21-24 test.

To fit one shared core the log-mel is average-pooled 2x2 first and the blocks have 8-16-32-64
channels; each mel band's mean over time is removed inside the net (speaker and channel
colour). 40 epochs of 2-second crops, about 10 minutes on one core. Run (resumes from its
checkpoint if cut off; delete $SCORER_TRAIN_DIR/voice/checkpoint.pt to start over):

    .venv/bin/python models/training/train_voice_emotion.py

Writes models/voice_emotion.onnx, its .sha256 and the metrics JSON used for the card
(work files in $SCORER_TRAIN_DIR, default /tmp/scorer-train/voice).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.audio.features import FRAMES_PER_SECOND, N_MELS, log_mel, normalize  # noqa: E402

LABELS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
TRAIN_ACTORS = set(range(1, 17))
VAL_ACTORS = set(range(17, 21))
TEST_ACTORS = set(range(21, 25))
CROP = 2 * FRAMES_PER_SECOND  # 2-second training crops


def data_dir() -> Path:
    root = os.environ.get("SCORER_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    return Path(root) / "speech-emotion" / "ravdess"


def work_dir() -> Path:
    path = Path(os.environ.get("SCORER_TRAIN_DIR", "/tmp/scorer-train")) / "voice"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_features():
    """Log-mels of every clip (leading/trailing silence trimmed), cached as .npz."""
    cache = work_dir() / "features.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        lengths = data["lengths"]
        flat = data["flat"]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        mels = [flat[:, offsets[i]:offsets[i + 1]] for i in range(len(lengths))]
        return mels, data["labels"], data["actors"]
    import librosa
    import soundfile as sf

    files = sorted(data_dir().glob("Actor_*/*.flac"))
    if not files:
        raise SystemExit(f"no RAVDESS files under {data_dir()}")
    mels, labels, actors = [], [], []
    for i, path in enumerate(files):
        parts = path.stem.split("-")
        y, sr = sf.read(path, dtype="float32")
        if y.ndim > 1:
            y = y.mean(axis=1)
        y, _ = librosa.effects.trim(y, top_db=35)
        mels.append(log_mel(y, sr))
        labels.append(int(parts[2]) - 1)
        actors.append(int(parts[6]))
        if i % 200 == 0:
            print(f"features {i}/{len(files)}", flush=True)
    lengths = np.array([m.shape[1] for m in mels])
    np.savez(cache, flat=np.concatenate(mels, axis=1), lengths=lengths,
             labels=np.array(labels), actors=np.array(actors))
    return mels, np.array(labels), np.array(actors)


def build_model(dropout_in: float = 0.3, pool_first: bool = False, band_norm: bool = False):
    import torch.nn as nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout),
                             nn.ReLU(), nn.MaxPool2d(2))

    class VoiceCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(block(1, 8), block(8, 16), block(16, 32),
                                          nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64),
                                          nn.ReLU())
            self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout_in), nn.Linear(128, 512),
                                      nn.ReLU(), nn.Dropout(0.5), nn.Linear(512, len(LABELS)))

        def forward(self, x):  # x: (batch, 1, N_MELS, frames)
            if band_norm:  # remove each mel band's mean over time: speaker/channel colour
                x = x - x.mean(dim=3, keepdim=True)
            if pool_first:  # 2x2 average first: a quarter of the compute, same input
                x = nn.functional.avg_pool2d(x, 2)
            h = self.features(x)
            # mean and max over frequency and time: any clip length works
            pooled = h.mean(dim=(2, 3))
            peak = h.amax(dim=(2, 3))
            return self.head(__import__("torch").cat([pooled, peak], dim=1))

    return VoiceCNN()


def crop(mel: np.ndarray, rng: np.random.Generator, train: bool) -> np.ndarray:
    n = mel.shape[1]
    if n < CROP:
        mel = np.pad(mel, ((0, 0), (0, CROP - n)), constant_values=mel.min())
        n = CROP
    start = rng.integers(0, n - CROP + 1) if train else (n - CROP) // 2
    x = normalize(mel[:, start:start + CROP]).copy()
    if train:  # SpecAugment-style masks
        f = rng.integers(0, 8)
        f0 = rng.integers(0, N_MELS - f)
        x[f0:f0 + f] = x.min()
        t = rng.integers(0, 20)
        t0 = rng.integers(0, CROP - t)
        x[:, t0:t0 + t] = x.min()
    return x


def predict(model, mels) -> np.ndarray:
    """Class probabilities of whole (trimmed) clips, as the app runs the model."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for mel in mels:
            x = torch.from_numpy(normalize(mel))[None, None]
            out.append(torch.softmax(model(x), dim=1)[0].numpy())
    return np.array(out)


def metrics(y_true, prob) -> dict:
    pred = prob.argmax(1)
    k = len(LABELS)
    cm = np.zeros((k, k), dtype=int)
    for t, p in zip(y_true, pred, strict=True):
        cm[t, p] += 1
    recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
    precision = cm.diagonal() / np.maximum(cm.sum(0), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-9)
    counts = np.bincount(y_true, minlength=k)
    return {"accuracy": float((pred == y_true).mean()), "macro_f1": float(f1.mean()),
            "recall": dict(zip(LABELS, recall.round(3).tolist(), strict=True)),
            "confusion": cm.tolist(), "n": int(len(y_true)),
            "chance_uniform": 1.0 / k, "chance_majority": float(counts.max() / counts.sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pool-first", action=argparse.BooleanOptionalAction, default=True,
                        help="average-pool the log-mel 2x2 before the first conv block")
    parser.add_argument("--band-norm", action=argparse.BooleanOptionalAction, default=True,
                        help="subtract each mel band's mean over time inside the net")
    parser.add_argument("--dropout-in", type=float, default=0.0,
                        help="dropout before the 512-unit layer (after it: 0.5)")
    parser.add_argument("--out", default=str(REPO / "models" / "voice_emotion.onnx"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    mels, labels, actors = load_features()
    idx_train = [i for i, a in enumerate(actors) if a in TRAIN_ACTORS]
    idx_val = [i for i, a in enumerate(actors) if a in VAL_ACTORS]
    idx_test = [i for i, a in enumerate(actors) if a in TEST_ACTORS]
    print(f"clips: train {len(idx_train)} val {len(idx_val)} test {len(idx_test)}", flush=True)

    model = build_model(args.dropout_in, args.pool_first, args.band_norm)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    ckpt_path = work_dir() / "checkpoint.pt"
    best_path = work_dir() / "best.pt"
    start_epoch, best_f1 = 0, -1.0
    if ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start_epoch, best_f1 = state["epoch"] + 1, state["best_f1"]
        rng = np.random.default_rng(args.seed + start_epoch)
        print(f"resumed at epoch {start_epoch}", flush=True)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        model.train()
        order = rng.permutation(idx_train)
        total = 0.0
        for b in range(0, len(order), args.batch):
            batch = order[b:b + args.batch]
            x = torch.from_numpy(np.stack([crop(mels[i], rng, True) for i in batch]))[:, None]
            y = torch.from_numpy(labels[batch]).long()
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        sched.step()
        val = metrics(labels[idx_val], predict(model, [mels[i] for i in idx_val]))
        if val["macro_f1"] > best_f1:
            best_f1 = val["macro_f1"]
            torch.save(model.state_dict(), best_path)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": epoch, "best_f1": best_f1}, ckpt_path)
        print(f"epoch {epoch + 1}/{args.epochs} loss {total / len(order):.3f} "
              f"val acc {val['accuracy']:.3f} macro-F1 {val['macro_f1']:.3f} "
              f"({time.time() - t0:.0f} s)", flush=True)

    model.load_state_dict(torch.load(best_path))
    val = metrics(labels[idx_val], predict(model, [mels[i] for i in idx_val]))
    test = metrics(labels[idx_test], predict(model, [mels[i] for i in idx_test]))
    print("test", json.dumps(test), flush=True)
    model.eval()
    out = Path(args.out)
    dummy = torch.zeros(1, 1, N_MELS, CROP)
    torch.onnx.export(model, (dummy,), str(out), input_names=["logmel"], output_names=["logits"],
                      dynamic_axes={"logmel": {0: "batch", 3: "frames"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    report = {"labels": LABELS, "val": val, "test": test, "epochs": args.epochs,
              "train_actors": sorted(TRAIN_ACTORS), "val_actors": sorted(VAL_ACTORS),
              "test_actors": sorted(TEST_ACTORS), "clips": [len(idx_train), len(idx_val),
                                                            len(idx_test)]}
    (work_dir() / "metrics.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)", flush=True)


if __name__ == "__main__":
    main()
