"""musicnn tags and embeddings through ONNX Runtime (models ``musicnn_msd`` and ``musicnn_mtt``).

musicnn (Pons & Serra 2019, ISC licence) is a music-tagging CNN trained on the Million Song
Dataset (MSD: 50 tags such as happy, sad, mellow, chill, party) and on MagnaTagATune (MTT: 50
tags such as slow, fast, loud, quiet, strings, piano). Its TF1 checkpoints were converted by
``models/training/convert_musicnn.py``; the cards beside the ONNX files give the check against
the TF model.

Front end (musicnn's own, reproduced here with librosa): 16 kHz mono, mel power spectrogram
with a 512-point FFT, hop 256 and 96 bands, rounded to float16 as musicnn does, then
``log10(10000 * mel + 1)`` in float32; the network reads 3-s patches of 187 frames.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
PATCH_FRAMES = 187  # 3 s: librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
PATCH_S = 3.0
MODELS = ("musicnn_msd", "musicnn_mtt")

MSD_TAGS: tuple[str, ...] = (
    "rock",
    "pop",
    "alternative",
    "indie",
    "electronic",
    "female vocalists",
    "dance",
    "00s",
    "alternative rock",
    "jazz",
    "beautiful",
    "metal",
    "chillout",
    "male vocalists",
    "classic rock",
    "soul",
    "indie rock",
    "Mellow",
    "electronica",
    "80s",
    "folk",
    "90s",
    "chill",
    "instrumental",
    "punk",
    "oldies",
    "blues",
    "hard rock",
    "ambient",
    "acoustic",
    "experimental",
    "female vocalist",
    "guitar",
    "Hip-Hop",
    "70s",
    "party",
    "country",
    "easy listening",
    "sexy",
    "catchy",
    "funk",
    "electro",
    "heavy metal",
    "Progressive rock",
    "60s",
    "rnb",
    "indie pop",
    "sad",
    "House",
    "happy",
)
MTT_TAGS: tuple[str, ...] = (
    "guitar",
    "classical",
    "slow",
    "techno",
    "strings",
    "drums",
    "electronic",
    "rock",
    "fast",
    "piano",
    "ambient",
    "beat",
    "violin",
    "vocal",
    "synth",
    "female",
    "indian",
    "opera",
    "male",
    "singing",
    "vocals",
    "no vocals",
    "harpsichord",
    "loud",
    "quiet",
    "flute",
    "woman",
    "male vocal",
    "no vocal",
    "pop",
    "soft",
    "sitar",
    "solo",
    "man",
    "classic",
    "choir",
    "voice",
    "new age",
    "dance",
    "male voice",
    "female vocal",
    "beats",
    "harp",
    "cello",
    "no voice",
    "weird",
    "country",
    "metal",
    "female voice",
    "choral",
)


def load_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an audio file as mono float32 at its own rate.

    Raises:
        MediaError: If the file cannot be read.
    """
    import soundfile as sf

    from scorer.errors import MediaError

    try:
        y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, OSError) as exc:  # soundfile raises LibsndfileError (a RuntimeError)
        raise MediaError(f"cannot read audio ({exc})", Path(path)) from exc
    return y.mean(axis=1), int(sr)


def log_mel(audio: np.ndarray, sr: int = SR) -> np.ndarray:
    """Return musicnn's input representation, shape (frames, 96) float32.

    Args:
        audio: Mono samples.
        sr: Their rate; resampled to 16 kHz when different.
    """
    import librosa

    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    if len(y) < N_FFT:
        y = np.pad(y, (0, N_FFT - len(y)))
    # musicnn was trained with librosa 0.6/0.7, whose STFT padding was "reflect"
    mel = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, pad_mode="reflect"
    ).T
    # musicnn rounds the mel to float16; under its NumPy 1.x promotion "10000 * float16" was
    # computed in float32 (int16 x float16), so scale in float32 or loud bins overflow to inf
    mel = mel.astype(np.float16).astype(np.float32)
    return np.log10(10000.0 * mel + 1.0).astype(np.float32)


def patches(rep: np.ndarray, hop_frames: int = PATCH_FRAMES) -> np.ndarray:
    """Cut a log-mel (frames, 96) into 3-s patches (n, 187, 96).

    A representation shorter than one patch is repeated to fill it (musicnn's "repeat-pad");
    a tail that does not fill a whole patch is covered by one last patch flush with the end.
    """
    rep = np.asarray(rep, dtype=np.float32)
    if len(rep) == 0:
        return np.zeros((0, PATCH_FRAMES, N_MELS), dtype=np.float32)
    if len(rep) < PATCH_FRAMES:
        reps = int(np.ceil(PATCH_FRAMES / len(rep)))
        return np.tile(rep, (reps, 1))[None, :PATCH_FRAMES]
    return rep[patch_starts(len(rep), hop_frames)[:, None] + np.arange(PATCH_FRAMES)]


