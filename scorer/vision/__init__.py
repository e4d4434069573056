"""Scene emotion from the picture: shots, lighting/colour, motion/pace, faces.

The pipeline decodes the clip once and hands every analyzer the sampled frames
(``process_frame``) and, to those with ``every_frame = True``, every decoded frame at a small
size (``process_every_frame``). ``finish`` runs in list order, so shots are in the project
before motion reads the cut rate.
"""

from __future__ import annotations

from scorer.vision.faces import FaceAnalyzer
from scorer.vision.lighting import LightingAnalyzer
from scorer.vision.motion import MotionAnalyzer
from scorer.vision.shots import ShotAnalyzer

__all__ = ["FaceAnalyzer", "LightingAnalyzer", "MotionAnalyzer", "ShotAnalyzer",
           "default_analyzers"]


def default_analyzers(settings=None) -> list:
    """Return the visual analyzers in finish order: shots, lighting, motion, faces.

    Args:
        settings: ``scorer.pipeline.AnalysisSettings``; ``extra["vision"]`` may switch
            faces off (``{"faces": False}``) or set ``face_detect_every`` (sampled frames
            between detector runs, default 2). None for defaults.

    Raises:
        ModelError: If a face model is missing or damaged.
    """
    extra = dict(getattr(settings, "extra", None) or {}).get("vision", {})
    analyzers = [ShotAnalyzer(), LightingAnalyzer(), MotionAnalyzer()]
    if extra.get("faces", True):
        analyzers.append(FaceAnalyzer(detect_every=int(extra.get("face_detect_every", 2))))
    return analyzers
