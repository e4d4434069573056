"""Every deliverable agrees with ``scorer cues`` to the frame, read back by other tools' libraries.

At 23.976, 24, 25, 29.97 DF, 29.97 NDF and 59.94 DF, each from 00:00:00:00 and 01:00:00:00, and
for a clip whose first frame is not at 0 s (as the Sintel trailer's, at 0.033 s). Cues sit at
the Sintel trailer's cut frames (76, 121, 319, 457, 545); project times are stored as the
planner stores them (container time, rounded to 0.1 ms). Expected labels come from
OpenTimelineIO's own timecode code (a second implementation), plus hand-written SMPTE labels.
Cue titles carry an em dash, accents, a music note and CJK text.
"""

from __future__ import annotations

import csv
import re
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import av
import mido
import numpy as np
import opentimelineio as otio
import pytest
import soundfile
import srt
import webvtt

from scorer import project as project_io
from scorer.cli import main
from scorer.export import export_project
from scorer.project import Cue, MediaInfo, Project, Suggestion

TITLES = ["Dvořák — ♪ 夜明け", "Café «Noël»", "Ça va — 你好"]
# (rate, drop-frame, start label)
CASES = {
    "23.976@0": ("24000/1001", False, "00:00:00:00"),
    "23.976@1h": ("24000/1001", False, "01:00:00:00"),
    "24@0": ("24", False, "00:00:00:00"),
    "24@1h": ("24", False, "01:00:00:00"),
    "25@0": ("25", False, "00:00:00:00"),
    "25@1h": ("25", False, "01:00:00:00"),
    "29.97df@0": ("30000/1001", True, "00:00:00;00"),
    "29.97df@1h": ("30000/1001", True, "01:00:00;00"),
    "29.97ndf@0": ("30000/1001", False, "00:00:00:00"),
    "29.97ndf@1h": ("30000/1001", False, "01:00:00:00"),
    "59.94df@0": ("60000/1001", True, "00:00:00;00"),
    "59.94df@1h": ("60000/1001", True, "01:00:00;00"),
    # first frame at 0.033 s on the container's clock (as the Sintel trailer's)
    "25@0+offset": ("25", False, "00:00:00:00"),
}
CUES = [(76, 121, 100), (121, 319, 300), (457, 545, 500)]  # in, out, hit (clip frames)
# hand-written labels (SMPTE rules) for a few cases: 1M3's in point, frame 457
HAND = {"25@1h": "01:00:18:07", "29.97df@0": "00:00:15;07", "29.97ndf@1h": "01:00:15:07",
        "59.94df@1h": "01:00:07;37", "24@0": "00:00:19:01"}


def make_midi(path, bpm: float, beats: int, program: int = 0) -> None:
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))]))
    track = mido.MidiTrack([mido.Message("program_change", program=program)])
    for i in range(beats):
        note = 60 + (0, 4, 7)[i % 3]
        track.append(mido.Message("note_on", note=note, velocity=100))
        track.append(mido.Message("note_off", note=note, velocity=0, time=480))
    mid.tracks.append(track)
    mid.save(str(path))


def otio_label(frames: int, rate: Fraction, drop: bool) -> str:
    return otio.opentime.to_timecode(otio.opentime.RationalTime(frames, float(rate)),
                                     float(rate), drop)


def frame_of(seconds: float, rate: Fraction) -> int:
    return round(seconds * float(rate))


