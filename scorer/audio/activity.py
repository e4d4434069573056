"""Speech activity: where people speak, told apart from music and effects.

Silero VAD (``models/silero_vad.onnx``, MIT, from the ``silero-vad`` wheel on PyPI; see its
card) reads the track in 32 ms chunks at 16 kHz, carrying its recurrent state from chunk to
chunk, and gives a speech probability per chunk. Speech starts where the probability reaches
``ONSET`` and ends where it stays under ``OFFSET`` for ``MIN_SILENCE_S``; bursts shorter than
``MIN_SPEECH_S`` are dropped (hysteresis, as Silero's own segmenter does). Long tracks are cut
into ``STREAM_S`` pieces run side by side as one batch, each started ``WARMUP_S`` early so its
state has settled when its own audio begins.

Analysis windows (1 s, hop 0.5 s) get a calibrated speech probability from the share of the
window inside speech segments and the mean chunk probability (a two-input logistic
calibration fitted on held-out clips by ``models/training/eval_speech_activity.py``). Windows
quieter than the energy gate are never speech. The per-frame spectrum measurements
(:func:`frame_features`, 20 ms hop) are made here too, because prosody reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scorer import models

SR = 16000
HOP = 320  # 20 ms
N_FFT = 1024  # >= WIN + longest period, so the autocorrelation is not circular
WIN = 512
FPS = SR // HOP
WINDOW_S = 1.0
STEP_S = 0.5
CONTEXT_S = 2.0  # modulation needs a longer look than the window itself
# windows whose speech band is quieter than this are silence (quiet, calm RAVDESS lines sit
# near -58 dBFS; the model itself ignores low noise, so the gate only guards true silence)
GATE_DBFS = -65.0
GATE_BELOW_PEAK_DB = 45.0  # ... or this far below the loud parts of the track
FRAME_BLOCK = 1000  # frames measured at once (20 s): ~45 MB of temporaries at any length

MODEL = "silero_vad"
CHUNK = 512  # 32 ms: the only chunk size the 16 kHz model takes
CONTEXT = 64  # samples of the previous chunk prepended to each one, as the model was run
CHUNK_S = CHUNK / SR
STATE_SHAPE = (2, 128)  # per stream: the model's recurrent state
ONSET = 0.5  # speech starts at this chunk probability
OFFSET = 0.35  # ... and ends below this one
MIN_SPEECH_S = 0.25  # shorter bursts are dropped
MIN_SILENCE_S = 0.1  # shorter dips below OFFSET do not end speech
SPEECH_PAD_S = 0.03  # kept each side of a segment (consonants at the edges)
STREAM_S = 30.0  # pieces of a long track run side by side in one batch
WARMUP_S = 1.0  # each piece after the first starts this early; its outputs there are dropped
CANCEL_EVERY = 64  # chunks between cancel checks

# window calibration: p = sigmoid(CAL_COVER * share in speech + CAL_MEAN * mean chunk
# probability + CAL_BIAS), fitted by models/training/eval_speech_activity.py on RAVDESS actors
# 1-15 (odd), Emotify tracks not divisible by 3 and 4Q calibration artists, speech clean and
# 0-20 dB under music; held-out expected calibration error 0.039 (see silero_vad.md)
CAL_COVER = -2.12
CAL_MEAN = 6.856
CAL_BIAS = -2.406


@dataclass
class FrameFeatures:
    """Per-frame measurements (50 frames a second)."""

    band_db: np.ndarray  # speech-band (100-4000 Hz) energy, dBFS
    voicing: np.ndarray  # normalised autocorrelation peak in the 70-400 Hz period range, 0..1
    period: np.ndarray  # lag of that peak in samples
    flatness: np.ndarray  # spectral flatness of the speech band, 0..1
    flux: np.ndarray  # positive spectral flux of the log spectrum
    centroid: np.ndarray  # spectral centroid of the speech band, kHz


def frame_features(audio: np.ndarray, cancel=None) -> FrameFeatures:
    """Measure every 20 ms frame of 16 kHz mono audio, in blocks to bound memory."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    n_frames = max(1, 1 + len(audio) // HOP)
    window = np.hanning(WIN).astype(np.float32)
    freqs = np.fft.rfftfreq(N_FFT, 1 / SR)
    band = (freqs >= 100) & (freqs <= 4000)
    lag_lo, lag_hi = SR // 400, SR // 70
    # the window's own autocorrelation: dividing by it unbiases long lags
    win_ac = np.fft.irfft(np.abs(np.fft.rfft(window, N_FFT)) ** 2, N_FFT)
    win_ac = (win_ac / win_ac[0])[lag_lo : lag_hi + 1]
    out = {
        k: np.zeros(n_frames, dtype=np.float32)
        for k in ("band_db", "voicing", "period", "flatness", "flux", "centroid")
    }
    prev_log = None
    block = FRAME_BLOCK
    for start in range(0, n_frames, block):
        if cancel is not None:
            cancel.raise_if_set()
        stop = min(n_frames, start + block)
        # frame k covers samples [k*HOP - WIN/2, k*HOP + WIN/2), zeros outside the track;
        # only this block's samples are padded (padding the whole track would copy it)
        lo = start * HOP - WIN // 2
        hi = (stop - 1) * HOP + WIN // 2
        piece = np.zeros(hi - lo, dtype=np.float32)
        a, b = max(lo, 0), min(hi, len(audio))
        if b > a:
            piece[a - lo : b - lo] = audio[a:b]
        idx = np.arange(stop - start)[:, None] * HOP + np.arange(WIN)[None, :]
        frames = piece[idx] * window
        spec = np.fft.rfft(frames, n=N_FFT, axis=1)
        power = (spec.real**2 + spec.imag**2).astype(np.float32)
        pb = power[:, band] + 1e-12
        energy = pb.sum(1)
        # Hann window power gain, so a full-scale sine reads about 0 dBFS
        out["band_db"][start:stop] = 10 * np.log10(energy / (WIN * WIN * 0.375 / 2) + 1e-12)
        out["flatness"][start:stop] = np.exp(np.log(pb).mean(1)) / pb.mean(1)
        out["centroid"][start:stop] = (pb * freqs[band]).sum(1) / energy / 1000
        # autocorrelation of the low band (voice harmonics) from the power spectrum
        low = power.copy()
        low[:, freqs > 3000] = 0
        low[:, freqs < 60] = 0
        ac = np.fft.irfft(low, n=N_FFT, axis=1)
        r0 = ac[:, :1] + 1e-12
        seg = ac[:, lag_lo : lag_hi + 1] / r0 / win_ac
        out["voicing"][start:stop] = np.clip(seg.max(1), 0, 1)
        out["period"][start:stop] = lag_lo + seg.argmax(1)
        log_spec = np.log(pb)
        first = log_spec[:1] if prev_log is None else prev_log
        diff = np.diff(np.vstack([first, log_spec]), axis=0)
        out["flux"][start:stop] = np.maximum(diff, 0).mean(1)
        prev_log = log_spec[-1:]
    return FrameFeatures(**out)


