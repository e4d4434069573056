"""Captions of the music that plays, exported for the demo clip and the Sintel trailer.

Each check exports SubRip captions through the real exporter and reads them back: every event
lasts at most 7 s, none overlaps the next, all lie inside the clip on frame boundaries, and the
words of a cue do not move when its target emotion is turned around (they come from reading
the cue's music, not from the target).
"""

from __future__ import annotations

import datetime
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import srt

from scorer import media
from scorer import project as project_io
from scorer.export import export_project
from scorer.export.captions import MAX_EVENT_S
from scorer.music import emotion as me
from scorer.music import film_music as fm
from scorer.project import Cue, MediaInfo, Project, Suggestion

REPO = Path(__file__).resolve().parents[2]
SR = 16000
# every word the reader can put in a caption
VOCABULARY = ({w for pair in me.MOOD_WORDS.values() for w in pair}
              | {w for noun, _ in me.INSTRUMENT_NOUNS.values() for w in noun.split()}
              | {"music", "build", "builds", "fade", "fades"})


def _project(folder: Path, clip: Path, music: list[Path], spans, targets) -> Path:
    info = media.probe(clip)
    shutil.copy(clip, folder / clip.name)
    for m in music:
        shutil.copy(m, folder / m.name)
    p = Project(title="Captions", media=MediaInfo(
        path=clip.name, fps=info.fps, duration=info.duration, has_video=True,
        has_audio=info.has_audio))
    p.cues, p.suggestions = [], []
    for k, ((start, end), (v, a), m) in enumerate(zip(spans, targets, music, strict=True)):
        number = f"1M{k + 1}"
        p.cues.append(Cue(number, start, end, valence=v, arousal=a, choice=f"s{k}"))
        p.suggestions.append(Suggestion(f"s{k}", number, "library", m.stem, path=m.name,
                                        score=0.5))
    return _save(p, folder)


def _save(p: Project, folder: Path) -> Path:
    path = folder / "captions.scorer.json"
    project_io.save(p, path)
    return path


def _export(p: Project, path: Path, out: Path) -> list:
    export_project(p, path, "srt", out, force=True)
    return list(srt.parse((out / "Captions_music.srt").read_text("utf-8")))


def _check_events(subs, fps: Fraction, clip_seconds: float) -> None:
    assert subs
    for sub in subs:
        assert datetime.timedelta(0) < sub.end - sub.start
        assert sub.end - sub.start <= datetime.timedelta(seconds=MAX_EVENT_S)
        assert sub.start.total_seconds() >= 0
        assert sub.end.total_seconds() <= clip_seconds + 1e-3
        for t in (sub.start, sub.end):  # SubRip keeps milliseconds: within 1 ms of a frame
            frames = t.total_seconds() * fps
            assert abs(frames - round(frames)) * 1000 / fps <= 1.0
        words = sub.content.strip("[]").replace(",", " ").split()
        assert sub.content.startswith("[") and sub.content.endswith("]")
        assert set(words) <= VOCABULARY, sub.content
    for a, b in zip(subs, subs[1:], strict=False):
        assert a.end <= b.start


def _turned_around(p: Project) -> Project:
    q = Project.from_dict(p.to_dict())
    for cue in q.cues:
        cue.valence, cue.arousal = -cue.valence, -cue.arousal
    return q


def _emotify_tracks(shared_data, ids):
    root = shared_data / "music-emotion" / "emotify" / "audio"
    paths = [root / f"{i}.ogg" for i in ids]
    if not all(p.exists() for p in paths):
        pytest.skip("Emotify not present")
    return paths


@pytest.mark.data
def test_demo_captions_describe_the_chosen_music(shared_data, tmp_path):
    clip = REPO / "resources" / "demo.mp4"
    # a calm classical excerpt on a "tense" cue, a loud rock excerpt on a "calm" one
    music = _emotify_tracks(shared_data, ["004", "161"])
    folder = tmp_path / "proj"
    folder.mkdir()
    spans = [(2.0, 17.0), (20.0, 30.0)]
    path = _project(folder, clip, music, spans, [(-0.4, 0.7), (0.7, -0.6)])
    p = project_io.load(path)
    subs = _export(p, path, tmp_path / "out")
    fps = Fraction(p.media.fps)
    _check_events(subs, fps, float(Fraction(p.media.duration)))
    # the 15-s cue needs more than one event, unless its music stays the same
    assert subs[0].start.total_seconds() == pytest.approx(2.0, abs=1e-3)
    again = _export(_turned_around(p), _save(_turned_around(p), folder), tmp_path / "out2")
    assert [s.content for s in again] == [s.content for s in subs]


