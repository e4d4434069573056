"""Music emotion from audio: a small CNN on Constant-Q spectrograms of 2-second segments.

The model (``models/music_emotion.onnx``, card beside it) classifies each 2-second segment
as happiness, sadness, fear/threat or peacefulness, after the source paper's design (five
3x3 conv layers with batch norm, dense 300 and 150, softmax); it was trained on Emotify
(``models/training/train_music_emotion.py``). Valence/arousal come from the class
probabilities through the circumplex table (``scorer.affect.circumplex``).

The spectrogram front end here is the one the training script imports, so training and
inference see exactly the same input.
"""

from __future__ import annotations

import numpy as np

from scorer.affect import circumplex

MODEL_NAME = "music_emotion"
SR = 16000
HOP = 512
N_BINS = 84  # C1..B7 (32.7 Hz .. 3.95 kHz), 12 bins per octave
FMIN = 32.70319566257483  # C1
SEGMENT_FRAMES = 63  # 63 hops of 32 ms = 2.016 s
SEGMENT_S = SEGMENT_FRAMES * HOP / SR
DB_RANGE = 80.0
CLASSES: tuple[str, ...] = ("happiness", "sadness", "fear/threat", "peacefulness")

# Per-class words for music captions ("sad music", "tense music", ...).
CAPTION_WORDS = {
    "happiness": "happy",
    "sadness": "sad",
    "fear/threat": "tense",
    "peacefulness": "calm",
}


def cqt_db(audio: np.ndarray, sr: int = SR) -> np.ndarray:
    """Return the log-magnitude Constant-Q spectrogram (dB re 1.0), shape (N_BINS, frames).

    Args:
        audio: Mono samples.
        sr: Sample rate; audio is resampled to 16 kHz if it differs.
    """
    import librosa

    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    if len(y) < HOP * SEGMENT_FRAMES:
        y = np.pad(y, (0, HOP * SEGMENT_FRAMES - len(y)))
    spec = np.abs(librosa.cqt(y, sr=SR, hop_length=HOP, fmin=FMIN, n_bins=N_BINS,
                              bins_per_octave=12, res_type="polyphase"))
    return (20.0 * np.log10(spec + 1e-6)).astype(np.float32)


# Chunked CQT: a long sound track is never transformed whole (2 h would take ~4.5 GB).
# A block of frames is computed from its own samples plus MARGIN_FRAMES of context either
# side; the longest CQT filter (C1) spans about 0.5 s and the octave decimation filters a
# little more, so 2 s of context makes the block's frames match the whole-signal ones.
BLOCK_FRAMES = 1875  # 60 s of CQT frames per block
MARGIN_FRAMES = 64  # 2.05 s


def n_cqt_frames(n_samples: int) -> int:
    """Number of frames :func:`cqt_db` returns for ``n_samples`` samples at 16 kHz."""
    return 1 + max(n_samples, HOP * SEGMENT_FRAMES) // HOP


def cqt_db_frames(audio: np.ndarray, first: int, last: int) -> np.ndarray:
    """Frames ``first:last`` of ``cqt_db(audio)``, computed from the samples around them only.

    Args:
        audio: Mono 16 kHz samples (float32 avoids a copy).
        first: First frame wanted.
        last: One past the last frame wanted (clipped to the signal's frame count).

    Returns:
        dB spectrogram of shape (N_BINS, frames), equal to the whole-signal spectrogram's
        columns within float tolerance.
    """
    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    n = len(y)
    if n < HOP * SEGMENT_FRAMES:
        return cqt_db(y)[:, first:last]
    # block edges on the hop grid: HOP is a multiple of every octave's decimation factor, so
    # the decimated signals keep the same phase as in the whole-signal transform
    a = max(0, (first - MARGIN_FRAMES) * HOP)
    b = min(n, (last + MARGIN_FRAMES) * HOP)
    local = cqt_db(y[a:b])
    off = a // HOP
    return local[:, first - off:last - off]


def _blocks(starts: np.ndarray, block_frames: int) -> list[np.ndarray]:
    """Group segment indices (sorted by start) into blocks of at most ``block_frames`` frames.

    A gap longer than the context margins starts a new block, so the frames between two
    far-apart segments are never transformed.
    """
    order = np.argsort(starts, kind="stable")
    blocks: list[list[int]] = []
    first = end = 0
    for i in order:
        s = int(starts[i])
        if blocks and s + SEGMENT_FRAMES - first <= block_frames and s - end <= 2 * MARGIN_FRAMES:
            blocks[-1].append(int(i))
            end = max(end, s + SEGMENT_FRAMES)
        else:
            blocks.append([int(i)])
            first, end = s, s + SEGMENT_FRAMES
    return [np.asarray(b, dtype=np.int64) for b in blocks]


