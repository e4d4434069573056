"""Editing cues: one API that changes a cue and re-plans everything derived from it.

An editor retargets a cue on the valence-arousal plane, moves an edge, locks a choice, or picks
a style or an instrumentation. Each edit here changes what the editor decided (``Cue.target``,
the times, ``Cue.palette``, ``Cue.style``, the lock) and then re-plans the derived fields of
every cue it touched with the cue planner itself (:func:`scorer.affect.cues.fill_cue`): target
valence/arousal, hits, tempo range and tempo, key and mode, register, instrumentation and
programs, dynamics, ducking and the modality shares. Score captions are built from the cues at
export, so they follow.

Suggestions made for the old plan no longer fit: every edit that changes what a cue asks of the
music drops the suggestions of the changed cues (a locked cue keeps its chosen piece) and
returns the numbers to re-suggest; :func:`scorer.music.library.suggest.suggest_project` with
``numbers=`` refreshes just those. The CLI (``scorer cue``) and the GUI's undo commands both call
these functions; nothing else changes a cue's plan.
"""

from __future__ import annotations

import math

from scorer.affect.cues import INSTRUMENTATION, CueSettings, fill_cue, speech_regions
from scorer.affect.fusion import fuse_project, project_duration
from scorer.errors import ScorerError
from scorer.project import Cue, Project

EPS = 1e-6
MIN_CUE_SECONDS = 1.0


def _cue(project: Project, number: str) -> Cue:
    for cue in project.cues:
        if cue.number == number:
            return cue
    known = ", ".join(c.number for c in project.cues) or "none"
    raise ScorerError(f"no cue {number!r} in the project (cues: {known})")


def _finite(name: str, value: float, low: float, high: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise ScorerError(f"{name} must be a number (got {value!r})") from exc
    if not math.isfinite(value) or not low <= value <= high:
        raise ScorerError(f"{name} must be between {low:g} and {high:g} (got {value!r})")
    return value


def replan(project: Project, numbers: list[str] | set[str]) -> list[str]:
    """Re-plan the derived fields of the named cues from the analysis.

    Returns:
        The numbers re-planned, in time order.
    """
    wanted = set(numbers)
    if not wanted:
        return []
    settings = CueSettings.from_dict(project.settings.get("cues"))
    fused = project.fused if project.fused is not None else fuse_project(project)
    regions = speech_regions(project)
    words = project.tracks.get("words")
    done = []
    for cue in sorted(project.cues, key=lambda c: c.start):
        if cue.number in wanted:
            fill_cue(cue, fused, project.shots, regions, words, settings)
            done.append(cue.number)
    return done


def _drop_stale(project: Project, numbers: list[str]) -> list[str]:
    """Drop the suggestions made for the old plan of these cues; return those to re-suggest."""
    stale = set()
    for number in numbers:
        cue = _cue(project, number)
        if cue.locked:
            continue  # the editor's locked pick stays; it is re-planned around, not replaced
        cue.choice = ""
        stale.add(number)
    project.suggestions = [s for s in project.suggestions if s.cue not in stale]
    return sorted(stale, key=lambda n: _cue(project, n).start)


def retarget(project: Project, number: str, valence: float | None,
             arousal: float | None = None) -> list[str]:
    """Set a cue's target on the valence-arousal plane (None for both: back to measured).

    Returns:
        The cues whose suggestions must be refreshed.
    """
    cue = _cue(project, number)
    if valence is None and arousal is None:
        cue.target = None
    else:
        v = _finite("valence", cue.valence if valence is None else valence, -1.0, 1.0)
        a = _finite("arousal", cue.arousal if arousal is None else arousal, -1.0, 1.0)
        cue.target = (round(v, 3), round(a, 3))
    replan(project, [number])
    return _drop_stale(project, [number])


def move_edge(project: Project, number: str, edge: str, seconds: float) -> list[str]:
    """Move a cue's start or end; a neighbour sharing that boundary moves with it (a roll).

    Raises:
        ScorerError: For an unknown edge, a time outside the clip, or a cue (or its rolled
            neighbour) that would be shorter than ``MIN_CUE_SECONDS``.

    Returns:
        The cues whose suggestions must be refreshed.
    """
    if edge not in ("start", "end"):
        raise ScorerError(f"edge must be 'start' or 'end', not {edge!r}")
    duration = project_duration(project)
    t = round(_finite(f"the new {edge} of cue {number}", seconds, 0.0,
                      duration if duration > 0 else math.inf), 4)
    cue = _cue(project, number)
    old = getattr(cue, edge)
    changes = {number: (t, cue.end) if edge == "start" else (cue.start, t)}
    for other in project.cues:
        if other.number == number:
            continue
        if edge == "start" and abs(other.end - old) < EPS:
            changes[other.number] = (other.start, t)
        elif edge == "end" and abs(other.start - old) < EPS:
            changes[other.number] = (t, other.end)
    for n, (start, end) in changes.items():
        if end - start < MIN_CUE_SECONDS - EPS:
            raise ScorerError(f"cue {n} would last {end - start:.2f} s; a cue needs at least "
                              f"{MIN_CUE_SECONDS:g} s")
    for n, (start, end) in changes.items():
        c = _cue(project, n)
        c.start, c.end = start, end
    project.cues.sort(key=lambda c: c.start)
    changed = sorted(changes, key=lambda n: changes[n][0])
    replan(project, changed)
    return _drop_stale(project, changed)


def set_lock(project: Project, number: str, locked: bool, choice: str | None = None) -> list[str]:
    """Lock a cue (keep it and its chosen music through re-planning) or unlock it.

    Args:
        project: The project.
        number: The cue.
        locked: Lock or unlock.
        choice: The suggestion to choose (None keeps the current choice; "" clears it).

    Raises:
        ScorerError: If ``choice`` names no suggestion of this cue.

    Returns:
        No cues to re-suggest (locking changes no musical parameter).
    """
    cue = _cue(project, number)
    if choice:
        if not any(s.id == choice and s.cue == number for s in project.suggestions):
            raise ScorerError(f"cue {number} has no suggestion {choice!r}")
        cue.choice = choice
    elif choice == "":
        cue.choice = ""
    cue.locked = bool(locked)
    return []


def choose(project: Project, number: str, choice: str) -> list[str]:
    """Choose a suggestion for a cue without locking it ("" clears the choice)."""
    return set_lock(project, number, _cue(project, number).locked, choice)


def set_palette(project: Project, number: str, palette: str) -> list[str]:
    """Choose the cue's instrumentation preset ("" = follow the target).

    Returns:
        The cues whose suggestions must be refreshed.
    """
    if palette and palette not in INSTRUMENTATION:
        raise ScorerError(f"unknown instrumentation {palette!r}; known: "
                          f"{', '.join(sorted(INSTRUMENTATION))}")
    _cue(project, number).palette = palette
    replan(project, [number])
    return _drop_stale(project, [number])


def set_style(project: Project, number: str, style: str) -> list[str]:
    """Choose the melody style of the cue's generated music ("" = chosen from the cue).

    Returns:
        The cues whose suggestions must be refreshed.
    """
    if style:
        try:
            from scorer.music.generate import available_styles

            styles = available_styles()
        except ImportError:
            styles = []
        if styles and style not in styles:
            raise ScorerError(f"unknown melody style {style!r}; installed: {', '.join(styles)}")
    _cue(project, number).style = style
    return _drop_stale(project, [number])
