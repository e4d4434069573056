"""Markers, in and out points, and the edit points the editor jumps between.

Markers (M), the in and out points (I, O) and typed jumps (a timecode, or seconds) are kept in
the project (``Project.markers``, ``mark_in``, ``mark_out``). Navigation follows the editors'
convention (Premiere and Resolve: Up/Down go to the previous/next edit point): edit points are
the picture's cuts and the cues' edges; markers and cue starts have their own jumps.
"""

from __future__ import annotations

import math
import re

from scorer import timebase
from scorer.errors import ScorerError
from scorer.project import Marker, Project

EPS = 1e-4  # a point this close to the playhead is where the playhead already is

_SECONDS_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*s?\s*$")
_CLOCK_RE = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d*)?)\s*$")


def _time(project: Project, t: float, what: str) -> float:
    try:
        t = float(t)
    except (TypeError, ValueError) as exc:
        raise ScorerError(f"{what} must be a number of seconds (got {t!r})") from exc
    if not math.isfinite(t) or t < 0:
        raise ScorerError(f"{what} must be a time in the clip (got {t!r})")
    return round(t, 4)


def add_marker(project: Project, t: float, name: str = "") -> Marker:
    """Drop a marker at ``t`` (a marker already there is renamed instead)."""
    t = _time(project, t, "a marker")
    for marker in project.markers:
        if abs(marker.time - t) < EPS:
            marker.name = name or marker.name
            return marker
    marker = Marker(time=t, name=name.strip())
    project.markers.append(marker)
    project.markers.sort(key=lambda m: m.time)
    return marker


def delete_marker(project: Project, t: float, tolerance: float = 0.5) -> Marker:
    """Delete the marker nearest ``t`` (within ``tolerance`` s).

    Raises:
        ScorerError: If there is none that close.
    """
    near = min(project.markers, key=lambda m: abs(m.time - t), default=None)
    if near is None or abs(near.time - t) > tolerance:
        raise ScorerError(f"no marker within {tolerance:g} s of {t:.2f} s")
    project.markers.remove(near)
    return near


def set_in(project: Project, t: float | None) -> None:
    """Set the in point (None clears it); an out point before it is cleared."""
    project.mark_in = None if t is None else _time(project, t, "the in point")
    if None not in (project.mark_in, project.mark_out) and project.mark_out <= project.mark_in:
        project.mark_out = None


def set_out(project: Project, t: float | None) -> None:
    """Set the out point (None clears it); an in point after it is cleared."""
    project.mark_out = None if t is None else _time(project, t, "the out point")
    if None not in (project.mark_in, project.mark_out) and project.mark_in >= project.mark_out:
        project.mark_in = None


def edit_points(project: Project) -> list[float]:
    """The picture's cuts and every cue's start and end, sorted, without duplicates."""
    points = sorted(
        {round(float(t), 4) for t in project.shots}
        | {round(c.start, 4) for c in project.cues}
        | {round(c.end, 4) for c in project.cues}
    )
    return points


def cue_starts(project: Project) -> list[float]:
    return sorted(round(c.start, 4) for c in project.cues)


def marker_times(project: Project) -> list[float]:
    return [m.time for m in project.markers]


def step_to(points: list[float], t: float, direction: int) -> float | None:
    """The first point after ``t`` (direction > 0) or before it (< 0); None at the end."""
    if direction > 0:
        return next((p for p in sorted(points) if p > t + EPS), None)
    return next((p for p in sorted(points, reverse=True) if p < t - EPS), None)


def parse_time(text: str, rate: timebase.RateLike | None = None, start_frame: int = 0) -> float:
    """Read a typed jump target into clip seconds.

    Accepts SMPTE timecode ``HH:MM:SS:FF`` (the clip's own timecode: its start timecode is
    subtracted), a clock ``MM:SS(.s)`` or ``H:MM:SS``, or plain seconds (``12.5``).

    Raises:
        ScorerError: For text that is none of these, or a time before the clip's start.
    """
    text = (text or "").strip()
    match = _SECONDS_RE.match(text)
    if match:
        return float(match.group(1))
    if text.count(":") + text.count(";") == 3:
        if rate is None:
            raise ScorerError(f"{text!r} is timecode, but the clip has no frame rate")
        frame = timebase.timecode_to_frames(text, rate) - start_frame
        if frame < 0:
            raise ScorerError(f"{text!r} is before the clip's first frame")
        return float(timebase.frame_to_seconds(frame, rate))
    match = _CLOCK_RE.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        if float(seconds) >= 60 or (hours is not None and int(minutes) > 59):
            raise ScorerError(f"not a time: {text!r}")
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    raise ScorerError(f"not a time: {text!r} (type timecode HH:MM:SS:FF, MM:SS or seconds)")
