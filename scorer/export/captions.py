"""Music captions for deaf and hard-of-hearing viewers: "[tense strings build]".

The words describe the music that actually plays, as the music-emotion reader hears it
(:mod:`scorer.music.emotion`: musicnn + the trained head): each exported cue's rendered or
decoded music is read, and the film's own music was read by :mod:`scorer.music.film_music`
(``MusicCaption`` with source "film"). Nothing is taken from a cue's target emotion. A caption
the editor wrote for the score (source "score") replaces the generated ones of the cue it
overlaps. When a cue's music cannot be read, its caption only says "[music]". When the cue
plays a known work from the library, its first event names it, as the guides ask for music
with a title: "[“The Loudon”, traditional: calm flute music]".

Conventions of caption style guides: instrumental music is described in brackets by default
(``style="notes"`` gives "♪ ... ♪" instead); an event lasts at most 7 s, and a long stretch of
music gets a new event only when its description changes; events never overlap (a score cue
wins over film music under it); every time is snapped to a frame and kept inside the clip.
Times are relative to the start of the clip, as subtitle files are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from scorer.export.common import CueMusic, Timebase
from scorer.project import Project

log = logging.getLogger(__name__)

NOTE = "♪"
MAX_EVENT_S = 7.0
STYLES = ("brackets", "notes")


@dataclass
class Caption:
    """One caption: start and end in seconds on the clip, and its text."""

    start: float
    end: float
    text: str


def styled(words: str, style: str = "brackets") -> str:
    """Put caption words in the chosen style: "[words]" or "♪ words ♪".

    Text already in either style is restyled; other text (a title, lyrics) is wrapped.
    """
    text = words.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    elif text.startswith(NOTE) and text.endswith(NOTE):
        text = text.strip(NOTE).strip()
    return f"{NOTE} {text} {NOTE}" if style == "notes" else f"[{text}]"


def music_events(audio: np.ndarray | None, sr: int, start: float, end: float,
                 max_len: float = MAX_EVENT_S) -> list[Caption]:
    """Caption events for music playing from ``start`` to ``end`` (clip seconds).

    Args:
        audio: The music as it plays there (mono or (n, channels)), or None when unknown.
        sr: Its sample rate.
        start: Where it starts on the clip.
        end: Where it ends.
        max_len: Longest event.

    Returns:
        Events of at most ``max_len`` seconds, words in brackets, repeats left out.
    """
    from scorer.music import emotion

    length = end - start
    if length <= 0:
        return []
    pieces = max(1, int(np.ceil(length / max_len - 1e-9)))
    edges = np.linspace(start, end, pieces + 1)
    reading = None
    if audio is not None and len(audio):
        y = np.asarray(audio, dtype=np.float32)
        y = y.mean(axis=1) if y.ndim > 1 else y
        try:
            reading = emotion.read(y, sr, hop_s=1.0)
        except Exception as exc:  # noqa: BLE001 - a caption must not stop the export
            log.warning("music captions: could not read the music (%s); saying [music]", exc)
    out: list[Caption] = []
    for p0, p1 in zip(edges[:-1], edges[1:], strict=True):
        if reading is None:
            words = "music"
        else:
            t = reading.times + start
            inside = (t >= p0) & (t < p1)
            if not inside.any():
                inside = np.abs(t - (p0 + p1) / 2) == np.abs(t - (p0 + p1) / 2).min()
            words = emotion.describe(reading, inside)
        text = f"[{words}]"
        if out and out[-1].text == text:
            continue  # the music goes on as described
        out.append(Caption(float(p0), float(p1), text))
    return out


def known_work(suggestion) -> str:
    """Name a library piece for a caption ("“The Loudon”, traditional"), else "".

    Generated music has no title to give; a library file whose title is only its file name
    ("bright_march") is not a known work either.
    """
    from pathlib import Path

    from scorer.export.cuesheet import clean_title, corpus_work

    if suggestion is None or suggestion.source != "library" or not suggestion.title:
        return ""
    params = suggestion.params or {}
    title = clean_title(suggestion.title)
    file_names = {Path(str(params.get("file", ""))).stem, Path(str(suggestion.path)).stem}
    if not title.strip() or title in file_names:
        return ""
    corpus = corpus_work(params, suggestion.title)
    composer = corpus[0] if corpus else str(params.get("composer") or "")
    if not composer:
        return f"“{title}”"
    return f"“{title}”, {'traditional' if composer == 'Traditional' else composer}"


def build_captions(project: Project, cues: list[CueMusic], tb: Timebase,
                   cue_audio: dict[str, tuple[np.ndarray, int]] | None = None,
                   clip_seconds: float | None = None, style: str = "brackets"
                   ) -> list[Caption]:
    """Return the captions in time order (see the module docstring).

    Args:
        project: The project (its film-music and editor captions).
        cues: The exported cues.
        tb: The clip's timebase (frame snapping).
        cue_audio: Cue number -> (the fitted music as it plays on the cue, sample rate).
        clip_seconds: The clip's length; events end inside it.
        style: "brackets" (default) or "notes".
    """
    cue_audio = cue_audio or {}
    given = [c for c in project.music_captions if c.source == "score"]
    score: list[Caption] = []
    spans: list[tuple[float, float]] = []
    for music in cues:
        start, end = float(tb.seconds(music.in_frame)), float(tb.seconds(music.out_frame))
        spans.append((start, end))
        mine = [c for c in given if c.start < end and c.end > start]
        if mine:
            score.append(Caption(start, min(end, start + MAX_EVENT_S), mine[0].text))
            continue
        audio, sr = cue_audio.get(music.cue.number, (None, 0))
        events = music_events(audio, sr, start, end)
        known = known_work(music.suggestion)
        if events and known:
            words = events[0].text[1:-1]
            events[0].text = f"[{known}: {words}]" if words != "music" else f"[{known}]"
        score += events
    film: list[Caption] = []
    for c in project.music_captions:
        if c.source != "film" or c.end <= c.start:
            continue
        # film music under a score cue is not captioned there: the score is what is heard
        # film captions are project times: onto the output's frame grid first, like the cues
        span = (float(tb.snap(c.start)), float(tb.snap(c.end)))
        # the cue's whole span, not its events: a repeated description leaves a gap there
        for lo, hi in _subtract(span, spans):
            film.append(Caption(lo, min(hi, lo + MAX_EVENT_S), c.text))
    return _finish(score + film, tb, clip_seconds, style)


def _subtract(span: tuple[float, float], covered: list[tuple[float, float]]
              ) -> list[tuple[float, float]]:
    """Parts of ``span`` outside every interval of ``covered``."""
    parts = [span]
    for a, b in sorted(covered):
        nxt = []
        for lo, hi in parts:
            if b <= lo or a >= hi:
                nxt.append((lo, hi))
                continue
            if a > lo:
                nxt.append((lo, a))
            if b < hi:
                nxt.append((b, hi))
        parts = nxt
    return parts


def _finish(caps: list[Caption], tb: Timebase, clip_seconds: float | None,
            style: str) -> list[Caption]:
    """Snap to frames, keep inside the clip, cap at 7 s, remove overlaps, apply the style."""
    limit_frame = tb.frame(clip_seconds) if clip_seconds else None
    max_frames = int(np.floor(Fraction(MAX_EVENT_S).limit_denominator(1000) * tb.rate))
    snapped = []
    def on_grid(seconds: float) -> int:  # output times (from the first frame) to frames
        return round(Fraction(seconds).limit_denominator(10**6) * tb.rate)

    for c in sorted(caps, key=lambda c: (c.start, c.end)):
        a, b = max(0, on_grid(c.start)), on_grid(c.end)
        if limit_frame is not None:
            b = min(b, limit_frame)
        b = min(b, a + max_frames)
        if b > a:
            snapped.append([a, b, c.text])
    out: list[Caption] = []
    last_end = 0
    for a, b, text in snapped:
        a = max(a, last_end)  # never overlap the event before
        if b <= a:
            continue
        out.append(Caption(float(tb.seconds(a)), float(tb.seconds(b)), styled(text, style)))
        last_end = b
    return out


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
