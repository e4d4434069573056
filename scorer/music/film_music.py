"""Captions of the film's own music: where the sound track carries music, and what it expresses.

Two steps over the 16 kHz mono sound track:

1. A music/speech/silence discriminator on 2-second windows. Silence is a level test. Music
   versus speech (or noise) is a logistic regression over Scheirer & Slaney-style features
   (share of low-energy frames, 2-8 Hz syllabic modulation of the speech band, spectral
   flatness, frame-to-frame spectral stability, chroma peakedness, variation of centroid and
   zero-crossing rate). Its weights below were fitted by
   ``models/training/train_music_emotion_detector.py`` on Emotify music against RAVDESS
   speech (plus noise and mixtures), split by track and by actor; the card
   ``models/music_emotion.md`` gives its held-out accuracy.
2. The music-emotion reader (``scorer.music.emotion``: musicnn + a trained head) on a 3-s
   window around each music window. Labels are merged over consecutive windows into stretches
   of at least ~4 s, and each stretch is captioned, in pieces of at most 7 s, with words from
   the reading of its own windows ("[tense strings build]"); a piece that would repeat the
   words of the one before is left out (a caption marks a change).
3. The instrument recogniser (``scorer.music.instruments``) on up to two 3-s windows of each
   caption's music (at most ``INSTRUMENT_WINDOWS`` in all, spread over the captions), stored
   with the caption: which instruments the film's own music has. The track is 16 kHz, so the
   recogniser hears nothing above 8 kHz (it was trained on full-band renders).

The result is ``project.tracks["music"]`` (confidence 0 where there is no music) and
``project.music_captions`` entries with ``source="film"``.
"""

from __future__ import annotations

import logging

import numpy as np

from scorer.errors import ModelError
from scorer.music import emotion as me
from scorer.project import MusicCaption
from scorer.track import Track

log = logging.getLogger(__name__)

WINDOW_S = 2.0
HOP_S = 1.0
MIN_CAPTION_S = 4.0
MAX_CAPTION_S = 7.0  # caption style guides: one caption event stays short
SILENCE_DBFS = -55.0  # window RMS below this is silence whatever the clip's level
SILENCE_REL_DB = 40.0  # ... and so is anything this far under the clip's loudest window
MUSIC_THRESHOLD = 0.5
# Below this top-class probability the window is captioned "♪ music ♪": saying that music
# plays is true; naming an emotion the model is unsure of would be a guess.
MIN_CLASS_PROB = 0.4
UNSURE = -1
# the recogniser costs about 0.1-0.2 s per 3-s window on one core: a bounded number per clip
INSTRUMENT_WINDOWS = 32
# in a full mix the recogniser's weaker calls are often wrong (on the Sintel trailer's
# orchestra it also calls saxophone and zither): only its most confident few are kept
MAX_INSTRUMENTS_NAMED = 3

FEATURE_NAMES = ("low_energy_share", "syllabic_modulation", "log_flatness", "spectral_stability",
                 "chroma_peak", "centroid_cv", "zcr_std", "flux_cv")

# Logistic regression music-vs-not, fitted by models/training/train_music_emotion_detector.py
# (StandardScaler mean/scale, then coef/intercept).
DETECTOR = {
    "mean": [0.171263, -1.03138, -5.018198, 0.837949, 0.238764, 0.284064, 0.054856, 0.287217],
    "scale": [0.223282, 0.855991, 2.204678, 0.115072, 0.085569, 0.187226, 0.042365, 0.1942],
    "coef": [-2.351734, 0.573386, -0.67146, 0.935622, 0.564453, -0.319406, -0.2736, 0.515405],
    "intercept": 0.136835,
}

_N_FFT = 1024
_HOP = 256  # 16 ms frames at 16 kHz


def window_starts(n_samples: int, sr: int, window_s: float = WINDOW_S,
                  hop_s: float = HOP_S) -> np.ndarray:
    """Sample starts of the analysis windows (the last flush with the end)."""
    win, hop = int(round(window_s * sr)), int(round(hop_s * sr))
    if n_samples <= win:
        return np.zeros(1, dtype=np.int64)
    starts = list(range(0, n_samples - win + 1, hop))
    if starts[-1] + win < n_samples:
        starts.append(n_samples - win)
    return np.asarray(starts, dtype=np.int64)


