"""Train the music emotion CNN (CQT, 2-second segments) and the feature baseline on Emotify.

Usage (from the repository root, with the `train` extra installed):

    .venv/bin/python models/training/train_music_emotion.py \
        --data ../shared/data/music-emotion/emotify --out models

Steps: labels (nine GEMS shares -> four classes + V/A target), CQT cache (computed once),
5-fold cross-validation by track for the CNN and for the MFCC/spectral-feature baseline (KNN
regression of V/A, SVM classifier) on the same folds, a final CNN on all tracks, ONNX export,
metrics JSON for the card. Folds already done are kept in the cache folder, so a cut-off run
resumes where it stopped.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.affect import circumplex  # noqa: E402
from scorer.music import emotion as me  # noqa: E402

GEMS = ("amazement", "solemnity", "tenderness", "nostalgia", "calmness", "power",
        "joyful_activation", "tension", "sadness")
CLASSES = me.CLASSES


# ---------------------------------------------------------------- labels
def gems_to_class_matrix() -> np.ndarray:
    """Assign each GEMS term to the class whose circumplex point is nearest (9 x 4, 0/1)."""
    cls = np.array([circumplex.coordinates(c) for c in CLASSES])
    gems = np.array([circumplex.coordinates(g) for g in GEMS])
    nearest = np.linalg.norm(gems[:, None] - cls[None], axis=2).argmin(1)
    w = np.zeros((len(GEMS), len(CLASSES)))
    w[np.arange(len(GEMS)), nearest] = 1.0
    return w


def load_labels(data: Path):
    rows = list(csv.DictReader(open(data / "labels.csv", newline="")))
    ids = [r["track"] for r in rows]
    genres = [r["genre"] for r in rows]
    shares = np.array([[float(r[g]) for g in GEMS] for r in rows])
    w = gems_to_class_matrix()
    # mean share of the class's GEMS terms: classes with more terms (peacefulness has three,
    # fear/threat one) must not win just by summing more columns
    scores = shares @ w / w.sum(0)
    y = scores.argmax(1)
    val, aro = circumplex.project_probs(GEMS, shares)
    return ids, genres, shares, scores, y, np.stack([val, aro], 1).astype(np.float32)


# ---------------------------------------------------------------- features (cached)
def ordering_test_tracks(ids: list[str], shares: np.ndarray, n: int = 3) -> list[str]:
    """Tracks kept out of the final model for the ONNX ordering test: the n most calm
    (calmness minus tension share) and the n most tense. tests/unit/test_music_emotion_model.py
    picks them by the same rule."""
    calm = shares[:, GEMS.index("calmness")] - shares[:, GEMS.index("tension")]
    order = np.argsort(calm, kind="stable")
    return [ids[i] for i in order[-n:]] + [ids[i] for i in order[:n]]


def load_audio(path: Path) -> np.ndarray:
    import soundfile as sf

    y, sr = sf.read(str(path), dtype="float32")
    if y.ndim > 1:
        y = y.mean(1)
    assert sr == me.SR, f"{path}: expected 16 kHz, got {sr}"
    return y


def baseline_frame_features(y: np.ndarray) -> np.ndarray:
    """Frame features of the source paper's baseline (per CQT hop): MFCC, centroid, ...."""
    import librosa

    kw = dict(hop_length=me.HOP, n_fft=2048)
    s = np.abs(librosa.stft(y, **kw))
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(
        librosa.feature.melspectrogram(S=s ** 2, sr=me.SR, n_mels=64)), n_mfcc=20)
    cent = librosa.feature.spectral_centroid(S=s, sr=me.SR)
    roll = librosa.feature.spectral_rolloff(S=s, sr=me.SR)
    bw = librosa.feature.spectral_bandwidth(S=s, sr=me.SR)
    flat = librosa.feature.spectral_flatness(S=s)
    contrast = librosa.feature.spectral_contrast(S=s, sr=me.SR, n_bands=5, fmin=100.0)
    flux = librosa.onset.onset_strength(S=librosa.amplitude_to_db(s), sr=me.SR)[None]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=2048, hop_length=me.HOP)
    rms = librosa.feature.rms(S=s, frame_length=2048)
    chroma = librosa.feature.chroma_stft(S=s ** 2, sr=me.SR, tuning=0.0)
    n = min(m.shape[1] for m in (mfcc, cent, flux, zcr, rms))
    return np.concatenate([m[:, :n] for m in (mfcc, cent, roll, bw, flat, contrast, flux, zcr,
                                              np.log(rms + 1e-6), chroma)]).astype(np.float32)


