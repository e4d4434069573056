"""Cue planning from synthetic Tracks: boundaries, tempo, musical choices, table, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from scorer import project as project_io
from scorer.affect import cues as cue_mod
from scorer.affect import fusion as fusion_module
from scorer.affect.circumplex import quadrant
from scorer.affect.fusion import fuse_project
from scorer.cli import main
from scorer.errors import ScorerError
from scorer.project import Cue, MediaInfo, Project, TranscriptSegment
from scorer.track import Track


@pytest.fixture(autouse=True)
def preset_fusion(monkeypatch):
    """These tests are about cue planning: fuse with the presets, not the fitted model."""
    monkeypatch.setattr(fusion_module, "fusion_method", lambda project: "presets")


def step_track(name, change, duration, before, after, rate=4.0, conf=1.0):
    t = np.arange(0, duration, 1 / rate)
    v = np.where(t < change, before[0], after[0])
    a = np.where(t < change, before[1], after[1])
    return Track(name, t, v, a, np.full(len(t), conf))


def make_project(change=20.0, duration=40.0, cuts=(7.0, 18.5, 26.0, 33.0), fps="25",
                 before=(-0.6, 0.6), after=(0.6, -0.4), settings=None):
    project = Project(media=MediaInfo(path="clip.mp4", duration=str(duration), fps=fps,
                                      has_video=True))
    project.shots = list(cuts)
    project.tracks = {"faces": step_track("faces", change, duration, before, after)}
    project.settings = {"content_type": "drama", **(settings or {})}
    fuse_project(project)
    cue_mod.plan_project_cues(project)
    return project


@pytest.mark.parametrize("change,cuts,expected", [
    (20.0, (7.0, 18.5, 26.0, 33.0), 18.5),
    (20.0, (7.0, 17.0, 21.5, 33.0), 21.5),
    (14.0, (5.0, 12.7, 16.0, 30.0), 12.7),
])
def test_step_change_gives_boundary_at_nearest_cut(change, cuts, expected):
    project = make_project(change=change, cuts=cuts)
    assert [c.number for c in project.cues] == ["1M1", "1M2"]
    assert project.cues[0].start == 0 and project.cues[-1].end == 40.0
    assert project.cues[0].end == pytest.approx(expected)
    assert project.cues[1].start == project.cues[0].end
    first, second = project.cues
    assert quadrant(first.valence, first.arousal) == "tense"
    assert quadrant(second.valence, second.arousal) == "calm"


def test_no_change_gives_one_cue_and_no_cut_keeps_change_time():
    flat = make_project(before=(0.3, 0.3), after=(0.3, 0.3))
    assert len(flat.cues) == 1
    nocuts = make_project(cuts=())
    assert len(nocuts.cues) == 2
    assert nocuts.cues[0].end == pytest.approx(20.0, abs=1.01)


def test_boundary_snaps_to_pause_when_no_cut_near():
    project = Project(media=MediaInfo(path="a.flac", duration="40"))
    project.tracks = {"voice": step_track("voice", 20.0, 40.0, (-0.6, 0.6), (0.6, -0.4))}
    project.transcript = [TranscriptSegment(0.5, 17.0, "a"), TranscriptSegment(19.0, 39.0, "b")]
    fuse_project(project)
    cue_mod.plan_project_cues(project)
    assert len(project.cues) == 2
    assert project.cues[0].end == pytest.approx(18.0)
    assert project.cues[0].ducking == [(0.5, 17.0)]
    assert project.cues[1].ducking == [(19.0, 39.0)]


def test_min_and_max_length():
    # changes every 3 s would make 3-s cues; min_length 6 must forbid them
    t = np.arange(0, 60, 0.25)
    v = np.where((t // 3) % 2 == 0, -0.7, 0.7)
    project = Project(media=MediaInfo(path="c.mp4", duration="60", fps="24"))
    project.tracks = {"faces": Track("faces", t, v, -v, np.ones_like(t))}
    project.shots = [float(x) for x in np.arange(3, 60, 3)]
    project.settings = {"fusion": {"smoothing": 0}, "cues": {"min_length": 6, "max_length": 20}}
    fuse_project(project)
    cues = cue_mod.plan_project_cues(project)
    lengths = [c.duration for c in cues]
    assert min(lengths) >= 6 - 1e-6 and max(lengths) <= 20 + 1e-6
    assert cues[0].start == 0 and cues[-1].end == 60
    assert all(a.end == b.start for a, b in zip(cues, cues[1:], strict=False))
    with pytest.raises(ScorerError, match="min_length"):
        cue_mod.CueSettings.from_dict({"min_length": 10, "max_length": 12})
    with pytest.raises(ScorerError, match="unknown cue settings"):
        cue_mod.CueSettings.from_dict({"min_lenght": 10})


@pytest.mark.parametrize("tempo,start", [(96.0, 0.0), (121.3, 0.0), (73.7, 0.0)])
def test_tempo_chooser_puts_hits_on_beats(tempo, start):
    rng = np.random.default_rng(int(tempo * 10))
    period = 60.0 / tempo
    beats = np.sort(rng.choice(np.arange(2, 60), size=6, replace=False))
    hits = beats * period + rng.uniform(-0.008, 0.008, size=6)  # frame rounding of cut times
    low, high = tempo - 9.0, tempo + 7.0
    chosen, mean_ms, max_ms = cue_mod.choose_tempo(hits, low, high, tolerance_ms=30)
    assert low <= chosen <= high
    errors = cue_mod.hit_errors(hits, chosen) * 1000
    assert errors.max() <= 30.0
    assert max_ms == pytest.approx(errors.max()) and mean_ms == pytest.approx(errors.mean())


def test_tempo_chooser_when_range_cannot_fit_all():
    hits = [1.0, 1.37, 2.91, 4.444]
    chosen, mean_ms, max_ms = cue_mod.choose_tempo(hits, 100, 101)
    assert 100 <= chosen <= 101
    assert mean_ms <= max_ms
    # brute force: no tempo in the range has a smaller mean error among the fewest misses
    grid = np.arange(100, 101.0001, 0.001)
    err = np.array([cue_mod.hit_errors(hits, t) * 1000 for t in grid])
    fewest = (err > 30).sum(1).min()
    best = err[(err > 30).sum(1) == fewest].mean(1).min()
    assert mean_ms <= best + 0.5
    assert cue_mod.choose_tempo([], 80, 100) == (90.0, 0.0, 0.0)


def test_cue_fields_follow_valence_and_arousal():
    project = make_project()
    tense, calm = project.cues
    assert tense.mode == "minor" and calm.mode == "major"
    assert tense.register < calm.register
    assert tense.instrumentation == "dark_pulse" and calm.instrumentation == "warm_chamber"
    assert set(tense.programs) >= {"melody", "harmony", "bass", "pad"}
    assert all(0 <= p <= 127 for p in tense.programs.values())
    assert tense.tempo_range[0] > calm.tempo_range[0]
    assert tense.tempo_range[0] <= tense.tempo <= tense.tempo_range[1]
    assert np.mean([lv for _, lv in tense.dynamics]) > np.mean([lv for _, lv in calm.dynamics])
    assert tense.dynamics[0][0] == tense.start and tense.dynamics[-1][0] == tense.end
    assert tense.shares == {"faces": 1.0}
    assert tense.hit_points == [7.0] and calm.hit_points == [26.0, 33.0]
    errors = cue_mod.hit_errors(np.array(calm.hit_points) - calm.start, calm.tempo) * 1000
    assert calm.hit_error_ms == pytest.approx(errors.mean(), abs=0.05)
    assert cue_mod.key_for(0.9) != cue_mod.key_for(0.1)
    assert cue_mod.key_for(-0.9)[1] == "minor"


def test_tempo_range_follows_arousal_speech_and_cutting():
    base = cue_mod.tempo_range(0.0)
    assert cue_mod.tempo_range(0.8)[0] > base[0] > cue_mod.tempo_range(-0.8)[0]
    assert cue_mod.tempo_range(0.0, words_per_second=4.0)[0] > base[0]
    assert cue_mod.tempo_range(0.0, cuts_per_minute=40)[0] > base[0]
    assert cue_mod.tempo_range(0.0, cuts_per_minute=2)[0] < base[0]


def test_speech_feature_gives_ducking_and_words_speed_tempo():
    project = Project(media=MediaInfo(path="a.flac", duration="20"))
    t = np.arange(0, 20, 0.5)
    speech = ((t >= 5) & (t < 10)).astype(float)
    project.tracks = {
        "prosody": Track("prosody", t, np.zeros_like(t), np.full_like(t, 0.2), speech,
                         features={"speech": speech}),
        "words": Track("words", t, np.zeros_like(t), np.zeros_like(t), speech,
                       features={"words_per_second": 4.5 * speech}),
    }
    fuse_project(project)
    slow = Project(media=project.media, tracks={k: v for k, v in project.tracks.items()})
    slow.tracks["words"] = Track("words", t, np.zeros_like(t), np.zeros_like(t), speech,
                                 features={"words_per_second": 1.0 * speech})
    fuse_project(slow)
    fast_cue = cue_mod.plan_project_cues(project)[0]
    slow_cue = cue_mod.plan_project_cues(slow)[0]
    assert fast_cue.ducking == [(4.75, 9.75)]
    assert fast_cue.tempo_range[0] > slow_cue.tempo_range[0]


def test_locked_cues_are_kept():
    project = make_project()
    locked = project.cues[1]
    locked.locked = True
    locked.number = "1M7"
    locked.tempo = 77.0
    project.cues[0].locked = False
    project.settings["cues"] = {"min_length": 4}
    cue_mod.plan_project_cues(project)
    kept = project.cue("1M7")
    assert kept.locked and kept.tempo == 77.0 and kept.start == locked.start
    assert project.cues[0].number == "1M1" and project.cues[0].end <= kept.start


def test_table_and_cli(tmp_path, capsys):
    project = make_project(fps="30000/1001")
    project.media.start_timecode = "01:00:00;00"
    table = cue_mod.format_cue_table(project)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["cue", "in", "out"]
    assert lines[2].startswith("1M1") and "01:00:00;00" in lines[2]
    assert "01:00:18;14" in lines[2]  # 18.5 s = frame 554.4 at 29.97 -> 18 s + 14
    assert "dark_pulse" in lines[2] and "minor" in lines[2]
    path = tmp_path / "p.scorer.json"
    project_io.save(project, path)
    assert main(["cues", str(path)]) == 0
    assert capsys.readouterr().out.strip() == table
    assert main(["cues", str(path), "--content-type", "documentary"]) == 0
    assert project_io.load(path).settings["content_type"] == "documentary"
    audio_only = Project(media=MediaInfo(path="a.flac", duration="3"), cues=[Cue("1M1", 0, 3)])
    assert "0:03.000" in cue_mod.format_cue_table(audio_only)


def test_stretch_with_nothing_said_is_not_a_change():
    t = np.arange(0, 40, 0.25)
    conf = np.where((t >= 15) & (t < 25), 0.0, 1.0)
    project = Project(media=MediaInfo(path="c.mp4", duration="40", fps="24"))
    project.tracks = {"faces": Track("faces", t, np.full_like(t, 0.6), np.full_like(t, 0.5),
                                     conf)}
    project.shots = [10.0, 16.0, 24.0, 30.0]
    fuse_project(project)
    assert project.fused.confidence[20] == 0  # the gap really is empty
    cues = cue_mod.plan_project_cues(project)
    assert len(cues) == 1
    assert cues[0].valence == pytest.approx(0.6, abs=0.01)
