"""Film music: music/speech/silence discrimination, caption merging, the project hook."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from scorer.music import emotion as me
from scorer.music import film_music as fm
from scorer.project import MusicCaption, Project

SR = 16000


def chords(seconds: float, seed: int = 0) -> np.ndarray:
    """Generated music: triads with harmonics, a new chord every half second, a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    out = np.zeros_like(t)
    roots = [220.0, 174.6, 196.0, 261.6, 146.8]
    for start in np.arange(0, seconds, 0.5):
        root = roots[rng.integers(len(roots))]
        m = (t >= start) & (t < start + 0.5)
        env = np.exp(-2 * (t[m] - start))
        for ratio in (1.0, 1.26, 1.5):
            for h in (1, 2, 3, 4):
                out[m] += env * np.sin(2 * np.pi * root * ratio * h * t[m]) / h
    out += 0.005 * rng.standard_normal(len(t))
    return (0.25 * out / np.abs(out).max()).astype(np.float32)


def espeak(text: str, tmp_path) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    import librosa
    import soundfile as sf

    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
    y, sr = sf.read(str(wav), dtype="float32")
    return librosa.resample(y, orig_sr=sr, target_sr=SR)


SPEECH = ("The committee met on Tuesday to discuss the new budget. Several members asked "
          "why the road repairs were delayed again, and the chair promised a full report "
          "before the end of the month. Nobody was happy with the answer.")


def test_generated_chords_are_music():
    _, p, kinds = fm.classify_windows(chords(12.0), SR)
    assert kinds.count("music") >= 0.8 * len(kinds)
    assert p.mean() > 0.6


def test_silence_is_silence():
    _, p, kinds = fm.classify_windows(np.zeros(SR * 6, np.float32), SR)
    assert set(kinds) == {"silence"} and np.all(p == 0)


def test_quiet_tail_after_music_is_silence():
    audio = np.concatenate([chords(8.0), 1e-4 * np.ones(SR * 6, np.float32)])
    starts, _, kinds = fm.classify_windows(audio, SR)
    assert all(k == "silence" for s, k in zip(starts, kinds, strict=True) if s >= 8.0)


def test_espeak_speech_is_not_music(tmp_path):
    _, p, kinds = fm.classify_windows(espeak(SPEECH, tmp_path), SR)
    voiced = [k for k in kinds if k != "silence"]
    assert voiced and voiced.count("music") <= 0.2 * len(voiced)


def test_ravdess_speech_is_mostly_not_music(shared_data):
    import soundfile as sf

    folder = shared_data / "speech-emotion" / "ravdess" / "Actor_20"
    if not folder.is_dir():
        pytest.skip("RAVDESS not present")
    audio = np.concatenate([sf.read(str(p), dtype="float32")[0]
                            for p in sorted(folder.glob("*.flac"))[:12]])
    _, _, kinds = fm.classify_windows(audio, SR)
    voiced = [k for k in kinds if k != "silence"]
    assert voiced.count("music") <= 0.25 * len(voiced)


def _probs(labels):
    p = np.zeros((len(labels), 4))
    for i, lab in enumerate(labels):
        if lab is not None and lab >= 0:
            p[i, lab] = 1.0
    return p


def test_captions_merge_consecutive_labels_and_absorb_short_runs():
    # windows of 2 s every 1 s: 0..9 sad (1), one odd fear window (2), 11..19 sad again
    labels = [1] * 10 + [2] + [1] * 9 + [None] * 5 + [0] * 8
    starts = np.arange(len(labels), dtype=float)
    caps = fm.make_captions(starts, 2.0, 1.0, labels, _probs(labels))
    # the 20.5-s sad run is cut into three 6.83-s pieces; the two that repeat it are dropped
    assert [c.text for c in caps] == ["[sad music]", "[happy music]"]
    assert caps[0].start == 0.0 and caps[0].end == pytest.approx(20.5 / 3, abs=1e-3)
    assert caps[1].start == pytest.approx(25.5) and caps[1].end == pytest.approx(29.75)
    assert all(c.source == "film" for c in caps)
    assert all(c.end - c.start <= fm.MAX_CAPTION_S + 1e-9 for c in caps)


def test_short_isolated_music_gets_no_caption():
    labels = [None] * 5 + [3, 3] + [None] * 5
    caps = fm.make_captions(np.arange(12.0), 2.0, 1.0, labels, _probs(labels))
    assert caps == []


def test_unsure_music_is_captioned_as_music():
    labels = [fm.UNSURE] * 6 + [1] * 6
    caps = fm.make_captions(np.arange(12.0), 2.0, 1.0, labels, _probs([None] * 6 + [1] * 6))
    assert [c.text for c in caps] == ["[music]", "[sad music]"]


def test_two_long_runs_stay_apart():
    labels = [2] * 6 + [3] * 6
    caps = fm.make_captions(np.arange(12.0), 2.0, 1.0, labels, _probs(labels))
    assert [c.text for c in caps] == ["[tense music]", "[calm music]"]
    assert caps[0].end == caps[1].start


