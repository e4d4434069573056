"""Shot boundaries with PySceneDetect, fed from the pipeline's single decode pass.

Hard cuts come from ``AdaptiveDetector`` (content change relative to its neighbours, which
copes with camera motion better than a fixed threshold); fades to and from black come from
``ThresholdDetector``. Both see every decoded frame at the small every-frame width. Frames are
numbered as they arrive and cut frame numbers are mapped back to the frames' true times, so
variable frame rate input gets exact cut times.
"""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
from scenedetect import FrameTimecode
from scenedetect.detectors import AdaptiveDetector, ThresholdDetector

from scorer.project import Project

# Frame numbers are what the detectors count in; this nominal rate only gives them a clock.
_NOMINAL_FPS = Fraction(30)
# A fade and a hard cut this close together are one boundary.
_MERGE_SECONDS = 0.5


class ShotAnalyzer:
    """Finds cut times; writes ``project.shots`` (seconds, ascending, 0 excluded).

    Args:
        min_scene_frames: Shortest shot in frames (PySceneDetect's ``min_scene_len``).
        adaptive_threshold: AdaptiveDetector's ratio threshold.
        fade_threshold: Mean 8-bit intensity below which a frame counts as black.
    """

    name = "shots"
    every_frame = True

    def __init__(self, min_scene_frames: int = 12, adaptive_threshold: float = 3.0,
                 fade_threshold: float = 12.0):
        self._detectors = [
            AdaptiveDetector(adaptive_threshold=adaptive_threshold,
                             min_scene_len=min_scene_frames),
            ThresholdDetector(threshold=fade_threshold, min_scene_len=min_scene_frames,
                              fade_bias=0.0),
        ]
        self._times: list[float] = []
        self._cut_frames: set[int] = set()
        self.cuts: list[float] = []

    def process_every_frame(self, time: float, image: np.ndarray) -> None:
        """Feed one small RGB frame (every decoded frame) to the detectors."""
        index = len(self._times)
        self._times.append(float(time))
        bgr = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR)
        timecode = FrameTimecode(index, fps=_NOMINAL_FPS)
        for detector in self._detectors:
            for cut in detector.process_frame(timecode, bgr):
                self._cut_frames.add(int(cut.frame_num))

    def process_frame(self, time: float, image: np.ndarray) -> None:
        """Sampled frames are not needed: shots work on every frame."""

    def cut_times(self) -> list[float]:
        """Return the cut times found so far (plus any the detectors flush at the end)."""
        if self._times:
            end = FrameTimecode(len(self._times) - 1, fps=_NOMINAL_FPS)
            for detector in self._detectors:
                for cut in detector.post_process(end):
                    self._cut_frames.add(int(cut.frame_num))
        times = sorted(self._times[f] for f in self._cut_frames
                       if 0 < f < len(self._times) and self._times[f] > 0)
        merged: list[float] = []
        for t in times:
            if merged and t - merged[-1] < _MERGE_SECONDS:
                continue
            merged.append(t)
        return merged

    def finish(self, project: Project) -> None:
        """Write the sorted cut times into ``project.shots``."""
        self.cuts = self.cut_times()
        project.shots = list(self.cuts)
