"""Suggestions per cue: library pieces (adapted to the cue) and generated music, ranked together.

Generated music is judged by the same yardstick as library music: its MIDI file is described
by the same features and rules, then scored by :func:`retrieval.score_all` against the cue.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import numpy as np

from scorer.errors import ScorerError
from scorer.music.library import adapt, retrieval
from scorer.music.library import features as feat
from scorer.music.library.index import LibraryIndex
from scorer.project import Cue, Project, Suggestion, music_folder

log = logging.getLogger(__name__)

STRETCH = 0.15
SPARE_CANDIDATES = 4
MAX_TEMPO_CHANGE = 4.0  # a factor beyond this is a broken tempo in the index, not a fit


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:32] or "piece"


def suggest_for_cue(cue: Cue, index: LibraryIndex, n: int = 5,
                    stretch: float = STRETCH) -> list[Suggestion]:
    """Rank library pieces for one cue (no files written; ``path`` stays empty).

    Each suggestion's ``params`` hold the piece, the tempo change, the transposition and the
    piece's valence/arousal; ``explanation`` says how the score was reached.
    """
    matches = index.query(cue.valence, cue.arousal, cue.tempo, cue.duration, n,
                          stretch=stretch, tempo_range=tuple(cue.tempo_range))
    out = []
    for m in matches:
        e = m.entry
        out.append(Suggestion(
            id=f"{cue.number}-lib-{e.id}", cue=cue.number, source="library", title=e.title,
            score=round(m.score, 4), explanation=m.explanation,
            params={"entry": e.id, "file": e.path, "ref": e.ref, "kind": e.kind,
                    "library": e.source, "valence": e.valence, "arousal": e.arousal,
                    "method": e.method, "key": f"{e.key} {e.mode}",
                    "tempo_from": round(e.tempo, 2), "tempo_to": round(m.target_tempo, 2),
                    "tempo_factor": round(m.tempo_factor, 4),
                    "transpose": adapt.transposition(e.key, cue.key), "fits": m.fits}))
    return out


def _adapt_library(cue: Cue, sug: Suggestion, index: LibraryIndex, folder: Path) -> None:
    entry = index.get([sug.params["entry"]])[0]
    factor = float(sug.params["tempo_factor"])
    if not math.isfinite(factor) or factor <= 0:
        raise ValueError(f"tempo change {factor} is not a number above 0")
    factor = min(max(factor, 1 / MAX_TEMPO_CHANGE), MAX_TEMPO_CHANGE)
    plan = adapt.plan_for_cue(entry, cue, factor)
    path, info = adapt.adapt_entry(entry, plan, folder,
                                   f"{cue.number}_{_slug(entry.title)}_{entry.id}")
    sug.path = str(path)
    sug.params["adapted"] = info


# reasons one piece cannot be adapted; the next candidate takes its place
PIECE_FAILURES = (ScorerError, OSError, ValueError, ArithmeticError, IndexError, EOFError,
                  RecursionError, MemoryError)


def _adapted_library(cue: Cue, index: LibraryIndex, folder: Path, n: int) -> list[Suggestion]:
    """Rank and adapt up to ``n`` library pieces; a piece that fails is skipped, with its reason.

    A few spare candidates are ranked so that a skipped piece is replaced by the next best.
    """
    ranked = suggest_for_cue(cue, index, n + SPARE_CANDIDATES)
    out: list[Suggestion] = []
    for sug in ranked:
        if len(out) >= n:
            break
        try:
            _adapt_library(cue, sug, index, folder)
        except PIECE_FAILURES as exc:
            reason = str(exc).strip() or type(exc).__name__
            log.warning("cue %s: skipped %s (%s): %s", cue.number, sug.title,
                        sug.params.get("file", ""), reason)
            continue
        out.append(sug)
    return out


def score_file(cue: Cue, path: str | Path) -> tuple[dict, dict]:
    """Score one music file against a cue by the rules that rank library pieces.

    Returns:
        (the file's measured features, the score components incl. "score").

    Raises:
        ScorerError: If the file cannot be read.
    """
    rec = feat.extract(str(path))[0]
    arr = {"id": np.zeros(1, np.int64), "valence": np.array([rec["valence"]]),
           "arousal": np.array([rec["arousal"]]), "tempo": np.array([rec["tempo"]]),
           "tempo_known": np.array([rec["tempo_known"]]),
           "duration": np.array([rec["duration"]])}
    s = retrieval.score_all(arr, cue.valence, cue.arousal, cue.tempo, cue.duration,
                            STRETCH, tuple(cue.tempo_range))
    return rec, {k: float(v[0]) for k, v in s.items() if k != "id"}


def _generated(cue: Cue, folder: Path, count: int) -> list[Suggestion]:
    try:
        from scorer.music.generate import generate_for_cue
    except ImportError:
        return []
    out = []
    for seed in range(count):
        try:
            piece = generate_for_cue(cue, seed=seed)
            path = folder / f"{cue.number}_generated_{seed}.mid"
            piece.save(path)
            rec, s = score_file(cue, path)
        except ScorerError as exc:
            log.warning("generation for cue %s failed: %s", cue.number, exc)
            break
        fits = {k: round(s[k], 4) for k in retrieval.WEIGHTS if k in s}
        style = getattr(piece, "style", "") or ""
        out.append(Suggestion(
            id=f"{cue.number}-gen-{seed}", cue=cue.number, source="generated",
            title=f"Generated {style} melody (seed {getattr(piece, 'seed', seed)})".replace(
                "  ", " "),
            path=str(path), score=round(s["score"], 4),
            explanation=(f"score {s['score']:.2f}; generated for this cue; measured "
                         f"V{rec['valence']:+.2f} A{rec['arousal']:+.2f} vs cue "
                         f"V{cue.valence:+.2f} A{cue.arousal:+.2f}, {rec['tempo']:.0f} BPM, "
                         f"{rec['duration']:.0f} s (rules, as for library pieces)"),
            params={"style": style, "seed": getattr(piece, "seed", seed), "fits": fits,
                    "valence": rec["valence"], "arousal": rec["arousal"]}))
    return out


def suggest_project(project: Project, project_path: str | Path, n: int = 5,
                    with_generated: bool = True, progress=None, cancel=None,
                    index: LibraryIndex | None = None,
                    use_default: bool = True) -> list[Suggestion]:
    """Fill ``project.suggestions``: per cue, adapted library pieces and generated music.

    Suggestions of locked cues are kept as they are. Adapted files go to PROJECTNAME_music/
    beside the project. The default library is indexed on first use.

    Args:
        project: The project (its cues are read, its suggestions replaced).
        project_path: Where the project file is (or will be) saved.
        n: Library suggestions per cue.
        with_generated: Also ask the melody generator, when it is installed.
        progress: Called with (stage, fraction); stages "scan", "index", "suggest".
        cancel: A CancelToken.
        index: The library (the user's library if None).
        use_default: Index the music21 default library first if it is not yet.

    Returns:
        The new suggestions.
    """
    say = progress or (lambda stage, fraction: None)
    own = index is None
    index = index or LibraryIndex()
    try:
        if use_default:
            index.ensure_default(progress, cancel)
        folder = music_folder(project_path)
        folder.mkdir(parents=True, exist_ok=True)
        keep = {c.number for c in project.cues if c.locked}
        result = [s for s in project.suggestions if s.cue in keep]
        say("suggest", 0.0)
        cues = [c for c in project.cues if not c.locked]
        for i, cue in enumerate(cues):
            if cancel is not None:
                cancel.raise_if_set()
            ranked = _adapted_library(cue, index, folder, n)
            if with_generated:
                ranked += _generated(cue, folder, max(1, n // 2))
            ranked.sort(key=lambda s: -s.score)
            result += ranked
            say("suggest", (i + 1) / len(cues))
        project.suggestions = result
        return result
    finally:
        if own:
            index.close()
