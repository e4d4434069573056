"""The music lane: where each cue's music plays, ends and falls silent, with its notes.

For every cue, the music the export would deliver (:func:`scorer.export.common.select_music`:
the chosen suggestion, else the top-scored one) is measured: how long the file plays from the
cue's start, so the lane can show the music, the silence after a piece that ends early, and
the fade at the cue's end. MIDI files also give their notes (time, pitch, velocity), drawn as
a small piano roll so the editor previews the chosen music on the timeline without playing it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

log = logging.getLogger(__name__)

MAX_NOTES = 4000  # per cue: enough for a dense minute; the roll is a preview
FADE_OUT_S = 0.3  # the export's fade at a cue's end (scorer.export.mixdown.FADE_OUT)


@dataclass
class LaneNote:
    """One note of the preview, in clip time."""

    start: float
    end: float
    pitch: int
    velocity: int


@dataclass
class LaneItem:
    """The music of one cue as the lane draws it.

    Attributes:
        cue: Cue number.
        suggestion: The suggestion that plays (id).
        title: Its title.
        source: "library" or "generated".
        start: Cue start (s, clip time).
        end: Cue end (s).
        music_end: Where the music itself stops (<= end; earlier if the piece is short).
        fade_start: Where the fade-out at the cue's end begins.
        notes: MIDI notes clipped to the cue (empty for audio).
        locked: Whether the editor locked this choice.
        chosen: Whether the editor chose it (else it is the top-scored suggestion).
    """

    cue: str
    suggestion: str
    title: str
    source: str
    start: float
    end: float
    music_end: float
    fade_start: float
    notes: list[LaneNote] = field(default_factory=list)
    locked: bool = False
    chosen: bool = False


def _midi_notes(path: Path) -> tuple[float, list[tuple[float, float, int, int]]]:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(str(path))
    notes = [(n.start, n.end, n.pitch, n.velocity)
             for inst in pm.instruments if not inst.is_drum for n in inst.notes]
    notes.sort()
    return float(pm.get_end_time()), notes[:MAX_NOTES]


def _audio_length(path: Path) -> float:
    import soundfile

    try:
        info = soundfile.info(str(path))
        return info.frames / float(info.samplerate)
    except (RuntimeError, soundfile.LibsndfileError):
        from scorer import media

        return float(Fraction(media.probe(path).duration))


def music_lane(project, project_path: str | Path | None) -> list[LaneItem]:
    """Return the lane's items in time order (cues without playable music are left out)."""
    from scorer.export.common import project_timebase, select_music

    notes_out: list[str] = []
    items = []
    for music in select_music(project, project_path, project_timebase(project), notes_out):
        cue, sug = music.cue, music.suggestion
        try:
            if music.kind == "midi":
                length, notes = _midi_notes(music.path)
            else:
                length, notes = _audio_length(music.path), []
        except Exception as exc:  # noqa: BLE001 - an unreadable file only loses its preview
            log.info("no preview of %s: %s", music.path, exc)
            continue
        end = cue.end + max(0.0, cue.crossfade)  # a crossfade runs on under the next cue
        music_end = min(end, cue.start + max(0.0, length))
        fade = FADE_OUT_S if cue.fade_out is None else cue.fade_out
        items.append(LaneItem(
            cue=cue.number, suggestion=sug.id, title=sug.title, source=sug.source,
            start=cue.start, end=end, music_end=music_end,
            fade_start=max(cue.start, min(music_end, end - fade)),
            notes=[LaneNote(cue.start + s, min(cue.start + e, music_end), p, v)
                   for s, e, p, v in notes if cue.start + s < music_end],
            locked=cue.locked, chosen=bool(cue.choice) and cue.choice == sug.id))
    return items
