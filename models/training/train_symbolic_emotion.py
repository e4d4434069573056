"""Symbolic valence/arousal for MIDI, MusicXML and ABC pieces, trained on EMOPIA (split by song).

Usage (from the repository root):

    nice -n 10 .venv/bin/python models/training/train_symbolic_emotion.py --write

Features per clip: ``scorer.music.library.features.symbolic_features`` (the library's own
reader), turned into the vector of ``scorer.music.library.symbolic_model.vector``: mode
(signed key clarity), key clarity, note density, register (mean, top, low), range, dynamics
(mean velocity), dissonance and pitch-class entropy. Articulation, note length, polyphony and
velocity spread are measured by the library but left out of the model: EMOPIA's note lengths
carry the sustain pedal of transcribed performances, so they do not transfer to notated scores.
Tempo is not in the vector: every EMOPIA file carries a set_tempo of 120 BPM
(transcribed performances), so nothing about tempo can be learned from it.

Model: standardisation + logistic regressions for the valence sign, the arousal sign and the
quadrant. Evaluated by 5-fold GroupKFold over songs (clips of one song never straddle a
split), against: a constant (the training folds' majority), note density alone (logistic
regression on log density), and today's published rules (``rules.symbolic_va``). ``--write``
stores the final model's coefficients in ``scorer/music/library/symbolic_model.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from scorer.music.library import features as lf  # noqa: E402
from scorer.music.library import rules, symbolic_model  # noqa: E402

DATA = Path("/work/shared/data/symbolic-emotion/emopia")
if not DATA.exists():
    DATA = REPO.parent / "shared" / "data" / "symbolic-emotion" / "emopia"
CACHE = Path("/work/cache/musicemo/emopia_features.json")


def load(data: Path, cache: Path) -> tuple[list[dict], np.ndarray, np.ndarray]:
    rows = list(csv.DictReader(open(data / "labels.csv", newline="")))
    feats = json.loads(cache.read_text()) if cache.exists() else {}
    t0 = time.time()
    for k, r in enumerate(rows):
        if r["file"] in feats:
            continue
        notes = lf.notes_from_midi(data / "midi" / r["file"])
        feats[r["file"]] = lf.symbolic_features(notes)
        if k % 200 == 0:
            print(f"  features {k}/{len(rows)} {time.time() - t0:.0f}s", flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(feats))
    q = np.array([int(r["quadrant"][1]) - 1 for r in rows])
    return [feats[r["file"]] for r in rows], q, np.array([r["song"] for r in rows])


def signs(q):
    return np.isin(q, (0, 3)).astype(int), np.isin(q, (0, 1)).astype(int)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--c", type=float, default=0.1)
    ap.add_argument("--write", action="store_true", help="write symbolic_model.py")
    args = ap.parse_args()

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    feats, q, song = load(args.data, args.cache)
    x = np.array([symbolic_model.vector(f) for f in feats])
    vs, as_ = signs(q)
    dens = np.array([[np.log2(max(f["density"], 0.05))] for f in feats])
    rule_va = np.array([rules.symbolic_va(f)[:2] for f in feats])
    folds = list(GroupKFold(args.folds, shuffle=True, random_state=0).split(x, q, song))
    pred = {
        k: np.zeros(len(q))
        for k in (
            "model_v",
            "model_a",
            "model_q",
            "dens_v",
            "dens_a",
            "const_v",
            "const_a",
            "const_q",
        )
    }

    def fit(xt, yt):
        m, s = xt.mean(0), xt.std(0) + 1e-9
        clf = LogisticRegression(C=args.c, max_iter=5000).fit(
            symbolic_model.standardise(xt, m, s), yt
        )
        return lambda z: clf.predict(symbolic_model.standardise(z, m, s))

    for tr, te in folds:
        pred["model_v"][te] = fit(x[tr], vs[tr])(x[te])
        pred["model_a"][te] = fit(x[tr], as_[tr])(x[te])
        pred["model_q"][te] = fit(x[tr], q[tr])(x[te])
        pred["dens_v"][te] = fit(dens[tr], vs[tr])(dens[te])
        pred["dens_a"][te] = fit(dens[tr], as_[tr])(dens[te])
        pred["const_v"][te] = int(vs[tr].mean() > 0.5)
        pred["const_a"][te] = int(as_[tr].mean() > 0.5)
        pred["const_q"][te] = np.bincount(q[tr]).argmax()

    def quad_of(v, a):
        v, a = np.asarray(v) > 0.5, np.asarray(a) > 0.5
        return np.where(v & a, 0, np.where(~v & a, 1, np.where(~v & ~a, 2, 3)))

    rv, ra = (rule_va[:, 0] > 0).astype(int), (rule_va[:, 1] > 0).astype(int)
    # the whole set's majority (an upper bound for a constant: it knows the test folds' labels)
    all_v, all_a = int(vs.mean() > 0.5), int(as_.mean() > 0.5)
    table = {
        "constant (whole-set majority: V positive, A low)": (
            np.full(len(q), all_v),
            np.full(len(q), all_a),
            np.full(len(q), np.bincount(q).argmax()),
        ),
        "constant (majority of training folds)": (
            pred["const_v"],
            pred["const_a"],
            pred["const_q"],
        ),
        "note density only (logistic)": (
            pred["dens_v"],
            pred["dens_a"],
            quad_of(pred["dens_v"], pred["dens_a"]),
        ),
        "published rules (today's rules.symbolic_va, signs)": (rv, ra, quad_of(rv, ra)),
        "trained model (sign heads; quadrant from the signs)": (
            pred["model_v"],
            pred["model_a"],
            quad_of(pred["model_v"], pred["model_a"]),
        ),
        "trained model (quadrant head)": (
            np.isin(pred["model_q"], (0, 3)),
            np.isin(pred["model_q"], (0, 1)),
            pred["model_q"],
        ),
    }
    report = {"n": len(q), "songs": len(set(song)), "folds": args.folds, "c": args.c, "results": {}}
    for name, (v, a, qq) in table.items():
        r = {
            "valence_sign_acc": float((np.asarray(v).astype(int) == vs).mean()),
            "arousal_sign_acc": float((np.asarray(a).astype(int) == as_).mean()),
            "quadrant_acc": float((np.asarray(qq).astype(int) == q).mean()),
        }
        report["results"][name] = r
        print(
            f"{name:55s} V {r['valence_sign_acc']:.3f}  A {r['arousal_sign_acc']:.3f}  "
            f"Q {r['quadrant_acc']:.3f}"
        )

    # final model on every clip: the quadrant head (the better of the two on held-out songs)
    m, s = x.mean(0), x.std(0) + 1e-9
    clf = LogisticRegression(C=args.c, max_iter=5000).fit(symbolic_model.standardise(x, m, s), q)
    model = {
        "features": list(symbolic_model.FEATURES),
        "mean": np.round(m, 6).tolist(),
        "scale": np.round(s, 6).tolist(),
        "coef": np.round(clf.coef_, 6).tolist(),
        "intercept": np.round(clf.intercept_, 6).tolist(),
    }
    report["model"] = model
    Path("/work/cache/musicemo/symbolic_metrics.json").write_text(json.dumps(report, indent=1))
    if args.write:
        path = REPO / "scorer" / "music" / "library" / "symbolic_model.py"
        text = path.read_text()
        start = text.index("MODEL = ")
        end = text.index("# end of MODEL")
        text = text[:start] + "MODEL = " + json.dumps(model, indent=4) + "\n" + text[end:]
        path.write_text(text)
        print("wrote", path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
