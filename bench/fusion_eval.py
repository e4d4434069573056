"""Fusion on the composite benchmark: fitted fusion vs the hand-set presets, on held-out scenes.

The benchmark (``bench/fusion_cases.py``: what the scenes are, the label rule, the split by
actor, artist and image) is built with a fixed seed and the real analyzers run on every scene
(Tracks cached under /work/cache/fusion). Printed, all from the same run:

1. held-out scene accuracy (quadrant, valence sign, arousal sign) of every preset and of the
   fitted model in ``models/fusion.json``; a scene's reading is the confidence-weighted mean of
   its fused track (as ``bench/affect_eval.py`` reads a clip); no reading counts as wrong;
   the same split by which modality carries the label, and the mean fused confidence of the
   scenes with nothing in them; beside them the majority class and a label-source oracle that
   is told which modality carries each label and reads only that one (the analyzers' ceiling
   for a fusion that always picked the right source);
2. expected calibration error per modality on held-out windows, before (the analyzer's own
   confidence c read as p(sign right) = (1 + c) / 2) and after calibration;
3. the spread (standard deviation over windows) of fused V and A on the Sintel trailer and the
   demo clip, presets vs default fusion (their analyses are cached too).

    python bench/fusion_eval.py              # everything
    python bench/fusion_eval.py --no-real    # skip Sintel and the demo
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import fusion_cases as fc  # noqa: E402
from scorer.affect import fusion  # noqa: E402
from scorer.affect.fusion_model import FusionModel, load, on_grid  # noqa: E402
from scorer.track import Track  # noqa: E402

WINDOW = 1.0
SMOOTHING = 1.0
# the axes each modality speaks to (prosody and motion read arousal only)
AXES = {"prosody": ("arousal",), "motion": ("arousal",)}
ALL_AXES = ("valence", "arousal")


def load_benchmark(log=print) -> list[tuple[fc.Case, dict[str, Track]]]:
    """Build the cases and return each with its Tracks (analysing cache misses)."""
    cases = fc.build_cases()
    fingerprint = fc.models_fingerprint()
    out = []
    t0 = time.perf_counter()
    for i, case in enumerate(cases):
        out.append((case, fc.cached_analysis(case, fingerprint)["tracks"]))
        if log and (i + 1) % 40 == 0:
            log(f"  {i + 1}/{len(cases)} scenes ready ({time.perf_counter() - t0:.0f} s)")
    return out


def grid_times() -> np.ndarray:
    """Window centres of one scene."""
    return fusion.window_times(fc.DURATION, WINDOW)


def reading(fused: Track) -> tuple[float, float, float] | None:
    """Confidence-weighted mean (V, A) of a fused track and its mean confidence; None if none."""
    c = fused.confidence
    if not len(c) or c.sum() <= 1e-9:
        return None
    return (float((fused.valence * c).sum() / c.sum()),
            float((fused.arousal * c).sum() / c.sum()), float(c.mean()))


def fuse_case(tracks: dict[str, Track], method: str | FusionModel) -> Track:
    """Fuse one scene with a preset name or a fitted model."""
    if isinstance(method, FusionModel):
        return fusion.fuse_fitted(tracks, fc.DURATION, method, WINDOW, SMOOTHING)
    return fusion.fuse_tracks(tracks, fc.DURATION, fusion.preset_weights(method), WINDOW,
                              SMOOTHING)


def score(bench, method, part: str = "heldout") -> dict:
    """Scene-level accuracies of one method on one part of the benchmark."""
    hits: dict[str, list] = {"quadrant": [], "valence": [], "arousal": []}
    by_source: dict[str, list] = {}
    empty_conf = []
    for case, tracks in bench:
        if case.part != part:
            continue
        fused = fuse_case(tracks, method)
        r = reading(fused)
        if not case.quadrant:
            empty_conf.append(0.0 if r is None else r[2])
            continue
        quadrant = _count_signs(hits, r, case.signs)
        by_source.setdefault(case.label_source, []).append(quadrant)
    out = {k: float(np.mean(v)) for k, v in hits.items()}
    out["n"] = len(hits["quadrant"])
    out["by_source"] = {k: (float(np.mean(v)), len(v)) for k, v in sorted(by_source.items())}
    out["empty_confidence"] = float(np.mean(empty_conf)) if empty_conf else 0.0
    return out


def _count_signs(hits: dict[str, list], r, signs) -> bool:
    """Append whether reading ``r`` (None: no reading) has the label's signs; True if both."""
    ok_v = r is not None and (r[0] >= 0) == (signs[0] > 0)
    ok_a = r is not None and (r[1] >= 0) == (signs[1] > 0)
    hits["valence"].append(ok_v)
    hits["arousal"].append(ok_a)
    hits["quadrant"].append(ok_v and ok_a)
    return ok_v and ok_a


