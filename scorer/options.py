"""One validation layer for every command-line option, run before any work.

``argparse`` turns "nan", "inf" and "1e9" into floats without complaint; a NaN frame rate or a
sample rate of 0 then crashes (or silently misbehaves) deep inside an analysis that has already
run for minutes and written an autosave. :func:`validate` checks every option of a parsed
command line at once, by its destination name:

- every float must be finite, whatever the option (new options are covered without a rule);
- numbers with a rule in ``NUMBERS`` must lie in its range;
- names with a rule in ``NAMES`` must be known (content types, transcribers, formats, styles).

The GUI and other callers use :func:`check_number` and :func:`check_content_type` directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scorer.errors import ScorerError


class OptionError(ScorerError):
    """An option's value is not a finite number in range, or not a known name."""


@dataclass(frozen=True)
class Number:
    """A numeric option's range (both ends included) and unit."""

    low: float
    high: float
    unit: str = ""
    integer: bool = False


# destination name (argparse's ``dest``) -> allowed range
NUMBERS: dict[str, Number] = {
    "fps": Number(0.05, 60.0, "frames per second"),
    "min_length": Number(0.5, 3600.0, "s"),
    "max_length": Number(1.0, 3600.0, "s"),
    "rate": Number(8000, 192000, "Hz", integer=True),
    "tail": Number(0.0, 60.0, "s"),
    "temperature": Number(0.01, 10.0),
    "seed": Number(0, 2**32 - 1, integer=True),
    "n": Number(1, 50, integer=True),
    "workers": Number(1, 2, integer=True),
}


def _content_types() -> list[str]:
    from scorer.affect.fusion import ALIASES, PRESETS

    return sorted(PRESETS) + sorted(ALIASES)


def _transcribers() -> list[str]:
    from scorer.audio import TRANSCRIBERS

    return list(TRANSCRIBERS)


def _styles() -> list[str]:
    from scorer.music import melody

    return sorted(melody.available_styles())


def _check_formats(value: str) -> None:
    from scorer.export import parse_formats

    try:
        parse_formats(value)
    except ScorerError as exc:
        raise OptionError(f"--formats {value}: {exc.message}") from exc
    except ValueError as exc:
        raise OptionError(f"--formats {value}: {exc}") from exc


# destination name -> the names it accepts (case-insensitive), or a checker of its own
NAMES: dict[str, Callable[[], list[str]]] = {
    "content_type": _content_types,
    "transcriber": _transcribers,
    "style": _styles,
}
CHECKERS: dict[str, Callable[[str], None]] = {"formats": _check_formats}


def _flag(dest: str) -> str:
    return "-n" if dest == "n" else "--" + dest.replace("_", "-")


def check_number(dest: str, value) -> float | int:
    """Return ``value`` if it is finite and within ``NUMBERS[dest]`` (when there is a rule).

    Raises:
        OptionError: Naming the option, the value and the allowed range.
    """
    flag = _flag(dest)
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise OptionError(f"{flag} {value}: must be a finite number")
    rule = NUMBERS.get(dest)
    if rule is None:
        return value
    if not rule.low <= value <= rule.high:
        unit = f" {rule.unit}" if rule.unit else ""
        low = int(rule.low) if rule.integer else rule.low
        high = int(rule.high) if rule.integer else rule.high
        raise OptionError(f"{flag} {value}: must be between {low:g} and {high:g}{unit}")
    return value


def check_name(dest: str, value: str) -> str:
    """Return ``value`` if it is one of the names ``NAMES[dest]`` accepts.

    Raises:
        OptionError: Naming the option, the value and the names it takes.
    """
    if dest in CHECKERS:
        CHECKERS[dest](value)
        return value
    known = NAMES[dest]()
    if value.strip().lower() not in known:
        choices = ", ".join(known) if known else "none is installed"
        raise OptionError(f"{_flag(dest)} {value!r} is not known; choose one of: {choices}")
    return value


def check_content_type(value: str) -> str:
    """Validate a fusion content type (preset or alias)."""
    return check_name("content_type", value)


def validate(args) -> None:
    """Check every option of a parsed command line; raise on the first bad one.

    Raises:
        OptionError: For a non-finite or out-of-range number, an unknown name, or
            ``--min-length`` above ``--max-length``.
    """
    values = vars(args)
    for dest, value in values.items():
        if value is None or callable(value):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            check_number(dest, value)
        elif isinstance(value, str) and (dest in NAMES or dest in CHECKERS):
            check_name(dest, value)
    low, high = values.get("min_length"), values.get("max_length")
    if low is not None and high is not None and low > high:
        raise OptionError(f"--min-length {low} is above --max-length {high}")