def _frame_stats(y: np.ndarray, sr: int) -> dict[str, np.ndarray]:
    """Per-frame measurements of ``y`` (frames of _N_FFT samples every _HOP, no centring).

    Every value depends on its own frame only, except flux and stability, which also use the
    frame before (the first frame of ``y`` gets 0 and 1).
    """
    import librosa

    spec = np.abs(librosa.stft(y, n_fft=_N_FFT, hop_length=_HOP, center=False))
    power = spec ** 2
    freqs = librosa.fft_frequencies(sr=sr, n_fft=_N_FFT)
    logspec = np.log(spec + 1e-5)
    norm = np.linalg.norm(logspec - logspec.mean(0), axis=0) + 1e-9
    centred = (logspec - logspec.mean(0)) / norm
    chroma = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=_N_FFT, tuning=0.0)
    return {
        "rms": librosa.feature.rms(S=spec, frame_length=_N_FFT)[0],
        "band": power[(freqs >= 300) & (freqs <= 3400)].sum(0),
        "flat": librosa.feature.spectral_flatness(S=spec)[0],
        "cent": librosa.feature.spectral_centroid(S=spec, sr=sr)[0],
        "zcr": librosa.feature.zero_crossing_rate(y, frame_length=_N_FFT, hop_length=_HOP,
                                                  center=False)[0],
        "flux": np.r_[0.0, np.sqrt((np.diff(logspec, axis=1).clip(min=0) ** 2).mean(0))],
        "stability": np.r_[1.0, (centred[:, 1:] * centred[:, :-1]).sum(0)],
        "chroma_peak": chroma.max(0) / (chroma.sum(0) + 1e-9),
    }


