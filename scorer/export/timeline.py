"""Editor timelines built with OpenTimelineIO: .otio, CMX3600 EDL and Final Cut Pro 7 XML.

The timeline holds the picture (the original clip, at its own source timecode) on a video
track, the clip's production sound on an audio track when it has sound, and the score on a
"Music" audio track: each cue's WAV as a clip at its frames, gaps between; optional stem tracks
follow (one per part). Times are whole frames at the clip's rate (``RationalTime(frames,
rate)``) and the timeline starts at the clip's start timecode.

A cue WAV is "spotted": its source timecode is its record timecode (as its BWF timestamp says),
so its source range starts at the frame it plays from. That puts a hit's marker, held on the
cue's clip in source time, at its record timecode, which is what Avid reads from an EDL
``* LOC:`` line, inside its event.

The files are written by OTIO's adapters (otio-cmx3600-adapter, otio-fcp-adapter), never by
hand; where an adapter leaves something out, it is asked for through the metadata it reads
(FCP7: drop-frame ``displayformat``, ``samplecharacteristics``, ``channelcount``,
``sourcetrack``, the sequence ``format``), and only two things are added to their text: the
EDL's ``FCM:`` line and the removal of the second ``<rate>`` the FCP7 adapter repeats inside
each clipitem. Paths: the .otio and the EDL name files relative to the export folder; FCP7 XML
needs ``file://`` URLs (Final Cut and Premiere do not resolve relative ``pathurl``).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio

from scorer.errors import ExportError
from scorer.export.common import CueMusic, Timebase
from scorer.project import Project
from scorer.timebase import frames_to_timecode

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange
FCP = "fcp_xml"


@dataclass
class TimelineMedia:
    """What the timeline points at.

    Attributes:
        out_dir: The export folder (relative paths are relative to it).
        cue_wavs: Cue number -> the cue WAV's name inside ``out_dir``.
        ducked_wavs: Cue number -> the ducked cue WAV's name; a muted track when given.
        stem_wavs: Part name -> {cue number -> stem WAV name}; a muted track per part.
        picture: The source clip (absolute), or None.
        sample_rate: Sample rate of the WAVs.
        bit_depth: Bits per sample of the WAVs.
    """

    out_dir: Path
    cue_wavs: dict[str, str]
    ducked_wavs: dict[str, str] = field(default_factory=dict)
    stem_wavs: dict[str, dict[str, str]] = field(default_factory=dict)
    picture: Path | None = None
    sample_rate: int = 48000
    bit_depth: int = 24


def _rate_element(tb: Timebase) -> dict:
    nominal = round(tb.rate)
    return {"timebase": nominal, "ntsc": "TRUE" if tb.rate.denominator == 1001 else "FALSE"}


def _timecode_meta(tb: Timebase) -> dict:
    # the FCP7 adapter writes drop-frame only when the metadata asks for DF (its rate comes
    # from the time itself: the adapter cannot read a timebase given here)
    return {FCP: {"timecode": {"displayformat": "DF" if tb.drop_frame else "NDF"}}}


def _audio_file_meta(tb: Timebase, media: TimelineMedia, channels: int = 2) -> dict:
    meta = _timecode_meta(tb)
    meta[FCP]["media"] = {"audio": {
        "samplecharacteristics": {"depth": media.bit_depth, "samplerate": media.sample_rate},
        "channelcount": channels}}
    return meta


def build_timeline(project: Project, cues: list[CueMusic], tb: Timebase, media: TimelineMedia,
                   clip_frames: int, notes: list[str] | None = None) -> otio.schema.Timeline:
    """Build the OTIO timeline (relative paths; see the module docstring).

    Args:
        project: The project (title, media description).
        cues: Cues with their music, in time order.
        tb: The clip's timebase.
        media: The files the timeline points at.
        clip_frames: Length of the clip in frames.
        notes: Gets a note for a cue left off the music track because it overlaps the one
            before (a track holds one clip at a time).
    """
    rate = float(tb.rate)

    def rt(frames: int) -> otio.opentime.RationalTime:
        return RT(frames, rate)

    def rel(name: str | Path) -> str:
        return Path(os.path.relpath(media.out_dir / name, media.out_dir)).as_posix()

    info = project.media
    timeline = otio.schema.Timeline(name=project.title or "Score",
                                    global_start_time=rt(tb.start_frame))
    timeline.metadata["scorer"] = {"rate": str(tb.rate), "drop_frame": tb.drop_frame,
                                   "start_timecode": tb.start_timecode}
    video_format = {"rate": _rate_element(tb), "pixelaspectratio": "square",
                    "fielddominance": "none"}
    if info is not None and info.width and info.height:
        video_format.update(width=info.width, height=info.height)
    timeline.metadata[FCP] = {
        **_timecode_meta(tb)[FCP],
        "media": {"video": {"format": {"samplecharacteristics": video_format}},
                  "audio": {"format": {"samplecharacteristics": {
                      "depth": media.bit_depth, "samplerate": media.sample_rate}}}}}
    tracks: list[otio.schema.Track] = []
    if media.picture is not None and clip_frames > 0:
        # the picture at its own source timecode (the clip's embedded start timecode)
        source = TR(rt(tb.start_frame), rt(clip_frames))
        picture_url = Path(os.path.relpath(media.picture, media.out_dir)).as_posix()
        video = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
        ref_meta = _timecode_meta(tb)
        has_sound = bool(info is not None and info.has_audio)
        ref_meta[FCP]["media"] = {"video": {"samplecharacteristics": video_format}}
        if has_sound:
            ref_meta[FCP]["media"]["audio"] = {
                "samplecharacteristics": {"depth": 16,
                                          "samplerate": info.audio_rate or media.sample_rate},
                "channelcount": max(1, info.audio_channels or 2)}
        reference = otio.schema.ExternalReference(target_url=picture_url,
                                                  available_range=source, metadata=ref_meta)
        video.append(otio.schema.Clip(
            name=media.picture.stem, media_reference=reference, source_range=source,
            metadata={FCP: {"sourcetrack": {"mediatype": "video"}}}))
        tracks.append(video)
        if has_sound:
            sound = otio.schema.Track(name="Production Sound", kind=otio.schema.TrackKind.Audio)
            sound.append(otio.schema.Clip(
                name=media.picture.stem, media_reference=copy.deepcopy(reference),
                source_range=source,
                metadata={FCP: {"sourcetrack": {"mediatype": "audio", "trackindex": 1}}}))
            tracks.append(sound)
    music = _cue_track("Music", cues, {c: rel(n) for c, n in media.cue_wavs.items()}, tb, media,
                       notes, markers=True)
    tracks.append(music)
    # alternates, muted: they would double the music (stems sum to the ducked score)
    alternates = [("Music (ducked)", media.ducked_wavs)] + [
        (f"Stem {part}", names) for part, names in media.stem_wavs.items()]
    for name, names in alternates:
        if names:
            track = _cue_track(name, cues, {c: rel(n) for c, n in names.items()}, tb, media,
                               None, markers=False)
            track.enabled = False
            track.metadata[FCP] = {"enabled": "FALSE"}
            tracks.append(track)
    for item in cues:
        if not any(c.metadata.get("scorer", {}).get("cue") == item.cue.number
                   for c in music.find_clips()):
            continue
        timeline.tracks.markers.append(otio.schema.Marker(
            name=item.cue.number,
            marked_range=TR(rt(item.in_frame), rt(item.out_frame - item.in_frame)),
            color=otio.schema.MarkerColor.RED,
            metadata={"scorer": {"title": item.cue.title,
                                 "start_timecode": tb.timecode(item.in_frame)}}))
    timeline.tracks.extend(tracks)
    return timeline


def _cue_track(name: str, cues: list[CueMusic], urls: dict[str, str], tb: Timebase,
               media: TimelineMedia, notes: list[str] | None,
               markers: bool) -> otio.schema.Track:
    rate = float(tb.rate)
    track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
    position = 0
    for item in cues:
        cue = item.cue
        if cue.number not in urls:
            continue
        if item.in_frame < position:
            if notes is not None:
                notes.append(f"{cue.number}: overlaps the cue before; left off the timeline")
            continue
        if item.in_frame > position:
            track.append(otio.schema.Gap(source_range=TR(RT(0, rate),
                                                         RT(item.in_frame - position, rate))))
        length = item.out_frame - item.in_frame
        # spotted: the WAV's source timecode is where it plays (its BWF timestamp)
        spot = TR(RT(tb.start_frame + item.in_frame, rate), RT(length, rate))
        title = cue.title or item.suggestion.title
        clip = otio.schema.Clip(
            name=f"{cue.number} {title}".strip(),
            media_reference=otio.schema.ExternalReference(
                target_url=urls[cue.number], available_range=spot,
                metadata=_audio_file_meta(tb, media)),
            source_range=spot,
            metadata={"scorer": {"cue": cue.number, "suggestion": item.suggestion.id,
                                 "source": item.suggestion.source,
                                 "valence": cue.valence, "arousal": cue.arousal},
                      FCP: {"sourcetrack": {"mediatype": "audio", "trackindex": 1}}})
        if markers:
            for i, hit in enumerate(sorted(cue.hit_points), 1):
                frame = tb.frame(hit)
                if item.in_frame <= frame < item.out_frame:
                    clip.markers.append(otio.schema.Marker(
                        name=f"{cue.number} hit {i}",
                        marked_range=TR(RT(tb.start_frame + frame, rate), RT(0, rate)),
                        color=otio.schema.MarkerColor.YELLOW))
        track.append(clip)
        position = item.out_frame
    return track


def otio_text(timeline: otio.schema.Timeline) -> str:
    """Serialise as OTIO JSON."""
    return otio.adapters.write_to_string(timeline, "otio_json")


def edl_text(timeline: otio.schema.Timeline, tb: Timebase) -> str:
    """Write the music track as a CMX3600 EDL through OTIO's adapter, with its FCM line.

    Raises:
        ExportError: If the adapter cannot represent the timeline.
    """
    # OTIO's adapter writes drop-frame whenever the rate is 29.97 or 59.94; non-drop labels at
    # those rates are the labels of the nominal rate (30, 60) for the same frame counts
    rate = float(tb.rate) if tb.drop_frame else float(round(tb.rate))
    music = next(t for t in timeline.tracks if t.name == "Music")
    video = next((t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video), None)
    edl = otio.schema.Timeline(name=timeline.name)
    for track in (music, video):
        copied = _at_rate(track, rate) if track is not None else otio.schema.Track(
            name="Picture", kind=otio.schema.TrackKind.Video)
        if tb.start_frame:  # the adapter counts record time from 0: shift by the start TC
            copied.insert(0, otio.schema.Gap(source_range=TR(RT(0, rate),
                                                             RT(tb.start_frame, rate))))
        edl.tracks.append(copied)
    try:
        text = otio.adapters.write_to_string(edl, "cmx_3600", rate=rate)
    except (otio.exceptions.OTIOError, ValueError) as exc:
        raise ExportError(f"the EDL adapter refused the timeline ({exc})") from exc
    # the adapter writes no frame code mode; Avid and Resolve read it from this line
    fcm = "FCM: DROP FRAME" if tb.drop_frame else "FCM: NON-DROP FRAME"
    lines = text.splitlines()
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    lines.insert(at, fcm)
    return "\n".join(lines) + "\n"


def _at_rate(track: otio.schema.Track, rate: float) -> otio.schema.Track:
    """Copy a track with every time's frame count kept and its rate replaced."""

    def moved(time_range: otio.opentime.TimeRange) -> otio.opentime.TimeRange:
        return TR(RT(time_range.start_time.value, rate), RT(time_range.duration.value, rate))

    copied = copy.deepcopy(track)
    for item in copied:
        item.source_range = moved(item.source_range)
        if isinstance(item, otio.schema.Clip):
            ref = item.media_reference
            if ref.available_range is not None:
                ref.available_range = moved(ref.available_range)
            for marker in item.markers:
                marker.marked_range = moved(marker.marked_range)
    return copied