def _first_frame_seconds(clip: Path) -> float:
    """Time of the clip's first picture: the exported files count from there."""
    import av

    with av.open(str(clip)) as container:
        frame = next(container.decode(video=0))
        return float(frame.time)


@pytest.mark.data
def test_sintel_captions_film_music_and_cue_without_overlap(shared_data, tmp_path):
    clip = shared_data / "video" / "sintel_trailer_480p.mp4"
    if not clip.exists():
        pytest.skip("Sintel trailer not present")
    music = _emotify_tracks(shared_data, ["229"])
    folder = tmp_path / "proj"
    folder.mkdir()
    path = _project(folder, clip, music, [(4.0, 12.0)], [(0.9, 0.6)])
    p = project_io.load(path)
    audio = media.load_audio(clip, sr=SR)
    fm.analyze_film_music(audio, SR, p, None, None, None)
    film = [c for c in p.music_captions if c.source == "film"]
    assert film and all(c.end - c.start <= fm.MAX_CAPTION_S + 1e-6 for c in film)
    path = _save(p, folder)
    subs = _export(p, path, tmp_path / "out")
    clip_seconds = float(Fraction(p.media.duration))
    _check_events(subs, Fraction(p.media.fps), clip_seconds)
    # the cue (4-12 s of the clip) on the output's time line, which starts at the first frame
    frame = 1 / float(Fraction(p.media.fps))
    cue_in, cue_out = 4.0 - _first_frame_seconds(clip), 12.0 - _first_frame_seconds(clip)
    # film music is captioned outside the cue, and none of it inside the cue
    outside = [s for s in subs if s.end.total_seconds() <= cue_in + frame
               or s.start.total_seconds() >= cue_out - frame]
    inside_cue = [s for s in subs if s not in outside]
    assert outside and inside_cue
    assert all(cue_in - frame <= s.start.total_seconds() < s.end.total_seconds() <= cue_out + frame
               for s in inside_cue)
    assert inside_cue[0].start.total_seconds() == pytest.approx(cue_in, abs=frame)
    again = _export(_turned_around(p), _save(_turned_around(p), folder), tmp_path / "out2")
    assert [s.content for s in again] == [s.content for s in subs]


def _tone(seconds: float, sr: int = SR):
    import numpy as np

    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), sr


def test_a_known_work_is_named_in_its_first_caption():
    from scorer.export.captions import build_captions
    from scorer.export.common import CueMusic
    from scorer.timebase import ClipTimebase

    tb = ClipTimebase(rate=Fraction(25))
    corpus = Suggestion("s0", "1M1", "library", "The Loudon. (book1 #3)", path="a.mid",
                        params={"library": "music21", "ref": "3",
                                "file": "/corpus/ryansMammoth/ryansMammoth_book1.abc"})
    plain_file = Suggestion("s1", "1M2", "library", "bright_march", path="bright_march.mid",
                            params={"file": "/music/bright_march.mid"})
    generated = Suggestion("s2", "1M3", "generated", "Generated irish melody (seed 0)",
                           path="g.mid")
    cues = [Cue("1M1", 0.0, 12.0), Cue("1M2", 12.0, 18.0), Cue("1M3", 18.0, 24.0)]
    music = [CueMusic(c, s, Path(s.path), "midi", int(c.start * 25), int(c.end * 25))
             for c, s in zip(cues, (corpus, plain_file, generated), strict=True)]
    audio = {c.number: _tone(c.end - c.start) for c in cues}
    caps = build_captions(Project(title="t"), music, tb, audio, clip_seconds=24.0)
    first = {n: next(c.text for c in caps if n[0] <= c.start < n[1])
             for n in ((0, 12), (12, 18), (18, 24))}
    assert first[(0, 12)].startswith("[“The Loudon”, traditional: ")
    assert "book1" not in first[(0, 12)]
    later = [c.text for c in caps if 0 < c.start < 12]
    assert all("Loudon" not in t for t in later), later  # named once, then described
    assert "“" not in first[(12, 18)] and "bright_march" not in first[(12, 18)]
    assert "“" not in first[(18, 24)] and "irish" not in first[(18, 24)]
