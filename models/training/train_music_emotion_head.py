"""Music emotion head on musicnn embeddings + tags, with the seed baselines on the same splits.

Usage (from the repository root; features cached by music_emotion_data.py):

    nice -n 10 .venv/bin/python models/training/train_music_emotion_head.py --out models

Data: 4Q (720 clips, quadrant labels; split by ARTIST) and Emotify (300 tracks, the card's
4 classes happiness/sadness/fear-threat/peacefulness from the GEMS shares; split by TRACK).
The four Emotify classes sit in the four quadrants of Russell's plane (happiness Q1,
fear/threat Q2, sadness Q3, peacefulness Q4), which is how the two sets meet: the head's
classes are the quadrants, named by those four words.

Input of the head, per 3-s patch: musicnn MSD embedding (200) + MTT embedding (200) + MSD tags
(50) + MTT tags (50). Head: standardisation, then three logistic regressions (quadrant,
softmax over 4; valence sign; arousal sign). Trained on patches, a clip's reading is the mean of
its patches' probabilities. Temperatures fitted on out-of-fold predictions calibrate them.

Every method reads the same 3-s excerpts of each clip (3 per 4Q clip, 4 per Emotify track:
``music_emotion_data.EXCERPTS``). Compared on the same folds (5-fold; GroupKFold by artist for
4Q, StratifiedKFold by track for Emotify): majority class, the seed-003 features (SVM
classifier + KNN regression, per excerpt, clip = mean), the shipped 2-s CQT CNN (seed 001;
trained on Emotify, so on Emotify it has seen the test tracks: an optimistic reference only)
and the musicnn heads (each set alone, pooled), then cross-dataset both ways. Writes
``music_emotion_head.onnx`` (+ .sha256) and a metrics JSON for the card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import music_emotion_data as med  # noqa: E402

QUADRANT_WORDS = ("happiness", "fear/threat", "sadness", "peacefulness")  # Q1..Q4
# Emotify class index (train_music_emotion.CLASSES order) -> quadrant index
EMOTIFY_TO_QUADRANT = {0: 0, 1: 2, 2: 1, 3: 3}  # happiness Q1, sadness Q3, fear Q2, peace Q4
N_FEATURES = 500


# ---------------------------------------------------------------- helpers
def signs_of(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valence sign (1 positive) and arousal sign (1 high) of quadrant indices."""
    q = np.asarray(q)
    return np.isin(q, (0, 3)).astype(int), np.isin(q, (0, 1)).astype(int)


def quad_metrics(q_true, q_prob) -> dict:
    """Quadrant accuracy and sign accuracies from quadrant probabilities."""
    q_true = np.asarray(q_true)
    q_prob = np.asarray(q_prob)
    vt, at = signs_of(q_true)
    pv = q_prob[:, 0] + q_prob[:, 3]
    pa = q_prob[:, 0] + q_prob[:, 1]
    return {
        "n": int(len(q_true)),
        "quadrant_acc": float((q_prob.argmax(1) == q_true).mean()),
        "valence_sign_acc": float(((pv > 0.5) == vt).mean()),
        "arousal_sign_acc": float(((pa > 0.5) == at).mean()),
    }


def sign_metrics(q_true, pv, pa) -> dict:
    vt, at = signs_of(q_true)
    return {
        "valence_sign_acc": float(((np.asarray(pv) > 0.5) == vt).mean()),
        "arousal_sign_acc": float(((np.asarray(pa) > 0.5) == at).mean()),
    }


def ece(prob: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of the top-class confidence."""
    conf = prob.max(1)
    hit = prob.argmax(1) == y
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            total += m.mean() * abs(conf[m].mean() - hit[m].mean())
    return float(total)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of softmax(logits / T)."""
    best, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(4.0), 81)):
        z = logits / t
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        nll = -logp[np.arange(len(y)), y].mean()
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