def fcp7_text(timeline: otio.schema.Timeline, out_dir: Path) -> str:
    """Write Final Cut Pro 7 XML (xmeml) through OTIO's adapter.

    Args:
        timeline: The timeline from :func:`build_timeline`.
        out_dir: The export folder (relative paths become ``file://`` URLs from it).
    """
    fcp = copy.deepcopy(timeline)
    for clip in fcp.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.ExternalReference) and "://" not in ref.target_url:
            ref.target_url = (Path(out_dir) / ref.target_url).resolve().as_uri()
        # FCP7 counts clip markers from the media's first frame, not in source timecode
        start = ref.available_range.start_time if ref.available_range else None
        for marker in clip.markers:
            if start is not None:
                marker.marked_range = TR(marker.marked_range.start_time - start,
                                         marker.marked_range.duration)
    try:
        text = otio.adapters.write_to_string(fcp, "fcp_xml")
    except (otio.exceptions.OTIOError, ValueError) as exc:
        raise ExportError(f"the FCP7 XML adapter refused the timeline ({exc})") from exc
    return _one_rate_per_clipitem(text)


def _one_rate_per_clipitem(text: str) -> str:
    head, _, body = text.partition("<xmeml")
    root = ElementTree.fromstring("<xmeml" + body)
    for item in root.iter("clipitem"):
        rates = item.findall("rate")
        for extra in rates[1:]:
            item.remove(extra)
    ElementTree.indent(root, space="  ")
    return head + ElementTree.tostring(root, encoding="unicode") + "\n"


def record_timecode(tb: Timebase, frame: int) -> str:
    """Record timecode of a clip frame, as written in the EDL."""
    return frames_to_timecode(tb.start_frame + frame, tb.rate, tb.drop_frame)
