"""Fitted fusion: calibrated per-modality confidence and a logistic combination of the modalities.

Both parts are small data in ``models/fusion.json``, fitted on the training part of the
composite benchmark by ``models/training/fit_fusion.py`` (card: ``models/fusion.md``).

**Class maps.** For a modality whose analyzer gives class probabilities (voice, music), the
model may hold a fitted map from those probabilities to valence and arousal, used instead of the
fixed circumplex table: ``V = tanh(sum_k p_k w_k / 2)``, one weight per class and axis (a
logistic regression without intercept on the probabilities, so it is a table of class
positions learned from labelled scenes). It is used only while the track's class labels are the
ones it was fitted on; a replaced model falls back to its own V/A until refitted.

**Calibration.** On the fusion's window grid each modality gets an evidence vector read from
the Tracks themselves (so a replaced analyzer works unchanged once refitted): its own raw
confidence, the size of its reading ``|V|``, ``|A|``, the certainty of its class probabilities
when it has them, and named features of any track (``"prosody.speech"``: speech probability,
``"prosody.snr_db"``: speech over the background, ``"music.p_music"``: music versus speech,
``"faces.face_width"``/``"faces.face_count"``, ``"lighting.contrast"``...). A logistic
regression (Platt scaling with evidence) turns it into ``p``, the probability that the
modality's sign of valence/arousal is the scene's; the calibrated confidence is
``max(0, 2p - 1)``: 0 for a coin flip, 1 for a sure reading. A window where the analyzer
itself had nothing to say (raw confidence 0) stays at 0.

**Combination.** Per window and per axis a logistic model over the calibrated readings::

    z_V = sum_m beta_V[m] * c_m * V_m        V = tanh(z_V / 2) = 2 P(V > 0) - 1

(same for arousal), so a missing modality (c = 0) adds nothing and agreeing modalities add up,
and ``V`` is the expected sign of the scene's valence: it does not shrink towards the centre
because several modalities are averaged. The coefficients are non-negative (a modality is never
read backwards) and there is no intercept (the benchmark's class balance says nothing about a
film).

**Gates** (optional, format 2). A modality's coefficient may be damped by the *presence* of
other sources in the same window, so that, for example, speech suppresses music and a face in
frame suppresses music::

    beta_V[m](t) = beta_V[m] * prod_s (1 - gamma_V[m][s] * presence_s(t))

with ``gamma`` in 0..1 fitted per axis and three presence signals read from the Tracks
(:func:`presence`): ``speech`` (the speech probability where the voice or prosody spoke),
``face`` (1 where the faces analyzer read a face) and ``music`` (music-versus-speech where the
music analyzer spoke). A modality is never gated by its own source. Without gates the model is
the plain logistic combination above.

A modality's share in a window is its part of ``|beta_V(t) c V| + |beta_A(t) c A|`` (after its
gate), so the shares still sum to 1 and say who carried the window.

User overrides (``project.settings["fusion_weights"]``) scale a modality's coefficients
(0 switches it off, 2 doubles it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scorer.errors import ModelError
from scorer.track import Track

MODEL_FILE = "fusion.json"
FORMAT = 2
READABLE_FORMATS = (1, 2)
# presence signals a gate can read, and the source each modality itself belongs to (a modality
# is never gated by its own presence)
SOURCES = ("speech", "face", "music")
OWN_SOURCE = {"voice": "speech", "prosody": "speech", "words": "speech", "faces": "face",
              "music": "music"}


def _certainty(probs: np.ndarray | None, n: int) -> np.ndarray:
    if probs is None or probs.shape[1] < 2:
        return np.zeros(n)
    p = np.clip(probs, 1e-12, 1.0)
    total = p.sum(axis=1, keepdims=True)
    p = p / np.where(total > 0, total, 1.0)
    return np.where(probs.sum(axis=1) > 0,
                    1 + (p * np.log(p)).sum(axis=1) / np.log(probs.shape[1]), 0.0)


@dataclass
class GridReading:
    """One modality's reading resampled onto the fusion grid."""

    valence: np.ndarray
    arousal: np.ndarray
    confidence: np.ndarray
    certainty: np.ndarray


