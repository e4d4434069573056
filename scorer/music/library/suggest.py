"""Suggestions per cue: library pieces (adapted to the cue) and generated music, ranked together.

Ranking is on what the editor receives: a pool of library pieces is adapted to the cue and
each adapted file is re-measured; the explanation shows the source piece's V/A beside the
delivered file's.

Generated music is judged by the same yardstick as library music: its MIDI file is described
by the same features and rules, then scored by :func:`retrieval.score_all` against the cue.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from pathlib import Path

import numpy as np

from scorer.errors import ScorerError
from scorer.fileio import staged_folder
from scorer.music.instruments import names, planned_instruments
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
                          stretch=stretch, tempo_range=tuple(cue.tempo_range),
                          instruments=planned_instruments(cue.programs))
    return [_library_suggestion(cue, m) for m in matches]


def _library_suggestion(cue: Cue, m: retrieval.Match) -> Suggestion:
    """The (not yet adapted) suggestion of one ranked library piece for a cue."""
    e = m.entry
    return Suggestion(
        id=f"{cue.number}-lib-{e.id}", cue=cue.number, source="library", title=e.title,
        score=round(m.score, 4), explanation=m.explanation,
        params={"entry": e.id, "file": e.path, "ref": e.ref, "kind": e.kind,
                "library": e.source, "valence": e.valence, "arousal": e.arousal,
                "method": e.method, "key": f"{e.key} {e.mode}",
                "tempo_from": round(e.tempo, 2), "tempo_to": round(m.target_tempo, 2),
                "tempo_factor": round(m.tempo_factor, 4),
                "transpose": adapt.transposition(e.key, cue.key), "fits": m.fits,
                "instruments": names(e.features)})


def match_entry(cue: Cue, entry, stretch: float = STRETCH) -> retrieval.Match:
    """Score one chosen piece against a cue exactly as :func:`retrieval.rank` scores a pool."""
    arr = {"id": np.array([entry.id], np.int64), "valence": np.array([entry.valence]),
           "arousal": np.array([entry.arousal]), "tempo": np.array([entry.tempo]),
           "tempo_known": np.array([bool(entry.tempo_known)]),
           "duration": np.array([entry.duration])}
    s = retrieval.score_all(arr, cue.valence, cue.arousal, cue.tempo, cue.duration, stretch,
                            tuple(cue.tempo_range))
    planned = planned_instruments(cue.programs)
    retrieval.blend_instruments(s, [names(entry.features)], planned)
    fits = {k: float(s[k][0]) for k in (*retrieval.WEIGHTS, "instruments") if k in s}
    factor = float(s["factor"][0])
    m = retrieval.Match(entry, float(s["score"][0]), fits, factor, float(entry.tempo * factor),
                        float(s["loops"][0]))
    m.explanation = retrieval.explain_match(m, cue.valence, cue.arousal, cue.tempo,
                                            cue.duration, stretch, planned)
    return m


def suggestion_for_entry(cue: Cue, entry_id: int, index: LibraryIndex,
                         folder: str | Path) -> Suggestion:
    """Adapt a piece the editor chose from the library to a cue, as a suggestion would be.

    The same path as :func:`suggest_cue`: the piece is scored against the cue, adapted
    (tempo on the cue's hit grid, key, length, cadence) into ``folder`` and the delivered
    file re-measured (:func:`measure_delivered`).

    Raises:
        ScorerError: If the piece is not in the index or cannot be adapted (the message
            names the file and the problem).
    """
    found = index.get([entry_id])
    if not found:
        raise ScorerError(f"piece {entry_id} is not in the music library (re-index it)",
                          index.path)
    sug = _library_suggestion(cue, match_entry(cue, found[0]))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _adapt_library(cue, sug, index, folder)
        measure_delivered(cue, sug)
    except ScorerError:
        raise
    except _adapt_errors() as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise ScorerError(f"cannot adapt {found[0].title!r} to cue {cue.number}: {reason}",
                          found[0].path) from exc
    sug.params["picked"] = True  # chosen by the editor in the library browser
    sug.explanation = "chosen from the library; " + sug.explanation
    return sug


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
    sug.params["meter"] = info.get("meter", "")
    sug.params["transpose"] = info.get("semitones", sug.params.get("transpose", 0))
    sug.explanation += "; " + describe_adaptation(info)


def describe_adaptation(info: dict) -> str:
    """Say in words what the adaptation did (only what it did)."""
    done = []
    if info.get("meter"):
        done.append(f"{info['meter']} kept")
    if info.get("tempo"):
        done.append(f"{info['tempo']:.0f} BPM on the cue's hit grid")
    if info.get("semitones"):
        done.append(f"transposed {info['semitones']:+d}")
    if info.get("octave_shift"):
        done.append(f"octave {info['octave_shift'] // 12:+d}")
    if info.get("mode_change"):
        done.append(f"mode {info['mode_change']}")
    if info.get("loops", 1) > 1:
        done.append(f"body played {info['loops']}x")
    if info.get("cadence"):
        done.append("ends on a V-I cadence at the cue's end")
    perf = info.get("performance")
    if perf:
        done.append(f"performed: dynamics x{perf['velocity']:g}, melody articulation "
                    f"{perf['articulation']:g}" + (f", melody {perf['octave']:+d} semitones"
                                                    if perf["octave"] else ""))
    for key in ("refused", "refused_mode"):
        if info.get(key):
            done.append(info[key])
    return "delivered: " + (", ".join(done) or "as written")


# reasons one piece cannot be adapted; the next candidate takes its place
PIECE_FAILURES = (ScorerError, OSError, ValueError, ArithmeticError, IndexError, EOFError,
                  RecursionError, MemoryError)


def score_file(cue: Cue, path: str | Path, instruments: list[str] | None = None,
               match_instruments: bool = False) -> tuple[dict, dict]:
    """Score one music file against a cue by the rules that rank library pieces.

    Args:
        cue: The cue.
        path: The file.
        instruments: What the file plays, when the caller knows it (an adapted piece plays
            its source's, generated music the cue's); None: not known.
        match_instruments: Blend in the fit of ``instruments`` to the cue's plan as ranking
            does (an unknown instrumentation fits 0.5).

    Returns:
        (the file's measured features, the score components incl. "score").

    Raises:
        ScorerError: If the file cannot be read.
    """
    rec = feat.extract(str(path), with_instruments=False)[0]
    arr = {"id": np.zeros(1, np.int64), "valence": np.array([rec["valence"]]),
           "arousal": np.array([rec["arousal"]]), "tempo": np.array([rec["tempo"]]),
           "tempo_known": np.array([rec["tempo_known"]]),
           "duration": np.array([rec["duration"]])}
    s = retrieval.score_all(arr, cue.valence, cue.arousal, cue.tempo, cue.duration,
                            STRETCH, tuple(cue.tempo_range))
    if match_instruments:
        retrieval.blend_instruments(s, [instruments], planned_instruments(cue.programs))
    return rec, {k: float(v[0]) for k, v in s.items() if k != "id"}


def generated_suggestion(cue: Cue, folder: str | Path, style: str = "", seed: int = 0,
                         temperature: float = 1.0, palette: str = "",
                         cancel=None, seed_melody: str = "") -> Suggestion:
    """Generate music for a cue, save it as MIDI in ``folder`` and score it like a library piece.

    Args:
        cue: The cue (its plan: tempo, key, register, programs...).
        folder: Where the MIDI file goes (created if missing).
        style: Melody style ("" = the cue's own style, else chosen by the router).
        seed: Random seed; the same cue and arguments give the same music.
        temperature: Sampling temperature.
        palette: An instrumentation preset for this take ("" = the cue's).
        cancel: A CancelToken, checked before the file is written.
        seed_melody: A seed melody file (token, MIDI or audio file, see
            :func:`scorer.music.melody.load_seed`); "" takes a bundled seed.

    Raises:
        ScorerError: If generation fails (no model, impossible cue) or the file is unreadable.
    """
    from scorer.affect.cues import INSTRUMENTATION
    from scorer.music.generate import generate_for_cue

    if palette:
        if palette not in INSTRUMENTATION:
            raise ScorerError(f"unknown instrumentation {palette!r}")
        cue = copy.deepcopy(cue)
        cue.instrumentation, cue.programs = palette, dict(INSTRUMENTATION[palette])
    style = style or cue.style
    piece = generate_for_cue(cue, style=style or None, seed=seed, temperature=temperature,
                             seed_melody=seed_melody or None)
    if cancel is not None:
        cancel.raise_if_set()
    used = getattr(piece, "style", "") or style or "auto"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    default_take = not palette and temperature == 1.0 and not seed_melody
    # a take from the user's seed gets its own file and id: it must not replace the take
    # from the bundled seed with the same settings
    own = f"_{_slug(Path(seed_melody).stem)}" if seed_melody else ""
    name = (f"{cue.number}_generated_{seed}" if default_take and not style
            else f"{cue.number}_{used}_s{seed}_t{temperature:.2f}_{palette or 'plan'}{own}")
    path = folder / f"{_slug(name)}.mid"
    piece.save(path)
    # generated music plays the cue's planned instruments
    rec, s = score_file(cue, path, planned_instruments(cue.programs), match_instruments=True)
    fits = {k: round(s[k], 4) for k in (*retrieval.WEIGHTS, "instruments") if k in s}
    sid = (f"{cue.number}-gen-{seed}" if default_take and not style
           else f"{cue.number}-gen-{used}-{seed}-{temperature:.2f}-{palette or 'plan'}"
           + own.replace("_", "-"))
    take = (f"seed {seed}" + (f", T {temperature:.1f}" if temperature != 1.0 else "")
            + (f", from {Path(seed_melody).name}" if seed_melody else ""))
    return Suggestion(
        id=sid, cue=cue.number, source="generated",
        title=f"Generated {used} melody ({take})", path=str(path), score=round(s["score"], 4),
        explanation=(f"score {s['score']:.2f}; melody LSTM ({used}) at temperature "
                     f"{temperature:.1f}, seed {seed}, "
                     + (f"continuing the seed melody of {Path(seed_melody).name}, "
                        if seed_melody else "") + "arranged for "
                     f"{cue.instrumentation.replace('_', ' ')} in {cue.key} {cue.mode} at "
                     f"{cue.tempo:.0f} BPM; measured V{rec['valence']:+.2f} "
                     f"A{rec['arousal']:+.2f} vs cue V{cue.valence:+.2f} A{cue.arousal:+.2f}, "
                     f"{rec['tempo']:.0f} BPM, {rec['duration']:.0f} s (read by "
                     f"{rec.get('method') or 'the library reader'}, as library pieces are)"),
        params={"style": used, "seed": seed, "temperature": temperature,
                "seed_melody": str(seed_melody), "programs": dict(cue.programs), "fits": fits,
                "valence": rec["valence"], "arousal": rec["arousal"]})


def _generation_takes(cue: Cue, count: int) -> list[tuple[str, int]]:
    """(style, seed) of the takes to try: "" is the cue's own or the router's style.

    Without a style chosen by the editor, one take per installed melody style is tried and the
    delivered files decide (the router's choice first, so it wins ties): on the 41 cues of
    bench/fit.py (the demo, the Sintel trailer and a 10-minute clip) the best take of the
    router's style alone lands at a median distance of 0.33 from its cue, the best of the
    styles at 0.20.
    """
    takes = [("", seed) for seed in range(count)]
    if cue.style:
        return takes
    from scorer.music import melody as melody_mod

    styles = melody_mod.available_styles()
    if not styles:
        return takes
    routed = melody_mod.route_style(cue.valence, cue.arousal, cue.instrumentation, styles)
    return takes[:1] + [(s, 0) for s in styles if s != routed] + takes[1:]


def _generated(cue: Cue, folder: Path, count: int) -> list[Suggestion]:
    """The ``count`` best generated takes for a cue, ranked on their delivered files."""
    out = []
    for style, seed in _generation_takes(cue, count):
        try:
            out.append(generated_suggestion(cue, folder, style=style, seed=seed))
        except ImportError:
            break
        except ScorerError as exc:
            log.warning("generation for cue %s failed: %s", cue.number, exc)
            break
    out.sort(key=lambda s: -s.score)  # stable: the router's take first among equals
    return out[:count]


def _adapt_errors() -> tuple[type[BaseException], ...]:
    """What adapting a piece may raise for a bad source (music21 on malformed repeats...)."""
    errors: tuple[type[BaseException], ...] = (*PIECE_FAILURES, KeyError)
    try:
        from music21.exceptions21 import Music21Exception
    except ImportError:
        return errors
    return (*errors, Music21Exception)


def measure_delivered(cue: Cue, sug: Suggestion) -> None:
    """Re-measure an adapted suggestion's file and score it on what the editor receives.

    The delivered file's V/A (the same rules that index the library) replaces the source
    piece's in the score; the explanation shows both.
    """
    # the adapted file keeps its source's instruments (tempo, key and length change)
    rec, s = score_file(cue, sug.path, sug.params.get("instruments"), match_instruments=True)
    src_v, src_a = sug.params.get("valence", 0.0), sug.params.get("arousal", 0.0)
    sug.params["source_score"] = sug.score
    sug.params["delivered"] = {"valence": round(rec["valence"], 4),
                               "arousal": round(rec["arousal"], 4),
                               "tempo": round(rec["tempo"], 2), "score": round(s["score"], 4)}
    sug.score = round(s["score"], 4)
    sug.explanation = (f"score {s['score']:.2f} measured on the delivered file: "
                       f"V{rec['valence']:+.2f} A{rec['arousal']:+.2f} vs cue "
                       f"V{cue.valence:+.2f} A{cue.arousal:+.2f} (source piece "
                       f"V{src_v:+.2f} A{src_a:+.2f}, source score "
                       f"{sug.params['source_score']:.2f})"
                       f"; ranked for retrieval as: {sug.explanation}")


def suggest_cue(cue: Cue, index: LibraryIndex, folder: Path, n: int = 5,
                with_generated: bool = True, pool: int | None = None) -> list[Suggestion]:
    """Suggestions for one cue, ranked on the files the editor receives.

    The ``pool`` (default 2 n) best library pieces by their source V/A are adapted, each
    adapted file is re-measured (:func:`measure_delivered`) and the ``n`` best by the delivered
    score are kept; generated pieces are measured the same way. A piece that cannot be adapted
    is dropped with a warning.
    """
    # spare candidates: a piece that cannot be adapted is replaced by the next best
    ranked = suggest_for_cue(cue, index, pool or 2 * n + SPARE_CANDIDATES)
    delivered = []
    for sug in ranked:
        try:
            _adapt_library(cue, sug, index, folder)
            measure_delivered(cue, sug)
        except _adapt_errors() as exc:
            reason = str(exc).strip() or type(exc).__name__
            log.warning("cue %s: skipped %s (%s): %s", cue.number, sug.title,
                        sug.params.get("file", ""), reason)
            continue
        delivered.append(sug)
    delivered.sort(key=lambda s: -s.score)
    out = delivered[:n]
    if with_generated:
        out += _generated(cue, folder, max(1, n // 2))
    out.sort(key=lambda s: -s.score)
    return out


def suggest_project(project: Project, project_path: str | Path, n: int = 5,
                    with_generated: bool = True, progress=None, cancel=None,
                    index: LibraryIndex | None = None,
                    use_default: bool = True,
                    numbers: list[str] | None = None) -> list[Suggestion]:
    """Fill ``project.suggestions``: per cue, adapted library pieces and generated music.

    Suggestions of locked cues (and, with ``numbers``, of every cue not named) are kept as
    they are. Adapted files go to PROJECTNAME_music/
    beside the project. The default library is indexed on first use.

    Args:
        project: The project (its cues are read, its suggestions replaced).
        project_path: Where the project file is (or will be) saved.
        n: Library suggestions per cue.
        with_generated: Also ask the melody generator, when it is installed.
        progress: Called with (stage, fraction); stages "scan", "index", "suggest".
        cancel: A CancelToken; a cancel leaves the music folder as it was (the files are
            staged and move into place only when every cue is done).
        index: The library (the user's library if None).
        use_default: Index the music21 default library first if it is not yet.
        numbers: Re-suggest only these cues (after an edit); None for every unlocked cue.

    Returns:
        The new suggestions.
    """
    say = progress or (lambda stage, fraction: None)
    own = index is None
    index = index or LibraryIndex()
    try:
        if use_default:
            index.ensure_default(progress, cancel)
        wanted = None if numbers is None else set(numbers)
        cues = [c for c in project.cues
                if not c.locked and (wanted is None or c.number in wanted)]
        redo = {c.number for c in cues}
        numbered = {c.number for c in project.cues}
        result = [s for s in project.suggestions if s.cue not in redo and s.cue in numbered]
        say("suggest", 0.0)
        # staged: a cancel or a failure leaves the music folder as it was (no file of an
        # earlier run replaced, none the unsaved project would not know)
        with staged_folder(music_folder(project_path)) as stage:
            new = []
            for i, cue in enumerate(cues):
                if cancel is not None:
                    cancel.raise_if_set()
                new += suggest_cue(cue, index, stage.path, n, with_generated)
                say("suggest", (i + 1) / len(cues))
            if cancel is not None:
                cancel.raise_if_set()
            for sug in new:
                if sug.path:
                    sug.path = str(stage.final_path(sug.path))
            stage.commit()
        result += new
        known = {c.number: c for c in project.cues}
        for number in redo:  # a choice made for the old suggestions no longer exists
            cue = known[number]
            if cue.choice and not any(s.id == cue.choice for s in result):
                cue.choice = ""
        project.suggestions = result
        return result
    finally:
        if own:
            index.close()
