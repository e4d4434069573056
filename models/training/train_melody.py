"""Train the conditioned melody LSTM of one style and export it to ONNX (step by step).

Usage (one core, time-bounded, resumable from the checkpoint in the user data folder):

    python models/training/train_melody.py --style folk --minutes 12
    python models/training/train_melody.py --style folk --export-only

Model (after the source paper: LSTM 256 units, dropout 0.2, sparse categorical cross-entropy,
Adam 1e-3, batch 64): token embedding (32) + condition one-hot (mode major/minor, note-density
tertile low/mid/high: 5 values) at every step -> LSTM(256) -> dropout 0.2 -> linear over the
40-token vocabulary. Trained on windows of 64 steps within one tune; 10% of tunes held out.

The ONNX graph is one time step: inputs ``token`` int64[B], ``cond`` float[B,5], ``h`` and
``c`` float[B,H]; outputs ``logits`` float[B,V], ``h_out``, ``c_out``. The LSTM cell is
written out with MatMul/Sigmoid/Tanh so any exporter handles it. Metadata: vocab, density
thresholds and means, style.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_melody_corpus import LIMITS  # noqa: E402

from scorer.music import corpus  # noqa: E402

WINDOW = 64
COND = 5


def condition(mode: str, bucket: int) -> list[float]:
    vec = [0.0] * COND
    vec[0 if mode == "major" else 1] = 1.0
    vec[2 + bucket] = 1.0
    return vec


class MelodyLSTM(nn.Module):
    def __init__(self, vocab: int, hidden: int = 256, embed: int = 32, dropout: float = 0.2):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed + COND, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, tokens, cond):
        x = self.embed(tokens)
        c = cond.unsqueeze(1).expand(-1, tokens.shape[1], -1)
        y, _ = self.lstm(torch.cat([x, c], dim=-1))
        return self.out(self.drop(y))


class Step(nn.Module):
    """One time step with explicit state, for ONNX export."""

    def __init__(self, model: MelodyLSTM):
        super().__init__()
        self.embed = model.embed
        self.w_ih = nn.Parameter(model.lstm.weight_ih_l0.detach().t().contiguous())
        self.w_hh = nn.Parameter(model.lstm.weight_hh_l0.detach().t().contiguous())
        self.b = nn.Parameter((model.lstm.bias_ih_l0 + model.lstm.bias_hh_l0).detach())
        self.out = model.out

    def forward(self, token, cond, h, c):
        x = torch.cat([self.embed(token), cond], dim=-1)
        gates = x @ self.w_ih + h @ self.w_hh + self.b
        i, f, g, o = gates.chunk(4, dim=-1)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h2 = torch.sigmoid(o) * torch.tanh(c2)
        return self.out(h2), h2, c2


def windows(tunes: list[dict], thresholds: list[float]):
    xs, ys, cs = [], [], []
    for tune in tunes:
        ids = [corpus.TOKEN_ID[corpus.START]] + [corpus.TOKEN_ID[t] for t in tune["tokens"]]
        ids.append(corpus.TOKEN_ID[corpus.START])
        bucket = int(np.searchsorted(thresholds, tune["density"]))
        cond = condition(tune["mode"], bucket)
        for start in range(0, max(1, len(ids) - 1), WINDOW):
            chunk = ids[start:start + WINDOW + 1]
            if len(chunk) < 9:
                continue
            x = chunk[:-1] + [0] * (WINDOW + 1 - len(chunk))
            y = chunk[1:] + [-100] * (WINDOW + 1 - len(chunk))
            xs.append(x)
            ys.append(y)
            cs.append(cond)
    return (torch.tensor(xs, dtype=torch.long), torch.tensor(ys, dtype=torch.long),
            torch.tensor(cs, dtype=torch.float32))


def evaluate(model, data, batch=256):
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for i in range(0, len(data[0]), batch):
            x, y, c = (t[i:i + batch] for t in data)
            logits = model(x, c)
            mask = y != -100
            loss_sum += nn.functional.cross_entropy(logits[mask], y[mask], reduction="sum").item()
            correct += (logits.argmax(-1)[mask] == y[mask]).sum().item()
            count += mask.sum().item()
    model.train()
    return loss_sum / count, correct / count


def export(model: MelodyLSTM, meta: dict, path: Path) -> None:
    import onnx

    step = Step(model).eval()
    hidden = meta["hidden"]
    args = (torch.zeros(1, dtype=torch.long), torch.zeros(1, COND), torch.zeros(1, hidden),
            torch.zeros(1, hidden))
    torch.onnx.export(step, args, str(path), input_names=["token", "cond", "h", "c"],
                      output_names=["logits", "h_out", "c_out"], opset_version=17,
                      dynamic_axes={n: {0: "batch"} for n in
                                    ["token", "cond", "h", "c", "logits", "h_out", "c_out"]},
                      dynamo=False)
    proto = onnx.load(str(path))
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key = key
        entry.value = json.dumps(value)
    onnx.save(proto, str(path))
    # check the exported step against the full-sequence model
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    tokens = torch.randint(0, len(corpus.VOCAB), (2, 12))
    cond = torch.tensor([condition("major", 0), condition("minor", 2)])
    with torch.no_grad():
        ref = model.eval()(tokens, cond)[:, -1].numpy()
    h = np.zeros((2, hidden), np.float32)
    c = np.zeros((2, hidden), np.float32)
    for t in range(tokens.shape[1]):
        logits, h, c = sess.run(None, {"token": tokens[:, t].numpy(), "cond": cond.numpy(),
                                       "h": h, "c": c})
    err = float(np.abs(logits - ref).max())
    print(f"exported {path} ({path.stat().st_size / 1e6:.2f} MB), max |onnx - torch| = {err:.2e}")
    assert err < 1e-3, err


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--style", default="folk", choices=corpus.STYLES)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--minutes", type=float, default=12.0, help="wall-time budget")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(REPO / "models"))
    parser.add_argument("--export-only", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    data = corpus.load_or_build(args.style, limit=args.limit or LIMITS[args.style])
    tunes = data["tunes"]
    rng = random.Random(args.seed)
    order = list(range(len(tunes)))
    rng.shuffle(order)
    n_val = max(1, len(tunes) // 10)
    val_tunes = [tunes[i] for i in order[:n_val]]
    train_tunes = [tunes[i] for i in order[n_val:]]
    densities = sorted(t["density"] for t in train_tunes)
    thresholds = [float(np.quantile(densities, q)) for q in (1 / 3, 2 / 3)]
    bucket_means = [float(np.mean([d for d in densities
                                   if np.searchsorted(thresholds, d) == b])) for b in range(3)]
    train = windows(train_tunes, thresholds)
    val = windows(val_tunes, thresholds)
    print(f"{args.style}: {len(train_tunes)} train / {len(val_tunes)} val tunes, "
          f"{len(train[0])} / {len(val[0])} windows, density thresholds {thresholds}",
          flush=True)

    model = MelodyLSTM(len(corpus.VOCAB), hidden=args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    ckpt = corpus.cache_dir() / f"melody_{args.style}.pt"
    state = {"epoch": 0, "best": math.inf, "history": []}
    best_weights = {k: v.clone() for k, v in model.state_dict().items()}
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        if saved.get("hidden") == args.hidden:
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["opt"])
            state = saved["state"]
            best_weights = saved["best_model"]
            print(f"resumed from epoch {state['epoch']}", flush=True)
    t0 = time.time()
    while state["epoch"] < args.epochs and not args.export_only:
        perm = torch.randperm(len(train[0]))
        total, n = 0.0, 0
        for i in range(0, len(perm), args.batch):
            idx = perm[i:i + args.batch]
            x, y, c = train[0][idx], train[1][idx], train[2][idx]
            logits = model(x, c)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               y.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item()
            n += 1
        val_loss, val_acc = evaluate(model, val)
        state["epoch"] += 1
        state["history"].append({"epoch": state["epoch"], "train_loss": total / n,
                                 "val_loss": val_loss, "val_acc": val_acc})
        if val_loss < state["best"]:
            state["best"] = val_loss
            best_weights = {k: v.clone() for k, v in model.state_dict().items()}
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state,
                    "best_model": best_weights, "hidden": args.hidden}, ckpt)
        print(f"epoch {state['epoch']}: train {total / n:.4f} val {val_loss:.4f} "
              f"acc {val_acc:.4f} ({time.time() - t0:.0f} s)", flush=True)
        if time.time() - t0 > args.minutes * 60:
            print("time budget reached", flush=True)
            break

    model.load_state_dict(best_weights)
    val_loss, val_acc = evaluate(model, val)
    print(f"best: val loss {val_loss:.4f} acc {val_acc:.4f}", flush=True)
    modes = {m: sum(1 for t in tunes if t["mode"] == m) for m in ("major", "minor")}
    meta = {"style": args.style, "vocab": corpus.VOCAB, "hidden": args.hidden,
            "density_thresholds": thresholds, "density_means": bucket_means,
            "val_loss": val_loss, "val_acc": val_acc, "epochs": state["epoch"],
            "tunes": len(tunes), "modes": modes}
    out = Path(args.out) / f"melody_{args.style}.onnx"
    export(model, meta, out)
    import hashlib

    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    print(json.dumps({k: v for k, v in meta.items() if k != "vocab"}), flush=True)


if __name__ == "__main__":
    main()
