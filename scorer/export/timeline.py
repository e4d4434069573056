"""Editor timelines built with OpenTimelineIO: .otio, CMX3600 EDL and Final Cut Pro 7 XML.

The timeline holds the picture (the original clip) on a video track and the score on a
"Music" audio track: each cue's rendered WAV as a clip at its frames, gaps between. Times are
whole frames at the clip's rate (``RationalTime(frames, rate)``) and the timeline starts at the
clip's start timecode. Markers: one per cue on the timeline (its range, named by cue number)
and one per hit point on the cue's clip.

The EDL and XML are written by OTIO's adapters (otio-cmx3600-adapter, otio-fcp-adapter), never
by hand. The CMX3600 adapter writes only the first track and counts record time from zero, so
the EDL is made from a copy whose music track comes first and starts with a gap as long as the
start timecode; its timecode is drop-frame at 29.97 (';' before the frames), as OTIO infers
from the rate.
"""

from __future__ import annotations

import copy
from pathlib import Path

import opentimelineio as otio

from scorer.errors import ExportError
from scorer.export.common import CueMusic, Timebase
from scorer.project import Project

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange


def build_timeline(project: Project, cues: list[CueMusic], tb: Timebase,
                   wav_paths: dict[str, Path], clip_frames: int,
                   notes: list[str] | None = None) -> otio.schema.Timeline:
    """Build the OTIO timeline.

    Args:
        project: The project (title, media path).
        cues: Cues with their music, in time order.
        tb: The clip's timebase.
        wav_paths: Cue number -> final path of the cue's rendered WAV.
        clip_frames: Length of the clip in frames.
        notes: Gets a note for a cue left off the music track because it overlaps the one
            before (a track holds one clip at a time).
    """
    rate = float(tb.rate)

    def rt(frames: int) -> otio.opentime.RationalTime:
        return RT(frames, rate)

    timeline = otio.schema.Timeline(name=project.title or "Score",
                                    global_start_time=rt(tb.start_frame))
    timeline.metadata["scorer"] = {"rate": str(tb.rate), "drop_frame": tb.drop_frame,
                                   "start_timecode": tb.start_timecode}
    video = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    if project.media is not None and project.media.path and clip_frames > 0:
        source = Path(project.media.path).resolve()
        video.append(otio.schema.Clip(
            name=source.stem,
            media_reference=otio.schema.ExternalReference(
                target_url=source.as_uri(), available_range=TR(rt(0), rt(clip_frames))),
            source_range=TR(rt(0), rt(clip_frames))))
    music = otio.schema.Track(name="Music", kind=otio.schema.TrackKind.Audio)
    position = 0
    for item in cues:
        cue = item.cue
        if item.in_frame < position:
            if notes is not None:
                notes.append(f"{cue.number}: overlaps the cue before; left off the timeline")
            continue
        if item.in_frame > position:
            music.append(otio.schema.Gap(source_range=TR(rt(0), rt(item.in_frame - position))))
        length = item.out_frame - item.in_frame
        wav = wav_paths[cue.number]
        clip = otio.schema.Clip(
            name=f"{cue.number} {cue.title or item.suggestion.title}".strip(),
            media_reference=otio.schema.ExternalReference(
                target_url=wav.resolve().as_uri(), available_range=TR(rt(0), rt(length))),
            source_range=TR(rt(0), rt(length)),
            metadata={"scorer": {"cue": cue.number, "suggestion": item.suggestion.id,
                                 "source": item.suggestion.source,
                                 "valence": cue.valence, "arousal": cue.arousal}})
        for i, hit in enumerate(sorted(cue.hit_points), 1):
            frame = tb.frame(hit) - item.in_frame
            if 0 <= frame < length:
                clip.markers.append(otio.schema.Marker(
                    name=f"{cue.number} hit {i}", marked_range=TR(rt(frame), rt(0)),
                    color=otio.schema.MarkerColor.YELLOW))
        music.append(clip)
        timeline.tracks.markers.append(otio.schema.Marker(
            name=cue.number, marked_range=TR(rt(item.in_frame), rt(length)),
            color=otio.schema.MarkerColor.RED,
            metadata={"scorer": {"title": cue.title, "start_timecode": tb.timecode(
                item.in_frame)}}))
        position = item.out_frame
    if len(video):
        timeline.tracks.append(video)
    timeline.tracks.append(music)
    return timeline


def otio_text(timeline: otio.schema.Timeline) -> str:
    """Serialise as OTIO JSON."""
    return otio.adapters.write_to_string(timeline, "otio_json")


def edl_text(timeline: otio.schema.Timeline, tb: Timebase) -> str:
    """Write the music track as a CMX3600 EDL through OTIO's adapter.

    Raises:
        ExportError: If the adapter cannot represent the timeline.
    """
    rate = float(tb.rate)
    music = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio)
    video = next((t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video), None)
    edl = otio.schema.Timeline(name=timeline.name)
    for track in (music, video):
        copied = copy.deepcopy(track) if track is not None else otio.schema.Track(
            name="Picture", kind=otio.schema.TrackKind.Video)
        if tb.start_frame:  # the adapter counts record time from 0: shift by the start TC
            copied.insert(0, otio.schema.Gap(source_range=TR(RT(0, rate),
                                                             RT(tb.start_frame, rate))))
        edl.tracks.append(copied)
    try:
        return otio.adapters.write_to_string(edl, "cmx_3600", rate=rate)
    except (otio.exceptions.OTIOError, ValueError) as exc:
        raise ExportError(f"the EDL adapter refused the timeline ({exc})") from exc


def fcp7_text(timeline: otio.schema.Timeline) -> str:
    """Write Final Cut Pro 7 XML (xmeml) through OTIO's adapter."""
    try:
        return otio.adapters.write_to_string(timeline, "fcp_xml")
    except (otio.exceptions.OTIOError, ValueError) as exc:
        raise ExportError(f"the FCP7 XML adapter refused the timeline ({exc})") from exc
