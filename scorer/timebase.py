"""Exact time: Fraction seconds, frame <-> time at any rational rate, SMPTE timecode.

Rates are Fractions (``Fraction(30000, 1001)`` for 29.97). Drop-frame timecode applies to
29.97 and 59.94: frame numbers 0 and 1 (0-3 at 59.94) are skipped at the start of every minute
except every tenth minute, so that timecode stays in step with the wall clock.

Project times are container timestamps: a clip's first frame need not sit at 0 s (the Sintel
trailer's is at 0.033 s). :func:`time_to_frame` is the one rule that turns such a time into a
frame of the clip: subtract the first frame's time, then take the nearest frame boundary. Cue
edges, hit points and shot cuts are frame boundaries stored as rounded floats, so "nearest" is
what keeps them on their frame; every output (``scorer cues`` and every export) goes through it,
usually by way of :class:`ClipTimebase`. (:func:`seconds_to_frame` answers another question,
which frame is on screen at a playhead instant, for the player.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from scorer.errors import ScorerError

RateLike = Fraction | int | float | str

_COMMON_RATES = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "59.94": Fraction(60000, 1001),
    "47.952": Fraction(48000, 1001),
    "119.88": Fraction(120000, 1001),
}


def as_rate(rate: RateLike) -> Fraction:
    """Return a frame rate as an exact Fraction.

    NTSC rates given as decimals (23.976, 29.97, 59.94) map to their exact x/1001 values.

    Args:
        rate: A Fraction, int, float, or string such as "30000/1001" or "29.97".

    Returns:
        The rate as a positive Fraction.

    Raises:
        ScorerError: If the rate is not positive or cannot be read.
    """
    if isinstance(rate, Fraction):
        value = rate
    elif isinstance(rate, int):
        value = Fraction(rate)
    else:
        text = str(rate).strip()
        if text in _COMMON_RATES:
            value = _COMMON_RATES[text]
        else:
            try:
                value = Fraction(text)
            except (ValueError, ZeroDivisionError) as exc:
                raise ScorerError(f"not a frame rate: {rate!r}") from exc
            for exact in _COMMON_RATES.values():
                if abs(float(value) - float(exact)) < 1e-3 and value.denominator != 1:
                    value = exact
                    break
    if value <= 0:
        raise ScorerError(f"frame rate must be positive, got {rate!r}")
    return value


def frame_to_seconds(frame: int, rate: RateLike) -> Fraction:
    """Return the exact start time of a frame number."""
    return Fraction(frame) / as_rate(rate)


def _exact(seconds: Fraction | float | int | str) -> Fraction:
    if isinstance(seconds, Fraction):
        return seconds
    return Fraction(seconds).limit_denominator(10**9)


def time_to_frame(seconds: Fraction | float, rate: RateLike,
                  origin: Fraction | float = 0) -> int:
    """Return the clip frame an edit point falls on: the nearest frame boundary.

    This is the one quantisation rule for every output (see the module docstring).

    Args:
        seconds: A time on the container's clock (as projects store times).
        rate: Frame rate.
        origin: The time of the clip's first frame on the same clock.

    Returns:
        Frame count from the clip's first frame; halves round up, so the rule is the same on
        every platform and for negative times.
    """
    value = (_exact(seconds) - _exact(origin)) * as_rate(rate)
    return math.floor(value + Fraction(1, 2))


def seconds_to_frame(seconds: Fraction | float, rate: RateLike) -> int:
    """Return the frame on screen at a playhead instant (floor), robust to float error.

    For edit points (cue edges, hits, cuts) use :func:`time_to_frame`.
    """
    value = Fraction(seconds) * as_rate(rate) if isinstance(seconds, Fraction) else None
    if value is None:
        value = Fraction(seconds).limit_denominator(10**9) * as_rate(rate)
    return math.floor(value + Fraction(1, 10**6))


def is_drop_frame_rate(rate: RateLike) -> bool:
    """Return True for the rates that drop-frame timecode exists for (29.97, 59.94)."""
    r = as_rate(rate)
    return r.denominator == 1001 and r.numerator in (30000, 60000)


def _nominal(rate: Fraction) -> int:
    return round(rate)


def frames_to_timecode(frame: int, rate: RateLike, drop_frame: bool | None = None) -> str:
    """Format a frame count as SMPTE timecode.

    Args:
        frame: Frame count from 00:00:00:00 (may exceed 24 h; hours wrap at 24).
        rate: Frame rate.
        drop_frame: Use drop-frame counting; defaults to True at 29.97 and 59.94.

    Returns:
        "HH:MM:SS:FF", or "HH:MM:SS;FF" for drop-frame.
    """
    r = as_rate(rate)
    if drop_frame is None:
        drop_frame = is_drop_frame_rate(r)
    if drop_frame and not is_drop_frame_rate(r):
        raise ScorerError(f"drop-frame timecode exists only at 29.97 and 59.94, not {float(r):g}")
    if frame < 0:
        raise ScorerError(f"timecode cannot be negative (frame {frame})")
    fps = _nominal(r)
    if drop_frame:
        drop = fps // 15  # 2 at 29.97, 4 at 59.94
        per_10min = fps * 600 - drop * 9
        per_min = fps * 60 - drop
        tens, rem = divmod(frame, per_10min)
        if rem > drop:
            frame += drop * 9 * tens + drop * ((rem - drop) // per_min)
        else:
            frame += drop * 9 * tens
    ff = frame % fps
    total_seconds = frame // fps
    ss = total_seconds % 60
    mm = (total_seconds // 60) % 60
    hh = (total_seconds // 3600) % 24
    sep = ";" if drop_frame else ":"
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:02d}"


_TC_RE = re.compile(r"^\s*(\d{1,2})[:;.](\d{2})[:;.](\d{2})([:;.,])(\d{2,3})\s*$")


def timecode_to_frames(timecode: str, rate: RateLike, drop_frame: bool | None = None) -> int:
    """Parse SMPTE timecode into a frame count.

    Args:
        timecode: "HH:MM:SS:FF"; a ';' or ',' before the frames marks drop-frame.
        rate: Frame rate.
        drop_frame: Force drop-frame on or off; by default read from the separator.

    Raises:
        ScorerError: If the text is not timecode or names a frame that does not exist
            (e.g. 00:01:00;00 in drop-frame).
    """
    match = _TC_RE.match(timecode)
    if not match:
        raise ScorerError(f"not a timecode: {timecode!r} (expected HH:MM:SS:FF)")
    hh, mm, ss, sep, ff = match.groups()
    hh, mm, ss, ff = int(hh), int(mm), int(ss), int(ff)
    r = as_rate(rate)
    fps = _nominal(r)
    if drop_frame is None:
        drop_frame = sep in ";," and is_drop_frame_rate(r)
    if mm > 59 or ss > 59 or ff >= fps:
        raise ScorerError(f"timecode out of range at {float(r):g} fps: {timecode!r}")
    frames = (hh * 3600 + mm * 60 + ss) * fps + ff
    if drop_frame:
        if not is_drop_frame_rate(r):
            raise ScorerError(f"drop-frame timecode exists only at 29.97 and 59.94: {timecode!r}")
        drop = fps // 15
        if ss == 0 and ff < drop and mm % 10 != 0:
            raise ScorerError(f"{timecode!r} does not exist in drop-frame timecode")
        total_minutes = hh * 60 + mm
        frames -= drop * (total_minutes - total_minutes // 10)
    return frames


def seconds_to_timecode(seconds: Fraction | float, rate: RateLike, drop_frame: bool | None = None,
                        start_frame: int = 0) -> str:
    """Format a time in seconds as timecode at a rate, offset by a start frame."""
    return frames_to_timecode(seconds_to_frame(seconds, rate) + start_frame, rate, drop_frame)


def timecode_to_seconds(timecode: str, rate: RateLike, drop_frame: bool | None = None) -> Fraction:
    """Return the exact time of a timecode label at a rate."""
    return frame_to_seconds(timecode_to_frames(timecode, rate, drop_frame), rate)


@dataclass
class ClipTimebase:
    """A clip's frame grid: rate, timecode origin and the time of its first frame.

    Attributes:
        rate: Exact frame rate.
        start_frame: Frame count of the clip's start timecode.
        drop_frame: Whether timecode is drop-frame.
        origin: Container time of the clip's first frame (seconds).
    """

    rate: Fraction
    start_frame: int = 0
    drop_frame: bool = False
    origin: Fraction = Fraction(0)

    def frame(self, seconds: Fraction | float) -> int:
        """Return the clip frame of a project time (:func:`time_to_frame`).

        A time before the clip's first frame (the planner starts the first cue at 0 s, while a
        container may put the first frame at 0.033 s) is on the first frame: no picture, and
        no timecode, comes before it.
        """
        return max(0, time_to_frame(seconds, self.rate, self.origin))

    def seconds(self, frame: int) -> Fraction:
        """Return the time of a clip frame from the clip's first frame (as a WAV or SRT has it)."""
        return frame_to_seconds(frame, self.rate)

    def snap(self, seconds: Fraction | float) -> Fraction:
        """Return a project time moved onto its frame, measured from the first frame."""
        return self.seconds(self.frame(seconds))

    def timecode(self, frame: int) -> str:
        """Timecode of a clip frame (start timecode added)."""
        return frames_to_timecode(frame + self.start_frame, self.rate, self.drop_frame)

    def time_timecode(self, seconds: Fraction | float) -> str:
        """Timecode of a project time."""
        return self.timecode(self.frame(seconds))

    def duration_timecode(self, frames: int) -> str:
        """A length in frames written as timecode (counted from 00:00:00:00)."""
        return frames_to_timecode(frames, self.rate, self.drop_frame)

    @property
    def start_timecode(self) -> str:
        """The clip's start timecode."""
        return self.timecode(0)


