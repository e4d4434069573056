"""Train and measure the instrument recogniser (models/instrument_recognition.onnx).

Input: the three data sets ``instrument_data.py`` wrote (out/instrument_data/{fluid,timgm,
musescore}.npz: features from estimated pitch, from true pitch, the baseline's features, and
the 16 labels of every 3-s clip).

Evaluation is across SoundFonts: train on two, test on the third, all three rotations. Per
rotation, 15% of the training clips are held back to choose each instrument's threshold (the
F1-best on them); the test SoundFont is never looked at until the figures are computed. The same
network (standardised inputs, two hidden layers of 256 and 128 ReLU units, 16 sigmoid outputs;
scikit-learn's MLPClassifier, multi-label) is trained on:
- ``est``: harmonic map, register and onset decay from basic-pitch's posteriorgrams with the CQT
  summary (scorer.music.instruments.window_features), beside the spectral features below (what
  the app computes and the shipped model reads);
- ``true``: the same with the pitch grid drawn from the MIDI notes (the seed's "true pitch");
- ``pitch_only``: ``est`` without the spectral features;
- ``base``: the baseline, no pitch: MFCC mean and spread and the mean CQT
  (scorer.music.instruments.spectral_features);
and beside them the constant baseline that calls every instrument present (the best constant
for F1: 2p/(1+p) for an instrument in a fraction p of the clips).

    .venv/bin/python models/training/train_instruments.py [--export]

Prints the card's tables and writes out/instrument_data/metrics.json; with ``--export`` trains
the ``est`` network on all three SoundFonts (thresholds from 15% held back) and writes
models/instrument_recognition.onnx and its .sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.neural_network import MLPClassifier

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.music import instruments as ins  # noqa: E402

DATA = REPO / "out" / "instrument_data"
FONTS = ("fluid", "timgm", "musescore")
FONT_NAMES = {"fluid": "FluidR3_GM", "timgm": "TimGM6mb", "musescore": "MuseScore General"}
HIDDEN = (256, 128)


KINDS = ("est", "true", "pitch_only", "base")


def load():
    data = {}
    for f in FONTS:
        d = dict(np.load(DATA / f"{f}.npz"))
        data[f] = {"labels": d["labels"], "base": d["base"], "pitch_only": d["est"],
                   "est": np.concatenate([d["est"], d["base"]], axis=1),
                   "true": np.concatenate([d["true"], d["base"]], axis=1)}
    return data


def fit(x, y, seed=0):
    """Standardise, fit the network on 85%, choose thresholds on the other 15%."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(x))
    n_val = int(0.15 * len(x))
    val, tr = idx[:n_val], idx[n_val:]
    mean = x[tr].mean(axis=0)
    std = x[tr].std(axis=0) + 1e-3
    net = MLPClassifier(hidden_layer_sizes=HIDDEN, alpha=1e-3, batch_size=128,
                        learning_rate_init=1e-3, max_iter=60, random_state=seed)
    net.fit((x[tr] - mean) / std, y[tr])
    p_val = net.predict_proba((x[val] - mean) / std)
    grid = np.linspace(0.05, 0.95, 19)
    thr = np.array([grid[int(np.argmax([f1_score(y[val, c], p_val[:, c] >= g, zero_division=0)
                                        for g in grid]))] for c in range(y.shape[1])])
    return net, mean, std, thr


def scores(y, pred):
    return np.array([f1_score(y[:, c], pred[:, c], zero_division=0)
                     for c in range(y.shape[1])])