def patch_starts(n_frames: int, hop_frames: int = PATCH_FRAMES) -> np.ndarray:
    """Frame starts of patches covering ``n_frames`` frames (the last flush with the end)."""
    if n_frames <= PATCH_FRAMES:
        return np.zeros(1, dtype=np.int64)
    starts = list(range(0, n_frames - PATCH_FRAMES + 1, hop_frames))
    if starts[-1] + PATCH_FRAMES < n_frames:
        starts.append(n_frames - PATCH_FRAMES)
    return np.asarray(starts, dtype=np.int64)


def run(batch: np.ndarray, chunk: int = 32) -> dict[str, np.ndarray]:
    """Run both musicnn models on patches.

    Returns:
        ``msd_tags`` and ``mtt_tags`` (n, 50) probabilities, ``msd_embedding`` and
        ``mtt_embedding`` (n, 200).

    Raises:
        ModelError: If a model is missing or damaged.
    """
    from scorer.models import session

    out: dict[str, np.ndarray] = {}
    for name in MODELS:
        sess = session(name)
        tags, emb = [], []
        for i in range(0, len(batch), chunk):
            t, e = sess.run(["tags", "embedding"], {"logmel": batch[i : i + chunk]})
            tags.append(t)
            emb.append(e)
        short = name.split("_")[1]
        out[f"{short}_tags"] = np.concatenate(tags) if tags else np.zeros((0, 50), np.float32)
        out[f"{short}_embedding"] = np.concatenate(emb) if emb else np.zeros((0, 200), np.float32)
    return out


def analyse(audio: np.ndarray, sr: int, hop_s: float = PATCH_S) -> tuple[np.ndarray, dict]:
    """Tags and embeddings of every 3-s patch of a piece.

    Args:
        audio: Mono samples.
        sr: Sample rate.
        hop_s: Step between patch starts.

    Returns:
        (times, outputs): patch centre times in seconds and the dict of :func:`run`.
        Empty audio gives zero patches.
    """
    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(y) == 0:
        return np.zeros(0), run(np.zeros((0, PATCH_FRAMES, N_MELS), np.float32))
    rep = log_mel(y, sr)
    hop_frames = max(1, int(round(hop_s * SR / HOP)))
    starts = patch_starts(len(rep), hop_frames)
    duration = len(y) / sr
    times = np.minimum((starts + PATCH_FRAMES / 2) * HOP / SR, duration)
    return times, run(patches(rep, hop_frames))


