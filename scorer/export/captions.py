"""Music captions for deaf and hard-of-hearing viewers: "♪ tense, pulsing music ♪".

Each exported cue gets one caption over its frames, described from the cue's valence and
arousal: the mood word is that of the nearest music emotion on the circumplex
(:mod:`scorer.affect.circumplex`), the motion word comes from arousal (and the cue's tempo).
A caption the project already holds for the score (``MusicCaption`` with source "score",
e.g. written by the editor or the music-emotion model) replaces the generated one for the cue
it overlaps; captions of music already in the film's sound track (source "film") are added.
Times are relative to the start of the clip, as subtitle files are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scorer.affect.circumplex import coordinates
from scorer.export.common import CueMusic, Timebase
from scorer.project import Project

NOTE = "♪"
# circumplex label -> caption adjective (the label's own word where it reads well)
MOODS = {
    "tense": "tense",
    "fear": "ominous",
    "angry": "aggressive",
    "sad": "sad",
    "nostalgic": "wistful",
    "solemn": "solemn",
    "peaceful": "peaceful",
    "tender": "tender",
    "calm": "calm",
    "happy": "cheerful",
    "joyful": "joyful",
    "amazed": "soaring",
    "powerful": "powerful",
}


@dataclass
class Caption:
    """One caption: start and end in seconds on the clip, and its text."""

    start: float
    end: float
    text: str


def describe(valence: float, arousal: float, tempo: float | None = None) -> str:
    """Return a caption such as "♪ tense, pulsing music ♪" for a point on the circumplex."""
    if math.hypot(valence, arousal) < 0.15:
        return f"{NOTE} soft background music {NOTE}"
    mood = min(MOODS, key=lambda label: math.dist(coordinates(label), (valence, arousal)))
    if arousal > 0.55 or (tempo is not None and tempo >= 140):
        motion = "driving" if valence < 0 else "lively"
    elif arousal > 0.2:
        motion = "pulsing" if valence < 0 else "upbeat"
    elif arousal < -0.45:
        motion = "slow"
    elif arousal < -0.15:
        motion = "gentle"
    else:
        motion = ""
    words = f"{MOODS[mood]}, {motion}" if motion and motion != MOODS[mood] else MOODS[mood]
    return f"{NOTE} {words} music {NOTE}"


def _wrap(text: str) -> str:
    text = text.strip()
    return text if NOTE in text else f"{NOTE} {text} {NOTE}"


def build_captions(project: Project, cues: list[CueMusic], tb: Timebase) -> list[Caption]:
    """Return the captions in time order (see the module docstring)."""
    given = [c for c in project.music_captions if c.source == "score"]
    out: list[Caption] = []
    for music in cues:
        cue = music.cue
        start, end = float(tb.seconds(music.in_frame)), float(tb.seconds(music.out_frame))
        mine = [c for c in given if c.start < end and c.end > start]
        text = _wrap(mine[0].text) if mine else describe(cue.valence, cue.arousal, cue.tempo)
        out.append(Caption(start, end, text))
    for c in project.music_captions:
        if c.source == "film" and c.end > c.start:
            start, end = tb.frame(c.start), tb.frame(c.end)
            if end > start:  # on the clip's frames, from its first frame, like the cues
                out.append(Caption(float(tb.seconds(start)), float(tb.seconds(end)),
                                   _wrap(c.text)))
    return sorted(out, key=lambda c: (c.start, c.end))


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _milliseconds(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


def srt_text(captions: list[Caption]) -> str:
    """SubRip text, written by the ``srt`` library (times to the millisecond)."""
    import datetime

    import srt

    return srt.compose([
        srt.Subtitle(i, datetime.timedelta(milliseconds=_milliseconds(c.start)),
                     datetime.timedelta(milliseconds=_milliseconds(c.end)), c.text)
        for i, c in enumerate(captions, 1)], reindex=False)


def vtt_text(captions: list[Caption]) -> str:
    """WebVTT text, written by webvtt-py."""
    import webvtt

    return webvtt.WebVTT(captions=[
        webvtt.Caption(_stamp(c.start, "."), _stamp(c.end, "."), c.text) for c in captions]
    ).content