def window_times(duration: float) -> np.ndarray:
    """Centres of the analysis windows covering ``duration`` seconds."""
    if duration <= 0:
        return np.zeros(0)
    if duration < WINDOW_S:
        return np.array([duration / 2])
    return np.arange(WINDOW_S / 2, duration - WINDOW_S / 2 + 1e-9, STEP_S)


def chunk_probabilities(audio: np.ndarray, cancel=None) -> np.ndarray:
    """Silero's speech probability for every 32 ms chunk of 16 kHz mono audio.

    Raises:
        ModelError: If ``silero_vad.onnx`` is missing or damaged.
        Cancelled: If cancelled.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    n_chunks = -(-len(audio) // CHUNK)
    if n_chunks == 0:
        return np.zeros(0, dtype=np.float32)
    sess = models.session(MODEL)
    piece = max(1, int(round(STREAM_S / CHUNK_S)))
    n_streams = -(-n_chunks // piece)
    warm = int(round(WARMUP_S / CHUNK_S)) if n_streams > 1 else 0
    steps = piece + warm if n_streams > 1 else n_chunks
    # stream k covers chunks [k*piece - warm, k*piece - warm + steps); zeros outside the track
    padded = np.zeros(((n_streams - 1) * piece + steps) * CHUNK, dtype=np.float32)
    padded[warm * CHUNK : warm * CHUNK + len(audio)] = audio
    starts = np.arange(n_streams) * piece * CHUNK
    state = np.zeros((STATE_SHAPE[0], n_streams, STATE_SHAPE[1]), dtype=np.float32)
    context = np.zeros((n_streams, CONTEXT), dtype=np.float32)
    rate = np.array(SR, dtype=np.int64)
    out = np.zeros((n_streams, steps), dtype=np.float32)
    gather = starts[:, None] + np.arange(CHUNK)[None, :]
    for step in range(steps):
        if cancel is not None and step % CANCEL_EVERY == 0:
            cancel.raise_if_set()
        chunk = padded[gather + step * CHUNK]
        prob, state = sess.run(
            None, {"input": np.concatenate([context, chunk], axis=1), "state": state, "sr": rate}
        )
        out[:, step] = prob[:, 0]
        context = chunk[:, -CONTEXT:]
    return out[:, warm:].reshape(-1)[:n_chunks]


def speech_mask(probs: np.ndarray) -> np.ndarray:
    """Speech (True) per chunk after hysteresis and minimum durations."""
    mask = np.zeros(len(probs), dtype=bool)
    min_silence = int(round(MIN_SILENCE_S / CHUNK_S))
    min_speech = int(round(MIN_SPEECH_S / CHUNK_S))
    pad = int(round(SPEECH_PAD_S / CHUNK_S))
    segments, start, below = [], None, 0
    for i, p in enumerate(probs):
        if start is None:
            if p >= ONSET:
                start, below = i, 0
            continue
        below = below + 1 if p < OFFSET else 0
        if below >= min_silence:
            segments.append((start, i - below + 1))
            start = None
    if start is not None:
        segments.append((start, len(probs) - below if below else len(probs)))
    for a, b in segments:
        if b - a >= min_speech:
            mask[max(0, a - pad) : min(len(probs), b + pad)] = True
    return mask


def mask_segments(mask: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of each run of speech chunks."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return [
        (float(a * CHUNK_S), float(b * CHUNK_S))
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]


def window_statistics(
    mask: np.ndarray, probs: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each window inside speech and its mean chunk probability."""
    cover, mean = np.zeros(len(times)), np.zeros(len(times))
    for i, t in enumerate(times):
        a = max(0, int(np.floor((t - WINDOW_S / 2) / CHUNK_S)))
        b = min(len(probs), int(np.ceil((t + WINDOW_S / 2) / CHUNK_S)))
        if b > a:
            cover[i], mean[i] = mask[a:b].mean(), probs[a:b].mean()
    return cover, mean


