"""Fit: does the music Scorer delivers fit the picture? Measured on the delivered files.

For every cue of three clips (the bundled demo, the Sintel trailer from ../shared/data and a
10-minute generated clip), suggestions are made the way ``scorer suggest`` makes them and the
files an editor would receive are measured:

- emotion: distance on the valence/arousal plane between the cue's target and the delivered
  file's V/A, measured by the app's own symbolic measure (``suggest.score_file``), for the top
  library suggestion and the top generated one. Beside it, in the same run, "today's" ranking:
  the top library piece by its *source* V/A (no re-measure), adapted, then measured the same way;
  and that piece adapted without the expressive-performance search (grid and cadence only).
- hits: |hit point - nearest beat of the delivered file's own tempo map| in ms;
- downbeat: the file's bar 1 is at the cue's start (time signature at tick 0, first note on
  beat 0 or a pickup into bar 2);
- meter: a library file's time signature is its source's;
- ending: the last note ends within one beat of the cue's end, on a dominant -> tonic bass;
- joins: silence between one cue's last note and the next cue's first note, when the cues abut.

Analysing the clips is slow, so each analysed project is cached in ``/work/cache/fit`` (or
``--cache``); ``--prepare`` only analyses. The 10-minute clip is bench/scale.py's segment
(speech then music, a cut every 7 s) at 640x360, repeated ten times.

Run: .venv/bin/python bench/fit.py [--prepare] [--clips demo,sintel,long] [--n 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SINTEL = Path("/work/shared/data/video/sintel_trailer_480p.mp4")
DEFAULT_CACHE = Path("/work/cache/fit")


def clip_paths(cache: Path) -> dict[str, Path]:
    """The three clips (the long one written into the cache on first use)."""
    return {"demo": REPO / "resources" / "demo.mp4", "sintel": SINTEL,
            "long": cache / "long_10min_360p.mp4"}


def make_long(cache: Path) -> Path:
    """Write (once) the 10-minute clip from bench/scale.py's segment at 640x360."""
    from bench import scale

    target = clip_paths(cache)["long"]
    if target.exists():
        return target
    segment = scale.make_segment(cache / "segment_60s_360p.mp4", width=640, height=360)
    return scale.make_long(segment, target, 10)


def analysed(name: str, cache: Path):
    """Return the analysed project of a clip, from the cache or analysed now (and cached)."""
    from scorer import project as project_mod
    from scorer.pipeline import analyze

    cache.mkdir(parents=True, exist_ok=True)
    saved = cache / f"{name}.scorer.json"
    if saved.exists():
        return project_mod.load(saved)
    path = make_long(cache) if name == "long" else clip_paths(cache)[name]
    if not path.exists():
        return None
    start = time.perf_counter()
    proj = analyze(path)
    print(f"analysed {name} in {time.perf_counter() - start:.0f} s: {len(proj.cues)} cues",
          flush=True)
    project_mod.save(proj, saved) if hasattr(project_mod, "save") else saved.write_text(
        json.dumps(proj.to_dict()))
    return proj


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true", help="only analyse and cache")
    parser.add_argument("--clips", default="demo,sintel,long")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--n", type=int, default=5, help="library suggestions per cue")
    args = parser.parse_args()
    names = [c.strip() for c in args.clips.split(",") if c.strip()]
    projects = {}
    for name in names:
        proj = analysed(name, args.cache)
        if proj is None:
            print(f"{name}: clip not found, skipped")
            continue
        projects[name] = proj
    if args.prepare:
        return
    measure(projects, args.cache, args.n)


def _file_row(cue, path: str, src_meter: tuple[int, int] | None) -> dict:
    """Measure one delivered MIDI file against its cue."""
    from scorer.music import fit
    from scorer.music.arrange import key_pitch_class
    from scorer.music.library.suggest import score_file

    rec, _ = score_file(cue, path)
    facts = fit.read_midi_facts(path)
    hits = [h - cue.start for h in cue.hit_points]
    beat = fit.beat_length_at(facts, max(0.0, cue.duration - 1e-3))
    tonic = key_pitch_class(cue.key)
    # the cadence is in the delivered key: the cue's for generated music and adapted pieces
    return {"dist": ((rec["valence"] - cue.valence) ** 2 + (rec["arousal"] - cue.arousal) ** 2)
            ** 0.5,
            "hit_ms": [1000 * e for e in fit.hit_beat_errors(facts, hits)],
            "downbeat": facts.meter is not None and facts.first_onset_beat < 1e-3,
            "meter": src_meter is None or facts.meter == tuple(src_meter),
            "ending": abs(facts.last_end - cue.duration) <= beat + 1e-3,
            "cadence": fit.ends_on_cadence(facts, tonic),
            "first": facts.first_onset, "last": facts.last_end}