# the modality each label source is read from by the oracle row (see ``oracle_score``)
SOURCE_MODALITY = {"speech": "voice", "face": "faces", "music": "music"}


def oracle_score(bench, part: str = "heldout") -> dict:
    """Accuracy of a reader told which modality carries each scene's label (not a method).

    It reads only that modality's own track (confidence-weighted mean over the scene), so it
    shows how far the analyzers themselves take a fusion that always picked the right source.
    """
    hits: dict[str, list] = {"quadrant": [], "valence": [], "arousal": []}
    for case, tracks in bench:
        if case.part != part or not case.quadrant:
            continue
        track = tracks.get(SOURCE_MODALITY[case.label_source])
        _count_signs(hits, reading(track) if track is not None and len(track) else None,
                     case.signs)
    return {k: float(np.mean(v)) for k, v in hits.items()}


def modality_windows(bench, part: str, model: FusionModel) -> dict[str, dict]:
    """Per modality, windows where it spoke: before (the analyzer's own V/A and confidence) and
    after (the model's class maps and calibrated p), with whether each sign was right."""
    from scorer.affect.fusion_model import evidence

    times = grid_times()
    out: dict[str, dict] = {}
    for case, tracks in bench:
        if case.part != part or not case.quadrant:
            continue
        raw = on_grid(tracks, times, WINDOW)
        mapped = model.grid(tracks, times, WINDOW)
        calibrated = model.calibrated(tracks, mapped, times)
        sv, sa = case.signs
        for name, g in raw.items():
            speak = g.confidence > 0
            if not speak.any():
                continue
            keys = ("raw", "right_before", "p", "right_after", "calibrated")
            row = out.setdefault(name, {k: [] for k in keys})
            cal = model.calibrators.get(name)
            p = (cal.probability(evidence(name, cal.features, tracks, mapped, times))
                 if cal else None)
            for axis in AXES.get(name, ALL_AXES):
                sign = sv if axis == "valence" else sa
                before = g.valence if axis == "valence" else g.arousal
                after = mapped[name].valence if axis == "valence" else mapped[name].arousal
                row["raw"].append(g.confidence[speak])
                row["right_before"].append(((before[speak] >= 0) == (sign > 0)).astype(float))
                row["right_after"].append(((after[speak] >= 0) == (sign > 0)).astype(float))
                row["calibrated"].append(calibrated[name][speak])
                if p is not None:
                    row["p"].append(p[speak])
    return {k: {kk: np.concatenate(vv) if vv else np.zeros(0) for kk, vv in v.items()}
            for k, v in out.items()}