def make_case(folder, key):
    rate_text, drop, start_label = CASES[key]
    rate = Fraction(rate_text)
    origin = Fraction(33, 1000) if "offset" in key else Fraction(0)
    folder.mkdir(parents=True, exist_ok=True)
    make_midi(folder / "a.mid", 120, 8)
    p = Project(title="Frame Test", media=MediaInfo(
        path="missing.mp4", fps=rate_text, duration=str(float(600 / rate)), has_video=True,
        has_audio=True, audio_rate=48000, audio_channels=2, start_timecode=start_label,
        start_time=str(origin)))
    p.settings["export"] = {"drop_frame": drop}

    def at(frame):  # container time, as the planner stores it
        return round(float(origin + frame / rate), 4)

    for i, ((a, b, hit), title) in enumerate(zip(CUES, TITLES, strict=True), 1):
        p.cues.append(Cue(f"1M{i}", at(a), at(b), hit_points=[at(hit)], title=title,
                          tempo=120))
        p.suggestions.append(Suggestion(f"s{i}", f"1M{i}", "generated", title, path="a.mid",
                                        score=1.0))
    p.cue_sheet = {"production_title": "Frame Test — 試験", "composer": "Antonín Dvořák"}
    path = folder / "frames.scorer.json"
    project_io.save(p, path)
    return p, path, rate, drop, start_label


# every rate once in the default run (alternating starts); the other start is slow
SLOW = {"23.976@0", "24@1h", "25@0", "29.97df@0", "29.97ndf@1h", "59.94df@0"}


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k
                                 for k in CASES])
