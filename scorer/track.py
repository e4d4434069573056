"""The one thing every modality produces: a Track of valence/arousal over time.

Valence and arousal are on the circumplex scale -1..1. Confidence is 0..1; a modality with
nothing to say (no faces, no speech, silence) gives confidence 0 there, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Track:
    """Valence/arousal samples of one modality.

    Attributes:
        name: Modality name ("faces", "lighting", "motion", "prosody", "voice", "words"...).
        times: Sample times in seconds (float64, ascending).
        valence: Valence per sample, -1..1.
        arousal: Arousal per sample, -1..1.
        confidence: Confidence per sample, 0..1.
        labels: Class names, when the modality has class probabilities.
        probs: Class probabilities, shape (len(times), len(labels)), or None.
        features: Named raw per-sample features (e.g. "brightness") for display and debugging.
    """

    name: str
    times: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    confidence: np.ndarray
    labels: tuple[str, ...] = ()
    probs: np.ndarray | None = None
    features: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        self.times = np.asarray(self.times, dtype=np.float64)
        n = len(self.times)
        self.valence = np.clip(np.asarray(self.valence, dtype=np.float64), -1, 1)
        self.arousal = np.clip(np.asarray(self.arousal, dtype=np.float64), -1, 1)
        self.confidence = np.clip(np.asarray(self.confidence, dtype=np.float64), 0, 1)
        for key in ("valence", "arousal", "confidence"):
            if len(getattr(self, key)) != n:
                raise ValueError(f"track {self.name!r}: {key} has {len(getattr(self, key))} "
                                 f"samples, times has {n}")
        self.labels = tuple(self.labels)
        if self.probs is not None:
            self.probs = np.asarray(self.probs, dtype=np.float64).reshape(n, len(self.labels))
        self.features = {k: np.asarray(v, dtype=np.float64) for k, v in self.features.items()}

    def __len__(self) -> int:
        return len(self.times)

    @classmethod
    def empty(cls, name: str, labels: tuple[str, ...] = ()) -> Track:
        """Return a track with no samples (a modality that found nothing at all)."""
        z = np.zeros(0)
        return cls(name, z, z, z, z, labels, np.zeros((0, len(labels))) if labels else None)

    @classmethod
    def silent(cls, name: str, times: np.ndarray, labels: tuple[str, ...] = ()) -> Track:
        """Return a track with confidence 0 at the given times (nothing to say there)."""
        times = np.asarray(times, dtype=np.float64)
        z = np.zeros(len(times))
        probs = np.zeros((len(times), len(labels))) if labels else None
        return cls(name, times, z, z, z, labels, probs)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (floats rounded to keep project files small)."""
        out = {
            "name": self.name,
            "times": np.round(self.times, 4).tolist(),
            "valence": np.round(self.valence, 4).tolist(),
            "arousal": np.round(self.arousal, 4).tolist(),
            "confidence": np.round(self.confidence, 4).tolist(),
        }
        if self.labels:
            out["labels"] = list(self.labels)
            if self.probs is not None:
                out["probs"] = np.round(self.probs, 4).tolist()
        if self.features:
            out["features"] = {k: np.round(v, 4).tolist() for k, v in self.features.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Track:
        """Build a track from :meth:`to_dict` output."""
        labels = tuple(data.get("labels", ()))
        probs = data.get("probs")
        return cls(
            name=str(data["name"]),
            times=np.asarray(data["times"], dtype=np.float64),
            valence=np.asarray(data["valence"], dtype=np.float64),
            arousal=np.asarray(data["arousal"], dtype=np.float64),
            confidence=np.asarray(data["confidence"], dtype=np.float64),
            labels=labels,
            probs=None if probs is None else np.asarray(probs, dtype=np.float64),
            features={k: np.asarray(v) for k, v in data.get("features", {}).items()},
        )

    def resample(self, times: np.ndarray, window: float) -> Track:
        """Average this track into windows centred on ``times``, weighting by confidence.

        Args:
            times: Window centres in seconds.
            window: Window length in seconds.

        Returns:
            A track at ``times``; windows without samples get confidence 0.
        """
        times = np.asarray(times, dtype=np.float64)
        n = len(times)
        val, aro, conf = np.zeros(n), np.zeros(n), np.zeros(n)
        probs = np.zeros((n, len(self.labels))) if self.probs is not None else None
        if len(self.times):
            lo = np.searchsorted(self.times, times - window / 2, side="left")
            hi = np.searchsorted(self.times, times + window / 2, side="left")
            for i in range(n):
                c = self.confidence[lo[i]:hi[i]]
                total = c.sum()
                if total <= 0:
                    continue
                val[i] = float((self.valence[lo[i]:hi[i]] * c).sum() / total)
                aro[i] = float((self.arousal[lo[i]:hi[i]] * c).sum() / total)
                conf[i] = float(c.mean())
                if probs is not None:
                    probs[i] = (self.probs[lo[i]:hi[i]] * c[:, None]).sum(0) / total
        return Track(self.name, times, val, aro, conf, self.labels, probs)