def evaluate(data):
    results = {}
    for test in FONTS:
        train = [f for f in FONTS if f != test]
        y_tr = np.concatenate([data[f]["labels"] for f in train])
        y_te = data[test]["labels"]
        row = {}
        for kind in KINDS:
            t = time.time()
            x_tr = np.concatenate([data[f][kind] for f in train])
            net, mean, std, thr = fit(x_tr, y_tr)
            p = net.predict_proba((data[test][kind] - mean) / std)
            row[kind] = scores(y_te, p >= thr).tolist()
            print(f"test {test:9s} {kind:5s} macro F1 {np.mean(row[kind]):.3f} "
                  f"({time.time() - t:.0f} s)", flush=True)
        prior = y_te.mean(axis=0)
        row["always"] = (2 * prior / (1 + prior)).tolist()
        results[test] = row
    return results


def print_tables(results):
    kinds = (*KINDS, "always")
    heads = ("estimated pitch (shipped)", "true pitch", "estimated pitch, no MFCC",
             "baseline: MFCC+CQT, no pitch", "baseline: always present")
    print("\nPer-instrument F1, mean of the three rotations (train on two SoundFonts, test on "
          "the third):\n")
    print("| instrument | " + " | ".join(heads) + " |")
    print("|---|" + "---:|" * len(kinds))
    for c, name in enumerate(ins.CLASSES):
        vals = [np.mean([results[f][k][c] for f in FONTS]) for k in kinds]
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    vals = [np.mean([np.mean(results[f][k]) for f in FONTS]) for k in kinds]
    print("| **macro** | " + " | ".join(f"**{v:.3f}**" for v in vals) + " |")
    print("\nMacro F1 per rotation:\n")
    print("| test SoundFont (trained on the other two) | " + " | ".join(heads) + " |")
    print("|---|" + "---:|" * len(kinds))
    for f in FONTS:
        print(f"| {FONT_NAMES[f]} | " + " | ".join(f"{np.mean(results[f][k]):.3f}"
                                                   for k in kinds) + " |")


def export(net, mean, std, thr, target: Path) -> None:
    """Fold standardisation and the network into one ONNX graph: features -> probabilities."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []
    w0 = net.coefs_[0] / std[:, None]
    b0 = net.intercepts_[0] - (mean / std) @ net.coefs_[0]
    weights = [(w0, b0)] + list(zip(net.coefs_[1:], net.intercepts_[1:], strict=True))
    x = "features"
    for i, (w, b) in enumerate(weights):
        inits += [numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
                  numpy_helper.from_array(b.astype(np.float32), f"b{i}")]
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [f"z{i}"]))
        x = f"z{i}"
        if i < len(weights) - 1:
            nodes.append(helper.make_node("Relu", [x], [f"h{i}"]))
            x = f"h{i}"
    nodes.append(helper.make_node("Sigmoid", [x], ["probabilities"]))
    graph = helper.make_graph(
        nodes, "instrument_recognition",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", ins.N_INPUT])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                       ["n", len(ins.CLASSES)])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="scorer models/training/train_instruments.py")
    model.ir_version = 8
    for key, value in (("classes", json.dumps(list(ins.CLASSES))),
                       ("thresholds", json.dumps([round(float(t), 3) for t in thr])),
                       ("n_features", str(ins.N_INPUT))):
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    target.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    target.with_suffix(".onnx.sha256").write_text(f"{digest}  {target.name}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export", action="store_true")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()
    data = load()
    for f in FONTS:
        print(f"{FONT_NAMES[f]}: {len(data[f]['labels'])} clips, "
              f"{data[f]['labels'].sum(axis=1).mean():.2f} instruments per clip")
    if not args.skip_eval:
        results = evaluate(data)
        print_tables(results)
        (DATA / "metrics.json").write_text(json.dumps(results, indent=1))
    if args.export:
        x = np.concatenate([data[f]["est"] for f in FONTS])
        y = np.concatenate([data[f]["labels"] for f in FONTS])
        net, mean, std, thr = fit(x, y)
        export(net, mean, std, thr, REPO / "models" / "instrument_recognition.onnx")
        print("wrote models/instrument_recognition.onnx; thresholds", np.round(thr, 2).tolist())


if __name__ == "__main__":
    main()
