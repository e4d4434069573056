"""Melody corpus encoding: music21's bundled collections -> 16th-note token sequences.

The encoding follows the source paper's time-series representation: one token per 16th note;
a MIDI pitch number where a note starts, ``_`` while it is held, ``r`` for a rest. Every tune
is transposed so its analysed key becomes C major or A minor, and the mode from that analysis
is kept as the tune's label. ``/`` marks the start and end of a tune.

Styles (the melody model router trains one model per style):

* ``folk``: the Essen folksong collection (``essenFolksong/*.abc``, about 8,500 tunes).
* ``irish``: O'Neill's 1850 and Ryan's Mammoth collections (ABC).
* ``chorale``: the soprano lines of the Bach chorales (MusicXML).

Parsing is slow (about 50 ms per folk tune, 0.4 s per chorale), so :func:`build_corpus`
subsamples and :func:`load_or_build` caches the result as gzipped JSON in the user's data
folder; nothing here is needed at run time except :data:`VOCAB` and :func:`encode_stream`.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOW, HIGH = 48, 84  # pitch range kept after transposition (C3..C6)
START = "/"
REST = "r"
HOLD = "_"
VOCAB: list[str] = [START, REST, HOLD] + [str(p) for p in range(LOW, HIGH + 1)]
TOKEN_ID: dict[str, int] = {tok: i for i, tok in enumerate(VOCAB)}
STEPS_PER_QUARTER = 4
STYLES = ("folk", "irish", "chorale")
CACHE_VERSION = 1


def cache_dir() -> Path:
    """Return (and create) the folder for parsed corpora and training checkpoints."""
    from platformdirs import user_data_dir

    path = Path(os.environ.get("SCORER_DATA_DIR") or user_data_dir("scorer")) / "training"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pitch_token(midi: int) -> str:
    """Return the token of a MIDI pitch, folding it by octaves into the kept range."""
    while midi < LOW:
        midi += 12
    while midi > HIGH:
        midi -= 12
    return str(midi)


def encode_events(events: list[tuple[int | None, int]]) -> list[str]:
    """Encode (pitch or None for a rest, length in 16ths) events as tokens.

    Consecutive rests merge into one ``r`` followed by holds, as in the source encoding.
    """
    tokens: list[str] = []
    prev_rest = False
    for pitch, steps in events:
        if steps <= 0:
            continue
        if pitch is None:
            tokens.extend([HOLD] * steps if prev_rest else [REST] + [HOLD] * (steps - 1))
        else:
            tokens.append(pitch_token(pitch))
            tokens.extend([HOLD] * (steps - 1))
        prev_rest = pitch is None
    return tokens


def decode_tokens(tokens: list[str]) -> list[tuple[int | None, int, int]]:
    """Turn tokens back into (pitch or None, start step, length in steps) events.

    Holds before any onset and ``/`` tokens are ignored (they carry no note).
    """
    events: list[list] = []
    for step, tok in enumerate(tokens):
        if tok == HOLD:
            if events:
                events[-1][2] += 1
            continue
        if tok == START:
            continue
        pitch = None if tok == REST else int(tok)
        events.append([pitch, step, 1])
    return [tuple(e) for e in events]


def _tonic_shift(tonic_pc: int, mode: str) -> int:
    """Semitones that move the tonic to C (major) or A (minor), the smallest way."""
    target = 0 if mode == "major" else 9
    shift = (target - tonic_pc) % 12
    return shift - 12 if shift > 6 else shift


def encode_stream(stream, analyse: bool = True) -> dict | None:
    """Encode a monophonic music21 stream (or a score's first part) as a token sequence.

    Args:
        stream: A music21 Stream; chords count as their top note.
        analyse: Take the mode from Krumhansl key analysis (music21 ``analyze('key')``).

    Returns:
        ``{"mode", "tokens", "density", "key"}`` or None when the tune cannot be encoded
        (no notes, off the 16th grid, or outside the pitch range after transposition).
    """
    flat = stream.flatten().notesAndRests
    if not len(flat):
        return None
    key = stream.analyze("key") if analyse else None
    mode = key.mode if key is not None and key.mode in ("major", "minor") else "major"
    shift = _tonic_shift(key.tonic.pitchClass, mode) if key is not None else 0
    events: list[tuple[int | None, int]] = []
    cursor = 0
    off_grid = 0
    for el in flat:
        start = float(el.offset) * STEPS_PER_QUARTER
        length = float(el.quarterLength) * STEPS_PER_QUARTER
        if length <= 0:  # grace notes
            continue
        if abs(start - round(start)) > 1e-3 or abs(length - round(length)) > 1e-3:
            off_grid += 1
        s, n = int(round(start)), max(1, int(round(length)))
        if s > cursor:
            events.append((None, s - cursor))
        elif s < cursor:  # overlap from rounding or voices: shorten
            n -= cursor - s
            if n <= 0:
                continue
        if el.isRest:
            events.append((None, n))
        else:
            pitch = max(p.midi for p in el.pitches) if el.isChord else el.pitch.midi
            events.append((pitch + shift, n))
        cursor = max(cursor, s) + n
    notes = [p for p, _ in events if p is not None]
    if len(notes) < 8 or off_grid > 0.1 * len(flat):
        return None
    # centre the tune by octaves so it sits inside the kept range without folding
    lo, hi = min(notes), max(notes)
    octave = 0
    while hi + octave > HIGH:
        octave -= 12
    while lo + octave < LOW:
        octave += 12
    if lo + octave < LOW or hi + octave > HIGH:
        return None
    events = [(None if p is None else p + octave, n) for p, n in events]
    while events and events[0][0] is None:  # leading rests say nothing
        events.pop(0)
    tokens = encode_events(events)
    onsets = sum(1 for t in tokens if t not in (HOLD, REST))
    return {"mode": mode, "tokens": tokens, "density": onsets / max(1, len(tokens)),
            "key": str(key) if key is not None else ""}


def _abc_tunes(paths: list[Path]) -> list[tuple[str, str]]:
    tunes = []
    for path in paths:
        text = path.read_text(encoding="latin-1")
        for i, chunk in enumerate(re.split(r"(?m)^(?=X:)", text)):
            if chunk.startswith("X:") and "K:" in chunk:
                tunes.append((f"{path.name}#{i}", chunk))
    return tunes


def _sources(style: str) -> Iterator[tuple[str, Callable[[], object]]]:
    """Yield (id, loader) pairs for every tune of a style, without parsing any."""
    from music21 import converter, corpus

    paths = sorted(corpus.getCorePaths(), key=str)
    if style == "folk":
        files = [p for p in paths if "essenFolksong" in str(p) and not p.name.startswith("test")]
    elif style == "irish":
        files = [p for p in paths if "oneills1850" in str(p) or "ryansMammoth" in str(p)]
    elif style == "chorale":
        for p in paths:
            if p.parent.name == "bach" and p.suffix == ".mxl":
                yield p.name, (lambda p=p: _soprano(converter.parse(p)))
        return
    else:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    for tune_id, text in _abc_tunes(files):
        yield tune_id, (lambda text=text: converter.parse(text, format="abc"))


def _soprano(score):
    parts = list(getattr(score, "parts", []))
    if not parts:
        return score
    for part in parts:
        if (part.partName or "").lower().startswith("soprano"):
            return part
    return parts[0]


def build_corpus(style: str, limit: int = 2000, seed: int = 0,
                 progress: Callable[[str, float], None] | None = None) -> dict:
    """Parse and encode up to ``limit`` randomly chosen tunes of a style.

    Returns:
        ``{"version", "style", "vocab", "tunes": [{"id", "mode", "density", "key", "tokens"}]}``.
    """
    sources = list(_sources(style))
    random.Random(seed).shuffle(sources)
    tunes = []
    failed = 0
    for i, (tune_id, loader) in enumerate(sources[:limit]):
        try:
            enc = encode_stream(loader())
        except Exception as exc:  # noqa: BLE001 - music21 raises many types on odd ABC
            log.debug("skip %s: %s", tune_id, exc)
            enc = None
        if enc is None:
            failed += 1
        else:
            enc["id"] = tune_id
            tunes.append(enc)
        if progress and i % 20 == 0:
            progress(f"parse {style}", i / max(1, min(limit, len(sources))))
    log.info("%s: %d tunes encoded, %d skipped", style, len(tunes), failed)
    return {"version": CACHE_VERSION, "style": style, "vocab": VOCAB, "tunes": tunes,
            "skipped": failed}


def load_or_build(style: str, limit: int = 2000, seed: int = 0, folder: Path | None = None,
                  progress: Callable[[str, float], None] | None = None) -> dict:
    """Return the cached encoded corpus of a style, parsing it the first time."""
    folder = folder or cache_dir()
    path = folder / f"melody_corpus_{style}_{limit}_{seed}.json.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        if data.get("version") == CACHE_VERSION and data.get("vocab") == VOCAB:
            return data
    data = build_corpus(style, limit=limit, seed=seed, progress=progress)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)
    return data
