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

Besides the per-cue decisions there are the plan's own edits: add a cue in a gap, split one at
a time, merge two neighbours, delete and rename (number or title); hand-placed hit points
(``Cue.hits``: add, move, delete; the tempo re-fits to them); and fades and crossfades at cue
joins, which change how the chosen music is laid, not what the cue asks of it.
"""

from __future__ import annotations

import math

from scorer.affect.cues import (
    INSTRUMENTATION,
    REEL,
    CueSettings,
    _cue_index,
    fill_cue,
    speech_regions,
)
from scorer.affect.fusion import fuse_project, project_duration
from scorer.errors import ScorerError
from scorer.project import Cue, Project, Suggestion

EPS = 1e-6
MIN_CUE_SECONDS = 1.0
MAX_FADE_SECONDS = 10.0


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


def use_suggestion(project: Project, number: str, suggestion: Suggestion) -> list[str]:
    """Offer a piece the editor picked (an adapted library piece) for a cue and choose it.

    A suggestion with the same id (the same piece found earlier for this cue) is replaced,
    so the cue's list never holds one piece twice. A locked cue stays locked, now on this
    piece: the editor chose it by hand.

    Raises:
        ScorerError: If the suggestion was made for another cue or has no music file.

    Returns:
        No cues to re-suggest (the cue's plan does not change).
    """
    cue = _cue(project, number)
    if suggestion.cue != number:
        raise ScorerError(f"the piece {suggestion.title!r} was adapted for cue "
                          f"{suggestion.cue}, not cue {number}")
    if not suggestion.path:
        raise ScorerError(f"the piece {suggestion.title!r} has no music file")
    project.suggestions = [s for s in project.suggestions if s.id != suggestion.id]
    project.suggestions.append(suggestion)
    cue.choice = suggestion.id
    return []


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


# ----------------------------------------------------------------------------- the plan's shape

def _duration(project: Project) -> float:
    duration = project_duration(project)
    return duration if duration > 0 else math.inf


def _free_number(project: Project) -> str:
    """The next cue number after the highest in use (numbers are never reused mid-session)."""
    used = [_cue_index(c.number) or 0 for c in project.cues]
    return f"{REEL}M{max(used, default=0) + 1}"


def _overlapping(project: Project, start: float, end: float, skip: set[str]) -> Cue | None:
    for other in project.cues:
        if other.number not in skip and other.start < end - EPS and start < other.end - EPS:
            return other
    return None


def _refuse_locked(cue: Cue, what: str) -> None:
    if cue.locked:
        raise ScorerError(f"cue {cue.number} is locked; unlock it before you {what} it")


def add_cue(project: Project, start: float, end: float) -> list[str]:
    """Add a cue over ``start``-``end``, which must lie in a gap between cues.

    Raises:
        ScorerError: For a cue shorter than ``MIN_CUE_SECONDS``, outside the clip, or
            overlapping another cue.

    Returns:
        The new cue's number (its music is to be found).
    """
    duration = _duration(project)
    start = round(_finite("the new cue's start", start, 0.0, duration), 4)
    end = round(_finite("the new cue's end", end, 0.0, duration), 4)
    if end - start < MIN_CUE_SECONDS - EPS:
        raise ScorerError(f"a cue needs at least {MIN_CUE_SECONDS:g} s (got {end - start:.2f} s)")
    clash = _overlapping(project, start, end, set())
    if clash is not None:
        raise ScorerError(f"the new cue would overlap cue {clash.number} "
                          f"({clash.start:.2f}-{clash.end:.2f} s)")
    cue = Cue(number=_free_number(project), start=start, end=end)
    project.cues.append(cue)
    project.cues.sort(key=lambda c: c.start)
    replan(project, [cue.number])
    return [cue.number]


def fill_gap(project: Project, t: float) -> list[str]:
    """Add a cue filling the whole gap between cues (or clip ends) around time ``t``.

    Raises:
        ScorerError: If ``t`` is inside a cue.

    Returns:
        The new cue's number.
    """
    duration = _duration(project)
    t = _finite("the time", t, 0.0, duration)
    inside = next((c for c in project.cues if c.start - EPS <= t < c.end - EPS), None)
    if inside is not None:
        raise ScorerError(f"{t:.2f} s is inside cue {inside.number}; add a cue in a gap")
    start = max([c.end for c in project.cues if c.end <= t + EPS], default=0.0)
    end = min([c.start for c in project.cues if c.start > t], default=duration)
    if not math.isfinite(end):
        raise ScorerError("the clip's length is unknown; give the new cue's end")
    return add_cue(project, start, end)


def split_cue(project: Project, number: str, at: float) -> list[str]:
    """Split a cue in two at ``at``; the second half gets the next free number.

    Both halves keep the editor's decisions (target, instrumentation, style, fades on their
    own side); hand-placed hits go to the half they fall in.

    Raises:
        ScorerError: For a locked cue, or a half shorter than ``MIN_CUE_SECONDS``.

    Returns:
        Both halves (their music is to be found again).
    """
    cue = _cue(project, number)
    _refuse_locked(cue, "split")
    at = round(_finite(f"the split time of cue {number}", at, cue.start, cue.end), 4)
    if min(at - cue.start, cue.end - at) < MIN_CUE_SECONDS - EPS:
        raise ScorerError(f"splitting cue {number} at {at:.2f} s leaves a part shorter than "
                          f"{MIN_CUE_SECONDS:g} s")
    second = Cue(number=_free_number(project), start=at, end=cue.end, target=cue.target,
                 palette=cue.palette, style=cue.style, fade_out=cue.fade_out,
                 crossfade=cue.crossfade, title=f"{cue.title} (2)" if cue.title else "")
    if cue.hits is not None:
        second.hits = [h for h in cue.hits if h > at + EPS]
        cue.hits = [h for h in cue.hits if h < at - EPS]
    cue.end, cue.fade_out, cue.crossfade = at, None, 0.0
    project.cues.append(second)
    project.cues.sort(key=lambda c: c.start)
    replan(project, [number, second.number])
    return _drop_stale(project, [number, second.number])


def _next_cue(project: Project, cue: Cue) -> Cue | None:
    later = [c for c in project.cues if c.start >= cue.end - EPS and c.number != cue.number]
    return min(later, key=lambda c: c.start, default=None)


def merge_cues(project: Project, number: str) -> list[str]:
    """Merge a cue with the next one (anything between them becomes part of the cue).

    The merged cue keeps the first cue's number and decisions; the second cue's title, hand
    hits and fade-out come with it.

    Raises:
        ScorerError: For the last cue, or a locked one.

    Returns:
        The merged cue.
    """
    cue = _cue(project, number)
    other = _next_cue(project, cue)
    if other is None:
        raise ScorerError(f"cue {number} is the last cue; nothing follows it to merge with")
    _refuse_locked(cue, "merge")
    _refuse_locked(other, "merge")
    if cue.hits is not None or other.hits is not None:
        own = cue.hits if cue.hits is not None else list(cue.hit_points)
        theirs = other.hits if other.hits is not None else list(other.hit_points)
        cue.hits = sorted(own + theirs)
    cue.end, cue.fade_out, cue.crossfade = other.end, other.fade_out, other.crossfade
    project.cues.remove(other)
    project.suggestions = [s for s in project.suggestions if s.cue != other.number]
    replan(project, [number])
    return _drop_stale(project, [number])


def delete_cue(project: Project, number: str) -> list[str]:
    """Delete a cue and its suggestions (the picture is left unscored there).

    Returns:
        No cues to re-suggest.
    """
    cue = _cue(project, number)
    project.cues.remove(cue)
    project.suggestions = [s for s in project.suggestions if s.cue != number]
    return []


def rename_cue(project: Project, number: str, new_number: str | None = None,
               title: str | None = None) -> list[str]:
    """Give a cue a new number (its suggestions follow) and/or a title.

    Raises:
        ScorerError: For an empty number or one another cue has.

    Returns:
        No cues to re-suggest (the music still fits).
    """
    cue = _cue(project, number)
    if new_number is not None:
        new_number = new_number.strip()
        if not new_number or any(ch.isspace() for ch in new_number):
            raise ScorerError(f"a cue number must be one word, like 1M5 (got {new_number!r})")
        if new_number != number and any(c.number == new_number for c in project.cues):
            raise ScorerError(f"there is already a cue {new_number}")
        for s in project.suggestions:
            if s.cue == number:
                s.cue = new_number
        cue.number = new_number
    if title is not None:
        cue.title = title.strip()
    return []


# ----------------------------------------------------------------------------- hit points

def _hand_hits(cue: Cue) -> list[float]:
    """The cue's hits as a list the editor owns (the planned ones the first time)."""
    return list(cue.hits) if cue.hits is not None else list(cue.hit_points)


