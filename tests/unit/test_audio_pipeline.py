"""analyze_audio end to end on generated speech, silence and music."""

import numpy as np
import pytest
from test_audio_activity import LINES, espeak, music, needs_espeak

from scorer.audio import analyze_audio
from scorer.pipeline import AnalysisSettings, CancelToken
from scorer.project import Project, dumps, loads

SR = 16000


def test_silence_gives_confidence_zero_everywhere():
    project = Project()
    seen = []
    analyze_audio(np.zeros(8 * SR, np.float32), SR, project,
                  AnalysisSettings(transcriber="pocketsphinx"),
                  lambda stage, f: seen.append((stage, f)), CancelToken())
    for name in ("prosody", "voice"):
        track = project.tracks[name]
        assert len(track) > 0 and np.all(track.confidence == 0), name
    assert np.all(project.tracks["prosody"].features["speech"] == 0)
    assert project.transcript == []
    assert len(project.tracks["words"]) == 0
    assert seen[-1] == ("audio", 1.0) and all(s == "audio" for s, _ in seen)


def test_cancel_stops_the_work():
    from scorer.errors import Cancelled

    token = CancelToken()
    token.set()
    with pytest.raises(Cancelled):
        analyze_audio(np.zeros(4 * SR, np.float32), SR, Project(), None, None, token)


@needs_espeak
def test_speech_then_music_then_silence(tmp_path):
    speech = espeak(LINES, tmp_path)
    audio = np.concatenate([speech, music(10), np.zeros(5 * SR, np.float32)])
    project = Project()
    analyze_audio(audio, SR, project, AnalysisSettings(), None, CancelToken())
    pros = project.tracks["prosody"]
    v = len(speech) / SR
    assert {"speech", "pitch_hz", "loudness_db"} <= set(pros.features)
    in_speech = (pros.times > 0.5) & (pros.times < v - 0.5)
    after = pros.times > v + 1.5
    assert np.mean(pros.confidence[in_speech] > 0) > 0.6
    assert np.mean(pros.confidence[after] > 0) < 0.15
    voiced = pros.features["pitch_hz"][in_speech]
    assert np.median(voiced[voiced > 0]) == pytest.approx(120, rel=0.5)
    # the default transcriber is Whisper (its weights are a dependency), in English here
    assert project.settings["audio"]["transcriber"] == "whisper"
    assert project.settings["audio"]["language"] == "en"
    assert "transcriber_note" not in project.settings["audio"]
    # the transcript: words with times inside the speech, in order
    words = [w for seg in project.transcript for w in seg.words]
    assert len(words) >= 8
    assert all(0 <= w.start < w.end <= v + 0.6 for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
    track = project.tracks["words"]
    assert len(track) > 0 and "words_per_second" in track.features
    assert np.all(track.features["words_per_second"] > 0.5)
    # the project with its transcript and tracks survives a save/load round trip
    again = loads(dumps(project))
    assert again.transcript[0].words[0].text == project.transcript[0].words[0].text


def test_subtitles_replace_transcription(tmp_path):
    subs = tmp_path / "s.srt"
    subs.write_text("1\n00:00:01,000 --> 00:00:03,000\nI love you so much.\n\n"
                    "2\n00:00:04,000 -> 00:00:05,000\nbroken\n", encoding="utf-8")
    project = Project()
    analyze_audio(np.zeros(6 * SR, np.float32), SR, project,
                  AnalysisSettings(subtitles=str(subs)), None, CancelToken())
    assert [s.text for s in project.transcript] == ["I love you so much."]
    assert "line 5" in project.settings["audio"]["subtitle_problems"][0]
