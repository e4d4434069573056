"""Lighting and colour of each sampled frame -> valence/arousal.

Features (all per sampled frame, on a copy subsampled to about 120 px wide: the statistics are
global means and spreads, which a regular 1-in-16 pixel grid estimates to well under 1%):

- brightness: mean Rec. 601 luma, 0..1.
- contrast: RMS contrast, the standard deviation of luma, 0..~0.5.
- saturation: mean HSV saturation (max - min) / max, 0..1.
- warmth: mean (R - B), -1..1 (positive = warm/orange, negative = cool/blue).
- colourfulness: Hasler & Suesstrunk (2003), "Measuring colourfulness in natural images",
  Proc. SPIE 5007: M = sigma_rgyb + 0.3 * mu_rgyb with rg = R - G, yb = (R + G) / 2 - B on 0..255;
  reported divided by 100 (their "extremely colourful" class starts at about 109).

Mapping (the weights are the published ones, the centring is ours):

- Valdez & Mehrabian (1994), "Effects of color on emotions", J. Exp. Psychol. Gen. 123(4),
  394-409, regressions on standardised brightness (B) and saturation (S):
  Pleasure = 0.69 B + 0.22 S; Arousal = -0.31 B + 0.60 S. So brighter frames read as more
  pleasant and slightly calmer; more saturated frames as more arousing and a little more pleasant.
- Warmth: Wilms & Oberfeld (2018), "Color and emotion: effects of hue, saturation, and
  brightness", Psychological Research 82, 896-914, found red hues the most arousing; warmth adds
  a small arousal term (0.15).
- Contrast: low-key (high-contrast, dark) lighting is the cinematographic convention for tension
  and high-key for light moods; this is a convention, not a measured effect, so its weight is
  small (0.15 on arousal).
- Colourfulness adds to arousal like saturation does (0.10), as a chroma-spread complement.

Features are standardised against typical footage (centre and spread below, chosen so that
ordinary graded film lands near 0) and the weighted sum is squashed with tanh into -1..1.
Confidence is 0.5 (colour alone is a weak cue) and drops to near 0 on frames with no picture
content (black or uniform frames in fades), where colour says nothing about the scene.
"""

from __future__ import annotations

import numpy as np

from scorer.project import Project
from scorer.track import Track

# Typical centre and spread of each feature in graded film footage (for standardising).
_CENTRE = {"brightness": 0.40, "saturation": 0.35, "contrast": 0.20, "warmth": 0.03,
           "colourfulness": 0.35}
_SPREAD = {"brightness": 0.15, "saturation": 0.15, "contrast": 0.08, "warmth": 0.08,
           "colourfulness": 0.20}

# Valdez & Mehrabian (1994) standardised regression weights.
VM_PLEASURE = {"brightness": 0.69, "saturation": 0.22}
VM_AROUSAL = {"brightness": -0.31, "saturation": 0.60}
WARMTH_AROUSAL = 0.15
CONTRAST_AROUSAL = 0.15
COLOURFULNESS_AROUSAL = 0.10
BASE_CONFIDENCE = 0.5

FEATURES = ("brightness", "contrast", "saturation", "warmth", "colourfulness")


def frame_features(image: np.ndarray) -> dict[str, float]:
    """Compute the lighting/colour features of one RGB uint8 frame (H x W x 3)."""
    step = max(1, image.shape[1] // 120)
    small = image[::step, ::step].astype(np.float32)
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    mx = small.max(axis=2)
    mn = small.min(axis=2)
    sat = np.divide(mx - mn, mx, out=np.zeros_like(mx), where=mx > 0)
    rg = r - g
    yb = 0.5 * (r + g) - b
    colourfulness = (np.sqrt(rg.var() + yb.var())
                     + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
    return {
        "brightness": float(luma.mean() / 255.0),
        "contrast": float(luma.std() / 255.0),
        "saturation": float(sat.mean()),
        "warmth": float((r - b).mean() / 255.0),
        "colourfulness": float(colourfulness / 100.0),
    }


def _z(name: str, value: np.ndarray) -> np.ndarray:
    return (value - _CENTRE[name]) / _SPREAD[name]


def features_to_va(features: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Map feature arrays to (valence, arousal, confidence) arrays (see module docstring)."""
    zb = _z("brightness", np.asarray(features["brightness"]))
    zs = _z("saturation", np.asarray(features["saturation"]))
    zc = _z("contrast", np.asarray(features["contrast"]))
    zw = _z("warmth", np.asarray(features["warmth"]))
    zf = _z("colourfulness", np.asarray(features["colourfulness"]))
    pleasure = VM_PLEASURE["brightness"] * zb + VM_PLEASURE["saturation"] * zs
    arousal = (VM_AROUSAL["brightness"] * zb + VM_AROUSAL["saturation"] * zs
               + WARMTH_AROUSAL * zw + CONTRAST_AROUSAL * zc + COLOURFULNESS_AROUSAL * zf)
    # tanh(x / 2): one standard deviation of a dominant feature moves the output by about 0.3
    valence = np.tanh(pleasure / 2.0)
    arousal = np.tanh(arousal / 2.0)
    # a black or flat frame (fade, title card) has no lighting to read
    content = np.clip(np.asarray(features["contrast"]) / 0.04, 0, 1)
    lit = np.clip(np.asarray(features["brightness"]) / 0.05, 0, 1)
    confidence = BASE_CONFIDENCE * content * lit
    return valence, arousal, confidence


class LightingAnalyzer:
    """Per sampled frame lighting/colour features -> Track "lighting"."""

    name = "lighting"
    every_frame = False

    def __init__(self):
        self._times: list[float] = []
        self._rows: list[dict[str, float]] = []

    def process_frame(self, time: float, image: np.ndarray) -> None:
        """Measure one sampled RGB frame."""
        self._times.append(float(time))
        self._rows.append(frame_features(image))

    def track(self) -> Track:
        """Return the lighting Track of the frames seen so far."""
        if not self._times:
            return Track.empty(self.name)
        features = {k: np.array([row[k] for row in self._rows]) for k in FEATURES}
        valence, arousal, confidence = features_to_va(features)
        return Track(self.name, np.array(self._times), valence, arousal, confidence,
                     features=features)

    def finish(self, project: Project) -> None:
        """Store Track "lighting" in the project."""
        project.tracks[self.name] = self.track()