def _set_hits(project: Project, cue: Cue, hits: list[float]) -> list[str]:
    cue.hits = sorted(round(h, 4) for h in hits)
    replan(project, [cue.number])
    return _drop_stale(project, [cue.number])


def _inside(cue: Cue, t: float, what: str) -> float:
    t = _finite(what, t, cue.start, cue.end)
    if not cue.start + EPS < t < cue.end - EPS:
        raise ScorerError(f"{what} must fall inside cue {cue.number} "
                          f"({cue.start:.2f}-{cue.end:.2f} s), not on its edge")
    return t


def _hit_near(cue: Cue, hits: list[float], t: float, tolerance: float) -> int:
    if not hits:
        raise ScorerError(f"cue {cue.number} has no hit points")
    i = min(range(len(hits)), key=lambda k: abs(hits[k] - t))
    if abs(hits[i] - t) > tolerance + EPS:
        raise ScorerError(f"cue {cue.number} has no hit within {tolerance:g} s of {t:.2f} s")
    return i


def add_hit(project: Project, number: str, t: float) -> list[str]:
    """Add a hit point at clip time ``t`` inside the cue; the tempo re-fits to the hits.

    Returns:
        The cue (its music is to be found again).
    """
    cue = _cue(project, number)
    t = _inside(cue, t, f"a hit of cue {number}")
    hits = _hand_hits(cue)
    if any(abs(h - t) < 1e-3 for h in hits):
        raise ScorerError(f"cue {number} already has a hit at {t:.3f} s")
    return _set_hits(project, cue, [*hits, t])


