"""The composite fusion benchmark: deterministic, split by actor/artist/image, labels by its rule.

Also the speech-over-background evidence the fusion's calibration reads.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from scorer.audio import speech_snr_db

REPO = Path(__file__).resolve().parents[2]


def _cases_module():
    spec = importlib.util.spec_from_file_location("fusion_cases",
                                                  REPO / "bench" / "fusion_cases.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fusion_cases", module)
    spec.loader.exec_module(module)
    return module


def _speaker(path: str) -> str:
    p = Path(path)
    return p.parent.name  # Actor_NN (RAVDESS) or f1/m2 (EMOVO)


@pytest.mark.data
def test_cases_are_fixed_split_and_labelled_by_the_rule(shared_data):
    fc = _cases_module()
    cases = fc.build_cases(data=shared_data)
    again = fc.build_cases(data=shared_data)
    assert [c.__dict__ for c in cases] == [c.__dict__ for c in again]  # fixed seed
    parts = {"train": [c for c in cases if c.part == "train"],
             "heldout": [c for c in cases if c.part == "heldout"]}
    assert len(parts["train"]) == 200 and len(parts["heldout"]) == 120

    def used(part, get):
        return {x for c in parts[part] for x in get(c) if x}

    speakers = {p: used(p, lambda c: [_speaker(f) for f in c.speech]) for p in parts}
    faces = {p: used(p, lambda c: [c.face, c.second_face]) for p in parts}
    music = {p: used(p, lambda c: [c.music]) for p in parts}
    assert speakers["train"] and not speakers["train"] & speakers["heldout"]
    assert faces["train"] and not faces["train"] & faces["heldout"]
    assert all("PrivateTest" in Path(f).name for f in faces["heldout"])
    import csv

    with open(shared_data / "music-emotion" / "4q" / "labels.csv", newline="") as fh:
        artist = {row["song"]: row["artist"] for row in csv.DictReader(fh)}
    artists = {p: {artist[Path(f).stem] for f in music[p]} for p in parts}
    assert artists["train"] and not artists["train"] & artists["heldout"]
    for case in cases:
        # the rule: speech, else face, else music, else no label
        if case.speech:
            assert (case.label_source, case.quadrant) == ("speech", case.speech_quadrant)
            if case.face and case.face_quadrant:
                assert case.face_quadrant == case.speech_quadrant  # the speaker's face
        elif case.face:
            assert (case.label_source, case.quadrant) == ("face", case.face_quadrant)
        elif case.music:
            assert (case.label_source, case.quadrant) == ("music", case.music_quadrant)
        else:
            assert (case.label_source, case.quadrant) == ("none", "")
    kinds = {c.kind for c in cases}
    assert {"speech+music conflict", "face+music conflict", "nothing", "music"} <= kinds
    conflict = [c for c in cases if c.kind.endswith("conflict")]
    assert all(c.music_quadrant != c.quadrant for c in conflict)


@pytest.mark.data
def test_rendered_scene_has_the_speech_above_the_music(shared_data, monkeypatch):
    fc = _cases_module()
    monkeypatch.setenv("SCORER_SHARED_DATA", str(shared_data))
    case = next(c for c in fc.build_cases(data=shared_data)
                if c.kind == "speech+music conflict")
    audio = fc.render_audio(case)
    assert audio.shape == (int(fc.DURATION * fc.SR),) and np.abs(audio).max() <= 1.0
    rms = 10 * np.log10(np.mean(audio.astype(np.float64) ** 2))
    assert -26 < rms < -15  # dialogue at about -23 dBFS with music 8-18 dB under it


def test_speech_snr_reads_speech_over_the_background():
    level = np.array([-60.0, -60.0, -25.0, -24.0, -60.0, -26.0])
    speech = np.array([0.0, 0.1, 0.9, 0.95, 0.2, 0.8])
    snr = speech_snr_db(level, speech)
    np.testing.assert_allclose(snr[2:4], [35.0, 36.0])
    # music under every line: the background is the music between the lines
    level = np.array([-40.0, -22.0, -23.0, -40.0])
    snr = speech_snr_db(level, np.array([0.2, 0.9, 0.9, 0.3]))
    np.testing.assert_allclose(snr, [0.0, 18.0, 17.0, 0.0])
    assert speech_snr_db(np.zeros(0), np.zeros(0)).shape == (0,)