def build_cache(data: Path, ids: list[str], cache: Path):
    path = cache / "features.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return [z[f"cqt_{i}"] for i in ids], [z[f"feat_{i}"] for i in ids]
    t0 = time.time()
    store = {}
    for k, tid in enumerate(ids):
        y = load_audio(data / "audio" / f"{tid}.ogg")
        store[f"cqt_{tid}"] = me.cqt_db(y)
        store[f"feat_{tid}"] = baseline_frame_features(y)
        if k % 50 == 0:
            print(f"  cache {k}/{len(ids)} {time.time() - t0:.0f}s", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **store)
    return [store[f"cqt_{i}"] for i in ids], [store[f"feat_{i}"] for i in ids]


def eval_starts(n_frames: int) -> np.ndarray:
    return me.segment_starts(n_frames)


def segment_features(feat: np.ndarray, starts: np.ndarray) -> np.ndarray:
    out = []
    for s in starts:
        block = feat[:, s:s + me.SEGMENT_FRAMES]
        out.append(np.concatenate([block.mean(1), block.std(1)]))
    return np.array(out)


# ---------------------------------------------------------------- metrics
def metrics(y_true, y_pred, n_classes=4) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

    labels = list(range(n_classes))
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                   zero_division=0)),
        "recall": [float(r) for r in recall_score(y_true, y_pred, labels=labels, average=None,
                                                  zero_division=0)],
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def va_metrics(true: np.ndarray, pred: np.ndarray) -> dict:
    out = {}
    for k, name in enumerate(("valence", "arousal")):
        r = float(np.corrcoef(true[:, k], pred[:, k])[0, 1]) if pred[:, k].std() > 0 else 0.0
        out[name] = {"pearson_r": r, "rmse": float(np.sqrt(np.mean((true[:, k] - pred[:, k])
                                                                     ** 2)))}
    return out


# ---------------------------------------------------------------- CNN
def make_net(channels=(16, 16, 32, 32, 64), dense=(300, 150), dropout=0.5):
    import torch
    from torch import nn

    class MusicEmotionCNN(nn.Module):
        """Five 3x3 conv + BN + ReLU, 2x2 max-pool after every two (and after the fifth)."""

        def __init__(self):
            super().__init__()
            layers, cin = [], 1
            for i, c in enumerate(channels):
                layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
                if i % 2 == 1 or i == len(channels) - 1:
                    layers.append(nn.MaxPool2d(2))
                cin = c
            self.features = nn.Sequential(*layers)
            with torch.no_grad():
                n = self.features(torch.zeros(1, 1, me.N_BINS, me.SEGMENT_FRAMES)).numel()
            self.trunk = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(n, dense[0]),
                                       nn.ReLU(), nn.Dropout(dropout),
                                       nn.Linear(dense[0], dense[1]), nn.ReLU(),
                                       nn.Dropout(dropout))
            self.cls = nn.Linear(dense[1], len(CLASSES))
            self.va = nn.Linear(dense[1], 2)

        def forward(self, x):
            h = self.trunk(self.features(x))
            return self.cls(h), torch.tanh(self.va(h))

    return MusicEmotionCNN()


