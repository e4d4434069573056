"""Lighting/colour features and their valence/arousal directions (Valdez & Mehrabian 1994)."""

import numpy as np
import pytest

from scorer.project import Project
from scorer.vision.lighting import LightingAnalyzer, frame_features


def _textured(rgb, seed=0, amount=40):
    """A frame of the given mean colour with texture, so it has picture content."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:90, 0:160]
    pattern = (np.sin(xx / 7.0) + np.cos(yy / 5.0)) * amount / 2
    img = np.asarray(rgb, dtype=np.float64)[None, None, :] + pattern[..., None]
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _grey_to_colour(grey_level, chroma):
    """Same luma, more or less chroma (orange-ish)."""
    return _textured((grey_level + chroma, grey_level, grey_level - chroma))


def _track(frames):
    analyzer = LightingAnalyzer()
    for i, frame in enumerate(frames):
        analyzer.process_frame(i * 0.25, frame)
    project = Project()
    analyzer.finish(project)
    return project.tracks["lighting"]


def test_features_of_known_frames():
    grey = np.full((90, 160, 3), 128, np.uint8)
    f = frame_features(grey)
    assert f["brightness"] == pytest.approx(128 / 255, abs=1e-3)
    assert f["contrast"] == pytest.approx(0.0, abs=1e-6)
    assert f["saturation"] == pytest.approx(0.0, abs=1e-6)
    assert f["colourfulness"] == pytest.approx(0.0, abs=1e-6)
    red = np.zeros((90, 160, 3), np.uint8)
    red[..., 0] = 255
    f = frame_features(red)
    assert f["saturation"] == pytest.approx(1.0)
    assert f["warmth"] == pytest.approx(1.0)
    # Hasler & Suesstrunk on a uniform pure red: sigma 0, mu_rg = 255, mu_yb = 127.5
    assert f["colourfulness"] == pytest.approx(0.3 * np.hypot(255, 127.5) / 100, rel=1e-4)


def test_bright_frames_read_more_pleasant_and_calmer_than_dark():
    track = _track([_textured((200, 200, 200)), _textured((50, 50, 50))])
    bright, dark = 0, 1
    assert track.valence[bright] > track.valence[dark] + 0.3
    # Valdez & Mehrabian: brightness lowers arousal (weight -0.31)
    assert track.arousal[bright] < track.arousal[dark]


def test_saturated_frames_read_more_arousing_than_grey():
    track = _track([_grey_to_colour(120, 90), _grey_to_colour(120, 0)])
    saturated, grey = 0, 1
    assert track.features["saturation"][saturated] > track.features["saturation"][grey]
    assert track.arousal[saturated] > track.arousal[grey] + 0.2
    assert track.valence[saturated] > track.valence[grey]


def test_black_frame_has_no_confidence():
    track = _track([np.zeros((90, 160, 3), np.uint8), _textured((120, 110, 100))])
    assert track.confidence[0] == 0.0
    assert track.confidence[1] > 0.3
    assert set(track.features) == {"brightness", "contrast", "saturation", "warmth",
                                   "colourfulness"}


def test_no_frames_gives_empty_track():
    project = Project()
    LightingAnalyzer().finish(project)
    assert len(project.tracks["lighting"]) == 0
