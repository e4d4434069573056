"""One way to read music files: MIDI with sane tempi, scores to MIDI with robust repeats.

Every failure becomes an :class:`~scorer.errors.InputError` that names the file and says what
is wrong in words (never "EOFError" or a raw errno). Tempi outside ``MIN_BPM..MAX_BPM`` are
clamped: a 1 µs quarter note (60,000,000 BPM) or a tempo of 0 is a broken file, not music,
and would otherwise divide by zero or stretch a piece to days.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from scorer.errors import InputError, describe_os_error

log = logging.getLogger(__name__)

MIN_BPM = 20.0
MAX_BPM = 400.0
# set_tempo holds microseconds per quarter note in three bytes
_MIN_MPQN = int(round(60e6 / MAX_BPM))
_MAX_MPQN = int(round(60e6 / MIN_BPM))
# pretty_midi refuses files whose last tick passes 10**7 (it would allocate a tick->time table
# that large); a long movement at a fine resolution (music21 writes 10,080 ticks per quarter,
# so 1,000 quarters already pass it) is rescaled to a coarser resolution below that limit
_TICK_LIMIT = 9_000_000
# a rescale that leaves fewer ticks per quarter than this would move notes audibly: such a
# file is corrupt (a stray huge delta time), not long, and is refused as before
_MIN_RESCALED_TPB = 24


def sane_bpm(bpm: float | None) -> float | None:
    """Return ``bpm`` if it is a finite tempo a piece can have, else None."""
    try:
        value = float(bpm)
    except (TypeError, ValueError):
        return None
    if not MIN_BPM <= value <= MAX_BPM:  # also rejects NaN
        return None
    return value


def midi_reason(exc: BaseException) -> str:
    """Say in words why a MIDI file could not be read (never a bare "EOFError")."""
    if isinstance(exc, EOFError):
        return "MIDI file is cut short (it ends inside a track)"
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    if isinstance(exc, MemoryError):
        return "MIDI file is too large to read"
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return f"not a readable MIDI file ({text})"


def clamp_tempi(mid) -> int:
    """Clamp every set_tempo of a ``mido.MidiFile`` to MIN_BPM..MAX_BPM; return how many."""
    changed = 0
    for track in mid.tracks:
        for i, msg in enumerate(track):
            if msg.type == "set_tempo" and not _MIN_MPQN <= msg.tempo <= _MAX_MPQN:
                track[i] = msg.copy(tempo=min(max(msg.tempo, _MIN_MPQN), _MAX_MPQN))
                changed += 1
    return changed


def coarsen_resolution(mid) -> int:
    """Lower a ``mido.MidiFile``'s ticks per beat until its last tick fits pretty_midi.

    Absolute times are rescaled and rounded (no drift from rounding deltas). A divisor of the
    resolution is preferred, which keeps every event exactly where it was.

    Returns:
        The factor the resolution was divided by (1 when nothing changed or the file is too
        long for any sane resolution).
    """
    ends = [sum(msg.time for msg in track) for track in mid.tracks]
    last = max(ends, default=0)
    tpb = mid.ticks_per_beat
    if last <= _TICK_LIMIT or tpb <= 0:
        return 1
    needed = -(-last // _TICK_LIMIT)  # ceiling
    factor = next((d for d in range(needed, tpb + 1) if tpb % d == 0), needed)
    new_tpb = tpb // factor if tpb % factor == 0 else round(tpb / factor)
    if new_tpb < _MIN_RESCALED_TPB:
        return 1
    scale = new_tpb / tpb
    for track in mid.tracks:
        absolute, previous_new = 0, 0
        for i, msg in enumerate(track):
            absolute += msg.time
            rescaled = round(absolute * scale)
            track[i] = msg.copy(time=rescaled - previous_new)
            previous_new = rescaled
    mid.ticks_per_beat = new_tpb
    return factor


def _clamped_midi_bytes(source, path) -> tuple[bytes, int]:
    """Read a MIDI file with mido and clamp its tempi; return (bytes, tempi changed)."""
    import mido

    mid = (
        mido.MidiFile(file=source)
        if not isinstance(source, (str, Path))
        else mido.MidiFile(str(source))
    )
    changed = clamp_tempi(mid)
    if mid.ticks_per_beat <= 0:
        raise ValueError(f"ticks per beat is {mid.ticks_per_beat}")
    coarsen_resolution(mid)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue(), changed


def read_midi(path: str | Path, data: bytes | None = None):
    """Return a PrettyMIDI for a MIDI file (or its bytes), tempi clamped to a sane range.

    Args:
        path: The file (named in errors; read when ``data`` is None).
        data: The file's bytes, when they are already in memory.

    Raises:
        InputError: If the file cannot be read, naming the file and the problem.
    """
    import pretty_midi

    source = io.BytesIO(data) if data is not None else path
    try:
        fixed, changed = _clamped_midi_bytes(source, path)
        pm = pretty_midi.PrettyMIDI(io.BytesIO(fixed))
    except InputError:
        raise
    except Exception as exc:  # any parser failure: the file is unreadable, say why
        raise InputError(midi_reason(exc), path) from exc
    if changed:
        log.warning(
            "%s: %d tempo change(s) outside %g-%g BPM clamped", path, changed, MIN_BPM, MAX_BPM
        )
    return pm


def _strip_repeats(score) -> int:
    """Remove repeat barlines, brackets and jump marks so the score plays as written."""
    from music21 import bar, repeat, spanner

    removed = 0
    for measure in score.recurse().getElementsByClass("Measure"):
        for side in ("leftBarline", "rightBarline"):
            if isinstance(getattr(measure, side), bar.Repeat):
                setattr(measure, side, None)
                removed += 1
    for element in list(score.recurse().getElementsByClass(repeat.RepeatExpression)):
        element.activeSite.remove(element)
        removed += 1
    for sp in list(score.recurse().getElementsByClass(spanner.RepeatBracket)):
        sp.activeSite.remove(sp)
        removed += 1
    return removed


def score_to_midi(score, path: str | Path):
    """Render a music21 score as a PrettyMIDI, repeats expanded where music21 can expand them.

    Repeats that music21 cannot expand (unbalanced repeat barlines, first/second endings that
    do not match, jumps without targets) raise ExpanderException or StreamException inside
    music21; the piece is then played as written, without its repeats, rather than dropped.
    When even that fails, the parts are flattened (no measures at all).

    Raises:
        InputError: If the score cannot be turned into MIDI at all.
    """
    import copy

    from music21.midi import translate

    attempts = ("expanded", "as written", "flattened")
    last: BaseException | None = None
    for how in attempts:
        try:
            if how == "expanded":
                candidate = score
            elif how == "as written":
                candidate = copy.deepcopy(score)
                _strip_repeats(candidate)
            else:
                from music21 import stream

                candidate = stream.Score()
                for part in (list(score.parts) if hasattr(score, "parts") else []) or [score]:
                    flat = part.flatten()
                    candidate.insert(0, flat.notesAndRests.stream())
            data = translate.streamToMidiFile(candidate).writestr()
        except RecursionError as exc:
            last = exc
            continue
        except Exception as exc:  # music21 raises many kinds; try the next, simpler reading
            last = exc
            log.debug("%s: MIDI rendering (%s) failed: %s", path, how, exc)
            continue
        try:
            # badly formed repeats can also "expand" a tune tenfold, past what a MIDI reader
            # accepts: then too the piece is played as written
            pm = read_midi(path, data)
        except InputError as exc:
            last = exc
            continue
        if how != "expanded":
            log.warning(
                "%s: repeats cannot be expanded (%s); played %s",
                path,
                str(getattr(last, "message", last)).splitlines()[0][:120] if last else "",
                how,
            )
        return pm
    text = str(last).strip().splitlines()[0][:160] if last and str(last).strip() else ""
    raise InputError(
        f"score cannot be rendered as MIDI ({type(last).__name__}{': ' + text if text else ''})",
        path,
    )
