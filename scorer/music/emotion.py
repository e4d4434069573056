"""Music emotion from audio: musicnn embeddings + tags read by a small trained head.

The app's reader (:func:`read`, :func:`read_windows`, :func:`predict_segments`,
:func:`predict_sections`) runs musicnn (``models/musicnn_msd.onnx``, ``musicnn_mtt.onnx``,
:mod:`scorer.music.musicnn`) on 3-s patches and the head ``models/music_emotion_head.onnx``
(card ``models/music_emotion_head.md``, trained on 4Q and Emotify by
``models/training/train_music_emotion_head.py``) on their 500 values, pooled around each
patch: the mean and the maximum of the patches whose centres lie within the model's
``context_s`` (12 s: about the 30-s clips it was trained on) of the patch's centre. The head
gives the probabilities of the four quadrants of Russell's plane, named by the four music
emotions of the captioning literature (happiness Q1, fear/threat Q2, sadness Q3,
peacefulness Q4), and valence/arousal in -1..1 (the shipped head: 2p - 1 of its quadrant
probabilities' positive-valence and high-arousal sums; ``va_from`` in its metadata).

The older 2-s CQT CNN (``models/music_emotion.onnx``; :func:`cqt_db`, :func:`predict_frames`,
:func:`run_model`) stays as the measured baseline of the head's card: on artist-held-out 4Q
clips and unseen Emotify tracks it was not better than a constant, so the app no longer uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scorer.affect import circumplex

MODEL_NAME = "music_emotion"  # the CQT CNN baseline
HEAD_NAME = "music_emotion_head"
PATCH_S = 3.0  # the reader's window (musicnn's patch)
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


@dataclass
class Reading:
    """What the music-emotion reader says about a run of 3-s windows.

    Attributes:
        times: Window centre times in seconds, shape (n,).
        probs: Class probabilities in ``CLASSES`` order, shape (n, 4).
        va: Valence and arousal in -1..1, shape (n, 2).
        msd_tags: musicnn MSD tag probabilities, shape (n, 50) (``musicnn.MSD_TAGS``).
        mtt_tags: musicnn MTT tag probabilities, shape (n, 50) (``musicnn.MTT_TAGS``).
    """

    times: np.ndarray
    probs: np.ndarray
    va: np.ndarray
    msd_tags: np.ndarray
    mtt_tags: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


# the head's columns are the quadrants Q1..Q4; CLASSES lists them as Q1, Q3, Q2, Q4
_HEAD_TO_CLASSES = [0, 2, 1, 3]


def _empty_reading() -> Reading:
    return Reading(np.zeros(0), np.zeros((0, len(CLASSES))), np.zeros((0, 2)),
                   np.zeros((0, 50)), np.zeros((0, 50)))


def head_context_s() -> float:
    """Seconds around a patch that the head pools (its ONNX metadata; 0: the patch alone).

    Raises:
        ModelError: If the head is missing or damaged.
    """
    from scorer.models import session

    meta = session(HEAD_NAME).get_modelmeta().custom_metadata_map
    try:
        return max(0.0, float(meta.get("context_s", 0.0)))
    except ValueError:
        return 0.0


def pool_context(features: np.ndarray, times: np.ndarray, context_s: float) -> np.ndarray:
    """Each row replaced by [mean, max] of the rows whose times lie within ``context_s``.

    The head was trained on 3-s patches pooled this way over runs of about 27 s of a clip
    (``models/training/train_music_emotion_head.py``, ``context_pool``).
    """
    order = np.argsort(times, kind="stable")
    t = np.asarray(times, dtype=np.float64)[order]
    f = features[order]
    lo = np.searchsorted(t, t - context_s - 1e-6, side="left")
    hi = np.searchsorted(t, t + context_s + 1e-6, side="right")
    pooled = np.empty((len(f), 2 * f.shape[1]), np.float32)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        pooled[i, :f.shape[1]] = f[a:b].mean(0)
        pooled[i, f.shape[1]:] = f[a:b].max(0)
    out = np.empty_like(pooled)
    out[order] = pooled
    return out


# columns of a patch's 500 values (see _patch_features)
_MSD_TAGS = slice(400, 450)
_MTT_TAGS = slice(450, 500)


def _patch_features(batch: np.ndarray) -> np.ndarray:
    """The 500 musicnn values per log-mel patch: MSD and MTT embeddings, MSD and MTT tags."""
    from scorer.music import musicnn

    out = musicnn.run(batch)
    return np.concatenate([out["msd_embedding"], out["mtt_embedding"], out["msd_tags"],
                           out["mtt_tags"]], 1).astype(np.float32)


def _apply_head(features: np.ndarray, times: np.ndarray) -> Reading:
    """The head on patch features (pooled around each patch when the head says so)."""
    from scorer.models import session

    if len(features) == 0:
        return _empty_reading()
    times = np.asarray(times, dtype=np.float64)
    context = head_context_s()
    x = pool_context(features, times, context) if context > 0 else features
    probs, va = session(HEAD_NAME).run(["probs", "va"], {"features": x})
    return Reading(times, probs[:, _HEAD_TO_CLASSES].astype(np.float64), va.astype(np.float64),
                   features[:, _MSD_TAGS].astype(np.float64),
                   features[:, _MTT_TAGS].astype(np.float64))


def read_patches(batch: np.ndarray, times: np.ndarray) -> Reading:
    """Run musicnn and the head on log-mel patches (n, 187, 96) centred at ``times``.

    Raises:
        ModelError: If a model is missing or damaged.
    """
    if len(batch) == 0:
        return _empty_reading()
    return _apply_head(_patch_features(batch), times)


def read(audio: np.ndarray, sr: int, hop_s: float | None = None) -> Reading:
    """Read every 3-s patch of a piece (the last flush with its end).

    Args:
        audio: Mono samples.
        sr: Sample rate (resampled to 16 kHz inside).
        hop_s: Step between patch starts; default one patch (no overlap).

    Raises:
        ModelError: If a model is missing or damaged.
    """
    from scorer.music import musicnn

    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(y) == 0:
        return _empty_reading()
    duration = len(y) / sr
    rep = musicnn.log_mel(y, sr)
    hop = musicnn.PATCH_FRAMES if hop_s is None else max(1, int(round(hop_s * SR /
                                                                      musicnn.HOP)))
    starts = musicnn.patch_starts(len(rep), hop)
    times = np.minimum((starts + musicnn.PATCH_FRAMES / 2) * musicnn.HOP / SR, duration)
    return read_patches(musicnn.patches(rep, hop), times)


def read_windows(audio: np.ndarray, starts: np.ndarray, chunk: int = 64,
                 cancel=None) -> Reading:
    """Read the 3-s windows of 16 kHz audio that start at the given samples.

    Only those windows are transformed, a chunk at a time, never the whole track.

    Args:
        audio: Mono 16 kHz samples.
        starts: Window starts in samples.
        chunk: Windows per model call.
        cancel: Cancel token with ``raise_if_set()``, or None.

    Raises:
        ModelError: If a model is missing or damaged.
    """
    from scorer.music import musicnn

    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    parts = []
    for i in range(0, len(starts), chunk):
        if cancel is not None:
            cancel.raise_if_set()
        parts.append(_patch_features(musicnn.window_patches(audio, starts[i:i + chunk])))
    if not parts:
        return _empty_reading()
    # pooled over every window read, so a window's context crosses the chunks
    return _apply_head(np.concatenate(parts), (starts + PATCH_S * SR / 2) / SR)


def predict_segments(audio: np.ndarray, sr: int,
                     hop_s: float | None = None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Classify every 3-s patch of a piece of music.

    Returns:
        (times, probs, labels): patch centre times in seconds, probabilities of shape
        (n, 4), and the class names. Empty audio gives zero patches.
    """
    r = read(audio, sr, hop_s)
    return r.times, r.probs, CLASSES


