"""Log-mel features shared by the speech-emotion model's training script and its inference.

Training (models/training/train_voice_emotion.py) and :mod:`scorer.audio.voice` both call these
functions, so the model always sees the features it was trained on.
"""

from __future__ import annotations

import numpy as np

SR = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms -> 100 frames a second
N_MELS = 64
FMIN = 50.0
FMAX = 8000.0
TOP_DB = 80.0
FRAMES_PER_SECOND = SR // HOP


def log_mel(y: np.ndarray, sr: int = SR) -> np.ndarray:
    """Return the log-mel spectrogram in absolute dB, shape (N_MELS, frames).

    Args:
        y: Mono float audio at ``sr`` (must be 16 kHz).
        sr: Sample rate; only 16 kHz is supported.

    Raises:
        ValueError: If ``sr`` is not 16 kHz.
    """
    if sr != SR:
        raise ValueError(f"log_mel expects {SR} Hz audio, got {sr} Hz")
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if len(y) < N_FFT:
        y = np.pad(y, (0, N_FFT - len(y)))
    power = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                           n_mels=N_MELS, fmin=FMIN, fmax=FMAX, center=True)
    return (10.0 * np.log10(power + 1e-10)).astype(np.float32)


def log_mel_frames(y: np.ndarray, first: int, last: int, sr: int = SR) -> np.ndarray:
    """Frames ``first:last`` of ``log_mel(y)``, computed from the samples around them only.

    Frame k of :func:`log_mel` is centred on sample ``k * HOP`` and spans N_FFT samples, so a
    slice with a margin of two hops either side gives the same frames as the whole-signal
    spectrogram, without ever transforming a whole (possibly 2-hour) sound track.

    Args:
        y: Mono float audio at 16 kHz.
        first: First frame wanted (>= 0).
        last: One past the last frame wanted (clipped to the signal's frame count).
        sr: Sample rate; only 16 kHz is supported.

    Returns:
        dB spectrogram of shape (N_MELS, frames).

    Raises:
        ValueError: If ``sr`` is not 16 kHz.
    """
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    margin = HOP * (-(-N_FFT // (2 * HOP)) + 1)  # >= N_FFT / 2, on the hop grid
    if len(y) < N_FFT:
        return log_mel(y, sr)[:, first:last]
    a = max(0, first * HOP - margin)
    b = min(len(y), last * HOP + margin)
    if b - a < N_FFT:  # the very end of the signal: widen to the left
        a = max(0, (b - N_FFT) // HOP * HOP)
    local = log_mel(y[a:b], sr)
    off = a // HOP
    return local[:, first - off:last - off]


def normalize(db: np.ndarray) -> np.ndarray:
    """Scale a dB spectrogram chunk to about -1..1 relative to its own peak.

    Referencing the chunk's peak makes the input independent of recording level, which differs
    between the training recordings and a film mix.
    """
    db = np.asarray(db, dtype=np.float32)
    rel = np.maximum(db - db.max(), -TOP_DB)
    return (rel + TOP_DB / 2) / (TOP_DB / 2)
