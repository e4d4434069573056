"""Train the text-emotion classifier (models/text_emotion.onnx) on GoEmotions (Ekman labels).

Logistic regression on TF-IDF word uni- and bigrams, as the source paper used logistic
regression on cleaned text. Comments with exactly one Ekman label (anger, disgust, fear, joy,
neutral, sadness, surprise) are used; the official train/dev/test splits are kept (dev picks the
regularisation strength C, test is reported). Exported with skl2onnx; the ONNX model takes raw
strings (lower-cased inside the graph) and returns labels and probabilities.

Run (about a minute):

    .venv/bin/python models/training/train_text_emotion.py
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    root = os.environ.get("SCORER_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    return Path(root) / "text" / "goemotions" / "ekman"


def load_split(name: str, labels: list[str]) -> tuple[list[str], np.ndarray]:
    texts, ys = [], []
    with open(data_dir() / f"{name}.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            ids = row[1].split(",")
            if len(ids) != 1:
                continue  # multi-label comments are ambiguous for a single-label classifier
            texts.append(row[0].replace("[NAME]", "name").replace("[RELIGION]", "religion"))
            ys.append(int(ids[0]))
    return texts, np.array(ys)


def metrics(labels, y_true, y_pred) -> dict:
    from sklearn.metrics import confusion_matrix, f1_score, recall_score

    k = len(labels)
    counts = np.bincount(y_true, minlength=k)
    return {"accuracy": float((y_true == y_pred).mean()),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro")),
            "recall": dict(zip(labels, recall_score(y_true, y_pred, average=None,
                                                    labels=range(k)).round(3).tolist(),
                               strict=True)),
            "confusion": confusion_matrix(y_true, y_pred, labels=range(k)).tolist(),
            "n": int(len(y_true)), "chance_uniform": 1.0 / k,
            "chance_majority": float(counts.max() / counts.sum())}


def onnx_metrics(path: Path, labels, texts, y_true) -> dict:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.array([t.lower() for t in texts], dtype=object).reshape(-1, 1)
    probs = sess.run(None, {"text": x})[1]
    return metrics(labels, y_true, probs.argmax(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "models" / "text_emotion.onnx"))
    parser.add_argument("--max-features", type=int, default=30000)
    args = parser.parse_args()

    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    labels = (data_dir() / "labels.txt").read_text().split()
    x_train, y_train = load_split("train", labels)
    x_dev, y_dev = load_split("dev", labels)
    x_test, y_test = load_split("test", labels)
    print(f"comments: train {len(x_train)} dev {len(x_dev)} test {len(x_test)}", flush=True)

    def make(c: float) -> Pipeline:
        # the default token pattern is one the ONNX Tokenizer op runs identically
        return Pipeline([
            ("tfidf", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), min_df=2,
                                      max_features=args.max_features, sublinear_tf=True)),
            ("lr", LogisticRegression(C=c, max_iter=2000, class_weight="balanced")),
        ])

    best = None
    for c in (0.5, 1.0, 3.0):
        model = make(c).fit(x_train, y_train)
        dev = metrics(labels, y_dev, model.predict(x_dev))
        print(f"C={c}: dev macro-F1 {dev['macro_f1']:.3f} acc {dev['accuracy']:.3f}", flush=True)
        if best is None or dev["macro_f1"] > best[1]["macro_f1"]:
            best = (c, dev, model)
    c, dev, model = best
    test = metrics(labels, y_test, model.predict(x_test))
    print("test", json.dumps(test), flush=True)

    onx = to_onnx(model, initial_types=[("text", StringTensorType([None, 1]))],
                  options={id(model.named_steps["lr"]): {"zipmap": False},
                           # "C": onnxruntime builds the lower-casing locale by name and
                           # en_US.UTF-8 is missing on many systems; callers lower-case
                           # (str.lower) before the model, so the graph's ASCII lower-casing
                           # is only a safeguard
                           id(model.named_steps["tfidf"]): {"locale": "C"}},
                  target_opset={"": 17, "ai.onnx.ml": 3})
    out = Path(args.out)
    out.write_bytes(onx.SerializeToString())
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")

    # the exported graph must agree with scikit-learn on the held-out comments
    import onnxruntime as ort

    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    sample = x_test[:500]
    onnx_probs = sess.run(None, {"text": np.array(sample, dtype=object).reshape(-1, 1)})[1]
    gap = float(np.abs(onnx_probs - model.predict_proba(sample)).max())
    agree = float((onnx_probs.argmax(1) == model.predict(sample)).mean())
    print(f"onnx vs sklearn: max prob gap {gap:.2e}, argmax agreement {agree:.3f}", flush=True)
    # the card reports the exported graph as the app runs it (lower-cased input)
    onnx_test = onnx_metrics(out, labels, x_test, y_test)
    print("onnx test", json.dumps(onnx_test), flush=True)
    report = {"labels": labels, "C": c, "dev": dev, "test": test, "onnx_test": onnx_test,
              "onnx_max_gap": gap, "onnx_agreement": agree,
              "sizes": [len(x_train), len(x_dev), len(x_test)]}
    work = Path(os.environ.get("SCORER_TRAIN_DIR", "/tmp/scorer-train"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "text_metrics.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)", flush=True)


if __name__ == "__main__":
    main()