def test_every_deliverable_on_the_same_frames(tmp_path, key, capsys):
    p, path, rate, drop, start_label = make_case(tmp_path / "proj", key)
    start = otio.opentime.from_timecode(start_label, float(rate)).to_frames()
    labels = {i: otio_label(start + i, rate, drop) for c in CUES for i in c}
    if key in HAND:
        assert labels[457] == HAND[key]  # the oracle agrees with SMPTE by hand
    ins = [labels[a] for a, _, _ in CUES]
    outs = [labels[b] for _, b, _ in CUES]

    # --- scorer cues
    assert main(["cues", str(path)]) == 0
    table = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in table if re.match(r"^1M\d", line)]
    assert [r[1] for r in rows] == ins and [r[2] for r in rows] == outs

    out = tmp_path / "out"
    report = export_project(p, path, "midi,cuesheet,otio,edl,fcp7,srt", out)
    assert report.cues == ["1M1", "1M2", "1M3"]
    stem = "Frame_Test"

    # --- cue sheet: csv, openpyxl, pypdf
    csv_rows = list(csv.reader((out / f"{stem}_cuesheet.csv").read_text("utf-8-sig")
                               .splitlines()))
    head = next(i for i, r in enumerate(csv_rows) if r and r[0] == "Seq")
    sheet = [dict(zip(csv_rows[head], r, strict=False)) for r in csv_rows[head + 1:] if r]
    assert [r["Timing In"] for r in sheet] == ins
    assert [r["Timing Out"] for r in sheet] == outs
    assert [r["Title"] for r in sheet] == TITLES

    from openpyxl import load_workbook
    ws = load_workbook(out / f"{stem}_cuesheet.xlsx").active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    seq = next(i for i, r in enumerate(values) if r[0] == "Seq")
    col_in, col_title = values[seq].index("Timing In"), values[seq].index("Title")
    assert [values[seq + 1 + i][col_in] for i in range(3)] == ins
    assert [values[seq + 1 + i][col_title] for i in range(3)] == TITLES

    import pypdf
    text = "".join(pg.extract_text() for pg in pypdf.PdfReader(out / f"{stem}_cuesheet.pdf")
                   .pages)
    flat = re.sub(r"\s+", "", text)
    for label in ins + outs:
        assert label in flat
    for title in TITLES + ["Antonín Dvořák"]:
        assert re.sub(r"\s+", "", title) in flat, title

    # --- MIDI (mido): markers (FF 06) for cues and hits on their frames
    mid = mido.MidiFile(out / f"{stem}_score.mid", charset="utf-8")
    conductor = list(mid.tracks[0])
    events, tick = [], 0
    for msg in conductor:
        tick += msg.time
        events.append((tick, msg))

    def seconds_at(target):
        tempo, last, secs = 500000, 0, 0.0
        for t, msg in events:
            if t > target:
                break
            if msg.type == "set_tempo":
                secs += mido.tick2second(t - last, 480, tempo)
                tempo, last = msg.tempo, t
        return secs + mido.tick2second(target - last, 480, tempo)

    markers = {m.text: frame_of(seconds_at(t), rate) for t, m in events if m.type == "marker"}
    for i, (a, _, hit) in enumerate(CUES, 1):
        assert markers[f"1M{i} {TITLES[i - 1]}"] == a
        assert markers[f"1M{i} hit 1"] == hit
    smpte = next(m for _, m in events if m.type == "smpte_offset")
    assert smpte.hours == int(start_label[:2])

    # --- OTIO
    tl = otio.adapters.read_from_file(str(out / f"{stem}.otio"))
    assert tl.global_start_time.value == start
    music = next(t for t in tl.tracks if t.name == "Music")
    clips = list(music.find_clips())
    assert [c.range_in_parent().start_time.value for c in clips] == [a for a, _, _ in CUES]
    assert [c.range_in_parent().end_time_exclusive().value for c in clips] == [
        b for _, b, _ in CUES]
    assert [c.name.split(" ", 1)[1] for c in clips] == TITLES
    for clip, (a, b, hit) in zip(clips, CUES, strict=True):
        assert clip.source_range.start_time.value == start + a  # spotted to record TC
        assert clip.metadata["scorer"]["cue"] == clip.name.split()[0]
        assert [m.marked_range.start_time.value for m in clip.markers] == [start + hit]
        assert not clip.media_reference.target_url.startswith("file:")  # relative
        wav = out / clip.media_reference.target_url
        info = soundfile.info(str(wav))
        assert info.samplerate == 48000
        rings_on = any(c[0] == b for c in CUES)  # joined to the next cue: 0.5 s crossfade
        assert info.frames == pytest.approx(float((b - a) / rate) * 48000 + 24000 * rings_on,
                                            abs=1)
        with av.open(str(wav)) as container:  # BWF bext time reference, read by FFmpeg
            reference = int(container.metadata["time_reference"])
        assert reference == round((start + a) / rate * 48000)

    # the picture and its production sound at the clip's own source timecode
    picture = next(t for t in tl.tracks if t.name == "Picture")
    sound = next(t for t in tl.tracks if t.name == "Production Sound")
    for track in (picture, sound):
        clip = next(iter(track.find_clips()))
        assert clip.source_range.start_time.value == start
        assert clip.range_in_parent().start_time.value == 0

    # --- EDL: FCM line, record timecode, LOC in record timecode inside its event
    edl = (out / f"{stem}.edl").read_text("utf-8")
    for title in TITLES:
        assert f"* FROM CLIP NAME:  1M{TITLES.index(title) + 1} {title}" in edl
    assert ("FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME") in edl.splitlines()[:3]
    events_rec = re.findall(r"^(\d{3})\s+\S+\s+A\s+C\s+(\S+) (\S+) (\S+) (\S+)$", edl, re.M)
    assert [e[3] for e in events_rec] == ins and [e[4] for e in events_rec] == outs
    locs = re.findall(r"^\* LOC: (\S+)", edl, re.M)
    assert locs == [labels[hit] for _, _, hit in CUES]
    blocks = re.split(r"^(?=\d{3}\s)", edl, flags=re.M)[1:]
    for block, (_, _, hit) in zip(blocks, CUES, strict=True):
        assert f"* LOC: {labels[hit]}" in block
    edl_rate = float(rate) if drop or rate.denominator == 1 else float(round(rate))
    back = otio.adapters.read_from_file(str(out / f"{stem}.edl"), rate=edl_rate)
    assert [c.source_range.duration.value for c in back.find_clips()] == [
        b - a for a, b, _ in CUES]

    # --- FCP7 XML: read by OTIO's adapter, and the elements an NLE needs
    xml = otio.adapters.read_from_file(str(out / f"{stem}_fcp7.xml"))
    xml_music = [c for t in xml.tracks if t.kind == otio.schema.TrackKind.Audio
                 and t.metadata.get("fcp_xml", {}).get("enabled") != "FALSE"  # not alternates
                 for c in t.find_clips() if c.name.startswith("1M")]  # not production sound
    assert [c.range_in_parent().start_time.value for c in xml_music] == [a for a, _, _ in CUES]
    root = ElementTree.parse(out / f"{stem}_fcp7.xml").getroot()
    sequence = root.find(".//sequence")
    seq_tc = sequence.find("timecode")
    assert seq_tc.findtext("string") == otio_label(start, rate, drop)
    assert seq_tc.findtext("displayformat") == ("DF" if drop else "NDF")
    assert seq_tc.findtext("frame") == str(start)
    cue_items = [i for i in root.iter("clipitem") if i.findtext("name").startswith("1M")]
    assert len(cue_items) == 3
    for item in root.iter("clipitem"):
        assert len(item.findall("rate")) == 1
        assert item.find("sourcetrack/mediatype").text in ("audio", "video")
    for item, (a, _, hit) in zip(cue_items, CUES, strict=True):
        # FCP7 counts a clip's markers from its media's first frame
        assert [int(m.findtext("in")) for m in item.findall("marker")] == [hit - a]
        assert item.find("sourcetrack/mediatype").text == "audio"
        file_e = item.find("file")
        if file_e.find("pathurl") is not None:
            assert file_e.findtext("pathurl").startswith("file://")
            assert file_e.findtext("media/audio/samplecharacteristics/samplerate") == "48000"
            assert file_e.findtext("media/audio/channelcount") == "2"
            assert file_e.findtext("timecode/displayformat") == ("DF" if drop else "NDF")
    fmt = sequence.find("media/video/format/samplecharacteristics")
    assert fmt is not None and fmt.findtext("rate/timebase") == str(round(rate))
    assert sequence.findtext("media/audio/format/samplecharacteristics/samplerate") == "48000"
    titles_in_xml = [item.findtext("name").split(" ", 1)[1] for item in cue_items]
    video_item = next(i for i in root.iter("clipitem")
                      if i.findtext("sourcetrack/mediatype") == "video")
    assert video_item.findtext("file/timecode/string") == otio_label(start, rate, drop)
    assert video_item.findtext("file/media/audio/channelcount") == "2"
    sound_items = [i for i in root.iter("clipitem")
                   if i.findtext("sourcetrack/mediatype") == "audio"
                   and not i.findtext("name").startswith("1M")]
    assert len(sound_items) == 1
    assert titles_in_xml == TITLES

    # --- captions: srt and webvtt-py, times from the clip's first frame
    subs = list(srt.parse((out / f"{stem}_music.srt").read_text("utf-8")))
    # each cue starts a caption on its own frame; a long cue's music may take several events
    # (at most 7 s each, a new one where the music's description changes)
    sub_frames = [(frame_of(s.start.total_seconds(), rate), frame_of(s.end.total_seconds(), rate))
                  for s in subs]
    assert {a for a, _, _ in CUES} <= {a for a, _ in sub_frames}
    assert all(any(a <= x < y <= b for a, b, _ in CUES) for x, y in sub_frames)
    assert max(y for _, y in sub_frames) == max(b for _, b, _ in CUES)
    vtt = webvtt.read(str(out / f"{stem}_music.vtt"))
    starts = []
    for caption in vtt:
        h, m, s = caption.start.split(":")
        starts.append(frame_of(int(h) * 3600 + int(m) * 60 + float(s), rate))
    assert starts == [a for a, _ in sub_frames]


