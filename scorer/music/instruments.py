"""Instrument recognition in music audio: which of sixteen orchestral and band instruments play.

After the source paper's system (a network on pitch features mapped onto harmonics, with the
harmonic map built from estimated or from true pitch), made small enough to index a library:

1. pitch: basic-pitch's note and onset posteriorgrams (``models/basic_pitch.onnx``, 88 keys,
   frames of 256 samples at 22.05 kHz; :func:`scorer.music.transcribe.basic_pitch_posteriorgrams`);
   for rendered training data the same grids can be drawn from the true MIDI notes
   (:func:`roll_from_notes`);
2. spectrum: a constant-Q transform on the same frame grid, one bin per semitone from A0;
3. harmonic map: for every frame and every key the pitch grid says is sounding, the CQT levels
   at its 2nd to 8th harmonics relative to its fundamental (the timbre of that note), pooled
   per register band and weighted by the pitch posterior; beside it, the register histogram,
   the decay of each note after its onset (plucked and struck notes fall, bowed and blown ones
   hold), and the CQT's mean and spread (see :func:`window_features`);
4. beside them, the window's timbre without pitch (MFCC mean and spread, the mean CQT:
   :func:`spectral_features`, alone the measured baseline);
5. a small multi-label network (``models/instrument_recognition.onnx``, standardisation and two
   hidden layers folded into one ONNX graph) gives one probability per instrument per window;
   its per-instrument thresholds, chosen on training SoundFonts, ship in the graph's metadata.

Figures (cross-SoundFont F1 per instrument, estimated beside true pitch, beside baselines):
``models/instrument_recognition.md``. MIDI pieces need none of this: their programs name their
instruments (:func:`instruments_of_programs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

SR = 22050
HOP = 256
WINDOW_SECONDS = 3.0
MODEL = "instrument_recognition"
MIDI_LOW = 21
N_KEYS = 88
CQT_BINS = 100  # A0 up to C8 + 3 semitones (8.4 kHz), under the 11 kHz Nyquist
HARMONICS = (2, 3, 4, 5, 6, 7, 8)
HARM_OFFSETS = tuple(int(round(12 * np.log2(h))) for h in HARMONICS)
BANDS = (21, 36, 48, 60, 72, 84, 109)  # register bands of the harmonic map (MIDI keys)
DECAY_FRAMES = (2, 5, 10, 20, 40)  # 23 ms to 460 ms after an onset
FLOOR_DB = -80.0

# the classes, in the model's output order, with the General MIDI programs that are each one
CLASSES = ("violin", "viola", "cello", "double bass", "flute", "clarinet", "saxophone",
           "trumpet", "horn", "piano", "guitar", "harp", "xylophone", "timpani", "snare drum",
           "zither")
GM_PROGRAMS = {
    "violin": (40,), "viola": (41,), "cello": (42,), "double bass": (43,),
    "flute": (73,), "clarinet": (71,), "saxophone": (64, 65, 66, 67), "trumpet": (56,),
    "horn": (60,), "piano": (0, 1, 2), "guitar": (24, 25, 26, 27), "harp": (46,),
    "xylophone": (13,), "timpani": (47,), "zither": (107,),
}
SNARE_KEYS = (38, 40)  # GM percussion keys: acoustic and electric snare
_PROGRAM_CLASS = {p: name for name, progs in GM_PROGRAMS.items() for p in progs}


def instruments_of_programs(programs, drum_keys=()) -> list[str]:
    """Name the recognisable instruments of a MIDI piece from its programs (no audio needed).

    Args:
        programs: General MIDI program numbers of its pitched parts.
        drum_keys: Percussion keys it plays on channel 10 (a snare key counts as snare drum).
    """
    found = []
    for p in programs:
        name = _PROGRAM_CLASS.get(int(p))
        if name and name not in found:
            found.append(name)
    if any(int(k) in SNARE_KEYS for k in drum_keys) and "snare drum" not in found:
        found.append("snare drum")
    return [c for c in CLASSES if c in found]


# ---------------------------------------------------------------- features


def cqt_db(audio: np.ndarray) -> np.ndarray:
    """Constant-Q magnitude in dB, (T, CQT_BINS), on basic-pitch's frame grid, 0 dB = full scale."""
    import librosa

    audio = np.asarray(audio, np.float32).reshape(-1)
    n = int(np.ceil(len(audio) / HOP)) if len(audio) else 0
    if n == 0:
        return np.zeros((0, CQT_BINS), np.float32)
    c = np.abs(librosa.cqt(audio, sr=SR, hop_length=HOP, fmin=librosa.midi_to_hz(MIDI_LOW),
                           n_bins=CQT_BINS, bins_per_octave=12))
    db = 20 * np.log10(np.maximum(c, 1e-4)).T
    return np.maximum(db[:n], FLOOR_DB).astype(np.float32)