def test_analyze_film_music_writes_track_and_captions(tmp_path):
    music = chords(14.0)
    audio = np.concatenate([music, np.zeros(SR * 6, np.float32)])
    project = Project()
    project.music_captions = [MusicCaption(1.0, 3.0, "♪ our cue ♪", "score"),
                              MusicCaption(0.0, 9.0, "♪ stale ♪", "film")]
    stages = []
    track = fm.analyze_film_music(audio, SR, project, None,
                                  lambda s, f: stages.append((s, f)), None)
    assert project.tracks["music"] is track
    assert track.labels == me.CLASSES and track.probs.shape == (len(track), 4)
    quiet = track.times > 15.5
    assert np.all(track.confidence[quiet] == 0) and np.all(track.probs[quiet] == 0)
    assert track.confidence[track.times < 12].mean() > 0.5
    film = [c for c in project.music_captions if c.source == "film"]
    assert film and all(c.text.startswith("[") and c.end <= 15.0 for c in film)
    assert "♪ stale ♪" not in [c.text for c in project.music_captions]
    assert "♪ our cue ♪" in [c.text for c in project.music_captions]
    assert stages[-1] == ("film music", 1.0)
    # the Track survives the project document round trip
    again = Project.from_dict(project.to_dict())
    assert again.tracks["music"].labels == me.CLASSES


def test_cancel_stops_the_analysis():
    from scorer.errors import Cancelled
    from scorer.pipeline import CancelToken

    token = CancelToken()
    token.set()
    with pytest.raises(Cancelled):
        fm.analyze_film_music(chords(6.0), SR, Project(), None, None, token)


def test_sintel_trailer_gets_music_captions(shared_data):
    from scorer import media

    clip = shared_data / "video" / "sintel_trailer_480p.mp4"
    if not clip.exists():
        pytest.skip("Sintel trailer not present")
    audio = media.load_audio(clip, sr=SR)
    project = Project()
    fm.analyze_film_music(audio, SR, project, None, None, None)
    film = [c for c in project.music_captions if c.source == "film"]
    assert film, "the trailer is scored throughout; expected music captions"
    covered = sum(c.end - c.start for c in film)
    assert covered >= 0.4 * len(audio) / SR
    for c in film:
        # a stretch over 7 s is cut into equal pieces, so a piece is at least half of 7 s
        assert fm.MAX_CAPTION_S / 2 - 1e-6 <= c.end - c.start <= fm.MAX_CAPTION_S + 1e-6
        assert c.text.startswith("[") and c.text.endswith("]")
    assert all(a.end <= b.start for a, b in zip(film, film[1:], strict=False))


def _reading(n, cls, arousal, tag=None):
    """A hand-made reading: one class, an arousal curve, one strong MTT instrument tag."""
    from scorer.music import musicnn

    probs = np.zeros((n, 4))
    probs[:, cls] = 0.9
    probs[:, (cls + 1) % 4] = 0.1
    mtt = np.full((n, 50), 0.05)
    if tag:
        mtt[:, musicnn.MTT_TAGS.index(tag)] = 0.8  # other tags stay under the threshold
    va = np.stack([np.full(n, -0.5), np.asarray(arousal, float)], 1)
    return me.Reading(np.arange(n) + 1.0, probs, va, np.full((n, 50), 0.05), mtt)


def test_caption_words_come_from_the_reading():
    n = 6  # 7 s of music: one caption event
    rising = np.linspace(-0.2, 0.9, n)
    caps = fm.make_captions(np.arange(float(n)), 2.0, 1.0, [2] * n, _probs([2] * n),
                            reading=_reading(n, 2, rising, "strings"))
    assert [c.text for c in caps] == ["[tense strings build]"]
    calm = _reading(n, 3, np.full(n, -0.6), "piano")
    caps = fm.make_captions(np.arange(float(n)), 2.0, 1.0, [3] * n, _probs([3] * n),
                            reading=calm)
    assert [c.text for c in caps] == ["[calm piano]"]
    # unsure class: no mood word, but the sound is still described
    unsure = _reading(n, 0, np.zeros(n), "guitar")
    unsure.probs[:] = 0.25
    assert me.describe(unsure) == "guitar music"


def test_long_music_is_captioned_in_short_events_when_the_music_changes():
    n = 20  # 21 s of music: three 7-s pieces; the middle one turns sad
    reading = _reading(n, 0, np.full(n, 0.5), "guitar")
    reading.probs[6:13] = [0.05, 0.9, 0.0, 0.05]  # the windows centred in 7..14 s
    reading.va[6:13, 1] = -0.5
    caps = fm.make_captions(np.arange(float(n)), 2.0, 1.0, [0] * n, _probs([0] * n),
                            reading=reading)
    assert [c.text for c in caps] == ["[upbeat guitar]", "[melancholy guitar]",
                                      "[upbeat guitar]"]
    assert all(c.end - c.start <= fm.MAX_CAPTION_S for c in caps)
    assert all(a.end <= b.start for a, b in zip(caps, caps[1:], strict=False))