def make_offset_video(path, rate: int = 25, frames: int = 50, first_pts: int = 2970) -> None:
    """An MP4 whose first frame is at first_pts/90000 s (0.033 s), as the Sintel trailer's."""
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        video.codec_context.time_base = Fraction(1, 90000)
        video.time_base = Fraction(1, 90000)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((36, 64, 3), (i * 5) % 250, np.uint8), format="rgb24")
            frame.pts, frame.time_base = first_pts + i * 90000 // rate, Fraction(1, 90000)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)


def _save_with_generated_music(p: Project, folder) -> Path:
    """Give every cue the generated test MIDI ``a.mid`` and save the project in ``folder``."""
    p.suggestions = [Suggestion(f"s{i}", c.number, "generated", "x", path="a.mid")
                     for i, c in enumerate(p.cues)]
    path = folder / "offset.scorer.json"
    project_io.save(p, path)
    return path


def _cue_rows(capsys) -> list[tuple[str, str]]:
    """(in, out) timecodes of the cues `scorer cues` printed."""
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("1M")]
    return [(r[1], r[2]) for r in rows]


def test_first_frame_not_at_zero_through_probe(tmp_path, capsys):
    from scorer.media import probe

    folder = tmp_path / "p"
    folder.mkdir()
    make_offset_video(folder / "clip.mp4")
    make_midi(folder / "a.mid", 120, 4)
    with av.open(str(folder / "clip.mp4")) as container:  # the frames' own times
        stream = container.streams.video[0]
        times = [float(f.pts * stream.time_base) for f in container.decode(stream)]
    assert times[0] == pytest.approx(0.033)
    p = Project(title="Offset", media=probe(folder / "clip.mp4"))
    assert Fraction(p.media.start_time) == Fraction(33, 1000)
    p.media.start_time = ""  # a project made before the field: read from the clip again
    # cues from frame 10 to 30 and 30 to 45, times as the pipeline reports them (the pts)
    p.cues = [Cue("1M1", round(times[10], 4), round(times[30], 4), title="A"),
              Cue("1M2", round(times[30], 4), round(times[45], 4), title="B")]
    path = _save_with_generated_music(p, folder)
    assert main(["cues", str(path)]) == 0
    assert _cue_rows(capsys) == [("00:00:00:10", "00:00:01:05"),
                                 ("00:00:01:05", "00:00:01:20")]
    out = tmp_path / "out"
    export_project(p, path, "cuesheet,edl,srt,wav", out)
    _, sheet_rows = _csv_rows(out / "Offset_cuesheet.csv")
    assert [r["Timing In"] for r in sheet_rows] == ["00:00:00:10", "00:00:01:05"]
    edl = (out / "Offset.edl").read_text("utf-8")
    assert re.findall(r"A\s+C\s+\S+ \S+ (\S+) (\S+)$", edl, re.M) == [
        ("00:00:00:10", "00:00:01:05"), ("00:00:01:05", "00:00:01:20")]
    subs = list(srt.parse((out / "Offset_music.srt").read_text("utf-8")))
    assert {10, 30} <= {round(s.start.total_seconds() * 25) for s in subs}
    assert min(round(s.start.total_seconds() * 25) for s in subs) == 10
    # the stem starts at the first frame: music from sample 10/25 s, silence before
    stem, sr = soundfile.read(out / "Offset_score.wav", always_2d=True)
    onset = int((abs(stem).max(axis=1) > 1e-4).argmax())
    assert onset == pytest.approx(10 / 25 * sr, abs=sr * 0.005)


