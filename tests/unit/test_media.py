from fractions import Fraction

import numpy as np
import pytest

from scorer import media
from scorer.errors import MediaError
from tests.fixtures.media import write_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("m") / "clip.mp4", seconds=3,
                      fps=Fraction(30000, 1001), size=(320, 180), timecode="01:00:00;00")


def test_probe_reads_exact_rate_size_streams_and_timecode(clip):
    info = media.probe(clip)
    assert Fraction(info.fps) == Fraction(30000, 1001)
    assert (info.width, info.height) == (320, 180)
    assert info.has_video and info.has_audio
    assert abs(float(Fraction(info.duration)) - 3.0) < 0.1
    assert info.start_timecode == "01:00:00;00"


def test_sampled_frames_have_true_times_and_size(clip):
    frames = list(media.iter_frames(clip, fps=4, max_width=160))
    times = [f.time for f in frames]
    assert len(frames) == pytest.approx(12, abs=1)
    assert np.all(np.diff(times) > 0.2) and np.all(np.diff(times) < 0.3)
    assert frames[0].image.shape == (90, 160, 3) and frames[0].image.dtype == np.uint8


def test_every_frame_callback_sees_all_frames(clip):
    seen = []
    list(media.iter_frames(clip, fps=2, every_frame_width=64,
                           on_every_frame=lambda t, img: seen.append((t, img.shape))))
    assert len(seen) == 89 or len(seen) == 90
    assert seen[0][1][1] == 64


def test_variable_frame_rate_sampling_uses_pts(tmp_path):
    path = write_clip(tmp_path / "vfr.mkv", seconds=4, fps=20, vfr=True, audio=False)
    times = [f.time for f in media.iter_frames(path, fps=2)]
    # with durations alternating 25 ms / 75 ms, sampling must still land every ~0.5 s
    assert np.all(np.abs(np.diff(times) - 0.5) < 0.1)


def test_audio_is_mono_float_at_requested_rate(clip):
    audio = media.load_audio(clip, sr=8000)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / 8000 - 3.0) < 0.1
    # the 440 Hz tone survives: its spectrum peaks there
    spectrum = np.abs(np.fft.rfft(audio[:8000]))
    assert abs(np.argmax(spectrum) - 440) <= 2


def test_video_only_and_audio_only_are_valid(tmp_path):
    v = media.probe(write_clip(tmp_path / "v.mp4", audio=False))
    assert v.has_video and not v.has_audio
    assert media.load_audio(tmp_path / "v.mp4").size == 0
    a = media.probe(write_clip(tmp_path / "a.m4a", video=False))
    assert a.has_audio and not a.has_video
    with pytest.raises(MediaError, match="no video stream"):
        list(media.iter_frames(tmp_path / "a.m4a"))


def test_audio_longer_than_its_stated_duration_is_read_whole(tmp_path, monkeypatch):
    from scorer.media import decode

    path = write_clip(tmp_path / "a.m4a", seconds=6, video=False)
    # pretend the container understates the length: the buffer must grow, not truncate
    monkeypatch.setattr(decode, "_duration", lambda *args: Fraction(1))
    audio = media.load_audio(path, sr=8000)
    assert abs(len(audio) / 8000 - 6.0) < 0.1
    spectrum = np.abs(np.fft.rfft(audio[-8000:]))
    assert abs(np.argmax(spectrum) - 440) <= 2
