"""Train the symbolic style classifier (folk, Irish, chorale, pop piano) and check the router.

Data (``scorer.music.style`` features of 64-step windows, up to four per tune):

* folk: Essen tunes, irish: O'Neill/Ryan tunes, chorale: Bach soprano lines — music21's
  corpus encoded by ``scorer.music.corpus.load_or_build`` (``--limit`` random tunes each,
  seed 1: a sample of its own, which may share tunes with the melody models' seed-0 sample);
* pop_piano: EMOPIA's 1,078 piano clips (../shared/data/symbolic-emotion/emopia), their top
  line on a 16th grid (``scorer.music.style.midi_melody_tokens``).

Split by tune (EMOPIA: by song): a stable hash sends 20% to the test split; model selection
(logistic regression against a random forest, each with class-balanced weights) uses a
validation fifth of the training tunes only. Baselines on the same test split: the majority
class, and nearest centroid on the seven scalar features (density, rests, pitch height and
spread, range, repeats, mean leap).

Router check (``--router N``): N cues drawn at random (valence, arousal, tempo, key from the
cue planner's rules), one piece per style the router can choose (folk, Irish, chorale,
cinematic) per cue, generated from silence (no seed melody, so the bundled seed does not set
the style), the melody classified; a confusion matrix per generated style.

    .venv/bin/python models/training/train_style_classifier.py --limit 500 --router 100 --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from scorer.music import corpus  # noqa: E402
from scorer.music import style as st  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "symbolic-emotion" / "emopia"
CACHE = Path("/work/cache/style")


def held_out(name: str, share: float = 0.2) -> bool:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def dataset(limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (features, label index, group name) of every window."""
    cache = CACHE / f"features_{limit}.npz"
    if cache.exists():
        d = np.load(cache, allow_pickle=True)
        return d["x"], d["y"], d["g"]
    x, y, g = [], [], []
    for label, name in enumerate(st.STYLES):
        t0 = time.time()
        if name == "pop_piano":
            import csv

            with open(DATA / "labels.csv") as handle:
                rows = list(csv.DictReader(handle))
            tunes = []
            for row in rows:
                try:
                    tunes.append((f"emopia:{row['song']}",
                                  st.midi_melody_tokens(DATA / "midi" / row["file"])))
                except Exception as exc:  # noqa: BLE001
                    print(f"skip {row['file']}: {exc}")
        else:
            data = corpus.load_or_build(name, limit=limit, seed=1)
            tunes = [(f"{name}:{t['id']}", t["tokens"]) for t in data["tunes"]]
        for group, tokens in tunes:
            for w in st.windows(tokens):
                x.append(st.melody_features(w))
                y.append(label)
                g.append(group)
        print(f"{name}: {len(tunes)} tunes, {sum(1 for v in y if v == label)} windows "
              f"({time.time() - t0:.0f} s)", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    x, y, g = np.array(x), np.array(y), np.array(g)
    np.savez(cache, x=x, y=y, g=g)
    return x, y, g


def models():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {"logistic regression": make_pipeline(
                StandardScaler(), LogisticRegression(C=0.5, max_iter=3000,
                                                     class_weight="balanced")),
            "random forest": RandomForestClassifier(n_estimators=150, min_samples_leaf=2,
                                                    class_weight="balanced", n_jobs=1,
                                                    random_state=0)}


def report(name, y, pred) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    row = {"accuracy": accuracy_score(y, pred), "balanced": balanced_accuracy_score(y, pred),
           "macro_f1": f1_score(y, pred, average="macro")}
    print(f"| {name} | {row['accuracy']:.3f} | {row['balanced']:.3f} | {row['macro_f1']:.3f} |")
    return row


def confusion(y, pred, rows: list[str]) -> None:
    print("| true \\ predicted | " + " | ".join(st.STYLES) + " |")
    print("|---" * (len(st.STYLES) + 1) + "|")
    for i, name in enumerate(rows):
        counts = [int(np.sum((y == i) & (pred == j))) for j in range(len(st.STYLES))]
        print(f"| {name} | " + " | ".join(str(c) for c in counts) + " |")


def router_check(clf_probs, n: int) -> None:
    from scorer.affect import cues as planner
    from scorer.music.generate import generate_for_cue
    from scorer.project import Cue

    styles = ("folk", "irish", "chorale", "cinematic")
    rng = np.random.default_rng(11)
    truth, pred = [], []
    t0 = time.time()
    for k in range(n):
        v, a = (float(t) for t in rng.uniform(-0.9, 0.9, 2))
        length = float(rng.uniform(20, 40))
        cue = Cue(f"1M{k}", 0.0, length, valence=v, arousal=a)
        low, high = planner.tempo_range(a)
        cue.tempo = planner.choose_tempo([], low, high)[0]
        cue.key, cue.mode = planner.key_for(v)
        cue.register = planner.register_for(v)
        cue.instrumentation = planner.instrumentation_for(v, a)
        cue.programs = dict(planner.INSTRUMENTATION[cue.instrumentation])
        for i, style in enumerate(styles):
            piece = generate_for_cue(cue, style=style, seed=k, use_seed=False)
            parts = st.windows(piece.melody, most=8)
            probs = clf_probs(np.stack([st.melody_features(w) for w in parts])).mean(axis=0)
            truth.append(i)
            pred.append(int(probs.argmax()))
        if (k + 1) % 20 == 0:
            print(f"router check: {k + 1}/{n} cues ({time.time() - t0:.0f} s)", flush=True)
    truth, pred = np.array(truth), np.array(pred)
    print(f"\nGenerated pieces ({n} per style, from silence), classified by their melody:\n")
    confusion(truth, pred, [f"generated {s}" for s in styles])
    agree = [float(np.mean(pred[truth == i] == i)) for i in range(3)]
    print("\nshare classified as their own corpus style: "
          + ", ".join(f"{s} {a:.2f}" for s, a in zip(styles, agree, strict=False)))


def export(clf, out: Path) -> None:
    from skl2onnx import to_onnx

    onx = to_onnx(clf, np.zeros((1, st.N_FEATURES), np.float32), target_opset=17,
                  options={id(clf): {"zipmap": False}})
    entry = onx.metadata_props.add()
    entry.key, entry.value = "classes", ",".join(st.STYLES)
    entry = onx.metadata_props.add()
    entry.key, entry.value = "features", json.dumps({"n": st.N_FEATURES, "window": st.WINDOW})
    data = onx.SerializeToString()
    out.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n")
    print(f"wrote {out} ({len(data)} bytes) sha256 {digest}")


def main() -> None:
    from sklearn.neighbors import NearestCentroid

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=500, help="tunes per corpus style")
    parser.add_argument("--router", type=int, default=0, help="cues for the router check")
    parser.add_argument("--write", action="store_true", help="write models/style_classifier")
    args = parser.parse_args()
    x, y, g = dataset(args.limit)
    test = np.array([held_out(s) for s in g])
    val = np.array([held_out(s + "/val", 0.2) for s in g]) & ~test
    train = ~test & ~val
    print(f"\nwindows: train {train.sum()}, validation {val.sum()}, test {test.sum()}; "
          f"groups held out: {len(set(g[test]))} of {len(set(g))}")
    chosen, best = None, -1.0
    for name, clf in models().items():
        clf.fit(x[train], y[train])
        from sklearn.metrics import balanced_accuracy_score

        score = balanced_accuracy_score(y[val], clf.predict(x[val]))
        print(f"validation balanced accuracy, {name}: {score:.3f}")
        if score > best:
            chosen, best = name, score
    print(f"chosen: {chosen}\n")
    print("| test split (tunes/songs held out) | accuracy | balanced accuracy | macro F1 |")
    print("|---|---|---|---|")
    majority = np.bincount(y[train | val]).argmax()
    report("majority class", y[test], np.full(test.sum(), majority))
    scalars = slice(st.N_FEATURES - 7, st.N_FEATURES)
    centroid = NearestCentroid().fit(x[train | val][:, scalars], y[train | val])
    report("nearest centroid, 7 scalars (baseline)", y[test], centroid.predict(x[test][:, scalars]))
    final = {}
    for name, clf in models().items():
        clf.fit(x[train | val], y[train | val])
        final[name] = clf
        report(f"{name}{' (chosen)' if name == chosen else ''}", y[test], clf.predict(x[test]))
    clf = final[chosen]
    print("\nConfusion on the test split (windows), chosen model:\n")
    confusion(y[test], clf.predict(x[test]), list(st.STYLES))
    if args.write:
        export(clf, REPO / "models" / "style_classifier.onnx")
    if args.router:
        router_check(clf.predict_proba, args.router)


if __name__ == "__main__":
    main()