def test_first_cue_at_zero_before_the_first_frame_exports(tmp_path, capsys):
    # the planner starts the first cue at 0 s; the Sintel trailer's first frame is at 0.033 s:
    # the cue starts on frame 0 everywhere (it was frame -1: `cues` and `export` failed)
    folder = tmp_path / "p"
    folder.mkdir()
    make_offset_video(folder / "clip.mp4")
    make_midi(folder / "a.mid", 120, 4)
    from scorer.media import probe

    p = Project(title="Offset", media=probe(folder / "clip.mp4"))
    assert Fraction(p.media.start_time) == Fraction(33, 1000)
    p.cues = [Cue("1M1", 0.0, 1.2333, title="A", hits=[0.0]),
              Cue("1M2", 1.2333, 1.8333, title="B")]
    path = _save_with_generated_music(p, folder)
    assert main(["cues", str(path)]) == 0
    assert _cue_rows(capsys) == [("00:00:00:00", "00:00:01:05"),
                                 ("00:00:01:05", "00:00:01:20")]
    out = tmp_path / "out"
    export_project(p, path, "midi,cuesheet,edl,fcp7,otio,srt,wav", out)
    _, sheet_rows = _csv_rows(out / "Offset_cuesheet.csv")
    assert [r["Timing In"] for r in sheet_rows] == ["00:00:00:00", "00:00:01:05"]
    edl = (out / "Offset.edl").read_text("utf-8")
    assert re.findall(r"A\s+C\s+\S+ \S+ (\S+) (\S+)$", edl, re.M) == [
        ("00:00:00:00", "00:00:01:05"), ("00:00:01:05", "00:00:01:20")]
    timeline = otio.adapters.read_from_file(str(out / "Offset.otio"))
    music = [c for t in timeline.audio_tracks() for c in t.find_clips()
             if "1M" in c.name][:2]
    assert [c.range_in_parent().start_time.value for c in music] == [0, 30]