class ExportWrapper:
    @staticmethod
    def wrap(net):
        import torch
        from torch import nn

        class Wrapped(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = net

            def forward(self, x):
                logits, va = self.net(x)
                return torch.softmax(logits, dim=1), va

        return Wrapped()


def train_cnn(cqts, y, va, train_idx, args, seed, log_prefix=""):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = make_net(tuple(args.channels))
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=1e-4)
    counts = np.bincount(y[train_idx], minlength=len(CLASSES)).astype(np.float64)
    weights = torch.tensor(counts.sum() / (len(CLASSES) * np.maximum(counts, 1)),
                           dtype=torch.float32)
    ce = nn.CrossEntropyLoss(weight=weights, label_smoothing=0.1)
    total_steps = args.epochs * int(np.ceil(len(train_idx) * args.crops / args.batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total_steps)
    for epoch in range(args.epochs):
        net.train()
        t0 = time.time()
        # random crops every epoch: each track gives `crops` 2-second windows anywhere in it
        tracks = np.repeat(train_idx, args.crops)
        rng.shuffle(tracks)
        losses = []
        for b in range(0, len(tracks), args.batch):
            idx = tracks[b:b + args.batch]
            starts = [rng.integers(0, cqts[i].shape[1] - me.SEGMENT_FRAMES + 1) for i in idx]
            x = np.stack([me.normalize_segment(cqts[i][:, s:s + me.SEGMENT_FRAMES])
                          for i, s in zip(idx, starts, strict=True)])[:, None]
            # augmentation: small pitch shift (roll by up to one bin) keeps emotion
            shift = rng.integers(-1, 2)
            if shift:
                x = np.roll(x, shift, axis=2)
            logits, vhat = net(torch.from_numpy(x))
            loss = ce(logits, torch.from_numpy(y[idx]).long()) + args.va_weight * \
                nn.functional.mse_loss(vhat, torch.from_numpy(va[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        print(f"  {log_prefix}epoch {epoch + 1}/{args.epochs} loss {np.mean(losses):.3f} "
              f"{time.time() - t0:.0f}s", flush=True)
    return net


def predict_cnn(net, cqts, idx):
    import torch

    net.eval()
    seg_probs, seg_va, seg_track = [], [], []
    with torch.no_grad():
        for i in idx:
            starts = eval_starts(cqts[i].shape[1])
            x = torch.from_numpy(me.segment_batch(cqts[i], starts))
            logits, vhat = net(x)
            seg_probs.append(torch.softmax(logits, 1).numpy())
            seg_va.append(vhat.numpy())
            seg_track += [i] * len(starts)
    return np.concatenate(seg_probs), np.concatenate(seg_va), np.array(seg_track)


# ---------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" /
                    "music-emotion" / "emotify")
    ap.add_argument("--out", type=Path, default=REPO / "models")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "scorer-training" /
                    "music_emotion")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--crops", type=int, default=5, help="random 2-s crops per track per epoch")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--va-weight", type=float, default=1.0)
    ap.add_argument("--channels", type=int, nargs=5, default=[8, 8, 16, 16, 32])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-final", action="store_true")
    args = ap.parse_args()

    import torch
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    torch.set_num_threads(1)
    t_start = time.time()
    ids, genres, shares, scores, y, va = load_labels(args.data)
    print("classes:", {c: int((y == k).sum()) for k, c in enumerate(CLASSES)}, flush=True)
    cqts, feats = build_cache(args.data, ids, args.cache)
    print(f"cache ready {time.time() - t_start:.0f}s", flush=True)
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
                 .split(np.zeros(len(y)), y))

    # ---- feature baseline on the same folds (segment level, then track vote)
    seg_starts = [eval_starts(c.shape[1]) for c in cqts]
    segx = [segment_features(f, s) for f, s in zip(feats, seg_starts, strict=True)]
    base = {"seg_true": [], "seg_pred": [], "trk_true": [], "trk_pred": [], "va_true": [],
            "va_pred": [], "seg_va_true": [], "seg_va_pred": []}
    for tr, te in folds:
        xtr = np.concatenate([segx[i] for i in tr])
        ytr = np.concatenate([[y[i]] * len(segx[i]) for i in tr])
        vtr = np.concatenate([[va[i]] * len(segx[i]) for i in tr])
        svm = make_pipeline(StandardScaler(), SVC(C=1.0, gamma="scale", class_weight="balanced",
                                                  random_state=0))
        svm.fit(xtr, ytr)
        knn = make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=25,
                                                                  weights="distance"))
        knn.fit(xtr, vtr)
        for i in te:
            dec = svm.decision_function(segx[i])
            pred = dec.argmax(1)
            base["seg_true"] += [int(y[i])] * len(pred)
            base["seg_pred"] += pred.tolist()
            base["trk_true"].append(int(y[i]))
            base["trk_pred"].append(int(dec.mean(0).argmax()))
            vp = knn.predict(segx[i])
            base["seg_va_true"] += [va[i]] * len(vp)
            base["seg_va_pred"] += list(vp)
            base["va_true"].append(va[i])
            base["va_pred"].append(vp.mean(0))
    baseline = {
        "segment": metrics(base["seg_true"], base["seg_pred"]),
        "track": metrics(base["trk_true"], base["trk_pred"]),
        "va_knn_segment": va_metrics(np.array(base["seg_va_true"]), np.array(base["seg_va_pred"])),
        "va_knn_track": va_metrics(np.array(base["va_true"]), np.array(base["va_pred"])),
    }
    print("baseline:", json.dumps({k: (v.get("accuracy"), v.get("macro_f1"))
                                   for k, v in baseline.items() if "accuracy" in v}), flush=True)

    # ---- CNN cross-validation (resumable per fold)
    args.cache.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(json.dumps({k: str(v) for k, v in sorted(vars(args).items())
                                   if k not in ("skip_final", "out")}).encode()).hexdigest()[:8]
    cv = {"seg_true": [], "seg_probs": [], "seg_va": [], "seg_va_true": [], "trk_true": [],
          "trk_probs": [], "trk_va": [], "trk_va_true": []}
    for f, (tr, te) in enumerate(folds):
        done = args.cache / f"cv_{tag}_fold{f}.npz"
        if not done.exists():
            t0 = time.time()
            net = train_cnn(cqts, y, va, tr, args, args.seed + f, log_prefix=f"fold {f + 1} ")
            probs, vhat, owner = predict_cnn(net, cqts, te)
            np.savez(done, probs=probs, vhat=vhat, owner=owner)
            print(f"fold {f + 1} done {time.time() - t0:.0f}s", flush=True)
        z = np.load(done)
        probs, vhat, owner = z["probs"], z["vhat"], z["owner"]
        cv["seg_true"] += y[owner].tolist()
        cv["seg_probs"].append(probs)
        cv["seg_va"].append(vhat)
        cv["seg_va_true"].append(va[owner])
        for i in te:
            m = owner == i
            cv["trk_true"].append(int(y[i]))
            cv["trk_probs"].append(probs[m].mean(0))
            cv["trk_va"].append(vhat[m].mean(0))
            cv["trk_va_true"].append(va[i])
    seg_probs = np.concatenate(cv["seg_probs"])
    trk_probs = np.array(cv["trk_probs"])

    def circ(p):
        v, a = circumplex.project_probs(CLASSES, p)
        return np.stack([v, a], 1)

    cnn = {
        "segment": metrics(cv["seg_true"], seg_probs.argmax(1).tolist()),
        "track": metrics(cv["trk_true"], trk_probs.argmax(1).tolist()),
        "va_head_segment": va_metrics(np.concatenate(cv["seg_va_true"]),
                                      np.concatenate(cv["seg_va"])),
        "va_head_track": va_metrics(np.array(cv["trk_va_true"]), np.array(cv["trk_va"])),
        "va_circumplex_segment": va_metrics(np.concatenate(cv["seg_va_true"]), circ(seg_probs)),
        "va_circumplex_track": va_metrics(np.array(cv["trk_va_true"]), circ(trk_probs)),
    }
    counts = np.bincount(y, minlength=len(CLASSES))
    chance = {"uniform_accuracy": 1 / len(CLASSES),
              "majority_accuracy": float(counts.max() / counts.sum()),
              "prior_guess_accuracy": float(((counts / counts.sum()) ** 2).sum()),
              "uniform_macro_f1_expected": 0.25}
    print("cnn:", json.dumps({k: (v.get("accuracy"), v.get("macro_f1"))
                              for k, v in cnn.items() if "accuracy" in v}), flush=True)

    report = {"classes": list(CLASSES), "gems": list(GEMS),
              "gems_to_class": gems_to_class_matrix().tolist(),
              "class_counts": counts.tolist(), "chance": chance, "cnn_cv": cnn,
              "baseline_cv": baseline, "args": {k: str(v) for k, v in vars(args).items()},
              "folds": args.folds, "cv_seconds": time.time() - t_start}

    # ---- final model on all tracks, ONNX export
    if not args.skip_final:
        t0 = time.time()
        held = set(ordering_test_tracks(ids, shares))
        report["final_held_out_tracks"] = sorted(held)
        final_idx = np.array([i for i, t in enumerate(ids) if t not in held])
        net = train_cnn(cqts, y, va, final_idx, args, args.seed + 100, "final ")
        net.eval()
        wrapped = ExportWrapper.wrap(net).eval()
        onnx_path = args.out / "music_emotion.onnx"
        dummy = torch.zeros(2, 1, me.N_BINS, me.SEGMENT_FRAMES)
        torch.onnx.export(wrapped, (dummy,), str(onnx_path), input_names=["cqt"],
                          output_names=["probs", "va"], opset_version=17,
                          dynamic_axes={"cqt": {0: "n"}, "probs": {0: "n"}, "va": {0: "n"}},
                          dynamo=False)
        import onnx

        model = onnx.load(str(onnx_path))  # fold any external data into one file
        onnx.save_model(model, str(onnx_path), save_as_external_data=False)
        digest = hashlib.sha256(onnx_path.read_bytes()).hexdigest()
        (args.out / "music_emotion.onnx.sha256").write_text(f"{digest}  music_emotion.onnx\n")
        # check the export against torch on real segments
        import onnxruntime as ort

        x = me.segment_batch(cqts[0], eval_starts(cqts[0].shape[1]))
        sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        with torch.no_grad():
            ref = torch.softmax(net(torch.from_numpy(x))[0], 1).numpy()
        diff = float(np.abs(sess.run(["probs"], {"cqt": x})[0] - ref).max())
        print(f"final model {time.time() - t0:.0f}s; onnx max |diff| {diff:.2e}", flush=True)
        report["final_seconds"] = time.time() - t0
        report["onnx_max_abs_diff"] = diff
        report["params"] = int(sum(p.numel() for p in net.parameters()))
    report["total_seconds"] = time.time() - t_start
    (args.cache / "metrics.json").write_text(json.dumps(report, indent=1))
    print(f"metrics -> {args.cache / 'metrics.json'}; total {time.time() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
