"""Emotion from the sound track: speech activity, prosody, voice tone, transcript, words.

:func:`analyze_audio` is the pipeline's entry point. It finds speech once
(:mod:`scorer.audio.activity`) and runs everything else on the speech regions only:

- ``tracks["prosody"]``: arousal from pitch, loudness, their spread and speaking rate,
- ``tracks["voice"]``: the speech-emotion model's probabilities -> valence/arousal,
- ``transcript``: Whisper base (pocketsphinx as the small fallback) words with times, or the
  user's SRT/VTT file; ``settings["audio"]`` records which transcriber ran, why if it was not
  the one asked for, and the detected language,
- ``tracks["words"]``: text emotion per transcript segment (+ VADER valence, pace).

Where nobody speaks every one of these has confidence 0.
"""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np

from scorer.errors import ModelError
from scorer.track import Track

log = logging.getLogger(__name__)

# "auto": Whisper when it can be built and opened, else pocketsphinx with the reason recorded;
# "whisper": Whisper or a ModelError saying why not (never swapped for another engine)
TRANSCRIBERS = ("auto", "whisper", "pocketsphinx", "none")
DEFAULT_TRANSCRIBER = "auto"
WHISPER_BUILD_STAGE = "building Whisper (first use)"

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
        project.tracks["voice"] = voice.voice_track(
            audio, times, speech, spans, cancel, sub("voice"),
            info=project.settings.setdefault("audio", {}),
            build_progress=lambda _m, f: progress(WHISPER_BUILD_STAGE, f) if progress else None)
    except ModelError as exc:
        log.warning("voice tone skipped: %s", exc)
        project.tracks["voice"] = Track.silent("voice", times, voice.LABELS)

    subtitles = _setting(settings, "subtitles", "")
    if subtitles:
        from scorer.audio.subtitles import load_subtitles

        clip_seconds = len(audio) / activity.SR
        if project.media is not None:
            try:
                clip_seconds = max(clip_seconds, float(Fraction(project.media.duration)))
            except (ValueError, ZeroDivisionError):
                pass
        project.transcript, problems = load_subtitles(subtitles, clip_seconds)
        project.settings.setdefault("audio", {})["subtitle_problems"] = problems
    else:
        engine = _setting(settings, "transcriber", DEFAULT_TRANSCRIBER) or "none"
        project.transcript = _transcribe(engine, audio, spans, project, progress, cancel,
                                         sub("transcript"))
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


def _transcribe(engine: str, audio: np.ndarray, spans, project, progress, cancel, sub):
    """Run the chosen transcriber; record in ``settings["audio"]`` what ran and why."""
    info = project.settings.setdefault("audio", {})
    info.pop("transcriber_note", None)
    if engine not in TRANSCRIBERS:
        raise ModelError(f"unknown transcriber {engine!r}; choose one of "
                         f"{', '.join(TRANSCRIBERS)}")
    if engine in ("auto", "whisper"):
        from scorer.audio.whisper import get_transcriber

        def build_progress(_message: str, fraction: float) -> None:
            if progress is not None:
                progress(WHISPER_BUILD_STAGE, fraction)

        try:
            whisper = get_transcriber(build_progress)
        except ModelError as exc:
            if engine == "whisper":
                raise ModelError(f"the Whisper transcriber was asked for but cannot run: {exc}. "
                                 "Choose 'auto' (falls back to pocketsphinx), 'pocketsphinx' or "
                                 "'none'") from exc
            note = f"Whisper cannot run ({exc}); pocketsphinx transcribed instead"
            log.warning("%s", note)
            info["transcriber_note"] = note
            engine = "pocketsphinx"
        else:
            result = whisper.transcribe(audio, spans, cancel, sub)
            info.update(transcriber="whisper", language=result.language,
                        language_probability=round(result.language_probability, 3))
            log.info("Whisper: %d lines, language %s (%.2f)", len(result.segments),
                     result.language or "?", result.language_probability)
            return result.segments
    info["transcriber"] = engine
    info.pop("language", None)
    info.pop("language_probability", None)
    if engine == "pocketsphinx":
        from scorer.audio.asr import transcribe

        return transcribe(audio, spans, cancel, sub)
    return []
