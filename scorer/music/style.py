"""Style of a melody: folk (Essen), Irish (O'Neill/Ryan), chorale (Bach) or pop piano (EMOPIA).

A symbolic classifier (``models/style_classifier.onnx``, made by
``models/training/train_style_classifier.py``) reads a melody as the corpus tokens of
:mod:`scorer.music.corpus` (16th steps, C major / A minor) and describes each 64-step window by
:func:`melody_features`: pitch classes, intervals, note lengths, where notes start within the
beat and the bar, rests, density and range. It checks the melody router (do the folk, Irish and
chorale LSTMs write in their corpora's styles?) and tags library pieces by the style of their
top line. There is no cinematic corpus offline, so the cinematic style has no class: its theme
comes from the folk model and is read as a melody like any other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scorer.errors import InputError, ModelError

STYLES = ("folk", "irish", "chorale", "pop_piano")
TAG_WORDS = ("folk", "irish", "chorale", "pop-piano")  # library tag words, one per style
WINDOW = 64  # 16th steps per classified window (four 4/4 bars)
_INTERVALS = 25  # -12..+12 semitones, wider leaps clipped
_LENGTHS = (1, 2, 3, 4, 6, 8, 12, 16)
N_FEATURES = 12 + _INTERVALS + len(_LENGTHS) + 4 + 16 + 7


def melody_features(tokens: list[str]) -> np.ndarray:
    """Describe a token window (16th steps, C major / A minor) by 72 numbers.

    Pitch-class shares of the notes (12), interval shares (25, -12..+12), note-length shares
    in 16ths (8: 1, 2, 3, 4, 6, 8, 12, 16 or more, nearest), onset position within the beat
    (4) and the 4/4 bar (16), and seven scalars: notes per step, rest share, mean and spread
    of pitch, pitch range, repeated-note share, mean absolute interval.
    """
    from scorer.music.corpus import decode_tokens

    events = decode_tokens(tokens)
    notes = [(p, s, n) for p, s, n in events if p is not None]
    out = np.zeros(N_FEATURES, np.float32)
    if not notes:
        return out
    pitches = np.array([p for p, _, _ in notes], float)
    starts = np.array([s for _, s, _ in notes])
    lengths = np.array([n for _, _, n in notes])
    steps = max(1, len(tokens))
    i = 0
    out[i:i + 12] = np.bincount(pitches.astype(int) % 12, minlength=12) / len(notes)
    i += 12
    iv = np.clip(np.diff(pitches), -12, 12).astype(int) + 12
    if len(iv):
        out[i:i + _INTERVALS] = np.bincount(iv, minlength=_INTERVALS) / len(iv)
    i += _INTERVALS
    nearest = np.abs(np.minimum(lengths, 16)[:, None] - np.array(_LENGTHS)[None]).argmin(1)
    out[i:i + len(_LENGTHS)] = np.bincount(nearest, minlength=len(_LENGTHS)) / len(notes)
    i += len(_LENGTHS)
    out[i:i + 4] = np.bincount(starts % 4, minlength=4) / len(notes)
    i += 4
    out[i:i + 16] = np.bincount(starts % 16, minlength=16) / len(notes)
    i += 16
    rests = sum(n for p, _, n in events if p is None)
    d = np.abs(np.diff(pitches)) if len(pitches) > 1 else np.zeros(1)
    out[i:i + 7] = [len(notes) / steps, rests / steps, (pitches.mean() - 66) / 12,
                    pitches.std() / 12, np.ptp(pitches) / 24, float(np.mean(d == 0)),
                    float(d.mean()) / 12]
    return out


def windows(tokens: list[str], most: int = 4) -> list[list[str]]:
    """Cut a tune into up to ``most`` whole windows (a short tune gives one, padded by holds)."""
    if len(tokens) < WINDOW:
        return [tokens] if len(tokens) >= 16 else []
    return [tokens[k:k + WINDOW] for k in range(0, len(tokens) - WINDOW + 1, WINDOW)][:most]


def _key_shift(pitches: np.ndarray, weights: np.ndarray) -> tuple[int, str]:
    """Krumhansl-Kessler key of weighted pitches; the shift to C major / A minor and mode."""
    major = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
    minor = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
    hist = np.bincount(pitches.astype(int) % 12, weights=weights, minlength=12)
    best = (-2.0, 0, "major")
    for tonic in range(12):
        for mode, profile in (("major", major), ("minor", minor)):
            r = float(np.corrcoef(hist, np.roll(profile, tonic))[0, 1]) if hist.any() else 0.0
            if r > best[0]:
                best = (r, tonic, mode)
    _, tonic, mode = best
    target = 0 if mode == "major" else 9
    shift = (target - tonic) % 12
    return (shift - 12 if shift > 6 else shift), mode


def top_line_tokens(start: np.ndarray, end: np.ndarray, pitch: np.ndarray,
                    beats: np.ndarray) -> list[str]:
    """Return the top line of notes as corpus tokens (C major / A minor).

    The top line is the highest note starting on each 16th of the beat grid; the key
    (Krumhansl-Kessler on the line's duration-weighted pitch classes) is moved to C major or
    A minor.

    Args:
        start: Note starts in seconds.
        end: Note ends in seconds.
        pitch: MIDI pitches.
        beats: Beat times in seconds (at least two; extended past the last at its length).
    """
    from scorer.music.corpus import encode_events

    if not len(pitch):
        return []
    beats = np.asarray(beats, float)
    if len(beats) < 2:
        beats = np.array([0.0, 0.5])
    span = max(beats[-1] - beats[-2], 1e-3)
    extra = int(max(0.0, float(np.max(end)) - beats[-1]) / span) + 2
    beats = np.concatenate([beats, beats[-1] + span * np.arange(1, extra + 1)])
    grid = np.concatenate([np.linspace(a, b, 4, endpoint=False)
                           for a, b in zip(beats[:-1], beats[1:], strict=True)])
    on = np.searchsorted(grid, np.asarray(start, float))
    on = np.clip(on, 1, len(grid) - 1)
    on = np.where(np.abs(grid[on - 1] - start) <= np.abs(grid[on] - start), on - 1, on)
    off = np.clip(np.searchsorted(grid, np.asarray(end, float)), 0, len(grid) - 1)
    top: dict[int, tuple[int, int]] = {}
    for s, e, p in zip(on.tolist(), off.tolist(), np.asarray(pitch).astype(int).tolist(),
                       strict=True):
        if s not in top or p > top[s][0]:
            top[s] = (p, max(1, e - s))
    steps = sorted(top)
    pitches = np.array([top[s][0] for s in steps], float)
    shift, _ = _key_shift(pitches, np.array([top[s][1] for s in steps], float))
    events: list[tuple[int | None, int]] = []
    for k, s in enumerate(steps):
        nxt = steps[k + 1] if k + 1 < len(steps) else s + top[s][1]
        length = min(top[s][1], nxt - s)
        events.append((top[s][0] + shift, length))
        if nxt - s > length:
            events.append((None, nxt - s - length))
    return encode_events(events)


def midi_melody_tokens(path: str | Path, max_seconds: float = 600.0) -> list[str]:
    """Return the top line of a MIDI file (its own beat grid, drums left out) as tokens.

    Raises:
        InputError: If the file cannot be read or holds no pitched notes.
    """
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # noqa: BLE001 - pretty_midi/mido raise many types on bad files
        raise InputError(f"cannot read MIDI ({str(exc)[:120] or type(exc).__name__})",
                         path) from exc
    notes = [n for i in pm.instruments if not i.is_drum for n in i.notes
             if n.start < max_seconds]
    if not notes:
        raise InputError("no pitched notes in the MIDI file", path)
    beats = pm.get_beats()
    if len(beats) < 2:
        beats = np.arange(0.0, pm.get_end_time() + 1.0, 0.5)
    return top_line_tokens(np.array([n.start for n in notes]), np.array([n.end for n in notes]),
                           np.array([n.pitch for n in notes]), beats)


_classifier: list = []  # [StyleClassifier or None], opened once


def style_tags(tokens: list[str]) -> list[list]:
    """Return a melody's library style tags, ``[[word, probability]]``, most probable first.

    Empty when the model is not installed or the melody is too short; styles under 0.2
    probability are left out.
    """
    if not _classifier:
        try:
            _classifier.append(StyleClassifier())
        except ModelError:
            _classifier.append(None)
    if _classifier[0] is None or len(tokens) < 16:
        return []
    _, probs = _classifier[0].classify(tokens)
    order = np.argsort(-probs)
    return [[TAG_WORDS[i], round(float(probs[i]), 3)] for i in order if probs[i] >= 0.2]


class StyleClassifier:
    """The ONNX style classifier: 72 melody features in, probabilities of :data:`STYLES` out."""

    def __init__(self):
        from scorer.models import session

        self.session = session("style_classifier")
        meta = self.session.get_modelmeta().custom_metadata_map
        classes = tuple(meta.get("classes", "").split(","))
        if classes != STYLES:
            raise ModelError("style_classifier.onnx has other classes than "
                             f"{', '.join(STYLES)}; rebuild it with "
                             "models/training/train_style_classifier.py")

    def probabilities(self, feats: np.ndarray) -> np.ndarray:
        """Return (n, 4) class probabilities of (n, 72) features."""
        x = np.asarray(feats, np.float32).reshape(-1, N_FEATURES)
        outputs = self.session.run(None, {self.session.get_inputs()[0].name: x})
        probs = outputs[-1]
        if isinstance(probs, list):  # skl2onnx's zipmap output: one dict per row
            probs = np.array([[row[k] for k in range(len(STYLES))] for row in probs])
        return np.asarray(probs, float)

    def classify(self, tokens: list[str]) -> tuple[str, np.ndarray]:
        """Return the style of a melody (mean probability over its windows) and the means.

        Raises:
            InputError: If the melody is shorter than 16 steps.
        """
        parts = windows(tokens, most=8)
        if not parts:
            raise InputError("melody too short to tell its style (16 steps or more)")
        probs = self.probabilities(np.stack([melody_features(w) for w in parts])).mean(axis=0)
        return STYLES[int(probs.argmax())], probs