def clip_timebase(media, notes: list[str] | None = None, default_rate: RateLike = 25,
                  drop_frame: bool | None = None) -> ClipTimebase:
    """Read a clip's frame grid from a project's media description.

    Args:
        media: A ``MediaInfo`` (``fps``, ``start_timecode``, ``start_time``) or None.
        notes: Gets a note when the rate is unknown or the start timecode unreadable.
        default_rate: Rate used when the media has none.
        drop_frame: Drop-frame or not (the project's ``export.drop_frame``); by default
            drop-frame at 29.97 and 59.94, the broadcast norm.

    Returns:
        The timebase. The start label is read in the counting chosen, so the first frame
        shows the clip's own start timecode.
    """
    notes = notes if notes is not None else []
    rate = as_rate(default_rate)
    fps = getattr(media, "fps", "") if media is not None else ""
    try:
        known = bool(fps) and Fraction(str(fps)) > 0
    except (ValueError, ZeroDivisionError):
        known = False
    if known:
        rate = as_rate(str(fps))  # the string, so "29.97" maps to 30000/1001
    else:
        notes.append(f"the project has no frame rate; timecode is at {float(rate):g} fps")
    drop = is_drop_frame_rate(rate) if drop_frame is None else bool(drop_frame)
    if drop and not is_drop_frame_rate(rate):
        notes.append(f"drop-frame timecode does not exist at {float(rate):g} fps; non-drop used")
        drop = False
    start = 0
    label = getattr(media, "start_timecode", "") if media is not None else ""
    if label:
        try:
            start = timecode_to_frames(label, rate, drop)
        except ScorerError as exc:
            notes.append(f"start timecode ignored ({exc})")
    origin = Fraction(0)
    first = getattr(media, "start_time", "") if media is not None else ""
    if first:
        try:
            origin = Fraction(str(first))
        except (ValueError, ZeroDivisionError):
            notes.append(f"first frame time ignored (not a number: {first!r})")
    return ClipTimebase(rate=rate, start_frame=start, drop_frame=drop, origin=origin)


def format_clock(seconds: float) -> str:
    """Format seconds as "M:SS.mmm" (or "H:MM:SS.mmm") for tables and logs."""
    ms = int(round(float(seconds) * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m}:{s:02d}.{ms:03d}"
