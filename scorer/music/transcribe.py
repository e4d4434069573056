"""Audio to MIDI for seed melodies: a hummed, sung or played tune becomes note events.

Two transcribers, both monophonic (a seed melody is one line):

* ``basic-pitch`` (default): Spotify's basic-pitch network (ICASSP 2022, Apache-2.0), the ONNX
  file ``models/basic_pitch.onnx`` copied from the ``basic-pitch`` wheel. It reads 22.05 kHz
  mono in windows of 43,844 samples and returns, per window, 172 frames (hop 256 samples,
  about 11.6 ms) of note and onset posteriorgrams over the 88 piano keys. The pre- and
  post-processing here are Scorer's own: windows overlap by 30 frames and only each window's
  middle 142 frames are kept, so frames lie on one even 256-sample grid; onsets are peaks of
  the onset posteriorgram (or sharp rises of the note posteriorgram), each followed while the
  note stays on; onsets within 35 ms of each other compete and the strongest note wins (an
  octave or fifth ghost loses to its fundamental), and each note ends at the next onset.
* ``cqt-onset``: the source paper's method and the measured baseline: a constant-Q transform,
  onset detection on its spectral flux, and the dominant CQT bin of each onset-to-onset block
  as that block's pitch (blocks much quieter than the loudest are rests).

:func:`notes_to_tokens` puts notes on a 16th-note grid at an estimated tempo and encodes them
like the melody corpus (C major / A minor, :func:`scorer.music.corpus.encode_stream`).
Figures: ``models/basic_pitch.md`` (note F1 against the baseline, ``bench/transcribe.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.errors import InputError, ModelError

SR = 22050
HOP = 256  # samples per posteriorgram frame
WINDOW = 2 * SR - HOP  # 43,844 samples: the network's fixed input length
WINDOW_FRAMES = 172
EDGE = 15  # frames dropped at each side of a window (they see zero padding or a cut)
KEEP = WINDOW_FRAMES - 2 * EDGE  # 142 frames kept per window
MIDI_LOW = 21  # posteriorgram bin 0 is A0
METHODS = ("basic-pitch", "cqt-onset")
AUDIO_SUFFIXES = (".wav", ".mp3", ".flac", ".ogg", ".oga", ".m4a", ".aac", ".opus", ".aif",
                  ".aiff", ".wma")
MAX_SECONDS = 120.0  # a seed is a few bars: only a file's first two minutes are read


@dataclass(frozen=True)
class Note:
    """One transcribed note: times in seconds, MIDI pitch, strength 0..1."""

    start: float
    end: float
    pitch: int
    strength: float = 1.0


def frame_times(n: int) -> np.ndarray:
    """Return the time in seconds of each of ``n`` basic-pitch frames (even 256-sample grid)."""
    return np.arange(n) * HOP / SR


def basic_pitch_posteriorgrams(audio: np.ndarray, batch: int = 8) -> dict[str, np.ndarray]:
    """Run basic-pitch on mono 22.05 kHz audio.

    Args:
        audio: float32 mono samples at :data:`SR`.
        batch: Windows per onnxruntime call.

    Returns:
        ``{"note": (T, 88), "onset": (T, 88), "contour": (T, 264)}``, frame ``t`` at
        ``t * HOP / SR`` seconds.

    Raises:
        ModelError: If the model is missing or damaged.
    """
    from scorer.models import session

    sess = session("basic_pitch")
    audio = np.asarray(audio, np.float32).reshape(-1)
    n_frames = int(np.ceil(len(audio) / HOP)) if len(audio) else 0
    # EDGE frames of zeros before the first sample put frame EDGE of the first window at t=0;
    # windows then advance by exactly the KEEP frames each contributes
    padded = np.concatenate([np.zeros(EDGE * HOP, np.float32), audio])
    step = KEEP * HOP
    n_windows = max(1, int(np.ceil(n_frames / KEEP)))
    padded = np.pad(padded, (0, max(0, (n_windows - 1) * step + WINDOW - len(padded))))
    names = {o.name for o in sess.get_outputs()}
    # the export's outputs: :0 contour (264 bins), :1 note, :2 onset (see basic-pitch inference)
    wanted = ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2",
              "StatefulPartitionedCall:0"]
    if not all(w in names for w in wanted):
        raise ModelError("basic_pitch.onnx is not the basic-pitch ICASSP 2022 export; "
                         "restore it with models/training/extract_basic_pitch.py")
    input_name = sess.get_inputs()[0].name
    out = {"note": [], "onset": [], "contour": []}
    for first in range(0, n_windows, batch):
        idx = range(first, min(n_windows, first + batch))
        x = np.stack([padded[i * step:i * step + WINDOW] for i in idx])[:, :, None]
        note, onset, contour = sess.run(wanted, {input_name: x})
        for key, value in (("note", note), ("onset", onset), ("contour", contour)):
            out[key].extend(value[:, EDGE:EDGE + KEEP])
    return {k: np.concatenate(v)[:n_frames] for k, v in out.items()}


def decode_melody(note: np.ndarray, onset: np.ndarray, onset_thresh: float = 0.5,
                  frame_thresh: float = 0.4, min_frames: int = 6, group_frames: int = 3,
                  gap_frames: int = 4, infer_onsets: bool = True,
                  repeat_onset: float = 0.8, repeat_dip: float = 0.95) -> list[Note]:
    """Turn basic-pitch posteriorgrams into one melodic line.

    The defaults were chosen on the dev tunes of ``bench/transcribe.py --tune`` (never on the
    test tunes that ``models/basic_pitch.md`` reports).

    Args:
        note: (T, 88) note posteriorgram.
        onset: (T, 88) onset posteriorgram.
        onset_thresh: Least onset peak that starts a note.
        frame_thresh: Least note activation that keeps a note sounding.
        min_frames: Shortest note kept, in frames (6 frames, 70 ms: a fast 16th survives).
        group_frames: Onsets this close (frames) are one event; the strongest note wins.
        gap_frames: Frames under ``frame_thresh`` tolerated inside one note.
        infer_onsets: Also start notes where the note activation rises sharply.
        repeat_onset: A pitch that already sounds starts again only where the onset head
            reaches this (a flute's vibrato or a looped sample wakes it more weakly) ...
        repeat_dip: ... and the note activation dipped under this share of its swell after
            the onset.

    Returns:
        Notes in time order, none overlapping.
    """
    n_frames = note.shape[0]
    if n_frames < 3:
        return []
    strength = onset
    if infer_onsets:
        # a sharp rise of the note activation is an onset too (a legato change of pitch that
        # the onset head misses), scaled to the onset head's range
        rise = np.clip(np.minimum(note[1:-1] - note[:-2], note[2:] - note[:-2]), 0, None)
        rise = np.vstack([np.zeros((1, 88)), rise, np.zeros((1, 88))])
        strength = np.maximum(onset, rise * (onset.max() / max(float(rise.max()), 1e-6)))
    prev = np.vstack([np.zeros((1, 88)), strength[:-1]])
    nxt = np.vstack([strength[1:], np.zeros((1, 88))])
    peaks = (strength >= onset_thresh) & (strength > prev) & (strength >= nxt)
    cands = []
    for t, p in zip(*np.nonzero(peaks), strict=True):
        end, below = t + 1, 0
        while end < n_frames and below <= gap_frames:
            below = below + 1 if note[end, p] < frame_thresh else 0
            end += 1
        end -= below
        if end - t < min_frames:
            continue
        level = float(note[t:end, p].mean())
        cands.append((int(t), int(end), int(p), level * float(strength[t, p])))
    cands.sort()
    chosen: list[tuple[int, int, int, float]] = []
    i = 0
    while i < len(cands):
        j = i
        while j + 1 < len(cands) and cands[j + 1][0] - cands[i][0] <= group_frames:
            j += 1
        best = max(cands[i:j + 1], key=lambda c: c[3])
        i = j + 1
        if chosen and chosen[-1][2] == best[2] and best[0] < chosen[-1][1]:
            # the pitch already sounds: vibrato and tremolo swell it without a new note, so a
            # repeat needs the onset head to fire after a dip of the note activation
            t, p = best[0], best[2]
            dip = float(note[max(chosen[-1][0] + 1, t - 5):t + 1, p].min())
            swell = float(note[t:t + 5, p].max())
            if onset[t, p] < max(onset_thresh, repeat_onset) or dip > repeat_dip * swell:
                continue
        chosen.append(best)
    return _line(chosen, frame_times(n_frames + 1))


def _line(events: list[tuple[int, int, int, float]], times: np.ndarray) -> list[Note]:
    """Make (start frame, end frame, pitch bin, score) events one line: cut at next onsets."""
    notes = []
    for k, (t, end, p, score) in enumerate(events):
        if k + 1 < len(events):
            end = min(end, events[k + 1][0])
        if end <= t:
            continue
        notes.append(Note(float(times[t]), float(times[end]), MIDI_LOW + p,
                          float(min(1.0, score))))
    return notes


def transcribe_basic_pitch(audio: np.ndarray, **decode) -> list[Note]:
    """Transcribe mono 22.05 kHz audio with basic-pitch and the melody decoder."""
    post = basic_pitch_posteriorgrams(audio)
    return decode_melody(post["note"], post["onset"], **decode)


def transcribe_cqt_onset(audio: np.ndarray, sr: int = SR, fmin_midi: int = 36,
                         n_bins: int = 72, rest_db: float = 25.0, delta: float = 0.05,
                         end_db: float = 30.0) -> list[Note]:
    """The source paper's transcriber: CQT, onsets, the dominant pitch per onset block.

    ``rest_db`` and ``delta`` were chosen on the same dev tunes as basic-pitch's thresholds.

    Args:
        audio: Mono float samples.
        sr: Their rate.
        fmin_midi: Lowest CQT bin (C2), one bin per semitone.
        n_bins: CQT bins (six octaves).
        rest_db: A block whose loudest frame is this far under the file's loudest is a rest.
        delta: librosa onset-picking threshold.
        end_db: A note ends where its pitch falls this far under its peak (else at the next
            onset).

    Returns:
        Notes in time order, none overlapping.
    """
    import librosa

    audio = np.asarray(audio, np.float32).reshape(-1)
    if len(audio) < HOP * 4 or not np.any(audio):
        return []
    cqt = np.abs(librosa.cqt(audio, sr=sr, hop_length=HOP, fmin=librosa.midi_to_hz(fmin_midi),
                             n_bins=n_bins, bins_per_octave=12))
    db = librosa.amplitude_to_db(cqt, ref=np.max, top_db=80.0)
    env = librosa.onset.onset_strength(S=db, sr=sr, hop_length=HOP)
    onsets = librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=HOP,
                                        units="frames", delta=delta)
    n = cqt.shape[1]
    frame_db = db.max(axis=0)
    bounds = list(onsets) + [n]
    events = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b <= a or frame_db[a:b].max() < -rest_db:
            continue
        pitch_bin = int(np.argmax(cqt[:, a:b].mean(axis=1)))
        line = db[pitch_bin, a:b]
        peak = int(np.argmax(line))
        low = np.nonzero(line[peak:] < line[peak] - end_db)[0]
        end = a + peak + int(low[0]) if len(low) else b
        events.append((int(a), int(end), pitch_bin + fmin_midi - MIDI_LOW,
                       float(10 ** (frame_db[a:b].max() / 20))))
    return _line(events, librosa.frames_to_time(np.arange(n + 1), sr=sr, hop_length=HOP))


def transcribe(audio: np.ndarray, sr: int = SR, method: str = "basic-pitch") -> list[Note]:
    """Transcribe mono audio into one melodic line.

    Args:
        audio: Mono float samples.
        sr: Their rate (resampled to 22.05 kHz when different).
        method: "basic-pitch" (default) or "cqt-onset" (the source paper's baseline).

    Raises:
        ValueError: On an unknown method.
        ModelError: If basic-pitch's model is missing or damaged.
    """
    if method not in METHODS:
        raise ValueError(f"unknown transcription method {method!r}; expected one of {METHODS}")
    audio = np.asarray(audio, np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if sr != SR and len(audio):
        import librosa

        audio = librosa.resample(audio, orig_sr=sr, target_sr=SR)
    peak = float(np.abs(audio).max()) if len(audio) else 0.0
    if peak > 0:  # a quiet hum reads like a loud one
        audio = audio / peak * 0.9
    if method == "cqt-onset":
        return transcribe_cqt_onset(audio)
    return transcribe_basic_pitch(audio)


def load_mono(path: str | Path, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Decode an audio file to mono float32 at 22.05 kHz (its first ``max_seconds``).

    Raises:
        InputError: If it cannot be decoded or holds no audio.
    """
    from scorer.music.render import load_audio_file

    stereo = load_audio_file(path, sr=SR)
    if not len(stereo):
        raise InputError("no audio stream in the file", path)
    return stereo[:int(max_seconds * SR)].mean(axis=1)


def estimate_sixteenth(notes: list[Note]) -> float:
    """Return the 16th-note length in seconds that best explains the onsets.

    Each grid between 60 and 180 quarter-note beats per minute is scored by how far the
    inter-onset intervals fall from whole numbers of its 16ths, by how common those note
    values are (16th, 8th, quarter, half and whole before dotted ones, before the rest: a
    tune of quarters and halves would otherwise fit a grid of dotted 8ths as well), and by a
    mild preference for tempi near 100 BPM.
    """
    starts = np.array([n.start for n in notes])
    iois = np.diff(starts)
    iois = iois[(iois > 0.05) & (iois < 3.0)]
    if len(iois) == 0:
        return 60.0 / 100.0 / 4
    plain, dotted = {1, 2, 4, 8, 16}, {3, 6, 12, 24}
    best, best_cost = 0.15, np.inf
    for bpm in np.arange(60.0, 180.5, 0.5):
        six = 60.0 / bpm / 4
        steps = np.maximum(np.round(iois / six), 1)
        err = np.abs(iois / six - steps) / steps
        rarity = np.array([0.0 if k in plain else 0.3 if k in dotted else 0.6
                           for k in steps.astype(int)])
        cost = float(np.mean(err ** 2)) + 0.05 * float(rarity.mean()) \
            + 0.02 * float(np.log2(bpm / 100.0) ** 2)
        if cost < best_cost:
            best, best_cost = six, cost
    return best


def notes_to_tokens(notes: list[Note], max_steps: int = 64) -> dict | None:
    """Quantise notes to a 16th grid and encode them like the melody corpus.

    Onsets are placed interval by interval (each interval rounded to whole 16ths, at least
    one), so a tempo a little off does not drift the later notes off the grid. A short
    silence before the next note is articulation and joins the note; a longer one is a rest.

    Returns:
        ``encode_stream``'s dict (``tokens`` cut to ``max_steps``, ``mode``, ``key``), plus
        ``sixteenth`` (seconds), or None when fewer than 8 notes survive.
    """
    from music21 import note as m21note
    from music21 import stream

    from scorer.music.corpus import encode_stream

    if len(notes) < 2:
        return None
    six = estimate_sixteenth(notes)
    steps = [0]
    for prev, cur in zip(notes[:-1], notes[1:], strict=True):
        steps.append(steps[-1] + max(1, int(round((cur.start - prev.start) / six))))
    part = stream.Part()
    for k, (n, s) in enumerate(zip(notes, steps, strict=True)):
        length = max(1, int(round((n.end - n.start) / six)))
        if k + 1 < len(steps):
            ioi = steps[k + 1] - s
            # articulation is not a rest: a silence under an eighth, or under 40% of the
            # interval, joins the note; a real rest stays
            gap = (notes[k + 1].start - n.end) / six
            length = ioi if gap < max(2.0, 0.4 * ioi) else min(length, ioi)
        part.insert(s / 4, m21note.Note(n.pitch, quarterLength=length / 4))
    enc = encode_stream(part)
    if enc is None:
        return None
    enc["tokens"] = enc["tokens"][:max_steps]
    enc["sixteenth"] = six
    return enc


def seed_from_audio(path: str | Path, method: str = "basic-pitch") -> list[str]:
    """Return seed melody tokens transcribed from an audio file.

    Raises:
        InputError: Naming the file, when it cannot be decoded or no melody is heard in it.
    """
    audio = load_mono(path)
    notes = transcribe(audio, SR, method=method)
    if not notes:
        raise InputError("no notes found in the audio (is it silent, or only noise or "
                         "drums?); hum or play a tune of 8 notes or more", path)
    enc = notes_to_tokens(notes)
    if enc is None:
        raise InputError(f"only {len(notes)} note(s) found in the audio; a seed melody needs "
                         "8 or more within C3..C6 after transposition", path)
    return enc["tokens"]
