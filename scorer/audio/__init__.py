"""Emotion from the sound track: speech activity, prosody, voice tone, transcript, words.

:func:`analyze_audio` is the pipeline's entry point. It finds speech once
(:mod:`scorer.audio.activity`) and runs everything else on the speech regions only:

- ``tracks["prosody"]``: arousal from pitch, loudness, their spread and speaking rate,
- ``tracks["voice"]``: the speech-emotion model's probabilities -> valence/arousal,
- ``transcript``: pocketsphinx words with times, or the user's SRT/VTT file,
- ``tracks["words"]``: text emotion per transcript segment (+ VADER valence, pace).

Where nobody speaks every one of these has confidence 0.
"""

from __future__ import annotations

import logging

import numpy as np

from scorer.errors import ModelError
from scorer.track import Track

log = logging.getLogger(__name__)

TRANSCRIBERS = ("pocketsphinx", "whisper", "none")

# shares of the "audio" progress stage
_STAGES = (("activity", 0.0, 0.1), ("prosody", 0.1, 0.35), ("voice", 0.35, 0.45),
           ("transcript", 0.45, 0.92), ("words", 0.92, 1.0))


def _setting(settings, name: str, default):
    if settings is None:
        return default
    if isinstance(settings, dict):
        return settings.get(name, default)
    return getattr(settings, name, default)


def speech_snr_db(level: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Speech-band level of each window over the background (dB, -10..60).

    The background is the median level of the windows without speech (music, effects or room
    tone between the lines); where every window is speech, the quietest tenth stands in.
    """
    level = np.asarray(level, dtype=np.float64)
    if not len(level):
        return np.zeros(0)
    quiet = level[np.asarray(speech) < 0.5]
    floor = float(np.median(quiet)) if len(quiet) else float(np.percentile(level, 10))
    return np.clip(level - floor, -10.0, 60.0)


def analyze_audio(audio: np.ndarray, sr: int, project, settings=None, progress=None,
                  cancel=None) -> None:
    """Analyse the sound track and write tracks and transcript into the project.

    Args:
        audio: Mono float32 audio (from :func:`scorer.media.load_audio`).
        sr: Its sample rate; 16 kHz (other rates are resampled).
        project: The :class:`scorer.project.Project` to fill.
        settings: AnalysisSettings (``transcriber``, ``subtitles``) or a dict, or None.
        progress: Callable(stage, fraction) or None; reports stage "audio".
        cancel: CancelToken or None.

    Raises:
        InputError: If the subtitle file cannot be read or has no cue.
        Cancelled: If cancelled.
    """
    from scorer.audio import activity, prosody, voice

    stage_bounds = {name: (a, b) for name, a, b in _STAGES}

    def sub(name: str):
        a, b = stage_bounds[name]
        return lambda f: progress("audio", a + (b - a) * f) if progress else None

    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if sr != activity.SR:
        import librosa

        audio = librosa.resample(audio, orig_sr=sr, target_sr=activity.SR)
    times, speech, level, ff = activity.detect(audio, activity.SR, cancel)
    sub("activity")(1.0)
    spans = activity.regions(times, speech)
    log.info("speech in %d regions, %.1f s of %.1f s", len(spans),
             sum(e - s for s, e in spans), len(audio) / activity.SR)

    project.tracks["prosody"] = prosody.prosody_track(audio, times, speech, ff, cancel,
                                                      sub("prosody"))
    # evidence for the fusion's calibration: how far speech stands above the background
    project.tracks["prosody"].features["snr_db"] = speech_snr_db(level, speech)
    try:
        project.tracks["voice"] = voice.voice_track(audio, times, speech, spans, cancel,
                                                    sub("voice"))
    except ModelError as exc:
        log.warning("voice tone skipped: %s", exc)
        project.tracks["voice"] = Track.silent("voice", times, voice.LABELS)

    subtitles = _setting(settings, "subtitles", "")
    if subtitles:
        from scorer.audio.subtitles import load_subtitles

        project.transcript, problems = load_subtitles(subtitles)
        project.settings.setdefault("audio", {})["subtitle_problems"] = problems
    else:
        engine = _setting(settings, "transcriber", "pocketsphinx") or "none"
        if engine == "whisper":
            log.warning("the Whisper transcriber is not available in this build; "
                        "using pocketsphinx")
            engine = "pocketsphinx"
        if engine == "pocketsphinx":
            from scorer.audio.asr import transcribe

            project.transcript = transcribe(audio, spans, cancel, sub("transcript"))
        elif engine != "none":
            log.warning("unknown transcriber %r; no transcript made", engine)
    sub("transcript")(1.0)
    if cancel is not None:
        cancel.raise_if_set()

    from scorer.text.emotion import LABELS as TEXT_LABELS
    from scorer.text.emotion import words_track

    try:
        project.tracks["words"] = words_track(project.transcript)
    except ModelError as exc:
        log.warning("words emotion skipped: %s", exc)
        project.tracks["words"] = Track.empty("words", TEXT_LABELS)
    sub("words")(1.0)