def _csv_rows(path):
    rows = list(csv.reader(path.read_text("utf-8-sig").splitlines()))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "Seq")
    return rows[:head], [dict(zip(rows[head], r, strict=True)) for r in rows[head + 1:] if r]


@pytest.mark.data
def test_sintel_cuts_are_written_as_their_frames(shared_data, tmp_path, capsys):
    """The Sintel trailer's first frame is at 0.033 s; its cuts are frames 76 ... 611."""
    from scorer.media import iter_frames, probe
    from scorer.vision.shots import ShotAnalyzer

    clip = shared_data / "video" / "sintel_trailer_480p.mp4"
    if not clip.is_file():
        pytest.skip("Sintel trailer not present")
    info = probe(clip)
    assert Fraction(info.start_time) == Fraction(33, 1000)
    shots = ShotAnalyzer()
    for frame in iter_frames(clip, fps=1, max_width=64, every_frame_width=64,
                             on_every_frame=shots.process_every_frame):
        if frame.time > 25.0:
            break
    p = Project(title="Sintel", media=info)
    shots.finish(p)
    cuts = [round(t, 4) for t in p.shots if t < 25.0]  # as the planner rounds them
    wanted = [76, 121, 319, 457, 545, 611]
    assert [round((t - 0.033) * 25) for t in cuts] == wanted  # the detector's cut frames
    make_midi(tmp_path / "a.mid", 120, 4)
    p.cues = [Cue(f"1M{i}", a, b, title=f"cue {i}")
              for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False), 1)]
    p.suggestions = [Suggestion(f"s{i}", c.number, "generated", "x",
                                path=str(tmp_path / "a.mid")) for i, c in enumerate(p.cues)]
    path = tmp_path / "sintel.scorer.json"
    project_io.save(p, path)
    labels = [f"00:00:{f // 25:02d}:{f % 25:02d}" for f in wanted]
    assert main(["cues", str(path)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.startswith("1M")]
    assert [r[1] for r in rows] == labels[:-1] and [r[2] for r in rows] == labels[1:]
    out = tmp_path / "out"
    export_project(p, path, "csv,edl,srt,midi", out)
    _, sheet = _csv_rows(out / "Sintel_cuesheet.csv")
    assert [r["Timing In"] for r in sheet] == labels[:-1]
    edl = (out / "Sintel.edl").read_text("utf-8")
    assert [m[0] for m in re.findall(r"A\s+C\s+\S+ \S+ (\S+) (\S+)$", edl, re.M)] == labels[:-1]
    subs = list(srt.parse((out / "Sintel_music.srt").read_text("utf-8")))
    starts = {round(s.start.total_seconds() * 25) for s in subs}
    assert set(wanted[:-1]) <= starts  # every cue's caption starts on its cut's frame