def _summary(label: str, clip: str, rows: list[dict], cues: list) -> dict:
    dist = [r["dist"] for r in rows]
    hits = [h for r in rows for h in r["hit_ms"]]
    gaps = []
    for (c0, r0), (c1, r1) in zip(zip(cues, rows, strict=True),
                                  list(zip(cues, rows, strict=True))[1:], strict=False):
        if abs(c1.start - c0.end) < 1e-3:
            gaps.append(1000 * max(0.0, (c0.duration - r0["last"]) + r1["first"]))

    def share(key):
        return f"{sum(r[key] for r in rows)}/{len(rows)}"

    return {"clip": clip, "suggestion": label, "cues": len(rows),
            "median_dist": statistics.median(dist) if dist else None,
            "mean_dist": statistics.fmean(dist) if dist else None,
            "hit_median_ms": statistics.median(hits) if hits else None, "hits": len(hits),
            "downbeat": share("downbeat"), "meter_kept": share("meter"),
            "end_1_beat": share("ending"), "V-I": share("cadence"),
            "max_join_gap_ms": max(gaps) if gaps else 0.0}


def measure(projects: dict, cache: Path, n: int) -> None:
    """Suggest for every cue and print the table (see the module docstring)."""
    from scorer.music.library import adapt, suggest
    from scorer.music.library.index import LibraryIndex

    index = LibraryIndex()
    index.ensure_default()
    table = []
    everything: dict[str, tuple[list, list]] = {}
    started = time.perf_counter()
    for clip, proj in projects.items():
        folder = cache / f"{clip}_music"
        folder.mkdir(parents=True, exist_ok=True)
        rows: dict[str, list[dict]] = {"library (delivered ranking)": [],
                                       "library (today: source ranking)": [],
                                       "library (source ranking, no performance)": [],
                                       "generated": []}
        cues = {k: [] for k in rows}
        for cue in proj.cues:
            sugs = suggest.suggest_cue(cue, index, folder, n)
            lib = [s for s in sugs if s.source == "library" and s.path.endswith(".mid")]
            gen = [s for s in sugs if s.source == "generated"]
            if lib:
                entry = index.get([lib[0].params["entry"]])[0]
                meter = adapt.source_meter(adapt.load_source(entry)[0])
                rows["library (delivered ranking)"].append(_file_row(cue, lib[0].path, meter))
                cues["library (delivered ranking)"].append(cue)
            # today: the best piece by its source V/A (the next when it cannot be adapted)
            for sug in suggest.suggest_for_cue(cue, index, 3):
                try:
                    suggest._adapt_library(cue, sug, index, folder / "today")
                except suggest._adapt_errors():
                    continue
                if sug.path.endswith(".mid"):
                    entry = index.get([sug.params["entry"]])[0]
                    meter = adapt.source_meter(adapt.load_source(entry)[0])
                    rows["library (today: source ranking)"].append(
                        _file_row(cue, sug.path, meter))
                    cues["library (today: source ranking)"].append(cue)
                    # the same piece fitted to the grid without the performance search
                    plan = adapt.plan_for_cue(entry, cue, sug.params["tempo_factor"])
                    plan.target = None
                    bare, _ = adapt.adapt_entry(entry, plan, folder / "bare",
                                                Path(sug.path).stem)
                    rows["library (source ranking, no performance)"].append(
                        _file_row(cue, str(bare), meter))
                    cues["library (source ranking, no performance)"].append(cue)
                break
            if gen:
                rows["generated"].append(_file_row(cue, gen[0].path, None))
                cues["generated"].append(cue)
        for label, r in rows.items():
            table.append(_summary(label, clip, r, cues[label]))
            all_rows, all_cues = everything.setdefault(label, ([], []))
            all_rows += r
            all_cues += cues[label]
        print(f"{clip}: {len(proj.cues)} cues measured ({time.perf_counter() - started:.0f} s)",
              flush=True)
    for label, (r, c) in everything.items():
        row = _summary(label, "all", r, c)
        row["max_join_gap_ms"] = max((t["max_join_gap_ms"] for t in table
                                      if t["suggestion"] == label), default=0.0)
        table.append(row)
    index.close()
    print_table(table, ["clip", "suggestion", "cues", "median_dist", "mean_dist",
                        "hit_median_ms", "hits", "downbeat", "meter_kept", "end_1_beat", "V-I",
                        "max_join_gap_ms"])
    print("\ntargets: median distance <= 0.25; hit median <= 30 ms; every file on a downbeat, "
          "meter kept, ending within one beat; no silent gap at joins")


if __name__ == "__main__":
    main()
