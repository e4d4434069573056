"""Emotion accuracy of the whole analysis (scorer.pipeline.analyze -> fusion) on labelled clips.

Every clip's file name carries its emotion label: either a circumplex label as a word
("happy_take3.mp4", "03-sad.wav") or a RAVDESS code (03-01-EE-II-SS-RR-AA). The clip runs through
the full pipeline; its reading is the confidence-weighted mean of the fused valence/arousal over
the clip. Printed: per clip V/A, predicted and true quadrant; then the accuracy of the quadrant
and of the arousal sign against the labels, the share of clips that got any reading at all, and
the ratio to a majority-class baseline measured on the same clips. A clip with no reading
(fused confidence 0 everywhere) counts as wrong.

By default it builds a small balanced folder (symlinks, in a temp dir) from RAVDESS in
../shared/data: one emotion per quadrant (happy, angry, calm, sad) x actors 21-24 (held out
from the speech-emotion model's training split) x 2 recordings (strong intensity, both
statements), 32 clips, all audio-only.

    python bench/affect_eval.py                     # the RAVDESS default
    python bench/affect_eval.py --folder CLIPS      # any labelled folder
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scorer.affect.circumplex import ALIASES, CIRCUMPLEX, coordinates, quadrant  # noqa: E402
from scorer.errors import ScorerError  # noqa: E402
from scorer.pipeline import AnalysisSettings, analyze  # noqa: E402

RAVDESS_CODES = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
                 "06": "fearful", "07": "disgust", "08": "surprised"}
RAVDESS_RE = re.compile(r"03-0[12]-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)")
MEDIA_EXT = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".mp4", ".mov", ".mkv", ".webm", ".avi"}
DEFAULT_EMOTIONS = ("happy", "angry", "calm", "sad")
DEFAULT_ACTORS = (21, 22, 23, 24)


def shared_data() -> Path:
    override = os.environ.get("SCORER_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


def label_of(name: str) -> str | None:
    """Return the emotion label a file name carries (RAVDESS code first, then a word)."""
    match = RAVDESS_RE.search(name)
    if match:
        return RAVDESS_CODES[match.group(1)]
    known = set(CIRCUMPLEX) | set(ALIASES)
    for token in re.split(r"[^a-z/]+", Path(name).stem.lower()):
        if token in known:
            return token
    return None


def build_ravdess_folder(root: Path, out: Path, emotions, actors, per_actor: int) -> int:
    """Symlink a balanced RAVDESS subset into ``out``; return the number of clips."""
    codes = {v: k for k, v in RAVDESS_CODES.items()}
    count = 0
    for actor in actors:
        folder = root / f"Actor_{actor:02d}"
        for emotion in emotions:
            # strong intensity first (clearer), then normal; statements alternate
            files = sorted(folder.glob(f"03-01-{codes[emotion]}-*-{actor:02d}.flac"),
                           key=lambda p: (p.name.split("-")[3] != "02", p.name.split("-")[5],
                                          p.name.split("-")[4]))
            for src in files[:per_actor]:
                (out / src.name).symlink_to(src)
                count += 1
    return count


def reading(project) -> tuple[float, float, float]:
    """Return (valence, arousal, mean confidence) of the fused track over the whole clip."""
    fused = project.fused
    if fused is None or not len(fused) or fused.confidence.sum() <= 0:
        return 0.0, 0.0, 0.0
    c = fused.confidence
    return (float((fused.valence * c).sum() / c.sum()), float((fused.arousal * c).sum() / c.sum()),
            float(c.mean()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="labelled clips (default: RAVDESS subset)")
    parser.add_argument("--actors", default="21-24", help="RAVDESS actors, e.g. 21-24")
    parser.add_argument("--emotions", default=",".join(DEFAULT_EMOTIONS))
    parser.add_argument("--per-actor", type=int, default=2, help="recordings per actor/emotion")
    parser.add_argument("--content-type", default="drama")
    parser.add_argument("--transcriber", default="pocketsphinx")
    parser.add_argument("--skip-film-music", action="store_true",
                        help="leave out the film-music analyzer (e.g. while its model is not "
                             "built; speech clips have no music anyway)")
    args = parser.parse_args()
    if args.skip_film_music:
        import scorer.pipeline as pipeline_module

        pipeline_module._analyze_film_music = lambda *a, **k: None

    tmp = None
    if args.folder is None:
        root = shared_data() / "speech-emotion" / "ravdess"
        if not root.is_dir():
            print(f"no labelled clips: {root} is absent", file=sys.stderr)
            return 2
        a, _, b = args.actors.partition("-")
        actors = range(int(a), int(b or a) + 1)
        tmp = tempfile.TemporaryDirectory(prefix="affect_eval_")
        folder = Path(tmp.name)
        n = build_ravdess_folder(root, folder, args.emotions.split(","), actors, args.per_actor)
        print(f"RAVDESS actors {args.actors}, emotions {args.emotions}: {n} clips")
    else:
        folder = args.folder
    clips = sorted(p for p in folder.iterdir() if p.suffix.lower() in MEDIA_EXT)
    settings = AnalysisSettings(content_type=args.content_type, transcriber=args.transcriber)

    rows, seconds = [], 0.0
    print(f"{'clip':34} {'label':10} {'V':>6} {'A':>6} {'conf':>5} {'pred':8} {'true':8} "
          f"{'cues':>4} {'s':>5}  tracks")
    for path in clips:
        label = label_of(path.name)
        if label is None:
            print(f"{path.name:34} (no emotion label in the name; skipped)")
            continue
        t0 = time.perf_counter()
        try:
            project = analyze(path, settings=settings)
        except ScorerError as exc:
            print(f"{path.name:34} {label:10} error: {exc}")
            rows.append((label, None, None, 0.0))
            continue
        dt = time.perf_counter() - t0
        seconds += dt
        v, a, conf = reading(project)
        tv, ta = coordinates(label)
        true_q = quadrant(tv, ta) if (tv, ta) != (0.0, 0.0) else "-"
        pred_q = quadrant(v, a) if conf > 0 else "none"
        tracks = ",".join(f"{k}" for k, t in sorted(project.tracks.items())
                          if len(t) and t.confidence.max() > 0)
        print(f"{path.name[:34]:34} {label:10} {v:+6.2f} {a:+6.2f} {conf:5.2f} {pred_q:8} "
              f"{true_q:8} {len(project.cues):4d} {dt:5.1f}  {tracks or '-'}")
        rows.append((label, v if conf > 0 else None, a if conf > 0 else None, dt))

    scored = [r for r in rows if coordinates(r[0]) != (0.0, 0.0)]
    if not scored:
        print("no labelled clips with a quadrant")
        return 1
    true_q = [quadrant(*coordinates(r[0])) for r in scored]
    pred_q = [quadrant(r[1], r[2]) if r[1] is not None else None for r in scored]
    true_up = [coordinates(r[0])[1] > 0 for r in scored]
    pred_up = [None if r[2] is None else r[2] >= 0 for r in scored]
    q_acc = float(np.mean([p == t for p, t in zip(pred_q, true_q, strict=True)]))
    a_acc = float(np.mean([p == t for p, t in zip(pred_up, true_up, strict=True)]))
    coverage = float(np.mean([r[1] is not None for r in scored]))
    q_base = max(true_q.count(q) for q in set(true_q)) / len(true_q)
    a_base = max(sum(true_up), len(true_up) - sum(true_up)) / len(true_up)
    print()
    print(f"clips {len(scored)}  with a reading {coverage:.0%}  "
          f"analysis {seconds / max(1, len(rows)):.2f} s/clip")
    print(f"{'measure':22} {'accuracy':>8} {'majority':>8} {'ratio':>6}")
    for name, acc, base in (("quadrant", q_acc, q_base), ("arousal sign", a_acc, a_base)):
        print(f"{name:22} {acc:8.3f} {base:8.3f} {acc / base:6.2f}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
