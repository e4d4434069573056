"""The default library: a curated subset of music21's bundled public-domain corpus.

About 590 works, chosen so that first-use indexing stays within a few minutes on two cores
and covers the circumplex: Bach chorales (major and minor, moderate), Irish dance tunes from
Ryan's Mammoth Collection and O'Neill's (fast, major), Aird's airs (slow), Essen folk songs
(German, Chinese, Swiss...; varied), movements of Mozart and Haydn string quartets and a few
other short works (slow movements, minuets, allegros), and, for film (``FILM``): Beethoven's
Rasumovsky quartet movements and the op. 18/1 movements, Monteverdi's madrigals (Books 3 to 5,
five voices: laments and dramatic settings), Corelli's trio sonata, Weber's clarinet
concertino, Schubert's "Der Lindenbaum", Amy Beach, Schumann's Dichterliebe, Schoenberg's
op. 19 piano pieces and Webern (tension), Josquin and a spread of Palestrina's mass movements
(still, sacred). Whole quartets in one file (Beethoven op. 18/3-5, 74, 132, 133: 20-30 s each
to read) and the trecento collection are left out to keep indexing short.

Beside the corpus, a bank of generated cinematic cues (``bank_cues``): the app's cinematic
style written for points spread over the valence/arousal plane (60 s each, with the key, mode,
tempo, register and instruments a cue at that point gets), saved beside the index and indexed
like any MIDI file, so by their measured V/A.

Every piece is orchestrated on delivery: adaptation plays its voices on the cue's planned
instruments (:mod:`scorer.music.library.adapt`), so a madrigal or a quartet becomes the cue's
horn, strings and pad rather than its source's voices.
"""

from __future__ import annotations

from pathlib import Path

from scorer.music.library import features as feat

VERSION = "2"  # 2: the film works (FILM) and the cinematic bank
BANK_FOLDER = "scorer:cinematic-bank"
BANK_SOURCE = "generated"
BANK_POINTS = (-0.8, -0.4, 0.0, 0.4, 0.8)  # valence x arousal grid of the bank
BANK_SECONDS = 60.0
FOLDER = "music21:corpus"
SOURCE = "music21"
MAX_KB = 45  # bigger corpus files take seconds each to parse
EXTRA = ("handel", "verdi", "joplin", "liliuokalani", "johnson_j_r", "leadSheet", "chopin",
         "schumann_clara", "schumann_robert", "cpebach", "beethoven", "mozart", "haydn")
# works for film scoring beyond folk tunes and hymns, by collection: files whose path contains
# one of the names (None: every score file of the collection); chosen by reading time (each
# under ~10 s on a shared core) as well as by character
FILM: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("beethoven", ("opus59no1", "opus59no2", "opus59no3", "opus18no1/movement2.mxl",
                   "opus18no1/movement3.mxl")),
    ("monteverdi", None),
    ("corelli", None), ("weber", None), ("schubert", None), ("beach", None),
    ("schumann_robert", ("dichterliebe",)), ("schoenberg", None), ("webern", None),
    ("josquin", None),
)
PALESTRINA_STEP = 40  # every 40th of 1,318 mass movements: a still, sacred colour
SCORE_SUFFIXES = (".mxl", ".krn", ".xml", ".musicxml", ".abc")