def window_level(ff: FrameFeatures, times: np.ndarray) -> np.ndarray:
    """Speech-band level (dBFS) of each window, -120 where it holds no frame."""
    level = np.full(len(times), -120.0)
    half = int(WINDOW_S * FPS / 2)
    power = 10 ** (ff.band_db / 10)
    for i, t in enumerate(times):
        c = int(round(t * FPS))
        a, b = max(0, c - half), min(len(power), c + half)
        if b - a >= 5:
            level[i] = 10 * np.log10(power[a:b].mean() + 1e-12)
    return level


def calibrate(cover: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Calibrated window speech probability from its two Silero statistics."""
    return 1 / (1 + np.exp(-(CAL_COVER * cover + CAL_MEAN * mean + CAL_BIAS)))


def gate(level: np.ndarray) -> np.ndarray:
    """True where a window is loud enough to hold speech at all."""
    if len(level) == 0:
        return np.zeros(0, dtype=bool)
    loud = np.percentile(level, 95)
    return (level > GATE_DBFS) & (level > loud - GATE_BELOW_PEAK_DB)


@dataclass
class SpeechActivity:
    """Everything speech activity measured on one track.

    Attributes:
        times: Window centres (1 s windows, 0.5 s apart).
        speech: Calibrated speech probability per window (0 below the energy gate).
        level: Speech-band level per window, dBFS.
        frames: Per-frame spectrum measurements (20 ms hop), for prosody.
        chunk_probs: Silero's probability per 32 ms chunk.
        segments: (start, end) seconds of speech after hysteresis, at 32 ms resolution.
    """

    times: np.ndarray
    speech: np.ndarray
    level: np.ndarray
    frames: FrameFeatures
    chunk_probs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    segments: list[tuple[float, float]] = field(default_factory=list)


def analyze(audio: np.ndarray, sr: int = SR, cancel=None) -> SpeechActivity:
    """Find speech in 16 kHz mono audio.

    Raises:
        ValueError: If ``sr`` is not 16 kHz.
        ModelError: If the Silero model is missing or damaged.
        Cancelled: If cancelled.
    """
    if sr != SR:
        raise ValueError(f"speech activity expects {SR} Hz audio, got {sr} Hz")
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    ff = frame_features(audio, cancel)
    times = window_times(len(audio) / SR)
    level = window_level(ff, times)
    probs = chunk_probabilities(audio, cancel)
    mask = speech_mask(probs)
    loud = gate(level)
    if len(times):
        # silence below the gate is never speech, whatever the model hears in it
        centres = (np.arange(len(probs)) + 0.5) * CHUNK_S
        nearest = np.clip(np.round((centres - times[0]) / STEP_S).astype(int), 0, len(times) - 1)
        mask &= loud[nearest]
    cover, mean = window_statistics(mask, probs, times)
    speech = np.where(loud, calibrate(cover, mean), 0.0)
    return SpeechActivity(times, speech, level, ff, probs, mask_segments(mask))


def detect(audio: np.ndarray, sr: int = SR, cancel=None):
    """Return (window times, speech probability, level dBFS, frame features) for a track.

    Raises:
        ValueError: If ``sr`` is not 16 kHz.
        ModelError: If the Silero model is missing or damaged.
    """
    result = analyze(audio, sr, cancel)
    return result.times, result.speech, result.level, result.frames


def regions(
    times: np.ndarray,
    prob: np.ndarray,
    threshold: float = 0.5,
    pad: float = 0.25,
    min_gap: float = 0.6,
) -> list[tuple[float, float]]:
    """Merge speech windows into (start, end) regions in seconds."""
    spans: list[list[float]] = []
    for t, p in zip(times, prob, strict=True):
        if p < threshold:
            continue
        s, e = t - WINDOW_S / 2 - pad, t + WINDOW_S / 2 + pad
        if spans and s - spans[-1][1] < min_gap:
            spans[-1][1] = e
        else:
            spans.append([max(0.0, s), e])
    return [(s, e) for s, e in spans]