def ece(p: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of probabilities ``p`` of the events ``correct``."""
    if not len(p):
        return float("nan")
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(float(p[m].mean()) - float(correct[m].mean()))
    return total


def real_clip_tracks(path: Path, log=print) -> tuple[dict[str, Track], float, list[float]]:
    """Analyse a real clip with the full pipeline once (cached); return tracks, duration, cuts."""
    from fractions import Fraction

    from scorer.pipeline import analyze

    cache = fc.cache_dir() / fc.models_fingerprint() / f"real-{path.stem}.json"
    if cache.exists():
        data = json.loads(cache.read_text())
        return ({k: Track.from_dict(v) for k, v in data["tracks"].items()}, data["duration"],
                data["shots"])
    log(f"  analysing {path.name} with the full pipeline (once; cached)")
    project = analyze(path)
    tracks = {k: v for k, v in project.tracks.items() if k != fusion.FUSED}
    duration = float(Fraction(project.media.duration))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"tracks": {k: v.to_dict() for k, v in tracks.items()},
                                 "duration": duration, "shots": list(project.shots)}))
    return tracks, duration, list(project.shots)


def spread(tracks, duration: float, cuts, method) -> dict:
    """Std of fused V/A over windows with a reading, and of the planned cues' targets."""
    from scorer.affect.cues import CueSettings, plan_cues

    if isinstance(method, FusionModel):
        fused = fusion.fuse_fitted(tracks, duration, method, WINDOW, SMOOTHING)
    else:
        fused = fusion.fuse_tracks(tracks, duration, fusion.preset_weights(method), WINDOW,
                                   SMOOTHING)
    m = fused.confidence > 1e-3
    cues = plan_cues(fused, duration, cuts, [], settings=CueSettings())
    cv = [c.valence for c in cues]
    ca = [c.arousal for c in cues]
    return {"std_v": float(fused.valence[m].std()) if m.any() else 0.0,
            "std_a": float(fused.arousal[m].std()) if m.any() else 0.0,
            "cues": len(cues), "cue_std_v": float(np.std(cv)) if cv else 0.0,
            "cue_std_a": float(np.std(ca)) if ca else 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-real", action="store_true", help="skip Sintel and the demo")
    parser.add_argument("--model", type=Path, help="fusion model JSON (default: models/)")
    args = parser.parse_args()
    if not fc.shared_data().is_dir():
        print(f"no labelled data at {fc.shared_data()}", file=sys.stderr)
        return 2
    from scorer.errors import ScorerError

    try:
        model = load(args.model)
    except ScorerError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"building the composite benchmark (seed {fc.SEED}) and reading cached analyses")
    bench = load_benchmark()
    parts = {p: sum(1 for c, _ in bench if c.part == p) for p in ("train", "heldout")}
    print(f"scenes: train {parts['train']}, held out {parts['heldout']}")

    print("\n1. held-out scenes (quadrant / valence sign / arousal sign)")
    rows = [(f"preset {name}", name) for name in fusion.PRESETS]
    rows.append((f"fitted ({'default' if model.default else 'not default'})", model))
    print(f"{'method':28} {'quadrant':>8} {'valence':>8} {'arousal':>8}   "
          "quadrant by label source (n)                 empty-scene conf")
    for label, method in rows:
        s = score(bench, method)
        src = "  ".join(f"{k} {v:.2f} ({n})" for k, (v, n) in s["by_source"].items())
        print(f"{label:28} {s['quadrant']:8.3f} {s['valence']:8.3f} {s['arousal']:8.3f}   "
              f"{src:44} {s['empty_confidence']:.2f}")
    labelled = [c for c, _ in bench if c.part == "heldout" and c.quadrant]
    quads = [c.quadrant for c in labelled]
    signs = [c.signs for c in labelled]
    share_pos = [np.mean([s[i] > 0 for s in signs]) for i in (0, 1)]
    print(f"{'majority class':28} {max(quads.count(q) for q in set(quads)) / len(quads):8.3f} "
          f"{max(share_pos[0], 1 - share_pos[0]):8.3f} {max(share_pos[1], 1 - share_pos[1]):8.3f}")
    o = oracle_score(bench)
    print(f"{'label-source oracle (ceiling)':28} {o['quadrant']:8.3f} {o['valence']:8.3f} "
          f"{o['arousal']:8.3f}   (told which modality carries the label; reads only it)")

    print("\n2. calibration per modality (held-out windows where it spoke, per axis it reads;"
          " ECE with 10 bins)")
    print("   before: the analyzer's V/A signs, its confidence c read as p(right) = (1 + c) / 2;"
          " after: calibrated p (and class maps where the model has them)")
    print(f"{'modality':10} {'windows':>7} {'right before':>12} {'ECE before':>10} "
          f"{'right after':>11} {'ECE after':>9} {'mean conf before':>16} {'after':>6}")
    for name, w in sorted(modality_windows(bench, "heldout", model).items()):
        before = ece((1 + w["raw"]) / 2, w["right_before"])
        after = ece(w["p"], w["right_after"]) if len(w["p"]) else float("nan")
        print(f"{name:10} {len(w['raw']):7d} {w['right_before'].mean():12.3f} {before:10.3f} "
              f"{w['right_after'].mean():11.3f} {after:9.3f} {w['raw'].mean():16.3f} "
              f"{w['calibrated'].mean():6.3f}")

    if not args.no_real:
        print("\n3. spread of the fused curves on real footage (std over windows with a reading)")
        clips = [fc.shared_data() / "video" / "sintel_trailer_480p.mp4",
                 REPO / "resources" / "demo.mp4"]
        print(f"{'clip':22} {'method':16} {'std V':>6} {'std A':>6} {'cues':>5} "
              f"{'cue std V':>9} {'cue std A':>9}")
        for clip in clips:
            if not clip.exists():
                print(f"{clip.name:22} (absent)")
                continue
            tracks, duration, cuts = real_clip_tracks(clip)
            for label, method in (("preset drama", "drama"), ("fitted", model)):
                s = spread(tracks, duration, cuts, method)
                print(f"{clip.name[:22]:22} {label:16} {s['std_v']:6.3f} {s['std_a']:6.3f} "
                      f"{s['cues']:5d} {s['cue_std_v']:9.3f} {s['cue_std_a']:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
