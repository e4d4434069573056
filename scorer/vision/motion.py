"""Motion energy and cutting pace -> arousal.

Hanjalic & Xu (2005), "Affective video content representation and modeling", IEEE Trans.
Multimedia 7(1), 143-154, model arousal from motion activity and shot-cut rate (with sound
energy); Detenber, Simons & Bennett (1998), "Roll 'em!: the effects of picture motion on emotional
responses", J. Broadcasting & Electronic Media 42(1), found picture motion raises arousal but not
valence; Lang, Bolls, Potter & Kawahara (1999), J. Broadcasting & Electronic Media 43(4), found
faster pacing (more cuts) raises self-reported arousal. So this Track carries arousal only:
valence is 0 and the ``valence_weight`` feature is 0 to say so.

Motion energy is the mean absolute difference of consecutive grey frames (every decoded frame, at
half the small every-frame width), rescaled to a 25 fps reference (for small motion the difference
grows with displacement per frame, which shrinks as fps grows). Each sampled instant takes the
median over the frames since the previous one, so the single huge difference at a cut does not
count as motion. Cuts per minute are counted over a 20-second window from ``project.shots``.
"""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np

from scorer.project import Project
from scorer.track import Track

REFERENCE_FRAME_SECONDS = 1 / 25
ENERGY_CENTRE = 0.012  # mean |diff| (0..1) of ordinary moderate motion at 25 fps
ENERGY_SCALE = 1.2  # natural-log units per tanh unit
CUT_WINDOW = 20.0  # seconds
CUTS_CENTRE = 10.0  # cuts per minute of ordinary editing (average shot about 6 s)
CUTS_SCALE = 12.0
MOTION_WEIGHT = 0.7  # the rest is the cut rate
CONFIDENCE = 0.6


def motion_arousal(energy: np.ndarray) -> np.ndarray:
    """Map motion energy (25-fps mean |diff|, 0..1) to arousal -1..1 on a log scale."""
    energy = np.maximum(np.asarray(energy, dtype=np.float64), 1e-5)
    return np.tanh(np.log(energy / ENERGY_CENTRE) / ENERGY_SCALE)


def cut_rate(times: np.ndarray, cuts: list[float], duration: float) -> np.ndarray:
    """Return cuts per minute in a CUT_WINDOW window around each time (clipped to the clip)."""
    cuts_arr = np.asarray(sorted(cuts), dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    lo = np.maximum(times - CUT_WINDOW / 2, 0.0)
    hi = np.minimum(times + CUT_WINDOW / 2, max(duration, float(times.max(initial=0.0))))
    span = np.maximum(hi - lo, 1.0)
    count = np.searchsorted(cuts_arr, hi, side="right") - np.searchsorted(cuts_arr, lo)
    return count / span * 60.0


def pace_arousal(cuts_per_minute: np.ndarray) -> np.ndarray:
    """Map cuts per minute to arousal -1..1."""
    return np.tanh((np.asarray(cuts_per_minute, dtype=np.float64) - CUTS_CENTRE) / CUTS_SCALE)


class MotionAnalyzer:
    """Frame-difference energy (every frame) plus cut rate -> Track "motion"."""

    name = "motion"
    every_frame = True

    def __init__(self):
        self._prev: np.ndarray | None = None
        self._prev_time: float | None = None
        self._pending: list[float] = []
        self._times: list[float] = []
        self._energy: list[float] = []

    def process_every_frame(self, time: float, image: np.ndarray) -> None:
        """Difference this small frame against the previous one."""
        # green carries most of the luma; every other pixel of the small frame is plenty for a
        # global mean and halves the cost of a step that runs on every decoded frame
        grey = np.ascontiguousarray(image[::2, ::2, 1])
        if self._prev is not None and self._prev.shape == grey.shape:
            dt = time - self._prev_time
            diff = float(cv2.absdiff(grey, self._prev).mean()) / 255.0
            if dt > 0:
                # Scale to a 25 fps reference; cap the factor for very low frame rates.
                diff *= min(REFERENCE_FRAME_SECONDS / dt, 4.0)
            self._pending.append(diff)
        self._prev = grey
        self._prev_time = time

    def process_frame(self, time: float, image: np.ndarray) -> None:
        """Close the interval of every-frame differences ending at this sampled frame."""
        if self._pending:
            self._times.append(float(time))
            self._energy.append(float(np.median(self._pending)))
            self._pending = []

    def finish(self, project: Project) -> None:
        """Store Track "motion"; reads ``project.shots``, so the shots analyzer finishes first."""
        if not self._times:
            project.tracks[self.name] = Track.empty(self.name)
            return
        times = np.array(self._times)
        energy = np.array(self._energy)
        duration = float(times[-1])
        if project.media is not None:
            try:
                duration = max(duration, float(Fraction(project.media.duration)))
            except (ValueError, ZeroDivisionError):
                pass
        cpm = cut_rate(times, project.shots, duration)
        arousal = MOTION_WEIGHT * motion_arousal(energy) + (1 - MOTION_WEIGHT) * pace_arousal(cpm)
        project.tracks[self.name] = Track(
            self.name, times, np.zeros(len(times)), arousal, np.full(len(times), CONFIDENCE),
            features={"motion_energy": energy, "cuts_per_minute": cpm,
                      "valence_weight": np.zeros(len(times))})
