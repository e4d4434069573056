"""Style check: can a symbolic classifier tell the cinematic style from folk, Irish and chorale?

Generates pieces of every style for random cues (valence, arousal, tempo, key and hits drawn
at random; the cue's planner rules fill in the rest), describes each delivered MIDI file by
texture features that do not look at instrument numbers (parts, polyphony, note lengths, onset
grid of the lowest part, pedal notes, pitch spread, percussion...), and trains a scikit-learn
random forest on pieces of some random seeds, testing it on pieces of other seeds and other cues
(a held-out split). Prints accuracy beside the majority-class baseline, for the four styles and
for cinematic against the rest. Features are cached in /work/cache/fit/style_features.npz.

Run: .venv/bin/python bench/style_check.py [--per-style 40]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CACHE = Path("/work/cache/fit/style_features.npz")
STYLES = ("folk", "irish", "chorale", "cinematic")
FEATURES = ("parts", "drums", "onsets_per_beat", "polyphony", "long_share", "short_share",
            "low_eighths", "low_pedal", "low_repeat", "top_ioi_mean", "top_ioi_cv",
            "pitch_spread", "velocity_cv", "sustain_ratio", "top_share")


def texture_features(mid_path: Path) -> list[float]:
    """Texture features of a MIDI file (see the module docstring)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(mid_path))
    _, tempi = pm.get_tempo_changes()
    beat = 60.0 / (float(tempi[0]) if len(tempi) else 120.0)
    pitched = [i for i in pm.instruments if not i.is_drum and i.notes]
    drums = any(i.is_drum and i.notes for i in pm.instruments)
    notes = [n for i in pitched for n in i.notes]
    end = max(pm.get_end_time(), 1e-3)
    beats = end / beat
    starts = np.array([n.start for n in notes])
    lengths = np.array([(n.end - n.start) / beat for n in notes])
    onsets = np.unique(np.round(starts / beat * 4))
    grid = np.arange(0, end, beat / 4)
    poly = np.mean([sum(n.start <= t < n.end for n in notes) for t in grid[::4]]) if len(
        grid) else 0.0
    low = min(pitched, key=lambda i: np.mean([n.pitch for n in i.notes]))
    top = max(pitched, key=lambda i: np.mean([n.pitch for n in i.notes]))
    low_starts = np.array(sorted(n.start for n in low.notes)) / beat
    low_pitches = [n.pitch for n in sorted(low.notes, key=lambda n: n.start)]
    eighths = np.mean(np.abs(low_starts * 2 - np.round(low_starts * 2)) < 0.05) if len(
        low_starts) else 0.0
    low_iois = np.diff(low_starts)
    counts = np.bincount(np.array(low_pitches) % 12, minlength=12)
    top_starts = np.array(sorted(n.start for n in top.notes)) / beat
    top_ioi = np.diff(top_starts)
    top_ioi = top_ioi[top_ioi > 1e-3]
    vel = np.array([n.velocity for n in notes], dtype=float)
    pitch = np.array([n.pitch for n in notes], dtype=float)
    return [
        len(pitched), float(drums), len(onsets) / 4 / beats, float(poly),
        float(np.mean(lengths >= 2.0)), float(np.mean(lengths <= 0.5)), float(eighths),
        float(counts.max() / max(1, counts.sum())),
        float(np.mean(np.abs(low_iois - 0.5) < 0.05)) if len(low_iois) else 0.0,
        float(top_ioi.mean()) if len(top_ioi) else 0.0,
        float(top_ioi.std() / top_ioi.mean()) if len(top_ioi) else 0.0,
        float(np.percentile(pitch, 95) - np.percentile(pitch, 5)),
        float(vel.std() / max(vel.mean(), 1.0)),
        float(np.sum(lengths) / beats),
        len(top.notes) / max(1, len(notes)),
    ]


def generate(per_style: int, folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generate the pieces and return (features, style labels, seeds)."""
    from scorer.affect import cues as planner
    from scorer.music.generate import generate_for_cue
    from scorer.project import Cue

    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    x, y, seeds = [], [], []
    for k in range(per_style):
        v, a = (float(t) for t in rng.uniform(-0.9, 0.9, 2))
        length = float(rng.uniform(20, 60))
        hits = sorted(float(h) for h in rng.uniform(2, length - 2, int(rng.integers(0, 4))))
        cue = Cue(f"1M{k}", 0.0, length, valence=v, arousal=a, hit_points=hits)
        low, high = planner.tempo_range(a)
        cue.tempo = planner.choose_tempo(hits, low, high)[0]
        cue.key, cue.mode = planner.key_for(v)
        cue.register = planner.register_for(v)
        cue.instrumentation = planner.instrumentation_for(v, a)
        cue.programs = dict(planner.INSTRUMENTATION[cue.instrumentation])
        cue.dynamics = [(0.0, 0.5 + 0.3 * a), (length / 2, 0.5 + 0.4 * a),
                        (length, 0.45 + 0.3 * a)]
        for label, style in enumerate(STYLES):
            path = generate_for_cue(cue, style=style, seed=k).save(folder / f"{style}_{k}.mid")
            x.append(texture_features(path))
            y.append(label)
            seeds.append(k)
        print(f"\rgenerated {k + 1}/{per_style} cues x {len(STYLES)} styles", end="",
              flush=True)
    print()
    return np.array(x), np.array(y), np.array(seeds)


def main() -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, confusion_matrix

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-style", type=int, default=40)
    parser.add_argument("--fresh", action="store_true", help="ignore the cached features")
    args = parser.parse_args()
    if CACHE.exists() and not args.fresh:
        data = np.load(CACHE)
        x, y, seeds = data["x"], data["y"], data["seeds"]
    else:
        x, y, seeds = generate(args.per_style, CACHE.parent / "style_pieces")
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, x=x, y=y, seeds=seeds)
    # held out by cue and seed: every style's piece for a cue is on the same side
    cues = np.unique(seeds)
    test_cues = np.random.default_rng(0).choice(cues, size=max(1, len(cues) // 4),
                                                replace=False)
    test = np.isin(seeds, test_cues)
    clf = RandomForestClassifier(n_estimators=200, random_state=0, min_samples_leaf=2)
    clf.fit(x[~test], y[~test])
    pred = clf.predict(x[test])
    majority = np.bincount(y[~test]).argmax()
    cin = STYLES.index("cinematic")
    rows = [("4 styles", accuracy_score(y[test], pred), accuracy_score(y[test],
                                                                       np.full(test.sum(),
                                                                               majority))),
            ("cinematic vs rest", accuracy_score(y[test] == cin, pred == cin),
             accuracy_score(y[test] == cin, np.zeros(test.sum(), bool)))]
    print(f"{len(y)} pieces ({len(cues)} cues x {len(STYLES)} styles); train {int((~test).sum())}"
          f", held-out {int(test.sum())} (cues and seeds unseen in training)")
    print(f"{'task':20} {'accuracy':>9} {'majority baseline':>18}")
    for name, acc, base in rows:
        print(f"{name:20} {acc:9.3f} {base:18.3f}")
    print("confusion (rows true, columns predicted):", ", ".join(STYLES))
    print(confusion_matrix(y[test], pred, labels=range(len(STYLES))))
    top = np.argsort(-clf.feature_importances_)[:5]
    print("most used features:", ", ".join(f"{FEATURES[i]} {clf.feature_importances_[i]:.2f}"
                                          for i in top))
    print("target: cinematic told from folk, Irish and chorale with accuracy >= 0.80")


if __name__ == "__main__":
    main()