def move_hit(project: Project, number: str, old: float, new: float,
             tolerance: float = 0.25) -> list[str]:
    """Move the cue's hit nearest ``old`` (within ``tolerance`` s) to ``new``.

    Returns:
        The cue (its music is to be found again).
    """
    cue = _cue(project, number)
    hits = _hand_hits(cue)
    i = _hit_near(cue, hits, _finite("the hit's time", old, -math.inf, math.inf), tolerance)
    hits[i] = _inside(cue, new, f"the moved hit of cue {number}")
    return _set_hits(project, cue, hits)


def delete_hit(project: Project, number: str, t: float, tolerance: float = 0.25) -> list[str]:
    """Delete the cue's hit nearest ``t`` (within ``tolerance`` s).

    Returns:
        The cue (its music is to be found again).
    """
    cue = _cue(project, number)
    hits = _hand_hits(cue)
    del hits[_hit_near(cue, hits, _finite("the hit's time", t, -math.inf, math.inf), tolerance)]
    return _set_hits(project, cue, hits)


def reset_hits(project: Project, number: str) -> list[str]:
    """Forget hand-placed hits: the cuts inside the cue are its hits again."""
    cue = _cue(project, number)
    cue.hits = None
    replan(project, [number])
    return _drop_stale(project, [number])


# ----------------------------------------------------------------------------- fades

def set_fades(project: Project, number: str, fade_in: float | None = None,
              fade_out: float | None = None) -> list[str]:
    """Set the fade-in and/or fade-out (s) of a cue's music; a negative value: the default.

    Returns:
        No cues to re-suggest (the music is laid differently, not chosen differently).
    """
    cue = _cue(project, number)
    for name, value in (("fade_in", fade_in), ("fade_out", fade_out)):
        if value is None:
            continue
        if value < 0:
            setattr(cue, name, None)
            continue
        value = _finite(f"the {name.replace('_', '-')} of cue {number}", value, 0.0,
                        min(MAX_FADE_SECONDS, cue.duration / 2))
        setattr(cue, name, round(value, 3))
    return []


def set_crossfade(project: Project, number: str, seconds: float) -> list[str]:
    """Crossfade the join after this cue (0 removes the crossfade).

    The cue's music runs ``seconds`` past its end, fading out while the next cue's music fades
    in over the same time.

    Raises:
        ScorerError: If no cue starts where this one ends, or the crossfade is longer than
            half of either cue.

    Returns:
        No cues to re-suggest.
    """
    cue = _cue(project, number)
    other = _next_cue(project, cue)
    if other is None or abs(other.start - cue.end) > EPS:
        raise ScorerError(f"no cue starts where cue {number} ends ({cue.end:.2f} s); a "
                          "crossfade joins two touching cues")
    limit = min(MAX_FADE_SECONDS, cue.duration / 2, other.duration / 2)
    seconds = round(_finite(f"the crossfade after cue {number}", seconds, 0.0, limit), 3)
    cue.crossfade = seconds
    cue.fade_out = seconds if seconds else None
    other.fade_in = seconds if seconds else None
    return []
