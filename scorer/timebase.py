"""Exact time: Fraction seconds, frame <-> time at any rational rate, SMPTE timecode.

Rates are Fractions (``Fraction(30000, 1001)`` for 29.97). Drop-frame timecode applies to
29.97 and 59.94: frame numbers 0 and 1 (0-3 at 59.94) are skipped at the start of every minute
except every tenth minute, so that timecode stays in step with the wall clock.
"""

from __future__ import annotations

import math
import re
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


def seconds_to_frame(seconds: Fraction | float, rate: RateLike) -> int:
    """Return the frame that contains a time (floor), robust to float error at boundaries."""
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


def format_clock(seconds: float) -> str:
    """Format seconds as "M:SS.mmm" (or "H:MM:SS.mmm") for tables and logs."""
    ms = int(round(float(seconds) * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m}:{s:02d}.{ms:03d}"
