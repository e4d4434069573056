"""The default library: a curated subset of music21's bundled public-domain corpus.

About 450 works, chosen so that first-use indexing takes well under two minutes on two cores
and covers the circumplex: Bach chorales (major and minor, moderate), Irish dance tunes from
Ryan's Mammoth Collection and O'Neill's (fast, major), Aird's airs (slow), Essen folk songs
(German, Chinese, Swiss...; varied), and movements of Mozart and Haydn string quartets and a few
other short works (slow movements, minuets, allegros). Large files (full Beethoven quartets,
Palestrina masses) are left out to keep indexing short.
"""

from __future__ import annotations

from pathlib import Path

from scorer.music.library import features as feat

VERSION = "1"
FOLDER = "music21:corpus"
SOURCE = "music21"
MAX_KB = 45  # bigger corpus files take seconds each to parse
EXTRA = ("handel", "verdi", "joplin", "liliuokalani", "johnson_j_r", "leadSheet", "chopin",
         "schumann_clara", "schumann_robert", "cpebach", "beethoven", "mozart", "haydn")


def curated_jobs(limit: int | None = None) -> list[tuple[Path, list[int] | None]]:
    """Return (file, tunes or None) for the curated subset, in a fixed order.

    Args:
        limit: Take only this many works (spread over the collections), for tests.
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