def predict_frames(audio: np.ndarray, starts: np.ndarray, block_frames: int = BLOCK_FRAMES,
                   cancel=None) -> np.ndarray:
    """Class probabilities of the segments at the given frame starts of 16 kHz audio.

    The CQT is computed block by block around the segments only (see
    :func:`cqt_db_frames`), and each block's segments go through the model before the next
    block is transformed, so memory stays flat whatever the length of the audio.

    Args:
        audio: Mono 16 kHz samples.
        starts: Segment starts in CQT frames (each segment is SEGMENT_FRAMES long and must end
            within ``n_cqt_frames(len(audio))``).
        block_frames: Most frames transformed at once.
        cancel: Cancel token with ``raise_if_set()``, or None.

    Returns:
        Probabilities of shape (len(starts), 4).

    Raises:
        ModelError: If the model is missing or damaged.
    """
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    probs = np.zeros((len(starts), len(CLASSES)))
    for block in _blocks(starts, block_frames):
        if cancel is not None:
            cancel.raise_if_set()
        first = int(starts[block].min())
        db = cqt_db_frames(audio, first, int(starts[block].max()) + SEGMENT_FRAMES)
        probs[block] = run_model(segment_batch(db, starts[block] - first))
    return probs


def normalize_segment(db: np.ndarray) -> np.ndarray:
    """Scale one segment's dB spectrogram to 0..1 relative to its own peak.

    Why per segment: film music sits at any level under dialogue and effects; the emotion
    should not follow the mixing level.
    """
    rel = db - db.max()
    return (np.clip(rel, -DB_RANGE, 0.0) / DB_RANGE + 1.0).astype(np.float32)


def segment_batch(db: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cut normalised segments at the given frame starts: shape (n, 1, N_BINS, SEGMENT_FRAMES)."""
    out = np.empty((len(starts), 1, N_BINS, SEGMENT_FRAMES), dtype=np.float32)
    for i, s in enumerate(starts):
        out[i, 0] = normalize_segment(db[:, s:s + SEGMENT_FRAMES])
    return out


def segment_starts(n_frames: int, hop_frames: int = SEGMENT_FRAMES) -> np.ndarray:
    """Frame starts of segments covering ``n_frames`` (the last one flush with the end)."""
    if n_frames <= SEGMENT_FRAMES:
        return np.zeros(1, dtype=np.int64)
    starts = list(range(0, n_frames - SEGMENT_FRAMES + 1, hop_frames))
    if starts[-1] + SEGMENT_FRAMES < n_frames:
        starts.append(n_frames - SEGMENT_FRAMES)
    return np.asarray(starts, dtype=np.int64)


def run_model(batch: np.ndarray, chunk: int = 64) -> np.ndarray:
    """Run the ONNX model on normalised segments; returns class probabilities (n, 4).

    Raises:
        ModelError: If the model is missing or damaged.
    """
    from scorer.models import session

    sess = session(MODEL_NAME)
    name = sess.get_inputs()[0].name
    outs = []
    for i in range(0, len(batch), chunk):
        outs.append(sess.run(["probs"], {name: batch[i:i + chunk]})[0])
    if not outs:
        return np.zeros((0, len(CLASSES)), dtype=np.float32)
    return np.concatenate(outs).astype(np.float64)


def predict_segments(audio: np.ndarray, sr: int,
                     hop_s: float | None = None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Classify every 2-second segment of a piece of music.

    Args:
        audio: Mono samples.
        sr: Sample rate.
        hop_s: Step between segment starts; default one segment (no overlap).

    Returns:
        (times, probs, labels): segment centre times in seconds, probabilities of shape
        (n, 4), and the class names. Empty audio gives zero segments.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(audio) == 0:
        return np.zeros(0), np.zeros((0, len(CLASSES))), CLASSES
    duration = len(audio) / sr
    if sr != SR:
        import librosa

        audio = librosa.resample(audio, orig_sr=sr, target_sr=SR)
    hop_frames = SEGMENT_FRAMES if hop_s is None else max(1, int(round(hop_s * SR / HOP)))
    starts = segment_starts(n_cqt_frames(len(audio)), hop_frames)
    probs = predict_frames(audio, starts)
    times = np.minimum((starts + SEGMENT_FRAMES / 2) * HOP / SR, duration)
    return times, probs, CLASSES


def probs_to_va(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map class probabilities to valence/arousal through the circumplex table."""
    return circumplex.project_probs(CLASSES, probs)


def predict_sections(audio: np.ndarray, sr: int, section_s: float = 10.0
                     ) -> list[tuple[float, float, float, float, np.ndarray]]:
    """Valence/arousal per section of a piece (the library's per-section emotion).

    Args:
        audio: Mono samples.
        sr: Sample rate.
        section_s: Section length in seconds; the last section may be shorter.

    Returns:
        A list of (start, end, valence, arousal, probs) with probs the mean class
        probabilities of the segments whose centres fall in the section.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    duration = len(audio) / float(sr) if sr else 0.0
    if duration <= 0:
        return []
    times, probs, _ = predict_segments(audio, sr)
    sections = []
    n = max(1, int(np.ceil(duration / section_s - 1e-9)))
    for k in range(n):
        start, end = k * section_s, min(duration, (k + 1) * section_s)
        inside = (times >= start) & (times < end)
        if not inside.any():  # a short tail: take the nearest segment
            inside = np.zeros(len(times), dtype=bool)
            inside[int(np.argmin(np.abs(times - (start + end) / 2)))] = True
        p = probs[inside].mean(axis=0)
        v, a = probs_to_va(p)
        sections.append((float(start), float(end), float(v), float(a), p))
    return sections