def roll_from_notes(notes, n_frames: int, t0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Note and onset grids like basic-pitch's, drawn from true notes (start, end, pitch).

    Returns:
        ``(note, onset)``, each (n_frames, 88) of 0/1; frame ``t`` at ``t0 + t * HOP / SR``.
    """
    note = np.zeros((n_frames, N_KEYS), np.float32)
    onset = np.zeros((n_frames, N_KEYS), np.float32)
    for start, end, pitch in notes:
        k = int(pitch) - MIDI_LOW
        if not 0 <= k < N_KEYS:
            continue
        a = int(round((start - t0) * SR / HOP))
        b = max(a + 1, int(round((end - t0) * SR / HOP)))
        if b <= 0 or a >= n_frames:
            continue
        note[max(a, 0):min(b, n_frames), k] = 1.0
        if 0 <= a < n_frames:
            onset[a, k] = 1.0
    return note, onset


def _harmonic_levels(db: np.ndarray) -> np.ndarray:
    """(T, 88, H): level of each key's harmonics above its fundamental, dB (floor where absent)."""
    t = len(db)
    out = np.full((t, N_KEYS, len(HARMONICS)), -40.0, np.float32)
    for j, off in enumerate(HARM_OFFSETS):
        hi = min(N_KEYS, CQT_BINS - off)
        out[:, :hi, j] = db[:, off:off + hi] - db[:, :hi]
    return np.clip(out, -40.0, 20.0)


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    s = w.sum()
    return (x * w[..., None]).sum(axis=tuple(range(w.ndim))) / s if s > 1e-6 else \
        np.zeros(x.shape[-1], np.float32)


N_FEATURES = (len(BANDS) - 1) * (len(HARMONICS) + 1) + 2 * len(HARMONICS) + 22 + 1 \
    + 2 * len(DECAY_FRAMES) + 1 + 2 * (CQT_BINS // 2) + 3


def window_features(db: np.ndarray, note: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """The feature vector of one window of frames.

    Args:
        db: (T, CQT_BINS) CQT in dB (:func:`cqt_db`).
        note: (T, 88) note posteriorgram (estimated or true).
        onset: (T, 88) onset posteriorgram (estimated or true).

    Returns:
        float32 vector of :data:`N_FEATURES` values.
    """
    t = len(db)
    if t == 0:
        return np.zeros(N_FEATURES, np.float32)
    db_k = db[:, :N_KEYS]
    w = np.where(note >= 0.3, note, 0.0).astype(np.float32)
    # a key counts only when its fundamental is not far below the loudest bin of its frame:
    # a ghost octave in the posteriorgram then adds little
    rel = db_k - db.max(axis=1, keepdims=True)
    w = w * np.clip((rel + 40.0) / 40.0, 0.0, 1.0)
    harm = _harmonic_levels(db)
    feats = []
    for lo, hi in zip(BANDS[:-1], BANDS[1:], strict=True):
        a, b = lo - MIDI_LOW, hi - MIDI_LOW
        wb = w[:, a:b]
        feats.append(_weighted_mean(harm[:, a:b], wb) / 20.0)
        feats.append([np.log1p(wb.sum() / t)])
    mean = _weighted_mean(harm, w)
    var = _weighted_mean((harm - mean) ** 2, w)
    feats += [mean / 20.0, np.sqrt(var) / 20.0]
    hist = w.sum(axis=0)
    total = hist.sum()
    feats.append((hist.reshape(22, 4).sum(axis=1) / total) if total > 1e-6
                 else np.zeros(22, np.float32))
    feats.append([np.log1p(total / t)])
    # decay after onsets: level and posterior of the same key d frames later
    on = np.where(onset >= 0.5, onset, 0.0)
    ti, ki = np.nonzero(on)
    level, hold = [], []
    for d in DECAY_FRAMES:
        ok = ti + d < t
        if ok.any():
            a, k = ti[ok], ki[ok]
            wt = on[a, k]
            level.append(float(np.average(np.clip(db_k[a + d, k] - db_k[a, k], -40, 10),
                                          weights=wt)) / 20.0)
            hold.append(float(np.average(note[a + d, k], weights=wt)))
        else:
            level.append(0.0)
            hold.append(0.0)
    feats += [level, hold, [np.log1p(len(ti) / (t * HOP / SR))]]
    # the spectrum itself, in 2-semitone bins, relative to the window's loudest bin
    pooled = db.reshape(t, CQT_BINS // 2, 2).max(axis=2)
    peak = pooled.max()
    feats += [(pooled.mean(axis=0) - peak) / 40.0, pooled.std(axis=0) / 20.0]
    lin = 10 ** (db / 20.0)
    flat = np.exp(np.log(lin + 1e-6).mean(axis=1)) / (lin.mean(axis=1) + 1e-6)
    feats.append([float(flat.mean()), peak / 40.0, float(np.log1p(w.max(axis=1).mean()))])
    return np.concatenate([np.asarray(f, np.float32).ravel() for f in feats])


N_SPECTRAL = 20 + 20 + CQT_BINS // 2
N_INPUT = N_FEATURES + N_SPECTRAL  # what the network reads: pitch features + spectral ones


def spectral_features(audio: np.ndarray, db: np.ndarray) -> np.ndarray:
    """The window's timbre without pitch: MFCC mean and spread (20 each), the mean CQT.

    Alone, these are the measured baseline; the network reads them beside
    :func:`window_features`.

    Args:
        audio: The window's 22.05 kHz mono samples.
        db: Its CQT in dB (:func:`cqt_db`), (T, CQT_BINS).
    """
    import librosa

    if len(db) == 0 or len(audio) < 2048:
        return np.zeros(N_SPECTRAL, np.float32)
    mfcc = librosa.feature.mfcc(y=np.asarray(audio, np.float32), sr=SR, n_mfcc=20)
    pooled = db.reshape(len(db), CQT_BINS // 2, 2).max(axis=2)
    return np.concatenate([mfcc.mean(axis=1) / 100, mfcc.std(axis=1) / 50,
                           (pooled.mean(axis=0) - pooled.max()) / 40]).astype(np.float32)


def window_bounds(n_frames: int, window_s: float = WINDOW_SECONDS,
                  hop_s: float | None = None) -> list[tuple[int, int]]:
    """Frame ranges of the analysis windows (the last one ends at the last frame)."""
    size = max(1, int(round(window_s * SR / HOP)))
    step = max(1, int(round((hop_s or window_s) * SR / HOP)))
    if n_frames <= size:
        return [(0, n_frames)] if n_frames else []
    starts = list(range(0, n_frames - size + 1, step))
    if starts[-1] + size < n_frames:
        starts.append(n_frames - size)
    return [(s, s + size) for s in starts]


# ---------------------------------------------------------------- the model


@dataclass
class Reading:
    """Instrument probabilities over time.

    Attributes:
        times: (W,) start of each window, seconds.
        probs: (W, C) probability of each of :data:`CLASSES` per window.
        thresholds: (C,) the probability above which an instrument is called present.
    """

    times: np.ndarray
    probs: np.ndarray
    thresholds: np.ndarray

    def present(self) -> list[tuple[str, float]]:
        """Instruments heard somewhere, with their confidence, most confident first.

        An instrument is present when its probability passes its threshold in at least one
        window in ten (and in one window at least); its confidence is its 90th-percentile
        probability.
        """
        if not len(self.probs):
            return []
        hits = (self.probs >= self.thresholds).mean(axis=0)
        conf = np.quantile(self.probs, 0.9, axis=0)
        need = max(0.1, 1.0 / len(self.probs) - 1e-9)
        out = [(CLASSES[i], round(float(conf[i]), 3)) for i in range(len(CLASSES))
               if hits[i] >= need]
        return sorted(out, key=lambda x: -x[1])


def _session():
    from scorer.models import session

    return session(MODEL)


def thresholds() -> np.ndarray:
    """The shipped per-instrument thresholds (0.5 where the model carries none)."""
    sess = _session()
    meta = sess.get_modelmeta().custom_metadata_map
    try:
        values = json.loads(meta.get("thresholds", "[]"))
    except ValueError:
        values = []
    if len(values) != len(CLASSES):
        return np.full(len(CLASSES), 0.5, np.float32)
    return np.asarray(values, np.float32)


def predict(features: np.ndarray) -> np.ndarray:
    """Run the model on (N, N_INPUT) window inputs; (N, C) probabilities."""
    sess = _session()
    x = np.asarray(features, np.float32).reshape(-1, N_INPUT)
    if not len(x):
        return np.zeros((0, len(CLASSES)), np.float32)
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def _grids(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(CQT dB, note, onset) of 22.05 kHz mono audio on one frame grid."""
    from scorer.music.transcribe import basic_pitch_posteriorgrams

    post = basic_pitch_posteriorgrams(y)
    db = cqt_db(y)
    n = min(len(db), len(post["note"]))
    return db[:n], post["note"][:n], post["onset"][:n]


PEAK_TARGET = 0.5  # -6 dBFS
SILENCE_RMS = 10 ** (-60 / 20)  # a window quieter than -60 dBFS RMS is silence
MARGIN_FRAMES = 22  # context read on each side of a window analysed on its own (0.26 s)


def recognise(audio: np.ndarray, sr: int = SR, window_s: float = WINDOW_SECONDS,
              hop_s: float | None = None, max_windows: int | None = None) -> Reading:
    """Recognise the instruments of mono audio, window by window.

    Args:
        audio: Mono samples (resampled to 22.05 kHz when ``sr`` differs).
        sr: Their rate.
        window_s: Window length, seconds (the model was trained on 3 s).
        hop_s: Window step (None: ``window_s``).
        max_windows: Read at most this many windows, evenly spread (None: all); each is
            then analysed on its own with a little context, so the cost is bounded.

    Raises:
        ModelError: If basic-pitch or the instrument model is missing or damaged.
    """
    y = np.asarray(audio, np.float32)
    if y.ndim > 1:
        y = y.mean(axis=1) if y.shape[1] <= 2 else y.mean(axis=0)
    if sr != SR and len(y):
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    # the training clips peak between about -1 and -20 dBFS, and a few features (the peak
    # level, the first MFCC) see the absolute level: a quiet file is brought up into that range
    level = y.copy()  # the level as given: silence is judged on it
    peak = float(np.abs(y).max()) if len(y) else 0.0
    if 1e-4 < peak < PEAK_TARGET:
        y = y * (PEAK_TARGET / peak)
    n_frames = int(np.ceil(len(y) / HOP))
    bounds = window_bounds(n_frames, window_s, hop_s)
    feats = []

    def one(db, note, onset, a, b):
        return np.concatenate([window_features(db, note, onset),
                               spectral_features(y[a * HOP:b * HOP], db)])

    if max_windows is not None and len(bounds) > max_windows:
        pick = np.unique(np.linspace(0, len(bounds) - 1, max_windows).round().astype(int))
        bounds = [bounds[i] for i in pick]
        for a, b in bounds:
            lo = max(0, a - MARGIN_FRAMES)
            db, note, onset = _grids(y[lo * HOP:(b + MARGIN_FRAMES) * HOP])
            feats.append(one(db[a - lo:b - lo], note[a - lo:b - lo], onset[a - lo:b - lo],
                             a, b))
    elif bounds:
        db, note, onset = _grids(y)
        feats = [one(db[a:b], note[a:b], onset[a:b], a, b) for a, b in bounds]
    x = np.stack(feats) if feats else np.zeros((0, N_INPUT), np.float32)
    times = np.array([a * HOP / SR for a, _ in bounds])
    probs = predict(x)
    # a silent window has no instrument (the training clips were never silent)
    for i, (a, b) in enumerate(bounds):
        seg = level[a * HOP:b * HOP]
        if not len(seg) or float(np.sqrt(np.mean(seg ** 2))) < SILENCE_RMS:
            probs[i] = 0.0
    return Reading(times, probs, thresholds())


# ---------------------------------------------------------------- matching a cue


def planned_instruments(programs: dict) -> list[str]:
    """The recognisable instruments a cue's instrumentation plans (role -> GM program).

    A ``drums`` role plans a snare drum (both of the presets' kits have one); roles whose
    program is none of :data:`CLASSES` (pads, electric bass, string ensembles) add nothing.
    """
    pitched = [p for role, p in (programs or {}).items() if role != "drums"]
    drum_keys = SNARE_KEYS if "drums" in (programs or {}) else ()
    return instruments_of_programs(pitched, drum_keys)


def instrument_fit(heard: list[str] | None, planned: list[str]) -> float | None:
    """How much of a cue's planned instrumentation a piece has.

    The share of the planned instruments heard in it (or named by its programs); 0.5 when
    the piece's instruments are not known; None when the cue plans none of them.
    """
    if not planned:
        return None
    if heard is None:
        return UNKNOWN_FIT
    return len(set(heard) & set(planned)) / len(set(planned))


UNKNOWN_FIT = 0.5


def names(features: dict) -> list[str] | None:
    """The instrument names a library record holds (None: not known)."""
    found = features.get("instruments")
    if found is None:
        return None
    return [w[0] if isinstance(w, list | tuple) else str(w) for w in found]