@dataclass
class ClassMap:
    """Fitted class positions: probabilities -> valence/arousal (see the module docstring)."""

    labels: list[str]
    valence: np.ndarray
    arousal: np.ndarray

    def apply(self, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (valence, arousal) for rows of class probabilities."""
        return np.tanh(probs @ self.valence / 2), np.tanh(probs @ self.arousal / 2)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"labels": self.labels, "valence": np.round(self.valence, 6).tolist(),
                "arousal": np.round(self.arousal, 6).tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> ClassMap:
        """Build from :meth:`to_dict` output."""
        return cls(list(data["labels"]), np.asarray(data["valence"], float),
                   np.asarray(data["arousal"], float))


def on_grid(tracks: Mapping[str, Track], times: np.ndarray, window: float,
            class_maps: Mapping[str, ClassMap] | None = None) -> dict[str, GridReading]:
    """Resample every track onto the window grid (confidence-weighted, as presets fusion does).

    A modality with a class map whose labels match its track's is re-read through the map.
    """
    out = {}
    for name, track in tracks.items():
        if not len(track):
            continue
        r = track.resample(times, window)
        valence, arousal = r.valence, r.arousal
        cmap = (class_maps or {}).get(name)
        if cmap is not None and r.probs is not None and list(r.labels) == cmap.labels:
            has = r.probs.sum(axis=1) > 0
            mv, ma = cmap.apply(r.probs)
            valence, arousal = np.where(has, mv, valence), np.where(has, ma, arousal)
        out[name] = GridReading(valence, arousal, r.confidence, _certainty(r.probs, len(times)))
    return out


def feature_on_grid(tracks: Mapping[str, Track], ref: str, times: np.ndarray) -> np.ndarray:
    """Return ``track.feature`` interpolated at ``times`` (0 where absent)."""
    name, _, feature = ref.partition(".")
    track = tracks.get(name)
    if track is None or not len(track) or feature not in track.features:
        return np.zeros(len(times))
    values = np.asarray(track.features[feature], dtype=np.float64)
    if len(values) != len(track):
        return np.zeros(len(times))
    return np.interp(times, track.times, np.nan_to_num(values))


def evidence(name: str, names: list[str], tracks: Mapping[str, Track],
             grid: Mapping[str, GridReading], times: np.ndarray) -> np.ndarray:
    """Evidence matrix (len(times), len(names)) of modality ``name``."""
    reading = grid.get(name)
    cols = []
    for ref in names:
        if ref in ("conf", "absv", "absa", "certainty"):
            if reading is None:
                cols.append(np.zeros(len(times)))
            else:
                cols.append({"conf": reading.confidence, "absv": np.abs(reading.valence),
                             "absa": np.abs(reading.arousal),
                             "certainty": reading.certainty}[ref])
        else:
            cols.append(feature_on_grid(tracks, ref, times))
    return np.column_stack(cols) if cols else np.zeros((len(times), 0))


def presence(tracks: Mapping[str, Track], grid: Mapping[str, GridReading],
             times: np.ndarray) -> dict[str, np.ndarray]:
    """Return the presence signals (0..1 per window) the gates read: speech, face, music."""
    n = len(times)
    zero = np.zeros(n)

    def spoke(name: str) -> np.ndarray:
        reading = grid.get(name)
        return zero.astype(bool) if reading is None else reading.confidence > 0

    speaking = spoke("voice") | spoke("prosody")
    speech = np.clip(feature_on_grid(tracks, "prosody.speech", times), 0, 1) * speaking
    music = np.clip(feature_on_grid(tracks, "music.p_music", times), 0, 1) * spoke("music")
    return {"speech": speech, "face": spoke("faces").astype(float), "music": music}


@dataclass
class Calibrator:
    """Logistic map from evidence to the probability that a modality's signs are right."""

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        """Return p(sign right) per row of the evidence matrix."""
        z = (x - self.mean) / self.scale @ self.coef + self.intercept
        return 1 / (1 + np.exp(-np.clip(z, -40, 40)))

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"features": self.features, "mean": np.round(self.mean, 6).tolist(),
                "scale": np.round(self.scale, 6).tolist(),
                "coef": np.round(self.coef, 6).tolist(), "intercept": round(self.intercept, 6)}

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        """Build from :meth:`to_dict` output."""
        return cls(list(data["features"]), np.asarray(data["mean"], float),
                   np.maximum(np.asarray(data["scale"], float), 1e-9),
                   np.asarray(data["coef"], float), float(data["intercept"]))