def curated_jobs(limit: int | None = None, film: bool = True
                 ) -> list[tuple[Path, list[int] | None]]:
    """Return (file, tunes or None) for the curated subset, in a fixed order.

    Args:
        limit: Take only this many works (spread over the collections), for tests.
        film: Add the film works (``FILM``); False gives curation 1 (benchmarks compare).
    """
    from music21 import corpus

    paths = sorted(corpus.getCorePaths())

    def group(name: str) -> list[Path]:
        return [p for p in paths if name in p.parts]

    jobs: list[tuple[Path, list[int] | None]] = []
    bach = [p for p in group("bach") if p.name.startswith("bwv") and p.suffix == ".mxl"]
    jobs += [(p, None) for p in bach[::4]]
    jobs += [(p, None) for p in group("ryansMammoth")[::10]]
    for name, per_file in (("essenFolksong", 3), ("oneills1850", 2), ("airdsAirs", 5)):
        for p in group(name):
            numbers = feat.abc_numbers(p)[:per_file]
            if numbers:
                jobs.append((p, numbers))
    for name in EXTRA:
        for p in group(name):
            if p.suffix in (".mxl", ".krn", ".xml") and p.stat().st_size <= MAX_KB * 1024:
                jobs.append((p, None))
    if film:
        taken = {p for p, _ in jobs}
        for name, parts in FILM:
            for p in group(name):
                text = p.as_posix()
                if (p.suffix in SCORE_SUFFIXES and p not in taken
                        and (parts is None or any(part in text for part in parts))):
                    jobs.append((p, None))
                    taken.add(p)
        jobs += [(p, None) for p in group("palestrina")[::PALESTRINA_STEP]]
    if limit is not None and limit < len(jobs):
        step = len(jobs) / limit
        jobs = [jobs[int(i * step)] for i in range(limit)]
    return jobs


def bank_cue(valence: float, arousal: float, seconds: float = BANK_SECONDS):
    """A cue at a point of the plane, with what cue planning gives such a cue (no picture)."""
    from scorer.affect import cues
    from scorer.music.fit import DEFAULT_METER, hit_tempo_map
    from scorer.project import Cue

    cue = Cue(f"V{valence:+.1f}A{arousal:+.1f}", 0.0, seconds, title="cinematic bank")
    cue.valence, cue.arousal = valence, arousal
    low, high = cues.tempo_range(arousal)
    cue.tempo = round((low + high) / 2, 3)
    cue.meter = DEFAULT_METER
    cue.tempo_map = hit_tempo_map([], cue.tempo, seconds)
    cue.key, cue.mode = cues.key_for(valence)
    cue.register = cues.register_for(valence)
    cue.instrumentation = cues.instrumentation_for(valence, arousal)
    cue.programs = dict(cues.INSTRUMENTATION[cue.instrumentation])
    level = round(min(1.0, max(0.1, 0.5 + 0.4 * arousal)), 3)
    cue.dynamics = [(0.0, level), (seconds, level)]
    return cue


def bank_cues(folder: Path, points: tuple[float, ...] | None = None,
              cancel=None) -> list[Path]:
    """Write (once) the generated cinematic cues, one per grid point; return their files.

    Files already there are kept (the same point and seed give the same music).

    Args:
        folder: Where the MIDI files go.
        points: Valence and arousal values of the grid (``BANK_POINTS`` when None).
        cancel: Token with ``raise_if_set()``, checked between pieces.
    """
    from scorer.music.generate import generate_for_cue

    points = BANK_POINTS if points is None else points
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i, valence in enumerate(points):
        for j, arousal in enumerate(points):
            path = folder / f"cinematic_v{valence:+.1f}_a{arousal:+.1f}.mid"
            if not path.is_file():
                if cancel is not None:
                    cancel.raise_if_set()
                generate_for_cue(bank_cue(valence, arousal), style="cinematic",
                                 seed=i * len(points) + j).save(path)
            files.append(path)
    return files


def ensure(index, progress=None, cancel=None, limit: int | None = None):
    """Index the curated corpus and the cinematic bank once (again when VERSION changes).

    Returns:
        The corpus's report (the bank's failures added), or None when nothing was to do.
        With ``limit`` (tests), only that many corpus works and no bank.
    """
    wanted = f"{VERSION}:{limit if limit is not None else 'all'}"
    old = index.meta("default_library")
    if old == wanted:
        return None
    if old and old.split(":")[0] != VERSION:  # a new curation: read everything again
        index.remove_folder(FOLDER)
        index.remove_folder(BANK_FOLDER)
    report = index.add_jobs(FOLDER, SOURCE, curated_jobs(limit), progress, cancel)
    if limit is None:
        files = bank_cues(index.path.parent / "cinematic_bank", cancel=cancel)
        bank = index.add_jobs(BANK_FOLDER, BANK_SOURCE, [(p, None) for p in files], progress,
                              cancel)
        report.pieces += bank.pieces
        report.added += bank.added
        report.failed += bank.failed
        report.seconds += bank.seconds
    index.set_meta("default_library", wanted)
    return report