def window_features(audio: np.ndarray, sr: int, starts: np.ndarray,
                    window_s: float = WINDOW_S, block_windows: int = 30
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Discriminator features per window.

    The spectrogram is computed for ``block_windows`` windows at a time (one frame of
    overlap for flux and stability), never for the whole track: the frames are the same as
    those of one whole-track pass, and memory stays flat however long the track is.

    Args:
        audio: Mono samples (16 kHz expected; other rates work with scaled bands).
        sr: Sample rate.
        starts: Window starts in samples, ascending.
        window_s: Window length in seconds.
        block_windows: Windows measured per spectrogram block.

    Returns:
        (features, rms_db): shape (n, len(FEATURE_NAMES)) and the window RMS in dBFS.
    """
    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    win = int(round(window_s * sr))
    pad = max(0, int(starts[-1]) + win - len(y)) if len(starts) else 0
    if pad:  # only audio shorter than one window: a small copy
        y = np.pad(y, (0, pad))
    n_frames = 1 + (len(y) - _N_FFT) // _HOP
    frame_rate = sr / _HOP
    per_win = max(2, int((win - _N_FFT) // _HOP + 1))
    feats = np.zeros((len(starts), len(FEATURE_NAMES)))
    rms_db = np.zeros(len(starts))
    mod_freqs = np.fft.rfftfreq(per_win, d=1.0 / frame_rate)
    syll = (mod_freqs >= 2.0) & (mod_freqs <= 8.0)
    hann = np.hanning(per_win)
    for i0 in range(0, len(starts), block_windows):
        block = starts[i0:i0 + block_windows]
        # one frame before the block's first, for flux and stability
        f0 = max(0, int(block[0]) // _HOP - 1)
        f1 = min(n_frames, int(block[-1]) // _HOP + per_win)
        st = _frame_stats(y[f0 * _HOP:(f1 - 1) * _HOP + _N_FFT], sr)
        for j, s in enumerate(block):
            i = i0 + j
            a = int(s) // _HOP
            sl = slice(a - f0, min(f1, a + per_win) - f0)
            r = st["rms"][sl]
            seg = y[int(s):int(s) + win]
            rms_db[i] = 10 * np.log10(float(np.mean(seg.astype(np.float64) ** 2)) + 1e-12)
            env = st["band"][sl]
            env = env / (env.mean() + 1e-12)
            e = np.zeros(per_win)
            e[:len(env)] = env - env.mean()
            m = np.abs(np.fft.rfft(e * hann)) ** 2
            cent, flux = st["cent"][sl], st["flux"][sl]
            feats[i] = (
                float(np.mean(r < 0.5 * r.mean())),
                # log power of the 2-8 Hz envelope modulation (syllable rate), relative to level
                float(np.log10(1e-4 + m[syll].sum() / (per_win * (hann ** 2).sum()))),
                float(np.mean(np.log(st["flat"][sl] + 1e-10))),
                float(np.mean(st["stability"][sl])),
                float(np.mean(st["chroma_peak"][sl])),
                float(cent.std() / (cent.mean() + 1e-9)),
                float(st["zcr"][sl].std()),
                float(flux.std() / (flux.mean() + 1e-9)),
            )
    return feats, rms_db


def music_probability(features: np.ndarray, detector: dict | None = None) -> np.ndarray:
    """Probability of music per window from the fitted logistic regression."""
    d = detector or DETECTOR
    z = (np.asarray(features) - np.asarray(d["mean"])) / np.asarray(d["scale"])
    logit = z @ np.asarray(d["coef"]) + float(d["intercept"])
    return 1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40)))


def classify_windows(audio: np.ndarray, sr: int, window_s: float = WINDOW_S,
                     hop_s: float = HOP_S) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Label each window as "music", "speech" (meaning: sound that is not music) or "silence".

    Returns:
        (starts_s, p_music, kinds): window starts in seconds, music probability (0 in
        silence) and the kind per window.
    """
    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    if len(y) == 0:
        return np.zeros(0), np.zeros(0), []
    starts = window_starts(len(y), sr, window_s, hop_s)
    feats, rms_db = window_features(y, sr, starts, window_s)
    p = music_probability(feats)
    silent = (rms_db < SILENCE_DBFS) | (rms_db < rms_db.max() - SILENCE_REL_DB)
    p = np.where(silent, 0.0, p)
    kinds = ["silence" if s else ("music" if q >= MUSIC_THRESHOLD else "speech")
             for s, q in zip(silent, p, strict=True)]
    return starts / float(sr), p, kinds


def _smooth_labels(labels: list[int | None]) -> list[int | None]:
    """Majority of each window and its neighbours, so one odd window does not split a run."""
    out = list(labels)
    for i in range(1, len(labels) - 1):
        trio = [x for x in labels[i - 1:i + 2] if x is not None]
        if labels[i] is not None and len(trio) == 3 and trio[0] == trio[2] != trio[1]:
            out[i] = trio[0]
    return out


def _runs(labels: list[int | None]) -> list[list]:
    runs: list[list] = []
    for i, lab in enumerate(labels):
        if runs and runs[-1][0] == lab and runs[-1][2] == i:
            runs[-1][2] = i + 1
        else:
            runs.append([lab, i, i + 1])
    return runs


def caption_text(label: str | None) -> str:
    """Bracketed caption for a class alone: "[sad music]"; None gives "[music]"."""
    if label is None:
        return "[music]"
    return f"[{me.CAPTION_WORDS.get(label, label)} music]"


def make_captions(starts_s: np.ndarray, window_s: float, hop_s: float,
                  labels: list[int | None], probs: np.ndarray,
                  min_len: float = MIN_CAPTION_S, reading: me.Reading | None = None,
                  max_len: float = MAX_CAPTION_S) -> list[MusicCaption]:
    """Merge per-window labels into captions of ``min_len`` to ``max_len`` seconds.

    Labels are class indices into ``CLASSES``, ``UNSURE`` (music of no clear emotion) or None
    (no music).

    A run shorter than ``min_len`` inside a music stretch joins the neighbouring run it
    resembles most (by mean probabilities); a whole music stretch shorter than ``min_len``
    gets no caption. A run longer than ``max_len`` is cut into equal pieces; with a
    ``reading`` (one row per window) each piece's words come from its own windows
    (:func:`scorer.music.emotion.describe`), and a piece whose words equal the previous
    piece's is dropped. Without one, the label's word is used.
    """
    labels = _smooth_labels(labels)
    # each window owns [start + (window-hop)/2, start + (window+hop)/2): consecutive windows tile
    lo = starts_s + (window_s - hop_s) / 2
    hi = starts_s + (window_s + hop_s) / 2
    if len(lo):
        lo[0] = starts_s[0]
        hi[-1] = starts_s[-1] + window_s
    runs = _runs(labels)
    changed = True
    while changed:
        changed = False
        for k, (lab, a, b) in enumerate(runs):
            if lab is None or hi[b - 1] - lo[a] >= min_len:
                continue
            neighbours = [j for j in (k - 1, k + 1) if 0 <= j < len(runs)
                          and runs[j][0] is not None]
            if not neighbours:
                continue
            mine = probs[a:b].mean(0)
            best = min(neighbours, key=lambda j: np.abs(
                probs[runs[j][1]:runs[j][2]].mean(0) - mine).sum())
            runs[best][1] = min(runs[best][1], a)
            runs[best][2] = max(runs[best][2], b)
            del runs[k]
            # neighbours with the same label now touch: join them
            merged: list[list] = []
            for run in runs:
                if merged and merged[-1][0] == run[0] and merged[-1][2] == run[1]:
                    merged[-1][2] = run[2]
                else:
                    merged.append(run)
            runs = merged
            changed = True
            break
    captions = []
    previous = None
    for lab, a, b in runs:
        if lab is None:
            previous = None
            continue
        start, end = float(lo[a]), float(hi[b - 1])
        if end - start < min_len:
            continue
        pieces = max(1, int(np.ceil((end - start) / max_len - 1e-9)))
        edges = np.linspace(start, end, pieces + 1)
        for p0, p1 in zip(edges[:-1], edges[1:], strict=True):
            if reading is not None:
                centre = starts_s + window_s / 2
                inside = (centre >= p0) & (centre < p1)
                inside[:a] = False  # only this run's windows
                inside[b:] = False
                words = me.describe(reading, inside if inside.any() else None)
                text = f"[{words}]"
            else:
                text = caption_text(None if lab == UNSURE else me.CLASSES[lab])
            if text == previous:
                continue  # the music goes on as described: no new caption
            previous = text
            captions.append(MusicCaption(start=round(float(p0), 3), end=round(float(p1), 3),
                                         text=text, source="film"))
    return captions


def read_instruments(audio: np.ndarray, sr: int, captions: list[MusicCaption],
                     budget: int = INSTRUMENT_WINDOWS, cancel=None) -> None:
    """Recognise the instruments under each caption; sets ``caption.instruments``.

    The recogniser's ``MAX_INSTRUMENTS_NAMED`` most confident instruments are kept, most
    confident first. Each caption's music gets up to two 3-s windows while ``budget``
    lasts; when there are more captions than the budget allows, evenly spread captions get
    one window each and the others stay unread (``instruments`` None).

    Raises:
        ModelError: If basic-pitch or the instrument model is missing or damaged.
        Cancelled: If cancelled.
    """
    from scorer.music import instruments

    if not captions or budget <= 0:
        return
    per = 2 if 2 * len(captions) <= budget else 1
    chosen = range(len(captions))
    if len(captions) > budget:
        chosen = np.unique(np.linspace(0, len(captions) - 1, budget).round().astype(int))
    for k in chosen:
        if cancel is not None:
            cancel.raise_if_set()
        caption = captions[k]
        piece = audio[int(caption.start * sr):int(np.ceil(caption.end * sr))]
        if len(piece) < sr:  # under a second: nothing to read
            continue
        reading = instruments.recognise(piece, sr, max_windows=per)
        caption.instruments = [name for name, _ in reading.present()[:MAX_INSTRUMENTS_NAMED]]


def reading_windows(n_samples: int, sr: int, starts_s: np.ndarray) -> np.ndarray:
    """Sample starts of the reader's 3-s windows centred on 2-s analysis windows."""
    win = int(me.PATCH_S * sr)
    centre = (np.asarray(starts_s) + WINDOW_S / 2) * sr
    return np.clip(np.round(centre - win / 2), 0, max(0, n_samples - win)).astype(np.int64)


def analyze_film_music(audio: np.ndarray, sr: int, project, settings=None, progress=None,
                       cancel=None) -> Track:
    """Find the music in a sound track, classify its emotion, write track and captions.

    Args:
        audio: Mono samples (the pipeline passes 16 kHz).
        sr: Sample rate.
        project: The scorer.project.Project to fill (``tracks["music"]``, ``music_captions``).
        settings: Analysis settings (unused; kept for the pipeline's call).
        progress: ``progress(stage, fraction)`` callback, or None.
        cancel: Cancel token with ``raise_if_set()``, or None.

    Returns:
        The "music" Track (also stored in the project).

    Raises:
        ModelError: If the emotion model is missing or damaged.
        Cancelled: If cancelled.
    """
    def report(fraction: float) -> None:
        if progress is not None:
            progress("film music", fraction)

    def check() -> None:
        if cancel is not None:
            cancel.raise_if_set()

    report(0.0)
    y = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sr != me.SR and len(y):
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=me.SR)
        sr = me.SR
    project.music_captions = [c for c in project.music_captions if c.source != "film"]
    if len(y) < sr // 2:
        track = Track.empty("music", me.CLASSES)
        project.tracks["music"] = track
        report(1.0)
        return track
    starts_s, p_music, kinds = classify_windows(y, sr)
    check()
    report(0.3)
    n = len(starts_s)
    is_music = np.array([k == "music" for k in kinds])
    reading = me.Reading(starts_s + WINDOW_S / 2, np.zeros((n, len(me.CLASSES))),
                         np.zeros((n, 2)), np.zeros((n, 50)), np.zeros((n, 50)))
    if is_music.any():
        # only the music windows are read, a chunk at a time (never the whole track)
        got = me.read_windows(y, reading_windows(len(y), sr, starts_s)[is_music],
                              cancel=cancel)
        for field in ("probs", "va", "msd_tags", "mtt_tags"):
            getattr(reading, field)[is_music] = getattr(got, field)
        report(0.9)
    check()
    probs = reading.probs
    valence, arousal = reading.va[:, 0], reading.va[:, 1]
    confidence = np.where(is_music, p_music, 0.0)
    times = np.minimum(starts_s + WINDOW_S / 2, len(y) / sr)
    track = Track("music", times, valence, arousal, confidence, me.CLASSES, probs,
                  features={"p_music": p_music})
    project.tracks["music"] = track
    labels = [None if not is_music[i] else
              (int(np.argmax(probs[i])) if probs[i].max() >= MIN_CLASS_PROB else UNSURE)
              for i in range(n)]
    captions = make_captions(starts_s, WINDOW_S, HOP_S, labels, probs, reading=reading)
    report(0.92)
    try:
        read_instruments(y, sr, captions, cancel=cancel)
    except ModelError as exc:  # the captions stand without it
        log.warning("film music: instruments not recognised (%s)", exc)
    project.music_captions = sorted(project.music_captions + captions, key=lambda c: c.start)
    log.info("film music: %d of %d windows music, %d captions", int(is_music.sum()), n,
             len(captions))
    report(1.0)
    return track


def caption_at(project, t: float) -> MusicCaption | None:
    """The film-music caption covering time ``t`` (seconds), or None."""
    for caption in project.music_captions:
        if caption.source == "film" and caption.start <= t < caption.end:
            return caption
    return None


def caption_summary(caption: MusicCaption) -> str:
    """One line for an editor: the caption's words, span and the instruments heard."""
    line = f"{caption.text} {caption.start:.1f}-{caption.end:.1f} s"
    if caption.instruments is None:
        return line + "; instruments not read"
    return line + "; instruments: " + (", ".join(caption.instruments) or "none recognised")
