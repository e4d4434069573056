"""The published feature rules move valence/arousal in the documented directions."""

from __future__ import annotations

import numpy as np

from scorer.music.library import rules

BASE = {"n_notes": 100, "tempo": 100.0, "tempo_known": True, "density": 3.0,
        "velocity": 70.0, "velocity_known": True, "pitch_top": 67.0, "pitch_range": 19.0,
        "legato": 0.8, "articulation_known": True, "mode": "major", "key_clarity": 0.8}


def va(**change):
    return rules.symbolic_va({**BASE, **change})[:2]


def test_mode_moves_valence_and_tempo_moves_arousal_most():
    assert va(mode="major")[0] > va(mode="minor")[0] + 0.5
    fast, slow = va(tempo=160.0), va(tempo=60.0)
    assert fast[1] > slow[1] + 0.5 and fast[0] > slow[0]  # Gagnon & Peretz: tempo adds
    assert va(velocity=110.0)[1] > va(velocity=40.0)[1]
    assert va(legato=0.4)[1] > va(legato=1.0)[1]  # staccato is livelier
    assert va(pitch_top=80.0)[0] > va(pitch_top=55.0)[0]


def test_unknown_cues_do_not_count():
    assert va(tempo=300.0, tempo_known=False) == va(tempo=30.0, tempo_known=False)
    assert rules.symbolic_va({**BASE, "n_notes": 2}) == (0.0, 0.0, 0.0)


def test_audio_rules_and_silence():
    base = {"duration": 30.0, "tempo": 100.0, "loudness_db": -20.0, "centroid_hz": 2000.0,
            "onset_rate": 2.5, "flux": 0.1, "mode": "major", "key_clarity": 0.8}
    loud = rules.audio_va({**base, "loudness_db": -8.0, "centroid_hz": 3500.0})
    soft = rules.audio_va({**base, "loudness_db": -32.0, "centroid_hz": 800.0})
    assert loud[1] > soft[1] + 0.3
    assert rules.audio_va({**base, "loudness_db": -80.0}) == (0.0, 0.0, 0.0)


def test_key_estimate_from_pitch_classes():
    c_major = np.zeros(12)
    c_major[[0, 2, 4, 5, 7, 9, 11]] = 1
    c_major[[0, 4, 7]] += 2
    assert rules.estimate_key(c_major)[:2] == (0, "major")
    a_minor = np.zeros(12)
    a_minor[[9, 11, 0, 2, 4, 5, 8]] = 1
    a_minor[[9, 0, 4]] += 2
    assert rules.estimate_key(a_minor)[:2] == (9, "minor")
    assert rules.estimate_key(np.ones(12))[2] == 0.0
