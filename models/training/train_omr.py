"""Train the score-image recogniser (models/omr.onnx): residual CNN, two-scale fusion, BiGRU, CTC.

Usage:
  python models/training/omr_data.py --out /tmp/omr_data        # render the lines (see there)
  python models/training/train_omr.py --data /tmp/omr_data --model crnn --out models/omr.onnx
  python models/training/train_omr.py --data /tmp/omr_data --model cnn  # the baseline, same run

``--model cnn`` is the measured baseline: the same convolutional trunk and fusion with a
per-frame classifier and no recurrence. Both report, on held-out tunes, the symbol error rate
(edit distance / reference length), the pitch and note accuracy of the melody read back
(:func:`scorer.music.omr.tokens_to_notes`), and the trivial baseline that answers every line with
the most common training line. Metrics go to ``--metrics`` (JSON). Checkpoints resume.
Training only (torch, extra ``train``); the app runs the ONNX file through onnxruntime.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scorer.music import omr  # noqa: E402


class Res(nn.Module):
    """Two 3x3 convolutions with batch norm and a skip connection."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                                  nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(cout))
        self.skip = nn.Identity() if cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


class OMRNet(nn.Module):
    """(B, 1, 64, W) strip -> (B, W/2, vocab) CTC scores.

    Features of a fine scale (16 rows, 32 channels, pooled to 8 rows) and a coarse scale
    (4 rows, 64 channels) are concatenated per column and projected: the fine one keeps where
    a head sits on the staff, the coarse one what the symbol is.
    """

    def __init__(self, n_out: int, recurrent: bool = True):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(2))           # 32 x W/2
        self.b1 = nn.Sequential(Res(16, 32), nn.MaxPool2d((2, 1)))                    # 16
        self.b2 = nn.Sequential(Res(32, 48), nn.MaxPool2d((2, 1)))                    # 8
        self.b3 = nn.Sequential(Res(48, 64), nn.MaxPool2d((2, 1)))                    # 4
        self.fine = nn.AvgPool2d((2, 1))                                              # 16 -> 8
        self.proj = nn.Sequential(nn.Linear(32 * 8 + 64 * 4, 192), nn.ReLU(inplace=True),
                                  nn.Dropout(0.2))
        self.recurrent = recurrent
        if recurrent:
            self.rnn = nn.GRU(192, 128, batch_first=True, bidirectional=True)
            self.head = nn.Linear(256, n_out)
        else:
            self.head = nn.Sequential(nn.Linear(192, 256), nn.ReLU(inplace=True),
                                      nn.Linear(256, n_out))

    def forward(self, x):
        a = self.b1(self.stem(x))
        b = self.b3(self.b2(a))
        a = self.fine(a)
        feats = torch.cat([a.flatten(1, 2), b.flatten(1, 2)], dim=1).transpose(1, 2)
        h = self.proj(feats)
        if self.recurrent:
            h, _ = self.rnn(h)
        return self.head(h)


def edit_distance(a: list, b: list) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def batches(items: list[dict], size: int, rng: random.Random, shuffle: bool = True):
    """Batches of similar widths (less padding); order shuffled."""
    order = sorted(range(len(items)), key=lambda i: items[i]["image"].shape[1]
                   + (rng.uniform(0, 40) if shuffle else 0))
    groups = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        rng.shuffle(groups)
    yield from groups


