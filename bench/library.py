"""Music library benchmark: index throughput and query latency.

Prints
- index throughput (files/s) on a generated folder of MIDI and ABC files, with one worker (the
  baseline) and with two worker processes;
- query latency p50/p95 at 1k, 10k and 100k synthetic entries (vectorised numpy scoring +
  MMR + reading the n winners from SQLite), against a per-row Python scoring loop (baseline)
  measured in the same run. Target: p95 < 20 ms at 100k.

Usage: python bench/library.py [--files 120] [--queries 200] [--default] [--emotify N]
(--default also times first-use indexing of the music21 default library; --emotify N checks the
audio feature rules against listener labels of N Emotify tracks in ../shared/data: Pearson r
of valence and arousal, with the genre-mean predictor as the baseline.)
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

from test_library_fixtures import ABC_TWO_TUNES, write_tune  # noqa: E402

from scorer.music.library.index import LibraryIndex  # noqa: E402
from scorer.music.library.retrieval import WEIGHTS  # noqa: E402


def make_folder(folder: Path, n: int) -> int:
    rng = np.random.default_rng(0)
    for i in range(n):
        if i % 5 == 4:
            (folder / f"tunes_{i}.abc").write_text(ABC_TWO_TUNES)
        else:
            write_tune(folder / f"tune_{i}.mid", int(rng.integers(12)), bool(i % 2),
                       float(rng.uniform(50, 180)), float(rng.choice([0.5, 1, 2])),
                       int(rng.integers(55, 75)), int(rng.integers(40, 110)),
                       float(rng.uniform(0.4, 1.0)), bars=16, seed=i)
    return n


def bench_index(n_files: int) -> list[tuple]:
    from scorer.music.library import index as index_mod

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "music"
        folder.mkdir()
        make_folder(folder, n_files)
        warm = Path(tmp) / "warm"
        warm.mkdir()
        make_folder(warm, 5)  # imports (music21, pretty_midi) out of the timing
        with LibraryIndex(Path(tmp) / "warm.sqlite") as ix:
            ix.add_folder(warm, workers=1)
        for label, workers, threshold in (("1 (baseline)", 1, None), ("2 (pool)", 2, 0.0),
                                          ("auto", 2, None)):
            saved = index_mod.PARALLEL_MIN_SECONDS
            if threshold is not None:
                index_mod.PARALLEL_MIN_SECONDS = threshold
            try:
                with LibraryIndex(Path(tmp) / f"{label[:4].strip()}.sqlite") as ix:
                    t = time.perf_counter()
                    report = ix.add_folder(folder, workers=workers)
                    dt = time.perf_counter() - t
                    t = time.perf_counter()
                    again = ix.add_folder(folder, workers=workers)
                    dt_again = time.perf_counter() - t
            finally:
                index_mod.PARALLEL_MIN_SECONDS = saved
            rows.append((label, n_files, report.pieces, dt, n_files / dt, dt_again,
                         len(again.extracted)))
    return rows


def synthetic(n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    for i in range(n):
        v, a = rng.uniform(-1, 1, 2)
        yield {"path": f"/synthetic/{i // 3}.mid", "ref": str(i % 3), "title": f"piece {i}",
               "kind": "midi", "format": "mid", "duration": float(rng.uniform(10, 300)),
               "tempo": float(rng.uniform(50, 190)), "tempo_known": bool(rng.random() < 0.8),
               "key": "C", "mode": "major" if v > 0 else "minor", "valence": float(v),
               "arousal": float(a), "confidence": 0.5, "method": "rules", "features": {},
               "sections": [], "vector": rng.uniform(-1, 1, 8).round(3).tolist()}


def baseline_query(rows, v, a, tempo, duration, n):
    """Per-row Python scoring (what a naive loop over the table would do)."""
    scored = []
    allowed = math.log1p(0.15)
    for rid, pv, pa, pt, known, pd in rows:
        emo = max(0.0, 1 - math.hypot(pv - v, pa - a) / 2)
        need = min(abs(math.log(tempo / pt)), abs(math.log(tempo / pt / 2)) + 0.05,
                   abs(math.log(tempo * 2 / pt)) + 0.05)
        tfit = (1 - 0.3 * need / allowed if need <= allowed
                else max(0.0, 0.7 - (need - allowed) / math.log(1.5))) if known else 0.85
        loops = duration / pd
        dfit = 1.0 if loops <= 1 else 1 - min(0.6, 0.2 * math.log2(loops))
        scored.append((WEIGHTS["emotion"] * emo + WEIGHTS["tempo"] * tfit
                       + WEIGHTS["duration"] * dfit, rid))
    return sorted(scored, reverse=True)[:n]


def bench_query(sizes, queries: int) -> list[tuple]:
    rows = []
    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            with LibraryIndex(Path(tmp) / f"q{size}.sqlite") as ix:
                t = time.perf_counter()
                ix.add_records(synthetic(size))
                insert = time.perf_counter() - t
                t = time.perf_counter()
                ix.arrays()
                load = time.perf_counter() - t
                times = []
                for _ in range(queries):
                    v, a = rng.uniform(-1, 1, 2)
                    t = time.perf_counter()
                    ix.query(v, a, tempo=float(rng.uniform(60, 160)),
                             duration=float(rng.uniform(10, 120)), n=5)
                    times.append(time.perf_counter() - t)
                table = list(ix._db.execute(
                    "SELECT id, valence, arousal, tempo, tempo_known, duration FROM pieces"))
                base = []
                for _ in range(max(3, queries // (size // 1000) // 10)):
                    t = time.perf_counter()
                    baseline_query(table, 0.3, 0.2, 100.0, 60.0, 5)
                    base.append(time.perf_counter() - t)
            ms = np.array(times) * 1000
            rows.append((size, insert, load * 1000, np.percentile(ms, 50), np.percentile(ms, 95),
                         np.median(base) * 1000))
    return rows


def bench_emotify(n: int) -> None:
    import csv
    import os

    from scorer.affect import circumplex
    from scorer.music.library.features import extract

    root = Path(os.environ.get("SCORER_SHARED_DATA") or
                Path(__file__).resolve().parents[2] / "shared" / "data")
    folder = root / "music-emotion" / "emotify"
    if not (folder / "labels.csv").exists():
        print(f"\nEmotify not found under {root}; skipped")
        return
    rows = list(csv.DictReader(open(folder / "labels.csv")))
    rows = rows[:: max(1, len(rows) // n)][:n]
    labels = ["amazement", "solemnity", "tenderness", "nostalgia", "calmness", "power",
              "joyful_activation", "tension", "sadness"]
    truth, pred, genres = [], [], []
    for row in rows:
        path = folder / "audio" / f"{row['track']}.ogg"
        if not path.exists():
            continue
        rec = extract(str(path))[0]
        v, a = circumplex.project_probs(labels, np.array([float(row[k]) for k in labels]))
        truth.append((float(v), float(a)))
        pred.append((rec["valence"], rec["arousal"]))
        genres.append(row["genre"])
    truth, pred = np.array(truth), np.array(pred)
    genre_mean = np.array([truth[[g == h for h in genres]].mean(0) for g in genres])
    print(f"\nAudio feature rules vs Emotify listener labels ({len(truth)} tracks; labels "
          "mapped to V/A through the circumplex table)")
    print(f"{'':8} {'rules r':>8} {'rules MAE':>9} {'genre-mean r':>12}")
    for i, name in enumerate(("valence", "arousal")):
        r = np.corrcoef(truth[:, i], pred[:, i])[0, 1]
        mae = np.abs(truth[:, i] - pred[:, i]).mean()
        rg = np.corrcoef(truth[:, i], genre_mean[:, i])[0, 1]
        print(f"{name:8} {r:8.2f} {mae:9.2f} {rg:12.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--default", action="store_true")
    parser.add_argument("--emotify", type=int, default=0)
    args = parser.parse_args()

    print("Index throughput (generated MIDI + ABC; second pass = incremental, nothing changed)")
    print(f"{'workers':>12} {'files':>6} {'pieces':>6} {'seconds':>8} {'files/s':>8} "
          f"{'x base':>7} {'re-index s':>10} {'re-read':>7}")
    idx = bench_index(args.files)
    for w, n, p, dt, fps, again, reread in idx:
        print(f"{w:>12} {n:6d} {p:6d} {dt:8.2f} {fps:8.1f} {fps / idx[0][4]:7.2f} "
              f"{again:10.3f} {reread:7d}")

    print("\nQuery latency, n=5 with MMR and explanations (baseline: per-row Python loop)")
    print(f"{'entries':>8} {'insert s':>8} {'load ms':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'base ms':>8} {'speed-up':>8}")
    for size, ins, load, p50, p95, base in bench_query((1000, 10000, 100000), args.queries):
        print(f"{size:8d} {ins:8.2f} {load:8.1f} {p50:7.2f} {p95:7.2f} {base:8.1f} "
              f"{base / p50:8.1f}")

    if args.default:
        from scorer.music.library import index as index_mod
        from scorer.music.library.default import curated_jobs

        jobs = curated_jobs()[::6]  # heavier files: music21 parsing of corpus works
        print(f"\nmusic21 corpus works ({len(jobs)} files, every 6th of the default subset)")
        print(f"{'workers':>12} {'seconds':>8} {'files/s':>8} {'x base':>7}")
        base = None
        for label, workers in (("1 (baseline)", 1), ("2 (pool)", 2)):
            saved, index_mod.PARALLEL_MIN_SECONDS = index_mod.PARALLEL_MIN_SECONDS, 0.0
            try:
                with tempfile.TemporaryDirectory() as tmp, \
                        LibraryIndex(Path(tmp) / "c.sqlite") as ix:
                    t = time.perf_counter()
                    ix.add_jobs("corpus", "music21", jobs, workers=workers)
                    dt = time.perf_counter() - t
            finally:
                index_mod.PARALLEL_MIN_SECONDS = saved
            base = base or len(jobs) / dt
            print(f"{label:>12} {dt:8.2f} {len(jobs) / dt:8.1f} {len(jobs) / dt / base:7.2f}")
        with tempfile.TemporaryDirectory() as tmp, LibraryIndex(Path(tmp) / "d.sqlite") as ix:
            t = time.perf_counter()
            report = ix.ensure_default()
            dt = time.perf_counter() - t
        print(f"\nDefault library (music21 subset): {report.pieces} pieces from "
              f"{report.added} files in {dt:.1f} s ({report.added / dt:.1f} files/s), "
              f"{len(report.failed)} unreadable")
    if args.emotify:
        bench_emotify(args.emotify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