# ---------------------------------------------------------------- the head
class Head:
    """Standardisation + logistic regressions for quadrant, valence sign, arousal sign."""

    def __init__(self, c: float = 0.01, features: slice = slice(0, N_FEATURES)):
        self.c = c
        self.features = features
        self.t_quadrant = self.t_valence = self.t_arousal = 1.0

    def fit(self, x: np.ndarray, q: np.ndarray, weight: np.ndarray | None = None) -> Head:
        from sklearn.linear_model import LogisticRegression

        x = x[:, self.features]
        self.mean = x.mean(0)
        self.scale = x.std(0) + 1e-6
        z = (x - self.mean) / self.scale
        self.quadrant = LogisticRegression(C=self.c, max_iter=2000).fit(z, q, sample_weight=weight)
        v, a = signs_of(q)
        self.valence = LogisticRegression(C=self.c, max_iter=2000).fit(z, v, sample_weight=weight)
        self.arousal = LogisticRegression(C=self.c, max_iter=2000).fit(z, a, sample_weight=weight)
        return self

    def logits(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = (x[:, self.features] - self.mean) / self.scale
        return (
            self.quadrant.decision_function(z),
            self.valence.decision_function(z),
            self.arousal.decision_function(z),
        )

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lq, lv, la = self.logits(x)
        return (
            softmax(lq / self.t_quadrant),
            sigmoid(lv / self.t_valence),
            sigmoid(la / self.t_arousal),
        )


def clip_mean(values: np.ndarray, owner: np.ndarray, clips: np.ndarray) -> np.ndarray:
    return np.stack([values[owner == c].mean(0) for c in clips])


# ---------------------------------------------------------------- data
def patch_table(feats: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate(feats).astype(np.float32)
    owner = np.concatenate([[i] * len(f) for i, f in enumerate(feats)])
    return x, owner


def folds_4q(ds: dict, k: int, seed: int):
    from sklearn.model_selection import GroupKFold

    # GroupKFold with shuffled group order (sklearn >= 1.6 has shuffle); fall back to plain
    try:
        gkf = GroupKFold(k, shuffle=True, random_state=seed)
    except TypeError:
        gkf = GroupKFold(k)
    return list(gkf.split(np.zeros(len(ds["ids"])), ds["quadrant"], ds["group"]))


def folds_emotify(ds: dict, k: int, seed: int):
    from sklearn.model_selection import StratifiedKFold

    return list(
        StratifiedKFold(k, shuffle=True, random_state=seed).split(
            np.zeros(len(ds["ids"])), ds["classes"]
        )
    )


# ---------------------------------------------------------------- baselines
def seed003_fold(segx, y_clip, va_clip, tr, te):
    """SVM class decision (track mean) and KNN V/A regression (track mean) for test clips."""
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    xtr = np.concatenate([segx[i] for i in tr])
    ytr = np.concatenate([[y_clip[i]] * len(segx[i]) for i in tr])
    vtr = np.concatenate([[va_clip[i]] * len(segx[i]) for i in tr])
    svm = make_pipeline(
        StandardScaler(), SVC(C=1.0, gamma="scale", class_weight="balanced", random_state=0)
    ).fit(xtr, ytr)
    knn = make_pipeline(
        StandardScaler(), KNeighborsRegressor(n_neighbors=25, weights="distance")
    ).fit(xtr, vtr)
    pred = np.array([svm.decision_function(segx[i]).mean(0).argmax() for i in te])
    va = np.array([knn.predict(segx[i]).mean(0) for i in te])
    return pred, va


def majority_cv(y, folds) -> dict:
    """Majority class/sign of each training fold, scored on its test fold."""
    hits_q, hits_v, hits_a = [], [], []
    for tr, te in folds:
        m = np.bincount(y[tr], minlength=4).argmax()
        vt, at = signs_of(y[tr])
        hits_q += list(y[te] == m)
        vte, ate = signs_of(y[te])
        hits_v += list(vte == (vt.mean() > 0.5))
        hits_a += list(ate == (at.mean() > 0.5))
    return {
        "quadrant_acc": float(np.mean(hits_q)),
        "valence_sign_acc": float(np.mean(hits_v)),
        "arousal_sign_acc": float(np.mean(hits_a)),
    }


def baselines(q4, em, y4, ye, folds4, foldse, cache: Path) -> dict:
    """The seed baselines on the same folds and excerpts: the shipped CQT CNN, seed-003.

    Each runs where its cached features exist (music_emotion_data.py computes them).
    """
    res: dict = {}

    def complete(ds, kind) -> bool:  # a partial cache (extraction still running) is skipped
        path = cache / f"{ds['name']}_{kind}_x{med.EXCERPTS[ds['name']]}.npz"
        return path.exists() and len(np.load(path).files) == len(ds["ids"])

    have = {
        (ds["name"], kind): complete(ds, kind) for ds in (q4, em) for kind in ("cqt", "seed003")
    }
    f4 = med.cache_features(q4, cache, tuple(k for k in ("cqt", "seed003") if have["4q", k]))
    fe = med.cache_features(em, cache, tuple(k for k in ("cqt", "seed003") if have["emotify", k]))
    # the shipped CNN: class order happiness, sadness, fear/threat, peacefulness
    order = [0, 2, 1, 3]  # to quadrant order Q1 happiness, Q2 fear, Q3 sadness, Q4 peace
    if "cqt" in f4:
        p4 = np.stack([c.mean(0) for c in f4["cqt"]])[:, order]
        res["4q/cqt_cnn_shipped(trained on Emotify)"] = quad_metrics(y4, p4)
        res["cross/emotify->4q/cqt_cnn_shipped"] = res["4q/cqt_cnn_shipped(trained on Emotify)"]
    if "cqt" in fe:
        pe = np.stack([c.mean(0) for c in fe["cqt"]])[:, order]
        res["emotify/cqt_cnn_shipped(saw 294 of 300 tracks: optimistic)"] = quad_metrics(ye, pe)
    s4, se = f4.get("seed003"), fe.get("seed003")
    for name, segx, y, folds in (("4q", s4, y4, folds4), ("emotify", se, ye, foldse)):
        if segx is None:
            continue
        vsign, asign = signs_of(y)
        target = np.stack([2 * vsign - 1, 2 * asign - 1], 1).astype(np.float32)
        pred, va = np.zeros(len(y), int), np.zeros((len(y), 2))
        for tr, te in folds:
            p, v = seed003_fold(segx, y, target, tr, te)
            pred[te], va[te] = p, v
        res[f"{name}/seed003_svm+knn"] = {
            "quadrant_acc": float((pred == y).mean()),
            "valence_sign_acc_knn": float(((va[:, 0] > 0) == vsign).mean()),
            "arousal_sign_acc_knn": float(((va[:, 1] > 0) == asign).mean()),
            **{
                f"{k}_svm": v
                for k, v in sign_metrics(
                    y, np.isin(pred, (0, 3)).astype(float), np.isin(pred, (0, 1)).astype(float)
                ).items()
            },
        }
        print(name, "seed003", json.dumps(res[f"{name}/seed003_svm+knn"]), flush=True)
    # cross-dataset for the seed-003 SVM too
    for tag, (sa, ya), (sb, yb) in (
        ()
        if s4 is None or se is None
        else (
            ("4q->emotify", (s4, y4), (se, ye)),
            ("emotify->4q", (se, ye), (s4, y4)),
        )
    ):
        allx = sa + sb
        ally = np.concatenate([ya, yb])
        tr, te = np.arange(len(ya)), np.arange(len(ya), len(ya) + len(yb))
        p, _ = seed003_fold(allx, ally, np.zeros((len(ally), 2)), tr, te)
        res[f"cross/{tag}/seed003_svm"] = {"quadrant_acc": float((p == yb).mean())}
    res["cross/4q->emotify/cqt_cnn_shipped"] = {"note": "not applicable: trained on Emotify"}
    return res


# ---------------------------------------------------------------- ONNX export
def export_onnx(head: Head, path: Path) -> None:
    """Write the head as an ONNX graph: standardise, three linear maps, softmax/sigmoid.

    Input ``features`` (n, 500); outputs ``probs`` (n, 4) quadrant probabilities (Q1..Q4),
    ``va`` (n, 2) valence and arousal in -1..1 (2 p - 1 of the calibrated sign
    probabilities).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    wq = head.quadrant.coef_.T / head.t_quadrant
    bq = head.quadrant.intercept_ / head.t_quadrant
    wva = np.concatenate(
        [head.valence.coef_.T / head.t_valence, head.arousal.coef_.T / head.t_arousal], 1
    )
    bva = np.concatenate(
        [head.valence.intercept_ / head.t_valence, head.arousal.intercept_ / head.t_arousal]
    )
    inits = [
        numpy_helper.from_array(np.asarray(a, np.float32), n)
        for a, n in (
            (head.mean, "mean"),
            (head.scale, "scale"),
            (wq, "wq"),
            (bq, "bq"),
            (wva, "wva"),
            (bva, "bva"),
            (np.float32(2.0), "two"),
            (np.float32(1.0), "one"),
        )
    ]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["z"]),
        helper.make_node("MatMul", ["z", "wq"], ["zq"]),
        helper.make_node("Add", ["zq", "bq"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        helper.make_node("MatMul", ["z", "wva"], ["zva"]),
        helper.make_node("Add", ["zva", "bva"], ["lva"]),
        helper.make_node("Sigmoid", ["lva"], ["pva"]),
        helper.make_node("Mul", ["pva", "two"], ["pva2"]),
        helper.make_node("Sub", ["pva2", "one"], ["va"]),
    ]
    graph = helper.make_graph(
        nodes,
        "music_emotion_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", N_FEATURES])],
        [
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["n", 4]),
            helper.make_tensor_value_info("va", TensorProto.FLOAT, ["n", 2]),
        ],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="scorer train_music_emotion_head",
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_suffix(".onnx.sha256").write_text(f"{digest}  {path.name}\n")


# ---------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "models")
    ap.add_argument("--cache", type=Path, default=med.CACHE)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--c", type=float, nargs="+", default=[0.003, 0.01, 0.03])
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument(
        "--ship",
        choices=("4q", "pooled"),
        default="4q",
        help="training set of the exported head: 4Q alone (default: the one that "
        "meets the 4Q floors on held-out artists) or 4Q + Emotify",
    )
    ap.add_argument(
        "--settings",
        nargs="+",
        default=["4q", "emotify", "4q+emotify->4q", "4q+emotify->emotify"],
        help="cross-validated settings to run (each takes minutes here)",
    )
    ap.add_argument(
        "--baselines-only",
        action="store_true",
        help="only the baselines (majority, CQT CNN, seed-003) on the same folds, "
        "written to baseline_metrics.json",
    )
    args = ap.parse_args()
    t0 = time.time()

    q4, em = med.load_4q(), med.load_emotify()
    if args.baselines_only:
        y4 = q4["quadrant"]
        ye = np.array([EMOTIFY_TO_QUADRANT[int(c)] for c in em["classes"]])
        folds4 = folds_4q(q4, args.folds, args.seed)
        foldse = folds_emotify(em, args.folds, args.seed)
        res = baselines(q4, em, y4, ye, folds4, foldse, args.cache)
        res["4q/majority"] = majority_cv(y4, folds4)
        res["emotify/majority"] = majority_cv(ye, foldse)
        (args.cache / "baseline_metrics.json").write_text(json.dumps(res, indent=1))
        print(json.dumps(res, indent=1))
        return 0
    f4 = med.cache_features(q4, args.cache, ("musicnn",))
    fe = med.cache_features(em, args.cache, ("musicnn",))
    x4, o4 = patch_table(f4["musicnn"])
    xe, oe = patch_table(fe["musicnn"])
    y4 = q4["quadrant"]
    ye = np.array([EMOTIFY_TO_QUADRANT[int(c)] for c in em["classes"]])  # quadrant-coded
    folds4, foldse = folds_4q(q4, args.folds, args.seed), folds_emotify(em, args.folds, args.seed)
    report: dict = {
        "n_4q": len(y4),
        "n_emotify": len(ye),
        "folds": args.folds,
        "quadrant_words": QUADRANT_WORDS,
        "results": {},
    }
    res = report["results"]

    res["4q/majority"] = majority_cv(y4, folds4)
    res["emotify/majority"] = majority_cv(ye, foldse)

    # ---- musicnn heads, per set, all C; out-of-fold probabilities kept for calibration
    def cv_head(x, owner, y, folds, c, extra=None):
        """Out-of-fold clip probs; ``extra`` = (x, owner, y) added to every training fold."""
        n = len(y)
        pq, pv, pa = np.zeros((n, 4)), np.zeros(n), np.zeros(n)
        lq, lv, la, lab = [], [], [], []
        for tr, te in folds:
            m = np.isin(owner, tr)
            xt, yt = x[m], y[owner[m]]
            w = np.ones(len(yt))
            if extra is not None:
                ex, eo, ey = extra
                xt = np.concatenate([xt, ex])
                yt = np.concatenate([yt, ey[eo]])
                w = np.concatenate([w, np.ones(len(eo))])
            head = Head(c).fit(xt, yt, w)
            mt = np.isin(owner, te)
            q_, v_, a_ = head.predict(x[mt])
            lo = head.logits(x[mt])
            lq.append(lo[0])
            lv.append(lo[1])
            la.append(lo[2])
            lab.append(y[owner[mt]])
            pq[te] = clip_mean(q_, owner[mt], te)
            pv[te] = clip_mean(v_[:, None], owner[mt], te)[:, 0]
            pa[te] = clip_mean(a_[:, None], owner[mt], te)[:, 0]
        patch = (np.concatenate(lq), np.concatenate(lv), np.concatenate(la), np.concatenate(lab))
        return pq, pv, pa, patch

    def summarise(y, pq, pv, pa):
        out = quad_metrics(y, pq)
        out.update({f"{k}_sign_heads": v for k, v in sign_metrics(y, pv, pa).items()})
        return out

    best = {}
    for c in args.c:
        for name, (x, o, y, folds, extra) in {
            "4q": (x4, o4, y4, folds4, None),
            "emotify": (xe, oe, ye, foldse, None),
            "4q+emotify->4q": (x4, o4, y4, folds4, (xe, oe, ye)),
            "4q+emotify->emotify": (xe, oe, ye, foldse, (x4, o4, y4)),
        }.items():
            if name not in args.settings:
                continue
            pq, pv, pa, patch = cv_head(x, o, y, folds, c, extra)
            key = f"{name}/musicnn_head_C{c:g}"
            res[key] = summarise(y, pq, pv, pa)
            best.setdefault(name, []).append((c, res[key], patch))
            print(f"{key}: {json.dumps(res[key])}  {time.time() - t0:.0f}s", flush=True)

    # the settings whose out-of-fold results pick C and calibrate the shipped head
    ship_settings = ("4q",) if args.ship == "4q" else ("4q+emotify->4q", "4q+emotify->emotify")
    # pick C for the shipped head by its mean held-out quadrant accuracy
    scores = {
        c: np.mean([r["quadrant_acc"] for n in ship_settings for cc, r, _ in best[n] if cc == c])
        for c in args.c
    }
    c_ship = max(scores, key=scores.get)
    report["c_selected"] = c_ship

    # ---- calibration on the shipped setting's out-of-fold patch logits
    lq = np.concatenate(
        [p for n in ship_settings for cc, _, p in best[n] if cc == c_ship for p in [p[0]]]
    )
    lv = np.concatenate([p[1] for n in ship_settings for cc, _, p in best[n] if cc == c_ship])
    la = np.concatenate([p[2] for n in ship_settings for cc, _, p in best[n] if cc == c_ship])
    yl = np.concatenate([p[3] for n in ship_settings for cc, _, p in best[n] if cc == c_ship])
    vs, as_ = signs_of(yl)
    t_q = fit_temperature(lq, yl)
    t_v = fit_temperature(np.stack([-lv / 2, lv / 2], 1), vs)
    t_a = fit_temperature(np.stack([-la / 2, la / 2], 1), as_)
    report["calibration"] = {
        "temperature": {"quadrant": t_q, "valence": t_v, "arousal": t_a},
        "patch_ece_quadrant_before": ece(softmax(lq), yl),
        "patch_ece_quadrant_after": ece(softmax(lq / t_q), yl),
        "patch_ece_valence_before": ece(np.stack([1 - sigmoid(lv), sigmoid(lv)], 1), vs),
        "patch_ece_valence_after": ece(np.stack([1 - sigmoid(lv / t_v), sigmoid(lv / t_v)], 1), vs),
        "patch_ece_arousal_before": ece(np.stack([1 - sigmoid(la), sigmoid(la)], 1), as_),
        "patch_ece_arousal_after": ece(
            np.stack([1 - sigmoid(la / t_a), sigmoid(la / t_a)], 1), as_
        ),
        "n_patches": int(len(yl)),
    }
    print("calibration:", json.dumps(report["calibration"]), flush=True)

    # ---- cross-dataset both ways (whole training set -> whole other set)
    for (xs, os_, ys), (xt, ot, yt), tag in (
        ((x4, o4, y4), (xe, oe, ye), "4q->emotify"),
        ((xe, oe, ye), (x4, o4, y4), "emotify->4q"),
    ):
        head = Head(c_ship).fit(xs, ys[os_])
        q_, v_, a_ = head.predict(xt)
        clips = np.arange(len(yt))
        res[f"cross/{tag}/musicnn_head"] = summarise(
            yt,
            clip_mean(q_, ot, clips),
            clip_mean(v_[:, None], ot, clips)[:, 0],
            clip_mean(a_[:, None], ot, clips)[:, 0],
        )
        m = np.bincount(ys, minlength=4).argmax()
        res[f"cross/{tag}/majority_of_source"] = {"quadrant_acc": float((yt == m).mean())}
        print(tag, json.dumps(res[f"cross/{tag}/musicnn_head"]), flush=True)

    # ---- baselines on the same folds
    if not args.no_baselines:
        res.update(baselines(q4, em, y4, ye, folds4, foldse, args.cache))

    # ---- final pooled head on everything, calibrated, exported
    # the six Emotify tracks of the ordering test (tests/unit/test_music_emotion_model.py) stay
    # out of the shipped head, so that test is held out
    import train_music_emotion as tme

    held = set(tme.ordering_test_tracks(em["ids"], em["shares"]))
    report["final_held_out_emotify_tracks"] = sorted(held)
    keep = np.array([em["ids"][i] not in held for i in oe])
    if args.ship == "4q":
        final = Head(c_ship).fit(x4, y4[o4])
    else:
        final = Head(c_ship).fit(
            np.concatenate([x4, xe[keep]]), np.concatenate([y4[o4], ye[oe][keep]])
        )
    report["shipped"] = args.ship
    final.t_quadrant, final.t_valence, final.t_arousal = t_q, t_v, t_a
    path = args.out / "music_emotion_head.onnx"
    export_onnx(final, path)
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probs, va = sess.run(["probs", "va"], {"features": x4[:50]})
    ref_q, ref_v, _ = final.predict(x4[:50])
    report["onnx_max_abs_diff"] = float(
        max(np.abs(probs - ref_q).max(), np.abs(va[:, 0] - (2 * ref_v - 1)).max())
    )
    report["onnx_bytes"] = path.stat().st_size
    report["seconds"] = time.time() - t0
    out = args.cache / "head_metrics.json"
    out.write_text(json.dumps(report, indent=1))
    print(
        f"onnx diff {report['onnx_max_abs_diff']:.2e}; metrics -> {out}; {report['seconds']:.0f}s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
