"""Shot detection from the every-frame feed: hard cuts and fades."""

import numpy as np

from scorer.project import Project
from scorer.vision.shots import ShotAnalyzer


def _scene(seed, shift):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (9, 16, 3)).astype(np.uint8)
    img = np.kron(base, np.ones((10, 10, 1), np.uint8))
    return np.roll(img, shift, axis=1)


def _detect(frames, fps=25.0):
    analyzer = ShotAnalyzer()
    for i, frame in enumerate(frames):
        analyzer.process_every_frame(i / fps, frame)
    project = Project()
    analyzer.finish(project)
    return project.shots


def test_hard_cuts_found_at_their_times():
    frames = ([_scene(1, i // 5) for i in range(50)] + [_scene(2, i // 5) for i in range(50)]
              + [_scene(3, i // 5) for i in range(50)])
    shots = _detect(frames)
    assert len(shots) == 2
    assert abs(shots[0] - 2.0) <= 0.04 and abs(shots[1] - 4.0) <= 0.04


def test_no_cut_in_one_continuous_shot():
    assert _detect([_scene(1, i // 3) for i in range(150)]) == []


def test_fade_through_black_is_a_boundary():
    a, b = _scene(4, 0).astype(np.float64), _scene(5, 0).astype(np.float64)
    frames = [a] * 40
    frames += [a * (1 - k / 15) for k in range(1, 16)]  # fade out
    frames += [np.zeros_like(a)] * 5
    frames += [b * k / 15 for k in range(1, 16)]  # fade in
    frames += [b] * 40
    shots = _detect([f.astype(np.uint8) for f in frames])
    assert len(shots) >= 1
    assert all(0 < t for t in shots)
    assert any(1.6 <= t <= 3.2 for t in shots)
