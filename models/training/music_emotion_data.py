"""Labels and cached features of 4Q and Emotify for the music-emotion training scripts.

Features per 3-s excerpt (see EXCERPTS), computed once and cached (``--cache``, default
/work/cache/musicemo):
- musicnn MSD + MTT tags and embeddings (``scorer.music.musicnn``, the ONNX models the app runs);
- low-level cues of the same log-mel patches (loudness, brightness, flux, onset rate;
  ``scorer.music.musicnn.patch_cues``, as the app computes them);
- the shipped 2-s CQT CNN's class probabilities (``scorer.music.emotion``);
- the seed-003 features (MFCC, spectral shape, chroma; ``train_music_emotion``).

Run directly to fill the cache:

    nice -n 10 .venv/bin/python models/training/music_emotion_data.py
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = Path("/work/shared/data/music-emotion")
if not DATA.exists():
    DATA = REPO.parent / "shared" / "data" / "music-emotion"
CACHE = Path("/work/cache/musicemo")
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
# quadrant -> (valence sign, arousal sign)
QUADRANT_SIGNS = {0: (1, 1), 1: (-1, 1), 2: (-1, -1), 3: (1, -1)}


def load_4q(data: Path = DATA / "4q") -> dict:
    """4Q clips: ids, quadrant index 0..3, artist (the split group), V/A signs."""
    rows = list(csv.DictReader(open(data / "labels.csv", newline="")))
    q = np.array([QUADRANTS.index(r["quadrant"]) for r in rows])
    signs = np.array([QUADRANT_SIGNS[int(k)] for k in q], dtype=np.float32)
    return {
        "name": "4q",
        "root": data,
        "ids": [r["song"] for r in rows],
        "quadrant": q,
        "group": np.array([r["artist"].strip().lower() for r in rows]),
        "va_sign": signs,
        "moods": [r["moods"] for r in rows],
    }


def load_emotify(data: Path = DATA / "emotify") -> dict:
    """Emotify tracks with the card's 4 classes, the GEMS V/A target and a quadrant.

    The quadrant of an Emotify track is that of its GEMS-projected V/A relative to the set's
    medians (most GEMS words are positive, so the absolute sign is nearly always positive);
    it is used only for the cross-dataset checks.
    """
    import train_music_emotion as tme

    ids, genres, shares, scores, y, va = tme.load_labels(data)
    return {
        "name": "emotify",
        "root": data,
        "ids": ids,
        "classes": y,
        "va": va,
        "group": np.array(ids),
        "genres": genres,
        "shares": shares,
    }


def clip_path(ds: dict, clip_id: str) -> Path:
    return ds["root"] / "audio" / f"{clip_id}.ogg"


# Excerpts: the shared 2-core machine cannot run musicnn over every 3 s of 1,020 clips inside
# the time budget, so each clip is read at EXCERPTS evenly spaced 3-s excerpts (its start, its
# end and between), and every method here (musicnn heads and both baselines) reads the same ones.
EXCERPTS = {"4q": 3, "emotify": 4}
if os.environ.get("SCORER_EXCERPTS"):  # e.g. "4q=10,emotify=20": a denser reading
    EXCERPTS.update(
        {k: int(v) for k, v in (kv.split("=") for kv in os.environ["SCORER_EXCERPTS"].split(","))}
    )
EXCERPT_S = 3.0


def excerpt_starts(n_samples: int, count: int, sr: int = 16000) -> np.ndarray:
    """Sample starts of ``count`` evenly spaced 3-s excerpts (first at 0, last at the end)."""
    win = int(EXCERPT_S * sr)
    if n_samples <= win:
        return np.zeros(1, dtype=np.int64)
    return np.round(np.linspace(0, n_samples - win, count)).astype(np.int64)


def excerpt_features(kind: str, y: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One row per excerpt.

    musicnn: MSD embedding, MTT embedding, MSD tags, MTT tags (500); cues: the low-level
    cues of the same log-mel patch (``musicnn.patch_cues``, 9); seed003: mean and std of
    the frame features over the excerpt (96); cqt: the shipped CNN's class probabilities,
    mean over the excerpt's 2-s segments (4, Emotify class order).
    """
    from scorer.music import emotion as me
    from scorer.music import musicnn as mn

    win = int(EXCERPT_S * 16000)
    if kind == "musicnn":
        o = mn.run(mn.window_patches(y, starts))
        return np.concatenate(
            [o["msd_embedding"], o["mtt_embedding"], o["msd_tags"], o["mtt_tags"]], 1
        )
    if kind == "cues":
        return mn.patch_cues(mn.window_patches(y, starts))
    rows = []
    for s in starts:
        seg = y[int(s) : int(s) + win]
        if kind == "cqt":
            db = me.cqt_db(seg)
            rows.append(me.run_model(me.segment_batch(db, me.segment_starts(db.shape[1]))).mean(0))
        else:
            import train_music_emotion as tme

            f = tme.baseline_frame_features(seg)
            rows.append(np.concatenate([f.mean(1), f.std(1)]))
    return np.array(rows, dtype=np.float32)


def cache_features(ds: dict, cache: Path = CACHE, kinds=("musicnn", "cqt", "seed003")) -> dict:
    """Return {kind: list of per-clip (excerpts, dims) arrays}, computing what the cache lacks.

    Partial results are saved every 50 clips, so an interrupted run resumes.
    """
    import soundfile as sf

    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind in kinds:
        path = cache / f"{ds['name']}_{kind}_x{EXCERPTS[ds['name']]}.npz"
        store = dict(np.load(path, allow_pickle=False)) if path.exists() else {}
        todo = [c for c in ds["ids"] if c not in store]
        t0 = time.time()
        for k, cid in enumerate(todo):
            y, sr = sf.read(str(clip_path(ds, cid)), dtype="float32")
            if y.ndim > 1:
                y = y.mean(1)
            assert sr == 16000, cid
            store[cid] = excerpt_features(kind, y, excerpt_starts(len(y), EXCERPTS[ds["name"]]))
            if (k + 1) % 50 == 0 or k + 1 == len(todo):
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, **store)
                tmp.replace(path)
                print(
                    f"  {ds['name']} {kind} {len(store)}/{len(ds['ids'])} {time.time() - t0:.0f}s",
                    flush=True,
                )
        out[kind] = [store[i] for i in ds["ids"]]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--kinds", nargs="+", default=["musicnn", "cqt", "seed003"])
    args = ap.parse_args()
    for kind in args.kinds:  # musicnn for both sets first: the baselines come after
        for ds in (load_4q(), load_emotify()):
            cache_features(ds, args.cache, (kind,))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