@dataclass
class FusionModel:
    """Calibrators and combination weights (see the module docstring)."""

    calibrators: dict[str, Calibrator]
    beta_valence: dict[str, float]
    beta_arousal: dict[str, float]
    default: bool = False  # True when it beat the presets on the training scenes (cross-validated)
    metrics: dict | None = None
    class_maps: dict[str, ClassMap] = field(default_factory=dict)
    # axis ("valence"/"arousal") -> modality -> source -> gamma (0..1); empty: no gating
    gates: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def gate(self, axis: str, name: str, present: Mapping[str, np.ndarray] | None,
             n: int) -> np.ndarray:
        """Return the factor (0..1 per window) on modality ``name``'s coefficient for ``axis``."""
        g = np.ones(n)
        for source, gamma in self.gates.get(axis, {}).get(name, {}).items():
            if present is None or source not in present or OWN_SOURCE.get(name) == source:
                continue
            g = g * (1 - float(np.clip(gamma, 0, 1)) * present[source])
        return g

    def grid(self, tracks: Mapping[str, Track], times: np.ndarray,
             window: float) -> dict[str, GridReading]:
        """Every track on the window grid, re-read through this model's class maps."""
        return on_grid(tracks, times, window, self.class_maps)

    def calibrated(self, tracks: Mapping[str, Track], grid: Mapping[str, GridReading],
                   times: np.ndarray) -> dict[str, np.ndarray]:
        """Return modality -> calibrated confidence (0..1) on the grid."""
        out = {}
        for name, reading in grid.items():
            cal = self.calibrators.get(name)
            if cal is None:
                # a modality the benchmark could not label keeps its analyzer's confidence
                out[name] = reading.confidence.copy()
                continue
            p = cal.probability(evidence(name, cal.features, tracks, grid, times))
            out[name] = np.where(reading.confidence > 0, np.clip(2 * p - 1, 0, 1), 0.0)
        return out

    def combine(self, grid: Mapping[str, GridReading], confidence: Mapping[str, np.ndarray],
                scale: Mapping[str, float] | None = None,
                present: Mapping[str, np.ndarray] | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Fuse calibrated readings: (valence, arousal, confidence, shares) per window.

        ``present`` holds the presence signals of :func:`presence`; without it no gate acts.
        """
        scale = scale or {}
        n = len(next(iter(grid.values())).valence) if grid else 0
        zv, za = np.zeros(n), np.zeros(n)
        parts: dict[str, np.ndarray] = {}
        miss = np.ones(n)
        for name, reading in grid.items():
            k = float(scale.get(name, 1.0))
            bv = self.beta_valence.get(name, 0.0) * k
            ba = self.beta_arousal.get(name, 0.0) * k
            if bv <= 0 and ba <= 0:
                continue
            c = confidence[name]
            cv = bv * self.gate("valence", name, present, n) * c * reading.valence
            ca = ba * self.gate("arousal", name, present, n) * c * reading.arousal
            zv += cv
            za += ca
            parts[name] = np.abs(cv) + np.abs(ca)
            miss *= 1 - c
        total = sum(parts.values()) if parts else np.zeros(n)
        shares = {name: np.divide(p, total, out=np.zeros(n), where=total > 1e-12)
                  for name, p in parts.items()}
        return np.tanh(zv / 2), np.tanh(za / 2), 1 - miss, shares

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"format": FORMAT, "default": self.default,
                "calibrators": {k: v.to_dict() for k, v in sorted(self.calibrators.items())},
                "beta_valence": {k: round(v, 6) for k, v in sorted(self.beta_valence.items())},
                "beta_arousal": {k: round(v, 6) for k, v in sorted(self.beta_arousal.items())},
                "class_maps": {k: v.to_dict() for k, v in sorted(self.class_maps.items())},
                "gates": {axis: {m: {s: round(float(g), 6) for s, g in sorted(src.items())}
                                 for m, src in sorted(mods.items())}
                          for axis, mods in sorted(self.gates.items())},
                "metrics": self.metrics or {}}

    @classmethod
    def from_dict(cls, data: dict) -> FusionModel:
        """Build from :meth:`to_dict` output."""
        if data.get("format") not in READABLE_FORMATS:
            raise ValueError(f"unknown fusion model format {data.get('format')!r}")
        return cls({k: Calibrator.from_dict(v) for k, v in data["calibrators"].items()},
                   {k: float(v) for k, v in data["beta_valence"].items()},
                   {k: float(v) for k, v in data["beta_arousal"].items()},
                   bool(data.get("default", False)), data.get("metrics"),
                   {k: ClassMap.from_dict(v) for k, v in data.get("class_maps", {}).items()},
                   {axis: {m: {s: float(g) for s, g in src.items()} for m, src in mods.items()}
                    for axis, mods in data.get("gates", {}).items()})


_cache: dict[Path, tuple[float, FusionModel]] = {}


def load(path: Path | None = None) -> FusionModel:
    """Load ``models/fusion.json`` (cached until the file changes).

    Raises:
        ModelError: If the file is missing or unreadable.
    """
    if path is None:
        from scorer.models import repo_models_dir

        path = repo_models_dir() / MODEL_FILE
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ModelError(f"fusion model {path} not found; run "
                         "models/training/fit_fusion.py to make it") from exc
    hit = _cache.get(path)
    if hit and hit[0] == mtime:
        return hit[1]
    try:
        model = FusionModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"fusion model {path} is damaged: {exc}") from exc
    _cache[path] = (mtime, model)
    return model
