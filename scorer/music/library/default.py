"""The default library: a curated subset of music21's bundled public-domain corpus.

About 550 works, chosen so that first-use indexing stays within a few minutes on two cores
and covers the circumplex: Bach chorales (major and minor, moderate), Irish dance tunes from
Ryan's Mammoth Collection and O'Neill's (fast, major), Aird's airs (slow), Essen folk songs
(German, Chinese, Swiss...; varied), movements of Mozart and Haydn string quartets and a few
other short works (slow movements, minuets, allegros), and, for film (``FILM``): Beethoven's
Rasumovsky quartet movements and the op. 18/1 movements, Monteverdi's madrigals (Books 3 and 4,
five voices: laments and dramatic settings), Corelli's trio sonata, Weber's clarinet
concertino, Schubert's "Der Lindenbaum", Amy Beach, Schumann's Dichterliebe, Schoenberg's
op. 19 piano pieces and Webern (tension), Josquin and a spread of Palestrina's mass movements
(still, sacred). Whole quartets in one file (Beethoven op. 18/3-5, 74, 132, 133: 20-30 s each
to read) and the trecento collection are left out to keep indexing short.

Every piece is orchestrated on delivery: adaptation plays its voices on the cue's planned
instruments (:mod:`scorer.music.library.adapt`), so a madrigal or a quartet becomes the cue's
horn, strings and pad rather than its source's voices.
"""

from __future__ import annotations

from pathlib import Path

from scorer.music.library import features as feat

VERSION = "2"  # 2: the film works (FILM)
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


def ensure(index, progress=None, cancel=None, limit: int | None = None):
    """Index the curated corpus once (again when VERSION changes); return the report or None."""
    wanted = f"{VERSION}:{limit if limit is not None else 'all'}"
    old = index.meta("default_library")
    if old == wanted:
        return None
    if old and old.split(":")[0] != VERSION:  # a new curation: read everything again
        index.remove_folder(FOLDER)
    report = index.add_jobs(FOLDER, SOURCE, curated_jobs(limit), progress, cancel)
    index.set_meta("default_library", wanted)
    return report