def probs_to_va(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map class probabilities to valence/arousal through the circumplex table."""
    return circumplex.project_probs(CLASSES, probs)


def predict_sections(audio: np.ndarray, sr: int, section_s: float = 10.0,
                     reading: Reading | None = None
                     ) -> list[tuple[float, float, float, float, np.ndarray]]:
    """Valence/arousal per section of a piece (the library's per-section emotion).

    Args:
        audio: Mono samples.
        sr: Sample rate.
        section_s: Section length in seconds; the last section may be shorter.
        reading: The piece's :func:`read` result when the caller already has it.

    Returns:
        A list of (start, end, valence, arousal, probs): the head's V/A and class
        probabilities, averaged over the patches whose centres fall in the section.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    duration = len(audio) / float(sr) if sr else 0.0
    if duration <= 0:
        return []
    r = reading if reading is not None else read(audio, sr)
    sections = []
    n = max(1, int(np.ceil(duration / section_s - 1e-9)))
    for k in range(n):
        start, end = k * section_s, min(duration, (k + 1) * section_s)
        inside = (r.times >= start) & (r.times < end)
        if not inside.any():  # a short tail: take the nearest patch
            inside = np.zeros(len(r.times), dtype=bool)
            inside[int(np.argmin(np.abs(r.times - (start + end) / 2)))] = True
        p = r.probs[inside].mean(axis=0)
        v, a = r.va[inside].mean(axis=0)
        sections.append((float(start), float(end), float(v), float(a), p))
    return sections


# ---------------------------------------------------------------- words for captions

# class -> (word when arousal is high, word when low); caption style guides describe
# instrumental music by its mood and sound ("[tense strings build]", "[soft piano music]")
MOOD_WORDS = {
    "happiness": ("upbeat", "cheerful"),
    "fear/threat": ("tense", "ominous"),
    "sadness": ("sombre", "melancholy"),
    "peacefulness": ("bright", "calm"),
}
# instrument tag word -> (noun phrase, plural?)
INSTRUMENT_NOUNS = {
    "strings": ("strings", True), "violin": ("violin", False), "cello": ("cello", False),
    "piano": ("piano", False), "guitar": ("guitar", False), "drums": ("drums", True),
    "synth": ("synths", True), "harpsichord": ("harpsichord", False), "flute": ("flute", False),
    "harp": ("harp", False), "sitar": ("sitar", False), "choir": ("choir", False),
    "orchestral": ("orchestra", False), "electronic": ("electronic music", False),
    "vocals": ("vocals", True),
}
MIN_MOOD_PROB = 0.4  # below this top-class probability the mood is not named
TREND = 0.25  # arousal change across an event that reads as "builds" / "fades"


def describe(reading: Reading, mask: np.ndarray | None = None) -> str:
    """Words for the music of some windows of a reading, e.g. "tense strings build".

    Mood from the mean class probabilities and arousal, the sound from the strongest
    instrument tag, the motion from how arousal moves across the windows.

    Args:
        reading: The reader's output.
        mask: Which windows to describe (all by default).

    Returns:
        Lower-case words without brackets; "music" when nothing more can be said.
    """
    from scorer.music import musicnn

    idx = np.arange(len(reading)) if mask is None else np.flatnonzero(mask)
    if not len(idx):
        return "music"
    p = reading.probs[idx].mean(0)
    va = reading.va[idx]
    mood = ""
    if p.max() >= MIN_MOOD_PROB:
        high, low = MOOD_WORDS[CLASSES[int(np.argmax(p))]]
        mood = high if va[:, 1].mean() > 0 else low
    tags = musicnn.tag_words(reading.msd_tags[idx], reading.mtt_tags[idx])["instruments"]
    noun, plural = ("music", False)
    for word, _ in tags:
        if word in INSTRUMENT_NOUNS:
            noun, plural = INSTRUMENT_NOUNS[word]
            break
    verb = ""
    if len(idx) >= 3:
        half = len(idx) // 2
        change = va[half:, 1].mean() - va[:half, 1].mean()
        if change >= TREND:
            verb = "build" if plural else "builds"
        elif change <= -TREND:
            verb = "fade" if plural else "fades"
    if noun != "music" and not mood and not verb:
        noun = f"{noun} music" if noun not in ("electronic music",) else noun
    return " ".join(w for w in (mood, noun, verb) if w)
