"""Preset fusion on the valence-arousal plane, with synthetic Tracks only.

The presets' expectations here come from what each content type is meant to do (drama follows
faces, documentary follows words, action's motion raises arousal), not from the weights.
"""

from __future__ import annotations

import numpy as np
import pytest

from scorer.affect import fusion
from scorer.errors import ScorerError
from scorer.project import MediaInfo, Project
from scorer.track import Track


def const_track(name, v, a, conf=1.0, duration=20.0, rate=4.0):
    t = np.arange(0, duration, 1 / rate)
    n = len(t)
    return Track(name, t, np.full(n, v), np.full(n, a), np.full(n, conf))


# Each modality says something different, so the preset decides where the result lands.
CORNERS = {
    "faces": (-0.8, 0.6),
    "words": (0.7, -0.5),
    "motion": (0.0, 0.9),
    "voice": (0.6, 0.6),
    "prosody": (0.1, -0.3),
    "lighting": (-0.3, -0.6),
    "music": (0.5, 0.0),
}


def all_tracks(**conf):
    return {m: const_track(m, v, a, conf.get(m, 1.0)) for m, (v, a) in CORNERS.items()}


def fused_point(tracks, content_type, overrides=None, smoothing=1.0):
    weights = fusion.preset_weights(content_type, overrides)
    fused = fusion.fuse_tracks(tracks, 20.0, weights, window=1.0, smoothing=smoothing)
    return np.array([fused.valence[5:15].mean(), fused.arousal[5:15].mean()]), fused


def test_drama_follows_faces_documentary_follows_words():
    tracks = all_tracks()
    drama, _ = fused_point(tracks, "drama")
    doc, _ = fused_point(tracks, "documentary")
    faces, words = np.array(CORNERS["faces"]), np.array(CORNERS["words"])
    assert np.linalg.norm(drama - faces) < np.linalg.norm(doc - faces)
    assert np.linalg.norm(doc - words) < np.linalg.norm(drama - words)
    action, _ = fused_point(tracks, "action")
    assert action[1] > drama[1] and action[1] > doc[1]  # motion's arousal 0.9 pulls it up


def test_confidence_zero_has_no_influence():
    tracks = all_tracks(faces=0.0)
    with_faces, fused = fused_point(tracks, "drama")
    without = {k: v for k, v in tracks.items() if k != "faces"}
    reference, _ = fused_point(without, "drama")
    np.testing.assert_allclose(with_faces, reference, atol=1e-9)
    assert np.all(fused.features["share_faces"] == 0)
    # and whatever a zero-confidence track claims does not matter
    tracks["faces"] = const_track("faces", 1.0, 1.0, 0.0)
    again, _ = fused_point(tracks, "drama")
    np.testing.assert_allclose(again, reference, atol=1e-9)


def test_nothing_said_gives_confidence_zero():
    fused = fusion.fuse_tracks({"faces": const_track("faces", 0.9, 0.9, 0.0)}, 10.0,
                               fusion.preset_weights("drama"))
    assert np.all(fused.confidence == 0)
    assert np.all(fused.valence == 0) and np.all(fused.arousal == 0)


def test_shares_sum_to_one_and_explain():
    _, fused = fused_point(all_tracks(), "drama")
    total = sum(fusion.shares(fused).values())
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    mean_share = {m: s.mean() for m, s in fusion.shares(fused).items()}
    assert max(mean_share, key=mean_share.get) == "faces"


def test_user_override_replaces_preset_weight():
    tracks = all_tracks()
    plain, _ = fused_point(tracks, "drama")
    off, _ = fused_point(tracks, "drama", {"faces": 0})
    without = {k: v for k, v in tracks.items() if k != "faces"}
    reference, _ = fused_point(without, "drama")
    np.testing.assert_allclose(off, reference, atol=1e-9)
    assert not np.allclose(plain, off)
    with pytest.raises(ScorerError, match="faces"):
        fusion.preset_weights("drama", {"faces": -1})
    with pytest.raises(ScorerError, match="unknown content type"):
        fusion.preset_weights("opera")


def test_smoothing_removes_flicker_but_keeps_steps():
    t = np.arange(0, 40, 0.25)
    v = np.where(t < 20, -0.5, 0.5)
    v = v + np.where((t > 8) & (t < 8.5), 1.0, 0.0)  # half-second flicker
    track = Track("faces", t, v, np.zeros_like(t), np.ones_like(t))
    weights = fusion.preset_weights("drama")
    raw = fusion.fuse_tracks({"faces": track}, 40.0, weights, smoothing=0)
    smooth = fusion.fuse_tracks({"faces": track}, 40.0, weights, smoothing=1.0)
    i = np.argmin(np.abs(raw.times - 8.5))
    assert abs(smooth.valence[i] - (-0.5)) < abs(raw.valence[i] - (-0.5))
    assert smooth.valence[:15].mean() < -0.4 and smooth.valence[-15:].mean() > 0.4


def test_fuse_project_uses_settings():
    project = Project(media=MediaInfo(path="x.mp4", duration="20"))
    project.tracks = all_tracks()
    project.settings = {"content_type": "documentary",
                        "fusion": {"window": 2.0, "method": "presets"}}
    fused = fusion.fuse_project(project)
    assert project.fused is fused and fused.name == "fused"
    assert len(fused) == 10 and fused.times[0] == 1.0
    mean_share = {m: s.mean() for m, s in fusion.shares(fused).items()}
    assert max(mean_share, key=mean_share.get) == "words"
    again = Track.from_dict(fused.to_dict())
    assert set(again.features) == set(fused.features)


def test_arousal_only_modality_does_not_pull_valence_to_zero():
    times = np.arange(0, 10, 0.5)
    ones = np.ones(len(times))
    faces = Track("faces", times, 0.8 * ones, 0.1 * ones, ones)
    motion = Track("motion", times, 0 * ones, 0.9 * ones, ones,
                   features={"valence_weight": 0 * ones})
    fused = fusion.fuse_tracks({"faces": faces, "motion": motion}, 10.0,
                               {"faces": 1.0, "motion": 1.0}, smoothing=0)
    np.testing.assert_allclose(fused.valence, 0.8, atol=1e-6)  # motion says nothing of valence
    np.testing.assert_allclose(fused.arousal, 0.5, atol=1e-6)  # but half of arousal