def window_patches(audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """One patch per window of 16 kHz audio, each from its own 3 s of samples only.

    For long sound tracks: only the windows asked for are transformed, never the whole track.

    Args:
        audio: Mono 16 kHz samples.
        starts: Window starts in samples.
    """
    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    need = (PATCH_FRAMES - 1) * HOP
    out = np.empty((len(starts), PATCH_FRAMES, N_MELS), dtype=np.float32)
    for i, s in enumerate(np.asarray(starts, dtype=np.int64)):
        out[i] = patches(log_mel(y[int(s) : int(s) + need], SR))[0]
    return out


# Tag words Scorer keeps, by kind (tag name in its set -> word shown to people). Genre and decade
# tags are left out: they say little about a cue.
TAG_WORDS: dict[str, dict[tuple[str, str], str]] = {
    "mood": {("msd", "happy"): "happy", ("msd", "sad"): "sad", ("msd", "Mellow"): "mellow",
             ("msd", "chill"): "chill", ("msd", "beautiful"): "beautiful",
             ("msd", "party"): "party", ("msd", "easy listening"): "easy listening",
             ("mtt", "soft"): "soft", ("mtt", "quiet"): "quiet", ("mtt", "loud"): "loud",
             ("mtt", "weird"): "weird", ("mtt", "ambient"): "ambient"},
    "tempo": {("mtt", "slow"): "slow", ("mtt", "fast"): "fast", ("mtt", "beat"): "beat",
              ("mtt", "dance"): "dance"},
    "instruments": {("mtt", "guitar"): "guitar", ("mtt", "strings"): "strings",
                    ("mtt", "drums"): "drums", ("mtt", "piano"): "piano",
                    ("mtt", "violin"): "violin", ("mtt", "synth"): "synth",
                    ("mtt", "harpsichord"): "harpsichord", ("mtt", "flute"): "flute",
                    ("mtt", "sitar"): "sitar", ("mtt", "harp"): "harp", ("mtt", "cello"): "cello",
                    ("mtt", "choir"): "choir", ("mtt", "vocal"): "vocals",
                    ("mtt", "electronic"): "electronic", ("mtt", "classical"): "orchestral"},
}
TAG_THRESHOLD = 0.2  # kept when its mean probability reaches this (musicnn tags are sparse:
# on 4Q clips the 90th percentile of most tags is under 0.3)


def tag_words(msd_tags: np.ndarray, mtt_tags: np.ndarray,
              threshold: float = TAG_THRESHOLD) -> dict[str, list[list]]:
    """Mood, tempo-feel and instrumentation words of a piece from its mean tag probabilities.

    Args:
        msd_tags: MSD tag probabilities (50,) or (n, 50) (averaged over rows).
        mtt_tags: MTT tag probabilities, likewise.
        threshold: Lowest mean probability kept.

    Returns:
        {"mood": [[word, p], ...], "tempo": [...], "instruments": [...]}, most probable first.
    """
    means = {"msd": np.asarray(msd_tags, dtype=np.float64).reshape(-1, 50).mean(0),
             "mtt": np.asarray(mtt_tags, dtype=np.float64).reshape(-1, 50).mean(0)}
    names = {"msd": MSD_TAGS, "mtt": MTT_TAGS}
    out: dict[str, list[list]] = {}
    for kind, table in TAG_WORDS.items():
        best: dict[str, float] = {}
        for (source, tag), word in table.items():
            p = float(means[source][names[source].index(tag)])
            if p >= threshold:
                best[word] = max(best.get(word, 0.0), p)
        out[kind] = [[w, round(p, 3)] for w, p in sorted(best.items(), key=lambda x: -x[1])]
    return out


# Low-level cues of a patch, read from the same log-mel musicnn reads (no second front end).
CUE_NAMES: tuple[str, ...] = (
    "level_mean", "level_std", "level_range", "centroid_mean", "centroid_std",
    "flux_mean", "flux_std", "onset_rate", "high_share",
)
HIGH_BAND = 64  # mel bands from here up (about 3.3 kHz at 16 kHz, 96 bands) are "high"


def patch_cues(batch: np.ndarray) -> np.ndarray:
    """Loudness, brightness and onset cues of log-mel patches, shape (n, len(CUE_NAMES)).

    Why: arousal follows loudness, brightness and event rate, which musicnn's tag-trained
    embeddings only partly keep. Everything is read from musicnn's own input, so the app
    and the training scripts compute them identically.

    Args:
        batch: Log-mel patches (n, frames, 96) as :func:`patches` returns them.

    Returns:
        Per patch: frame level in dB (mean, std, 95th minus 5th percentile), mel-band
        centroid (mean, std, in bands), positive spectral flux (mean, std), onsets per second
        (flux peaks above mean + std) and the high bands' share of the power.
    """
    lm = np.asarray(batch, dtype=np.float64)
    n, frames = lm.shape[0], lm.shape[1]
    out = np.zeros((n, len(CUE_NAMES)), dtype=np.float32)
    if n == 0:
        return out
    power = (np.power(10.0, lm) - 1.0) / 10000.0  # undo log10(10000 * mel + 1)
    total = power.sum(2) + 1e-10
    level = 10.0 * np.log10(total)
    bands = np.arange(lm.shape[2], dtype=np.float64)
    centroid = (power * bands).sum(2) / total
    flux = np.maximum(np.diff(lm, axis=1), 0.0).sum(2)
    thr = flux.mean(1, keepdims=True) + flux.std(1, keepdims=True)
    peaks = (flux[:, 1:-1] > flux[:, :-2]) & (flux[:, 1:-1] >= flux[:, 2:]) & (flux[:, 1:-1] > thr)
    seconds = frames * HOP / SR
    out[:, 0] = level.mean(1)
    out[:, 1] = level.std(1)
    out[:, 2] = np.percentile(level, 95, axis=1) - np.percentile(level, 5, axis=1)
    out[:, 3] = centroid.mean(1)
    out[:, 4] = centroid.std(1)
    out[:, 5] = flux.mean(1)
    out[:, 6] = flux.std(1)
    out[:, 7] = peaks.sum(1) / seconds
    out[:, 8] = power[:, :, HIGH_BAND:].sum((1, 2)) / total.sum(1)
    return out