def collate(items: list[dict], idx: list[int], rng: random.Random | None):
    import cv2

    imgs = []
    for i in idx:
        im = items[i]["image"].astype(np.float32) / 255.0
        if rng is not None:  # a little width stretch and vertical shift on top of the render
            w = max(16, int(im.shape[1] * rng.uniform(0.9, 1.1)))
            im = cv2.resize(im, (w, omr.HEIGHT), interpolation=cv2.INTER_LINEAR)
            dy = rng.randint(-1, 1)
            if dy:
                im = np.roll(im, dy, axis=0)
        imgs.append(im)
    wmax = max(im.shape[1] for im in imgs)
    wmax += (-wmax) % 2
    x = np.zeros((len(imgs), 1, omr.HEIGHT, wmax), np.float32)
    for k, im in enumerate(imgs):
        x[k, 0, :, :im.shape[1]] = im
    lengths = torch.tensor([im.shape[1] // 2 for im in imgs], dtype=torch.long)
    targets = [torch.tensor([omr.INDEX[s] for s in items[i]["symbols"]]) for i in idx]
    return torch.from_numpy(x), lengths, targets


def decode(model: nn.Module, items: list[dict]) -> list[list[str]]:
    model.eval()
    out = []
    with torch.no_grad():
        for idx in batches(items, 32, random.Random(0), shuffle=False):
            x, lengths, _ = collate(items, idx, None)
            logits = model(x).numpy()
            for k, i in enumerate(idx):
                out.append((i, omr.ctc_greedy(logits[k, :int(lengths[k])])))
    return [s for _, s in sorted(out)]


def score(preds: list[list[str]], items: list[dict]) -> dict:
    """SER, exact-line rate, pitch and note accuracy (1 - edit distance / reference notes)."""
    errs = ref = exact = 0
    p_err = p_ref = n_err = n_ref = 0
    for pred, item in zip(preds, items, strict=True):
        truth = item["symbols"]
        e = edit_distance(pred, truth)
        errs += e
        ref += len(truth)
        exact += e == 0
        notes, _ = omr.tokens_to_notes(pred, 0)
        got_p = [n.pitch for n in notes if n.pitch is not None]
        want_p = [p for p, _ in item["notes"] if p is not None]
        p_err += edit_distance(got_p, want_p)
        p_ref += len(want_p)
        got_n = [(n.pitch, round(n.quarters, 3)) for n in notes]
        want_n = [(p, round(q, 3)) for p, q in item["notes"]]
        n_err += edit_distance(got_n, want_n)
        n_ref += len(want_n)
    return {"lines": len(items), "ser": errs / max(ref, 1),
            "line_exact": exact / max(len(items), 1),
            "pitch_acc": 1 - p_err / max(p_ref, 1), "note_acc": 1 - n_err / max(n_ref, 1)}


def report(preds, items, name: str) -> dict:
    res = {}
    for label, keep in (("damaged", lambda it: not it["clean"]), ("clean", lambda it: it["clean"])):
        idx = [i for i, it in enumerate(items) if keep(it)]
        if idx:
            res[label] = score([preds[i] for i in idx], [items[i] for i in idx])
            r = res[label]
            print(f"  {name} {label}: {r['lines']} lines, SER {r['ser']:.4f}, exact lines "
                  f"{r['line_exact']:.3f}, pitch acc {r['pitch_acc']:.4f}, note acc "
                  f"{r['note_acc']:.4f}", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", choices=("crnn", "cnn"), default="crnn")
    ap.add_argument("--epochs", type=int, default=30, help="at most (the clock stops it)")
    ap.add_argument("--minutes", type=float, default=40.0, help="stop training after this long")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", help="ONNX file to write (crnn)")
    ap.add_argument("--metrics", help="JSON file for the figures")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = {}
    for k in ("train", "val", "test"):
        with open(Path(args.data) / f"{k}.pkl", "rb") as fh:
            data[k] = pickle.load(fh)
    train, val, test = data["train"], data["val"], data["test"]
    val_small = [it for it in val if not it["clean"]][:400]
    print(f"train {len(train)} strips ({len({i['tune'] for i in train})} tunes), val {len(val)}, "
          f"test {len(test)} ({len({i['tune'] for i in test})} tunes)", flush=True)
    assert not ({i["tune"] for i in train} & {i["tune"] for i in test}), "tune in train and test"
    model = OMRNet(len(omr.VOCAB), recurrent=args.model == "crnn")
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = math.ceil(len(train) / args.batch)
    budget = args.minutes * 60

    def lr_at(elapsed: float) -> float:
        # warm-up, then cosine to zero at the time budget: the 2 shared cores give an unknown
        # number of steps, so the schedule runs on the clock, not on a step count
        f = min(1.0, elapsed / budget)
        if f < 0.05:
            return args.lr * f / 0.05
        return args.lr * 0.5 * (1 + math.cos(math.pi * (f - 0.05) / 0.95))
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    ckpt = Path(args.data) / f"{args.model}.ckpt"
    start_epoch, best, spent = 0, (9.9, None), 0.0
    if ckpt.exists():
        st = torch.load(ckpt, weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        start_epoch, best, spent = st["epoch"], st["best"], st["spent"]
        print(f"resumed at epoch {start_epoch}")
    rng = random.Random(0)
    t0 = time.time() - spent
    for epoch in range(start_epoch, args.epochs):
        model.train()
        tot = n = 0
        for b, idx in enumerate(batches(train, args.batch, rng)):
            for group in opt.param_groups:
                group["lr"] = lr_at(time.time() - t0)
            x, lengths, targets = collate(train, idx, rng)
            logp = model(x).log_softmax(-1).transpose(0, 1)  # (T, B, V)
            tl = torch.tensor([len(t) for t in targets])
            loss = ctc(logp, torch.cat(targets), lengths, tl)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tot += float(loss)
            n += 1
            if b % 100 == 0:
                print(f"epoch {epoch} batch {b}/{steps_per_epoch} loss {tot / n:.3f} "
                      f"{time.time() - t0:.0f} s", flush=True)
            if time.time() - t0 > budget:
                break
        r = score(decode(model, val_small), val_small)
        print(f"epoch {epoch}: loss {tot / max(n, 1):.3f}, val SER {r['ser']:.4f}, "
              f"{time.time() - t0:.0f} s", flush=True)
        if r["ser"] < best[0]:
            best = (r["ser"], {k: v.clone() for k, v in model.state_dict().items()})
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                    "spent": time.time() - t0, "epoch": epoch + 1, "best": best}, ckpt)
        if time.time() - t0 > budget:
            print("time budget reached")
            break
    model.load_state_dict(best[1])
    print(f"best val SER {best[0]:.4f}; held-out test tunes:")
    results = {"model": args.model, "val_ser": best[0], "test": report(decode(model, test), test,
                                                                          args.model)}
    # trivial baseline: the most common training line for every test line
    common = collections.Counter(tuple(i["symbols"]) for i in train).most_common(1)[0][0]
    results["most_common_line"] = report([list(common)] * len(test), test, "most-common-line")
    results["train_strips"] = len(train)
    results["train_tunes"] = len({i["tune"] for i in train})
    results["test_tunes"] = len({i["tune"] for i in test})
    results["minutes"] = (time.time() - t0) / 60
    if args.metrics:
        Path(args.metrics).write_text(json.dumps(results, indent=1))
    if args.out:
        model.eval()
        x = torch.zeros(1, 1, omr.HEIGHT, 200)
        torch.onnx.export(model, (x,), args.out, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch", 3: "width"},
                                        "logits": {0: "batch", 1: "frames"}},
                          opset_version=17, dynamo=False)
        print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
