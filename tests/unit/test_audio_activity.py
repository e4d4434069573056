"""Speech activity and prosody on generated speech, generated music and RAVDESS/Emotify."""

import shutil
import subprocess

import numpy as np
import pytest

from scorer.audio import activity, prosody

SR = 16000
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng not installed "
                                  "(apt-get install -y espeak-ng)")

LINES = ("The old house stood at the end of the road, and nobody had lived there for years. "
         "We walked up to the door and knocked twice, but nobody answered.")


def espeak(text: str, tmp_path, speed: int = 160, pitch: int = 50, amp: int = 100) -> np.ndarray:
    import librosa
    import soundfile as sf

    out = tmp_path / f"speech_{speed}_{pitch}_{amp}.wav"
    subprocess.run([ESPEAK, "-w", str(out), "-s", str(speed), "-p", str(pitch), "-a", str(amp),
                    text], check=True, capture_output=True)
    y, sr = sf.read(out, dtype="float32")
    return librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)


def music(seconds: float, seed: int = 1) -> np.ndarray:
    """Piano-like chord progression over a bass line and a kick/snare/hat loop."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    y = np.zeros(n)
    beat = 60 / 104
    chords = [(60, 64, 67), (57, 60, 64), (53, 57, 60), (55, 59, 62)]
    for bar, start in enumerate(np.arange(0, seconds, 4 * beat)):
        i = int(start * SR)
        m = min(n - i, int(4 * beat * SR))
        t = np.arange(m) / SR
        for note in chords[bar % 4] + (chords[bar % 4][0] - 24,):
            f = 440 * 2 ** ((note - 69) / 12)
            env = np.exp(-t * 1.2) * np.minimum(1, t * 200)
            y[i:i + m] += 0.15 * env * sum(np.sin(2 * np.pi * f * h * t) / h ** 2
                                           for h in range(1, 5))
    for k, start in enumerate(np.arange(0, seconds, beat / 2)):
        i = int(start * SR)
        m = min(n - i, int(0.2 * SR))
        t = np.arange(m) / SR
        if k % 4 == 0:
            sweep = 45 + 90 * np.exp(-t * 35)
            y[i:i + m] += 0.6 * np.sin(2 * np.pi * sweep * t) * np.exp(-t * 15)
        elif k % 4 == 2:
            y[i:i + m] += 0.3 * rng.normal(0, 1, m) * np.exp(-t * 25)
        y[i:i + m] += 0.05 * rng.normal(0, 1, m) * np.exp(-t * 80)
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def test_silence_is_not_speech_and_has_no_confidence():
    audio = np.zeros(10 * SR, dtype=np.float32)
    times, speech, level, ff = activity.detect(audio)
    assert len(times) == 19 and np.all(speech == 0)
    track = prosody.prosody_track(audio, times, speech, ff)
    assert np.all(track.confidence == 0)
    assert {"speech", "pitch_hz", "loudness_db"} <= set(track.features)


def test_quiet_noise_is_gated():
    rng = np.random.default_rng(0)
    audio = (rng.normal(0, 10 ** (-70 / 20), 5 * SR)).astype(np.float32)
    assert np.all(activity.detect(audio)[1] == 0)


def test_music_only_is_not_speech():
    audio = music(30)
    _, speech, _, _ = activity.detect(audio)
    assert np.mean(speech >= 0.5) < 0.1, speech.round(2)


@needs_espeak
def test_generated_speech_is_found_and_music_pause_is_not(tmp_path):
    voice = espeak(LINES, tmp_path)
    gap = music(8)
    audio = np.concatenate([voice, gap, voice]).astype(np.float32)
    times, speech, _, _ = activity.detect(audio)
    v = len(voice) / SR
    in_voice = (times > 0.5) & (times < v - 0.5) | (times > v + 8.5) & (times < 2 * v + 7.5)
    in_music = (times > v + 1) & (times < v + 7)
    assert np.mean(speech[in_voice] >= 0.5) > 0.7
    assert np.mean(speech[in_music] >= 0.5) < 0.2
    spans = activity.regions(times, speech)
    assert 2 <= len(spans) <= 6


@needs_espeak
def test_speech_over_music_is_still_speech(tmp_path):
    voice = espeak(LINES, tmp_path)
    bed = music(len(voice) / SR + 1)[:len(voice)]
    gain = np.sqrt(np.mean(voice ** 2) / np.mean(bed ** 2)) * 10 ** (-12 / 20)
    times, speech, _, _ = activity.detect((voice + gain * bed).astype(np.float32))
    inner = (times > 0.5) & (times < len(voice) / SR - 0.5)
    assert np.mean(speech[inner] >= 0.5) > 0.6


@needs_espeak
def test_louder_faster_higher_speech_reads_as_more_aroused(tmp_path):
    calm = espeak(LINES, tmp_path, speed=120, pitch=30, amp=40)
    excited = espeak(LINES, tmp_path, speed=230, pitch=80, amp=180)
    arousal = []
    for audio in (calm, excited):
        times, speech, _, ff = activity.detect(audio)
        track = prosody.prosody_track(audio, times, speech, ff)
        sel = track.confidence > 0
        assert sel.mean() > 0.5
        assert np.all(track.features["pitch_hz"][sel] >= 0)
        arousal.append(track.arousal[sel].mean())
    assert arousal[1] > arousal[0] + 0.2, arousal


@pytest.mark.data
def test_ravdess_speech_vs_emotify_music(shared_data):
    import librosa

    clips = sorted((shared_data / "speech-emotion" / "ravdess" / "Actor_23").glob("*.flac"))[:12]
    # each recording padded to whole 32 ms chunks, so the reference stays aligned
    recordings = [librosa.load(c, sr=SR)[0] for c in clips]
    recordings = [np.pad(y, (0, -len(y) % activity.CHUNK)) for y in recordings]
    speech_audio = np.concatenate(recordings)
    times, speech, _, _ = activity.detect(speech_audio)
    # reference: RAVDESS clips hold about a second of silence each; a 32 ms chunk is speech
    # where its recording is within 35 dB of the recording's loudest chunk, and a window is
    # speech when at least half of it is
    ref = []
    for y in recordings:
        db = 10 * np.log10((y.reshape(-1, activity.CHUNK) ** 2).mean(1) + 1e-12)
        ref.append(db > db.max() - 35)
    ref = np.concatenate(ref)
    cover, _ = activity.window_statistics(ref, ref.astype(float), times)
    assert np.mean((speech >= 0.5) == (cover >= 0.5)) > 0.85
    tracks = sorted((shared_data / "music-emotion" / "emotify" / "audio").glob("*.ogg"))
    picks = [t for t in tracks if int(t.stem) % 3 == 0][::10]  # held out from the fit
    music_audio = np.concatenate([librosa.load(t, sr=SR, duration=10)[0] for t in picks])
    _, speech, _, _ = activity.detect(music_audio)
    assert np.mean(speech >= 0.5) < 0.2
