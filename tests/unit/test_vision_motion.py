"""Motion energy and cut rate move arousal up (Hanjalic & Xu 2005)."""

import numpy as np

from scorer.project import Project
from scorer.vision.motion import MotionAnalyzer, cut_rate, pace_arousal


def _scene(shift):
    yy, xx = np.mgrid[0:90, 0:160]
    pattern = 128 + 60 * np.sin((xx + shift) / 6.0) * np.cos(yy / 9.0)
    return np.repeat(pattern[..., None], 3, axis=2).astype(np.uint8)


def _run(frames, fps=25.0, shots=()):
    analyzer = MotionAnalyzer()
    for i, frame in enumerate(frames):
        t = i / fps
        analyzer.process_every_frame(t, frame)
        if i % 6 == 0:
            analyzer.process_frame(t, frame)
    project = Project()
    project.shots = list(shots)
    analyzer.finish(project)
    return project.tracks["motion"]


def test_moving_frames_are_more_arousing_than_still():
    still = _run([_scene(0)] * 100)
    moving = _run([_scene(4 * i) for i in range(100)])
    assert moving.features["motion_energy"].mean() > 5 * max(still.features["motion_energy"].mean(),
                                                             1e-4)
    assert moving.arousal.mean() > still.arousal.mean() + 0.5
    # motion says nothing about valence (Detenber et al. 1998)
    assert np.all(moving.valence == 0) and np.all(moving.features["valence_weight"] == 0)


def test_a_single_cut_is_not_motion():
    frames = [_scene(0)] * 50 + [255 - _scene(0)] * 50
    track = _run(frames)
    assert track.features["motion_energy"].max() < 0.01


def test_faster_cutting_is_more_arousing():
    frames = [_scene(0)] * 250  # 10 s still
    slow = _run(frames, shots=[5.0])
    fast = _run(frames, shots=[1.0 * k for k in range(1, 10)])
    assert fast.features["cuts_per_minute"].mean() > slow.features["cuts_per_minute"].mean()
    assert fast.arousal.mean() > slow.arousal.mean()
    assert pace_arousal(np.array([40.0]))[0] > pace_arousal(np.array([2.0]))[0]


def test_cut_rate_counts_cuts_in_window():
    rate = cut_rate(np.array([10.0]), [1.0, 5.0, 12.0, 30.0], duration=60.0)
    assert rate[0] == 3 / 20 * 60


def test_frame_rate_does_not_change_energy_much():
    # the same motion in pixels per second at 25 and 50 fps gives similar energy
    slow = _run([_scene(2 * i) for i in range(100)], fps=25.0)
    fast = _run([_scene(1 * i) for i in range(200)], fps=50.0)
    ratio = fast.features["motion_energy"].mean() / slow.features["motion_energy"].mean()
    assert 0.6 < ratio < 1.6
