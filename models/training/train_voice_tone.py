"""Train and measure the voice-tone head on Whisper-encoder features (models/voice_tone.onnx).

Input: the features ``voice_tone_data.py`` wrote (every Whisper base encoder layer's mean and
standard deviation over a speech chunk; clean, music-under, degraded and 4Q-music-at-10-dB
versions of every RAVDESS and EMOVO recording).

The head is linear on standardised features, trained on the clean, music-under and degraded
versions together (film sound):
- classes: multinomial logistic regression over the eight RAVDESS labels (EMOVO has no
  "calm"), temperature-scaled on out-of-fold predictions;
- valence and arousal: two logistic "sign heads" (positive valence, neutral left out; high
  arousal), temperature-scaled, exported as ``2p - 1``; the earlier ridge regression on each
  label's circumplex point (:data:`scorer.affect.circumplex.CIRCUMPLEX`; RAVDESS normal
  intensity at 0.6 of it) is still fitted and reported, and ships instead only if it gets more
  signs right out of fold on RAVDESS (EMOVO plays no part in that choice);
- confidence: a logistic (Platt) map from the size of the arousal output to the out-of-fold
  chance that its sign is right, so it falls when the voice is buried and the output shrinks.

Every figure is held out by actor. Regularisation is chosen inside each outer fold on a
validation group of its training actors, never on the fold's test actors. Baselines in the same
run: the shipped CNN on log-mels (models/voice_emotion.onnx, trained on RAVDESS 1-20) on
RAVDESS 21-24, and the majority class.

    .venv/bin/python models/training/train_voice_tone.py [--features DIR] [--export]

Prints the card's tables and writes ``voice_tone_metrics.json`` beside the features; with
``--export`` writes models/voice_tone.onnx (trained on every recording) and its .sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.affect.circumplex import ALIASES, CIRCUMPLEX  # noqa: E402

LABELS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
TRAIN_VERSIONS = ("clean", "music", "degraded")
C_GRID = (0.001, 0.01)
ALPHA_GRID = (10.0, 100.0, 1000.0)
SIGN_C_GRID = (0.001, 0.01, 0.1)
COMPONENTS = 512
NORMAL_INTENSITY = 0.6


def va_target(label: str, filename: str) -> tuple[float, float]:
    v, a = CIRCUMPLEX[ALIASES.get(label, label)]
    parts = Path(filename).stem.split("-")
    # RAVDESS names its intensity (01 normal, 02 strong); EMOVO does not
    scale = NORMAL_INTENSITY if len(parts) == 7 and parts[3] == "01" else 1.0
    return v * scale, a * scale


def high_arousal(label: str) -> bool:
    return CIRCUMPLEX[ALIASES.get(label, label)][1] > 0


def valence_sign(label: str) -> int:
    """+1 positive, -1 negative, 0 for neutral (no valence sign to learn or score)."""
    return int(np.sign(CIRCUMPLEX[ALIASES.get(label, label)][0]))


class Head:
    """Standardiser + PCA + class logistic regression + V/A ridge, fitted on given rows.

    All of it is linear up to the softmax, so it folds into one matrix per output on export.
    """

    def __init__(self, c: float, alpha: float, sign_c: float = 0.01):
        self.c, self.alpha, self.sign_c = c, alpha, sign_c
        self.sign_temperature = (1.0, 1.0)

    def fit(self, x: np.ndarray, y: np.ndarray, va: np.ndarray) -> Head:
        from sklearn.decomposition import PCA
        from sklearn.linear_model import LogisticRegression, Ridge

        self.mean = x.mean(axis=0)
        self.std = x.std(axis=0) + 1e-6
        z = (x - self.mean) / self.std
        self.pca = PCA(COMPONENTS, svd_solver="randomized", random_state=15).fit(z)
        p = self.pca.transform(z)
        self.classes = LogisticRegression(C=self.c, max_iter=300, tol=1e-3).fit(p, y)
        self.va = Ridge(alpha=self.alpha).fit(p, va)
        self.signs = fit_signs(p, va, self.sign_c)
        return self

    def _project(self, x: np.ndarray) -> np.ndarray:
        return self.pca.transform((x - self.mean) / self.std)

    def logits(self, x: np.ndarray) -> np.ndarray:
        full = np.full((len(x), len(LABELS)), -30.0)
        full[:, self.classes.classes_] = self.classes.decision_function(self._project(x))
        return full

    def predict_va(self, x: np.ndarray) -> np.ndarray:
        """V/A as the ridge regression on circumplex points gives them."""
        return np.clip(self.va.predict(self._project(x)), -1, 1)

    def sign_logits(self, x: np.ndarray) -> np.ndarray:
        """Uncalibrated log-odds of positive valence and of high arousal."""
        p = self._project(x)
        return np.stack([m.decision_function(p) for m in self.signs], axis=1)

    def predict_signs(self, x: np.ndarray) -> np.ndarray:
        """V/A as 2p - 1 of the temperature-scaled sign probabilities (what ships)."""
        return np.tanh(self.sign_logits(x) / (2 * np.asarray(self.sign_temperature)))

    def folded(self) -> dict[str, np.ndarray]:
        """The head as affine maps on the standardised features (PCA folded in)."""
        basis = self.pca.components_.T  # [features, components]
        shift = self.pca.mean_ @ basis
        w_cls = np.zeros((basis.shape[0], len(LABELS)))
        b_cls = np.full(len(LABELS), -30.0)
        w_cls[:, self.classes.classes_] = basis @ self.classes.coef_.T
        b_cls[self.classes.classes_] = self.classes.intercept_ - shift @ self.classes.coef_.T
        coef = np.stack([m.coef_[0] for m in self.signs])  # [2, components]
        intercept = np.array([m.intercept_[0] for m in self.signs])
        return {"w_cls": w_cls, "b_cls": b_cls, "w_sign": basis @ coef.T,
                "b_sign": intercept - shift @ coef.T}


def fit_signs(p: np.ndarray, va: np.ndarray, c: float) -> list:
    """Logistic regressions for the valence sign (neutral rows left out) and the arousal sign."""
    from sklearn.linear_model import LogisticRegression

    models = []
    for axis in (0, 1):
        keep = va[:, axis] != 0 if axis == 0 else np.ones(len(va), bool)
        models.append(LogisticRegression(C=c, max_iter=500, tol=1e-4)
                      .fit(p[keep], va[keep, axis] > 0))
    return models


def load(path: Path):
    data = np.load(path)
    meta = {k: data[k] for k in ("filename", "corpus", "actor", "label")}
    feats = {k[2:]: data[k].astype(np.float32) for k in data.files if k.startswith("x_")}
    return feats, meta


def stack(feats, rows, versions):
    return np.concatenate([feats[v][rows] for v in versions])


def choose(feats, meta, y, va, train_rows, rng) -> tuple[float, float, float]:
    """C, alpha and the sign heads' C chosen on a validation third of the training actors."""
    actors = np.unique(meta["actor"][train_rows])
    val_actors = set(rng.choice(actors, size=max(1, len(actors) // 3), replace=False))
    is_val = np.array([a in val_actors for a in meta["actor"][train_rows]])
    fit_rows, val_rows = train_rows[~is_val], train_rows[is_val]
    xf = stack(feats, fit_rows, TRAIN_VERSIONS)
    yf = np.tile(y[fit_rows], len(TRAIN_VERSIONS))
    vaf = np.tile(va[fit_rows], (len(TRAIN_VERSIONS), 1))
    xv = stack(feats, val_rows, TRAIN_VERSIONS)
    yv = np.tile(y[val_rows], len(TRAIN_VERSIONS))
    vav = np.tile(va[val_rows], (len(TRAIN_VERSIONS), 1))
    heads = {c: Head(c, ALPHA_GRID[0]).fit(xf, yf, vaf) for c in C_GRID}
    best_c = max(C_GRID, key=lambda c: (heads[c].logits(xv).argmax(1) == yv).mean())
    from sklearn.linear_model import Ridge

    head = heads[best_c]
    pf, pv = head._project(xf), head._project(xv)
    best_alpha = max(ALPHA_GRID, key=lambda a: (np.sign(Ridge(alpha=a).fit(pf, vaf)
                                                        .predict(pv)[:, 1])
                                                 == np.sign(vav[:, 1])).mean())

    def sign_score(c: float) -> float:
        pred = np.stack([m.decision_function(pv) for m in fit_signs(pf, vaf, c)], axis=1)
        scored = vav[:, 0] != 0
        return (((pred[scored, 0] > 0) == (vav[scored, 0] > 0)).mean()
                + ((pred[:, 1] > 0) == (vav[:, 1] > 0)).mean())

    best_sign_c = max(SIGN_C_GRID, key=sign_score)
    return best_c, best_alpha, best_sign_c


def out_of_fold(feats, meta, y, va, rows, folds, seed=15):
    """Held-out logits and V/A for ``rows`` (each actor predicted by a head that never saw it)."""
    rng = np.random.default_rng(seed)
    actors = np.unique(meta["actor"][rows])
    rng.shuffle(actors)
    groups = np.array_split(actors, folds)
    logits = {v: np.zeros((len(y), len(LABELS))) for v in feats}
    vas = {v: np.zeros((len(y), 2)) for v in feats}
    sign_logits = {v: np.zeros((len(y), 2)) for v in feats}
    chosen = []
    for test_actors in groups:
        test = rows[np.isin(meta["actor"][rows], test_actors)]
        train = rows[~np.isin(meta["actor"][rows], test_actors)]
        c, alpha, sign_c = choose(feats, meta, y, va, train, rng)
        chosen.append((c, alpha, sign_c))
        head = Head(c, alpha, sign_c).fit(stack(feats, train, TRAIN_VERSIONS),
                                          np.tile(y[train], len(TRAIN_VERSIONS)),
                                          np.tile(va[train], (len(TRAIN_VERSIONS), 1)))
        for v in feats:
            logits[v][test] = head.logits(feats[v][test])
            vas[v][test] = head.predict_va(feats[v][test])
            sign_logits[v][test] = head.sign_logits(feats[v][test])
        print(f"  fold {list(test_actors)}: C={c} alpha={alpha} sign C={sign_c} clean acc "
              f"{(logits['clean'][test].argmax(1) == y[test]).mean():.3f}", flush=True)
    return logits, vas, sign_logits, chosen


def fit_sign_temperature(z: np.ndarray, positive: np.ndarray) -> float:
    """Temperature for one binary log-odds column (negative log-likelihood, bounded search)."""
    from scipy.optimize import minimize_scalar

    def nll(t):
        return float(np.mean(np.logaddexp(0, -np.where(positive, 1, -1) * z / t)))

    return float(minimize_scalar(nll, bounds=(0.3, 10), method="bounded").x)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def nll(t):
        z = logits / t
        z = z - z.max(1, keepdims=True)
        return -np.mean(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(1)))

    return float(minimize_scalar(nll, bounds=(0.3, 10), method="bounded").x)


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (confidence > lo) & (confidence <= hi)
        if sel.any():
            total += sel.mean() * abs(confidence[sel].mean() - correct[sel].mean())
    return float(total)


def confusion(y, pred, labels=LABELS) -> list[list[int]]:
    m = np.zeros((len(labels), len(labels)), int)
    for t, p in zip(y, pred, strict=True):
        m[t, p] += 1
    return m.tolist()


def arousal_acc(va_pred: np.ndarray, labels: np.ndarray) -> float:
    truth = np.array([high_arousal(lab) for lab in labels])
    return float(((va_pred[:, 1] > 0) == truth).mean())


def valence_acc(va_pred: np.ndarray, labels: np.ndarray) -> float:
    """Valence-sign accuracy over the recordings whose label has a sign (neutral left out)."""
    truth = np.array([valence_sign(lab) for lab in labels])
    scored = truth != 0
    return float((np.where(va_pred[scored, 0] > 0, 1, -1) == truth[scored]).mean())


def cnn_baseline(meta, rows) -> dict:
    """The shipped log-mel CNN on the same recordings (clean), whole trimmed clips."""
    import librosa
    from voice_tone_data import read_audio, shared_data  # noqa: E402

    from scorer import models
    from scorer.affect.circumplex import project_probs
    from scorer.audio.features import log_mel, normalize

    sess = models.session("voice_emotion")
    root = shared_data() / "speech-emotion"
    probs = []
    for i in rows:
        corpus, name = meta["corpus"][i], meta["filename"][i]
        folder = root / corpus
        path = next(folder.glob(f"*/{name}"))
        y, _ = librosa.effects.trim(read_audio(path), top_db=35)
        x = normalize(log_mel(y))[None, None].astype(np.float32)
        z = sess.run(None, {"logmel": x})[0][0]
        p = np.exp(z - z.max())
        probs.append(p / p.sum())
    probs = np.array(probs)
    va = np.stack(project_probs(LABELS, probs), axis=1)
    return {"probs": probs, "va": va}


def export(head: Head, temperature: float, platt: tuple[float, float], target: Path,
           use_signs: bool = True) -> None:
    """Write the folded head as an ONNX graph (V/A from the sign heads or from the ridge)."""
    from onnx import TensorProto, helper, numpy_helper

    f = head.folded()
    if use_signs:
        # 2 sigmoid(z / T) - 1 = tanh(z / 2T): fold 1 / 2T into the weights, Tanh squashes
        scale = 1 / (2 * np.asarray(head.sign_temperature))
        w_va, b_va, squash = f["w_sign"] * scale, f["b_sign"] * scale, "Tanh"
    else:
        basis = head.pca.components_.T
        shift = head.pca.mean_ @ basis
        w_va = basis @ head.va.coef_.T
        b_va, squash = head.va.intercept_ - shift @ head.va.coef_.T, "Clip"
    inits = [numpy_helper.from_array(np.asarray(a, np.float32), n) for a, n in (
        (head.mean, "mean"), (head.std, "std"), (f["w_cls"] / temperature, "w_cls"),
        (f["b_cls"] / temperature, "b_cls"), (w_va, "w_va"), (b_va, "b_va"),
        (np.array([platt[0]], np.float32), "platt_a"),
        (np.array([platt[1]], np.float32), "platt_b"))]
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "arousal_index"))
    if squash == "Clip":
        inits += [numpy_helper.from_array(np.array([-1.0], np.float32), "lo"),
                  numpy_helper.from_array(np.array([1.0], np.float32), "hi")]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "std"], ["z"]),
        helper.make_node("MatMul", ["z", "w_cls"], ["cls_mm"]),
        helper.make_node("Add", ["cls_mm", "b_cls"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["z", "w_va"], ["va_mm"]),
        helper.make_node("Add", ["va_mm", "b_va"], ["va_raw"]),
        (helper.make_node("Tanh", ["va_raw"], ["va"]) if squash == "Tanh"
         else helper.make_node("Clip", ["va_raw", "lo", "hi"], ["va"])),
        helper.make_node("Gather", ["va", "arousal_index"], ["arousal"], axis=1),
        helper.make_node("Abs", ["arousal"], ["size"]),
        helper.make_node("Mul", ["size", "platt_a"], ["scaled"]),
        helper.make_node("Add", ["scaled", "platt_b"], ["shifted"]),
        helper.make_node("Sigmoid", ["shifted"], ["confidence"]),
    ]
    n = head.mean.size
    graph = helper.make_graph(
        nodes, "voice_tone", [helper.make_tensor_value_info("features", TensorProto.FLOAT,
                                                            ["batch", n])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", len(LABELS)]),
         helper.make_tensor_value_info("va", TensorProto.FLOAT, ["batch", 2]),
         helper.make_tensor_value_info("confidence", TensorProto.FLOAT, ["batch", 1])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="models/training/train_voice_tone.py")
    model.ir_version = 8
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(model.SerializeToString())
    os.replace(tmp, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    target.with_suffix(".onnx.sha256").write_text(f"{digest}  {target.name}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--features", type=Path,
                        default=Path(os.environ.get("SCORER_TRAIN_DIR", "/tmp/scorer-train"))
                        / "voice_tone")
    parser.add_argument("--export", action="store_true")
    args = parser.parse_args()
    feats, meta = load(args.features / "voice_tone_features.npz")
    y = np.array([LABELS.index(lab) for lab in meta["label"]])
    va = np.array([va_target(lab, f)
                   for lab, f in zip(meta["label"], meta["filename"], strict=True)])
    rav = np.flatnonzero(meta["corpus"] == "ravdess")
    emo = np.flatnonzero(meta["corpus"] == "emovo")
    actor_number = np.array([int(a[7:]) if a.startswith("ravdess") else 0
                             for a in meta["actor"]])
    results = {}
    rng = np.random.default_rng(15)

    def record(prefix, head_logits, head_va, rows, head_signs=None):
        for v in feats:
            labels = meta["label"][rows]
            results[f"{prefix}/{v}"] = {
                "accuracy": float((head_logits[v][rows].argmax(1) == y[rows]).mean()),
                "arousal_sign": arousal_acc(head_va[v][rows], labels),
                "valence_sign": valence_acc(head_va[v][rows], labels)}
            if head_signs is not None:
                results[f"{prefix}/{v}"].update(
                    arousal_sign_head=arousal_acc(head_signs[v][rows], labels),
                    valence_sign_head=valence_acc(head_signs[v][rows], labels))
        results[f"{prefix}/confusion_clean"] = confusion(y[rows],
                                                         head_logits["clean"][rows].argmax(1))

    print("A. RAVDESS only, 6 folds of 4 actors (the 8-class figure)", flush=True)
    logits_r, vas_r, signs_r, chosen_r = out_of_fold(feats, meta, y, va, rav, folds=6)
    record("ravdess_cv", logits_r, vas_r, rav, signs_r)
    results["ravdess_cv/chosen"] = chosen_r
    t = fit_temperature(logits_r["clean"][rav], y[rav])
    results["temperature"] = t
    # sign heads: temperature per axis on the out-of-fold log-odds of the training versions
    sign_t = []
    for axis in (0, 1):
        z = np.concatenate([signs_r[v][rav, axis] for v in TRAIN_VERSIONS])
        truth = np.tile(va[rav, axis], len(TRAIN_VERSIONS))
        scored = truth != 0 if axis == 0 else np.ones(len(truth), bool)
        sign_t.append(fit_sign_temperature(z[scored], truth[scored] > 0))
    results["sign_temperature"] = sign_t
    signs_r = {v: np.tanh(signs_r[v] / (2 * np.array(sign_t))) for v in feats}
    # V/A that ships: the sign heads' or the ridge's, whichever gets more signs right out of
    # fold on RAVDESS's training versions (valence + arousal); the other corpus plays no part
    def sign_total(values):
        return sum(valence_acc(values[v][rav], meta["label"][rav])
                   + arousal_acc(values[v][rav], meta["label"][rav]) for v in TRAIN_VERSIONS)

    use_signs = sign_total(signs_r) >= sign_total(vas_r)
    results["va_from"] = "sign heads" if use_signs else "ridge on circumplex points"
    print("V/A from", results["va_from"], flush=True)
    if use_signs:
        vas_r = signs_r
    # confidence: Platt map from |arousal| to "arousal sign right", fitted out of fold on the
    # training versions (clean, music under, degraded)
    from sklearn.linear_model import LogisticRegression

    high = np.array([high_arousal(lab) for lab in meta["label"][rav]])
    size = np.concatenate([np.abs(vas_r[v][rav, 1]) for v in TRAIN_VERSIONS])
    right = np.concatenate([(vas_r[v][rav, 1] > 0) == high for v in TRAIN_VERSIONS])
    platt = LogisticRegression(C=100.0).fit(size[:, None], right)
    pa, pb = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    results["platt"] = (pa, pb)
    for v in feats:
        raw = np.abs(vas_r[v][rav, 1])  # the uncalibrated claim: the size of the reading
        conf = 1 / (1 + np.exp(-(pa * np.abs(vas_r[v][rav, 1]) + pb)))
        ok = (vas_r[v][rav, 1] > 0) == high
        probs = np.exp(logits_r[v][rav] / t)
        probs /= probs.sum(1, keepdims=True)
        raw_probs = np.exp(logits_r[v][rav] - logits_r[v][rav].max(1, keepdims=True))
        raw_probs /= raw_probs.sum(1, keepdims=True)
        cls_ok = logits_r[v][rav].argmax(1) == y[rav]
        results[f"confidence/{v}"] = {
            "mean": float(conf.mean()), "arousal_ece": ece(conf, ok),
            "arousal_ece_uncalibrated": ece(np.clip(raw, 0, 1), ok),
            "class_ece": ece(probs.max(1), cls_ok),
            "class_ece_uncalibrated": ece(raw_probs.max(1), cls_ok)}

    print("B. the shipped head: trained on RAVDESS 1-20, tested on 21-24 and all EMOVO",
          flush=True)
    train = rav[actor_number[rav] <= 20]
    test = rav[actor_number[rav] > 20]
    c, alpha, sign_c = choose(feats, meta, y, va, train, rng)
    shipped = Head(c, alpha, sign_c).fit(stack(feats, train, TRAIN_VERSIONS),
                                         np.tile(y[train], len(TRAIN_VERSIONS)),
                                         np.tile(va[train], (len(TRAIN_VERSIONS), 1)))
    shipped.sign_temperature = tuple(sign_t)
    results["shipped/chosen"] = (c, alpha, sign_c)
    logits_s = {v: shipped.logits(feats[v]) for v in feats}
    ridge_s = {v: shipped.predict_va(feats[v]) for v in feats}
    signs_s = {v: shipped.predict_signs(feats[v]) for v in feats}
    record("shipped/ravdess21-24", logits_s, ridge_s, test, signs_s)
    record("shipped/emovo", logits_s, ridge_s, emo, signs_s)

    print("C. the reverse direction: EMOVO only -> RAVDESS", flush=True)
    c, alpha, sign_c = choose(feats, meta, y, va, emo, rng)
    head = Head(c, alpha, sign_c).fit(stack(feats, emo, TRAIN_VERSIONS),
                                      np.tile(y[emo], len(TRAIN_VERSIONS)),
                                      np.tile(va[emo], (len(TRAIN_VERSIONS), 1)))
    record("emovo_to_ravdess", {v: head.logits(feats[v]) for v in feats},
           {v: head.predict_va(feats[v]) for v in feats}, rav,
           {v: head.predict_signs(feats[v]) for v in feats})

    print("D. baselines: the log-mel CNN (trained on RAVDESS 1-20) and the majority", flush=True)
    for name, rows in (("ravdess21-24", test), ("emovo", emo)):
        base = cnn_baseline(meta, rows)
        results[f"cnn/{name}"] = {
            "accuracy": float((base["probs"].argmax(1) == y[rows]).mean()),
            "arousal_sign": arousal_acc(base["va"], meta["label"][rows]),
            "valence_sign": valence_acc(base["va"], meta["label"][rows])}
    for name, rows in (("ravdess", rav), ("ravdess21-24", test), ("emovo", emo)):
        counts = np.bincount(y[rows], minlength=len(LABELS))
        share = np.mean([high_arousal(lab) for lab in meta["label"][rows]])
        signs = np.array([valence_sign(lab) for lab in meta["label"][rows]])
        positive = np.mean(signs[signs != 0] > 0)
        results[f"majority/{name}"] = {"accuracy": float(counts.max() / counts.sum()),
                                       "arousal_sign": float(max(share, 1 - share)),
                                       "valence_sign": float(max(positive, 1 - positive))}
    out = args.features / "voice_tone_metrics.json"
    out.write_text(json.dumps(results, indent=1))
    for key, value in results.items():
        print(key, value)
    if args.export:
        export(shipped, t, (pa, pb), REPO / "models" / "voice_tone.onnx", use_signs)
        print("wrote models/voice_tone.onnx")


if __name__ == "__main__":
    main()
