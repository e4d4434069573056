"""Every export read back with the library another tool would use, at 23.976, 25 and 29.97 DF.

Projects, MIDI and video are generated here. Expected timecodes are written out from the
SMPTE rules (e.g. at 29.97 drop-frame the label after 00:00:59;29 is 00:01:00;02), not
computed by the code under test.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
from fractions import Fraction

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
from scorer.errors import Cancelled, ExportError
from scorer.export import export_project, parse_formats
from scorer.export.captions import MAX_EVENT_S, styled
from scorer.pipeline import CancelToken
from scorer.project import Cue, MediaInfo, MusicCaption, Project, Suggestion

SR = 48000  # what the exports deliver

# rate, start timecode, first cue's start frame, its expected in/out labels, 2nd cue frames
RATES = {
    "23.976": ("24000/1001", "01:00:00:00", 24, "01:00:01:00", 24 + 72, "01:00:04:00"),
    "25": ("25", "10:00:00:00", 30, "10:00:01:05", 30 + 75, "10:00:04:05"),
    # 00:00:59;28 + 2 frames crosses the minute: ;00 and ;01 do not exist
    "29.97df": ("30000/1001", "00:00:59;28", 2, "00:01:00;02", 2 + 90, "00:01:03;02"),
}


def make_midi(path, bpm, seconds, program=0, base=60):
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))]))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="melody"),
                            mido.Message("program_change", program=program)])
    for i in range(int(seconds * bpm / 60) + 1):
        note = base + (0, 4, 7)[i % 3]
        track.append(mido.Message("note_on", note=note, velocity=100))
        track.append(mido.Message("note_off", note=note, velocity=0, time=480))
    mid.tracks.append(track)
    mid.save(str(path))


def make_video(path, rate: Fraction, seconds: float, tone_level=0.05):
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        audio = out.add_stream("aac", rate=SR)
        audio.layout = "stereo"
        for i in range(round(seconds * rate)):
            frame = av.VideoFrame.from_ndarray(np.full((36, 64, 3), i % 250, np.uint8),
                                               format="rgb24")
            frame.pts, frame.time_base = i, 1 / rate
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        t = np.arange(int(seconds * SR)) / SR
        tone = (tone_level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        for s in range(0, len(tone), 1024):
            chunk = np.ascontiguousarray(np.stack([tone[s:s + 1024]] * 2))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = SR, s
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode(None):
            out.mux(packet)


def make_project(folder, key="25", video=False) -> tuple[Project, object, tuple]:
    rate_text, start_tc, f1, tc1, f2, tc2 = RATES[key]
    rate = Fraction(rate_text)
    folder.mkdir(parents=True, exist_ok=True)
    make_midi(folder / "a.mid", 90, 4)
    make_midi(folder / "b.mid", 140, 5, program=19)  # organ: steady level for ducking checks
    make_midi(folder / "c.mid", 120, 5, program=40)
    s1, e1 = f1 / rate, (f1 + 60) / rate
    s2, e2 = f2 / rate, (f2 + 120) / rate
    duration = float(e2) + 1.0
    if video:
        make_video(folder / "clip.mp4", rate, duration)
    p = Project(title="Test Film", media=MediaInfo(
        path="clip.mp4", fps=rate_text, duration=str(duration), has_video=video,
        has_audio=video, start_timecode=start_tc))
    p.cues = [
        Cue("1M1", float(s1), float(e1), valence=-0.4, arousal=0.6, tempo=90, key="D",
            mode="minor", hit_points=[float(s1) + 1.0], choice="g1", title="Pulse",
            shares={"music": 0.15, "faces": 0.55, "voice": 0.3}),
        Cue("1M2", float(s2), float(e2), valence=0.7, arousal=-0.5, tempo=140,
            ducking=[(float(s2) + 1.5, float(s2) + 2.5)], hit_points=[float(s2) + 2.0]),
        Cue("1M3", float(e2) + 0.2, float(e2) + 0.8),  # nothing suggested: skipped
    ]
    p.suggestions = [
        Suggestion("g1", "1M1", "generated", "Dark pulse", path="a.mid", score=0.2),
        Suggestion("g0", "1M1", "library", "Not chosen", path="c.mid", score=0.9),
        Suggestion("l1", "1M2", "library", "Organ", path="b.mid", score=0.8,
                   params={"composer": "Ann Lib", "publisher": "Lib Music", "time_signature":
                           "3/4"}),
        Suggestion("l2", "1M2", "library", "Lower score", path="c.mid", score=0.1),
    ]
    p.music_captions = [MusicCaption(float(e2) + 0.1, float(e2) + 0.9, "radio jazz", "film")]
    p.cue_sheet = {"production_title": "Test Film", "episode": "101",
                   "production_company": "ACME Pictures", "composer": "Jo Smith",
                   "composer_society": "PRS", "cues": {"1M2": {"usage": "ET"}}}
    path = folder / "test.scorer.json"
    project_io.save(p, path)
    return p, path, (rate, f1, tc1, f2, tc2)


@pytest.mark.parametrize("key", list(RATES))
def test_editorial_exports_read_back(tmp_path, key):
    p, path, (rate, f1, tc1, f2, tc2) = make_project(tmp_path / "proj", key)
    out = tmp_path / "out"
    report = export_project(p, path, "midi,cuesheet,otio,edl,fcp7,srt", out)
    assert report.cues == ["1M1", "1M2"]
    assert any("1M3" in n and "skipped" in n for n in report.notes)
    names = {f.name for f in report.files}
    start_tc = p.media.start_timecode
    drop = key == "29.97df"

    # --- cue sheet: CSV (csv), XLSX (openpyxl), PDF (pypdf)
    csv_rows = list(csv.reader((out / "Test_Film_cuesheet.csv").read_text("utf-8-sig")
                               .splitlines()))
    head = csv_rows.index(next(r for r in csv_rows if r and r[0] == "Seq"))
    table = [dict(zip(csv_rows[head], r, strict=True)) for r in csv_rows[head + 1:]]
    assert [r["Cue"] for r in table] == ["1M1", "1M2"]
    assert (table[0]["Timing In"], table[1]["Timing In"]) == (tc1, tc2)
    assert table[0]["Title"] == "Pulse" and table[1]["Title"] == "Organ"
    assert table[0]["Usage"] == "BI" and table[1]["Usage"] == "ET"
    assert table[0]["Composer"] == "Jo Smith" and table[0]["Composer Society"] == "PRS"
    assert table[1]["Composer"] == "Ann Lib" and table[1]["Publisher Role"] == "E"
    assert table[1]["Composer Share %"] == "50" and table[1]["Publisher Share %"] == "50"
    assert (";" in table[0]["Timing Out"]) is drop
    # the notes say where the cue's emotion came from, largest share first
    assert table[0]["Notes"] == "emotion V -0.40 A +0.60 from faces 55 %, voice 30 %, music 15 %"
    assert table[1]["Notes"] == ""
    header = {r[0]: r[1] for r in csv_rows[:head] if len(r) == 2}
    assert header["Episode Number"] == "101" and header["Production Company"] == "ACME Pictures"
    # 60 + 120 frames: 7.507 s, 7.2 s, 6.006 s in m:ss
    assert header["Total Music Length"] == {"23.976": "0:08", "25": "0:07", "29.97df": "0:06"}[key]

    from openpyxl import load_workbook
    ws = load_workbook(out / "Test_Film_cuesheet.xlsx").active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    seq_row = next(i for i, r in enumerate(values) if r[0] == "Seq")
    col = values[seq_row].index("Timing In")
    assert [values[seq_row + 1][col], values[seq_row + 2][col]] == [tc1, tc2]

    pypdf = pytest.importorskip("pypdf")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(out / "Test_Film_cuesheet.pdf")
                   .pages)
    assert "1M1" in text and "1M2" in text and tc1 in text and "ACME Pictures" in text

    # --- MIDI (mido): type 1, 480 PPQ, SMPTE offset, markers and cue points where the cues are
    mid = mido.MidiFile(out / "Test_Film_score.mid")
    assert mid.type == 1 and mid.ticks_per_beat == 480
    conductor = list(mid.tracks[0])
    smpte = next(m for m in conductor if m.type == "smpte_offset")
    hh, mm, ss, ff = (int(x) for x in re.split("[:;]", start_tc))
    assert (smpte.hours, smpte.minutes, smpte.seconds, smpte.frames) == (hh, mm, ss, ff)
    assert smpte.frame_rate == {"23.976": 24, "25": 25, "29.97df": 29.97}[key]

    def seconds_at(target_tick):  # tempo map read with mido's own conversion
        tempo, last, secs, tick = 500000, 0, 0.0, 0
        for msg in conductor:
            tick += msg.time
            if tick > target_tick:
                break
            if msg.type == "set_tempo":
                secs += mido.tick2second(tick - last, 480, tempo)
                tempo, last = msg.tempo, tick
        return secs + mido.tick2second(target_tick - last, 480, tempo)

    ticks, events = 0, []
    for msg in conductor:
        ticks += msg.time
        events.append((ticks, msg))
    markers = [(t, m.text) for t, m in events if m.type == "marker" and " hit " not in m.text]
    assert [text.split()[0] for _, text in markers] == ["1M1", "1M2"]
    tick_len = 60 / 140 / 480
    assert seconds_at(markers[0][0]) == pytest.approx(float(f1 / rate), abs=tick_len)
    assert seconds_at(markers[1][0]) == pytest.approx(float(f2 / rate), abs=tick_len)
    cue_points = [t for t, m in events if m.type == "cue_marker"]
    assert len(cue_points) == 2
    hit_on_frame = round(p.cues[1].hit_points[0] * rate) / rate  # hits sit on their frame
    assert seconds_at(cue_points[1]) == pytest.approx(float(hit_on_frame), abs=tick_len)
    tempos = {mido.tempo2bpm(m.tempo) for _, m in events if m.type == "set_tempo"}
    # each cue's tempo; any other tempo belongs to a short bar that closes a stretch
    assert {90, 140} <= {round(b) for b in tempos}
    ts = [(m.numerator, m.denominator) for _, m in events if m.type == "time_signature"]
    assert (3, 4) in ts and (4, 4) in ts
    # every cue starts on a bar line: whole bars between time signatures, a marker on one
    sigs = [(t, m.numerator * 4 * 480 // m.denominator) for t, m in events
            if m.type == "time_signature"]
    assert sigs[0][0] == 0
    for (t0, bar), (t1, _) in zip(sigs, sigs[1:], strict=False):
        assert (t1 - t0) % bar <= 2 or bar - (t1 - t0) % bar <= 2
    for tick, _ in markers:
        t0, bar = [sig for sig in sigs if sig[0] <= tick][-1]
        assert (tick - t0) % bar <= 2 or bar - (tick - t0) % bar <= 2
    # the chosen music (a.mid, program 0) for 1M1; the top-scored (b.mid, organ) for 1M2
    programs = [m.program for tr in mid.tracks[1:] for m in tr if m.type == "program_change"]
    assert programs == [0, 19]
    for track, (start, end) in zip(mid.tracks[1:], [(f1, f1 + 60), (f2, f2 + 120)],
                                   strict=True):
        tick, on = 0, set()
        for msg in track:
            tick += msg.time
            at = seconds_at(tick)
            if msg.type == "note_on" and msg.velocity:
                assert float(start / rate) - 0.01 <= at < float(end / rate)
                on.add(msg.note)
            elif msg.type in ("note_on", "note_off"):
                assert at <= float(end / rate) + 0.01
                on.discard(msg.note)
        assert not on  # every note released by the cue's end

    # --- OTIO: music clips at exact frames, markers, WAVs that exist and are as long
    tl = otio.adapters.read_from_file(str(out / "Test_Film.otio"))
    assert tl.global_start_time.to_frames() == tl.global_start_time.value
    music = next(t for t in tl.tracks if t.kind == otio.schema.TrackKind.Audio)
    clips = list(music.find_clips())
    assert [c.name.split()[0] for c in clips] == ["1M1", "1M2"]
    for clip, first, length in zip(clips, (f1, f2), (60, 120), strict=True):
        where = clip.range_in_parent()
        assert where.start_time.rate == pytest.approx(float(rate))
        assert (where.start_time.value, where.duration.value) == (first, length)
        wav = out / clip.media_reference.target_url  # relative to the export folder
        assert os.path.isfile(wav)
        assert soundfile.info(wav).frames == pytest.approx(float(length / rate) * SR, abs=1)
    first_label = (tl.global_start_time + clips[0].range_in_parent().start_time).to_timecode(
        float(rate), drop)
    assert first_label == tc1
    assert [m.name for m in tl.tracks.markers] == ["1M1", "1M2"]
    assert len(clips[1].markers) == 1

    # --- EDL (OTIO's cmx_3600 reader) and its text: record timecodes, ';' only at 29.97
    edl = (out / "Test_Film.edl").read_text()
    records = re.findall(r"^\d{3}\s+\S+\s+A\s+C\s+(\S+) (\S+) (\S+) (\S+)$", edl, re.M)
    assert [r[2] for r in records] == [tc1, tc2]
    assert (";" in edl) is drop
    back = otio.adapters.read_from_file(str(out / "Test_Film.edl"), rate=float(rate))
    edl_clips = list(back.find_clips())
    assert len(edl_clips) == 2
    assert edl_clips[1].source_range.duration.value == 120

    # --- FCP7 XML (OTIO's fcp_xml reader)
    xml = otio.adapters.read_from_file(str(out / "Test_Film_fcp7.xml"))
    xml_music = [c for t in xml.tracks if t.kind == otio.schema.TrackKind.Audio
                 and t.metadata.get("fcp_xml", {}).get("enabled") != "FALSE"  # not alternates
                 for c in t.find_clips()]
    assert [c.range_in_parent().start_time.value for c in xml_music] == [f1, f2]
    assert round(xml.global_start_time.value) == tl.global_start_time.value

    # --- captions: srt and webvtt-py parsers
    subs = list(srt.parse((out / "Test_Film_music.srt").read_text("utf-8")))
    assert subs[0].start.total_seconds() == pytest.approx(float(f1 / rate), abs=0.001)
    assert all(s.content.startswith("[") and s.content.endswith("]") for s in subs)
    assert "radio jazz" in subs[-1].content
    for a, b in zip(subs, subs[1:], strict=False):
        assert a.end <= b.start  # never overlapping
    for sub in subs:
        assert sub.end - sub.start <= datetime.timedelta(seconds=MAX_EVENT_S)
        for t in (sub.start, sub.end):  # on a frame
            frames = Fraction(round(t.total_seconds() * 1000), 1000) * rate
            assert abs(frames - round(frames)) < Fraction(1, 20)
    assert len([x for x in subs if "radio jazz" not in x.content]) >= 2  # both cues
    vtt = webvtt.read(str(out / "Test_Film_music.vtt"))
    assert [c.text for c in vtt] == [s.content for s in subs]
    h, m, sec = vtt[0].start.split(":")  # start_in_seconds is truncated to whole seconds
    assert int(h) * 3600 + int(m) * 60 + float(sec) == pytest.approx(float(f1 / rate), abs=1e-3)
    assert {"Test_Film_music.srt", "Test_Film_music.vtt", "1M1.wav"} <= names


def test_stem_and_mp4_preview(tmp_path):
    p, path, (rate, f1, _, f2, _) = make_project(tmp_path / "proj", "25", video=True)
    out = tmp_path / "out"
    report = export_project(p, path, "wav,mp4", out)
    stem, sr = soundfile.read(out / "Test_Film_score.wav", dtype="float32", always_2d=True)
    assert sr == SR and stem.shape[1] == 2
    assert len(stem) == pytest.approx(float(Fraction(p.media.duration)) * SR, abs=2)
    assert np.abs(stem).max() < 1.0

    def rms_db(a, b):
        seg = stem[int(a * SR):int(b * SR)]
        return 20 * np.log10(np.sqrt(np.mean(seg ** 2)) + 1e-12)

    s1, s2 = float(f1 / rate), float(f2 / rate)
    assert rms_db(0, s1 - 0.05) < -90  # silence before the first cue
    assert rms_db(s1 + 0.1, s1 + 2.0) > -45  # music
    # its level is set against the clip's sound (here a steady tone, no speech regions long
    # enough): dialogue measured with pyloudnorm here too, and music 6 LU under it
    import pyloudnorm

    from scorer.music.render import load_audio_file
    original = load_audio_file(tmp_path / "proj" / "clip.mp4", sr=SR)
    meter = pyloudnorm.Meter(SR)
    dialogue = meter.integrated_loudness(original.astype(np.float64))
    assert report.loudness["dialogue"] == pytest.approx(dialogue, abs=0.3)
    cue1 = stem[round(s1 * SR):round(float((f1 + 60) / rate) * SR)]  # 1M1: not ducked
    assert meter.integrated_loudness(cue1.astype(np.float64)) == pytest.approx(
        dialogue - 6.0, abs=0.5)
    assert report.loudness["offset"] == pytest.approx(-6.0, abs=0.5)
    # 1M2 ducked between +1.5 and +2.5 s: about 10 dB under its level before the attack ramp
    drop = rms_db(s2 + 0.4, s2 + 1.2) - rms_db(s2 + 1.6, s2 + 2.4)
    assert drop == pytest.approx(10, abs=2.5)

    with av.open(str(out / "Test_Film_preview.mp4")) as container:
        kinds = sorted(s.type for s in container.streams)
        assert kinds == ["audio", "video"]
        assert container.streams.video[0].codec_context.name == "h264"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == round(float(Fraction(p.media.duration)) * 25)
    mixed = load_audio_file(out / "Test_Film_preview.mp4", sr=SR)
    assert np.abs(mixed).max() < 1.0
    # the preview holds the original sound plus the score: what is left when the original
    # is taken away is the stem (AAC keeps it to within a few dB)
    a, b = int((s1 + 0.2) * SR), int((s1 + 1.5) * SR)
    rest = mixed[a:b] - original[a:b]
    assert 20 * np.log10(np.sqrt(np.mean(rest ** 2))) == pytest.approx(
        rms_db(s1 + 0.2, s1 + 1.5), abs=3)
    assert set(report.cues) == {"1M1", "1M2"}


def test_no_overwrite_without_force_and_failed_export_keeps_files(tmp_path, monkeypatch):
    p, path, _ = make_project(tmp_path / "proj", "25")
    out = tmp_path / "out"
    export_project(p, path, "midi,srt", out)
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    with pytest.raises(ExportError, match="--force"):
        export_project(p, path, "midi", out)
    # the captions describe the music, so a new target alone must not change them; a new
    # film-music caption does
    p.cues[0].valence, p.cues[0].arousal = 0.8, -0.6
    p.music_captions[0].text = "radio news jingle"

    from scorer.export.common import Staging
    real = Staging.write_bytes
    calls = []

    def full_disk(self, name, data):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(self, name, data)

    monkeypatch.setattr(Staging, "write_bytes", full_disk)
    with pytest.raises(ExportError, match="disk is full"):
        export_project(p, path, "midi,srt", out, force=True)
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before  # no temp files either
    monkeypatch.setattr(Staging, "write_bytes", real)
    export_project(p, path, "midi,srt", out, force=True)
    assert (out / "Test_Film_music.srt").read_bytes() != before["Test_Film_music.srt"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_folder_says_why(tmp_path):
    p, path, _ = make_project(tmp_path / "proj", "25")
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="not writable"):
            export_project(p, path, "midi", out)
    finally:
        out.chmod(0o755)


def test_cancel_writes_nothing(tmp_path):
    p, path, _ = make_project(tmp_path / "proj", "25")
    token = CancelToken()
    seen = []

    def progress(stage, fraction):
        seen.append(stage)
        if stage == "midi":
            token.set()

    with pytest.raises(Cancelled):
        export_project(p, path, "midi,srt", tmp_path / "out", progress=progress, cancel=token)
    assert list((tmp_path / "out").iterdir()) == []


def test_cli_export_and_render(tmp_path, capsys):
    _, path, _ = make_project(tmp_path / "proj", "25")
    out = tmp_path / "out"
    assert main(["export", str(path), "--formats", "midi,cuesheet", "-o", str(out)]) == 0
    assert (out / "Test_Film_score.mid").is_file() and (out / "Test_Film_cuesheet.pdf").is_file()
    assert main(["export", str(path), "--formats", "midi", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["export", str(path), "--formats", "mp4", "-o", str(out)]) == 1  # no clip
    assert "source clip" in capsys.readouterr().out
    wav = tmp_path / "a.wav"
    assert main(["render", str(tmp_path / "proj" / "a.mid"), "-o", str(wav)]) == 0
    assert soundfile.info(wav).samplerate == SR
    bad = tmp_path / "x.sf2"
    bad.write_bytes(b"nope")
    assert main(["render", str(tmp_path / "proj" / "a.mid"), "-o", str(tmp_path / "b.wav"),
                 "--soundfont", str(bad)]) == 2
    assert "x.sf2" in capsys.readouterr().err and not (tmp_path / "b.wav").exists()


def test_formats_and_captions_words():
    assert parse_formats("midi, srt") == ["midi", "srt", "vtt"]
    assert parse_formats("cuesheet") == ["csv", "xlsx", "pdf"]
    with pytest.raises(Exception, match="unknown export format"):
        parse_formats("mp3")
    assert styled("tense strings build") == "[tense strings build]"
    assert styled("[calm piano]", "notes") == "♪ calm piano ♪"
    assert styled("♪ radio jazz ♪") == "[radio jazz]"


def test_preview_reencodes_codecs_mp4_cannot_copy(tmp_path):
    from scorer.export.mixdown import write_preview

    source = tmp_path / "clip.mkv"
    with av.open(str(source), "w") as out:  # MPEG-2 picture, no sound
        video = out.add_stream("mpeg2video", rate=25)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        for i in range(50):
            frame = av.VideoFrame.from_ndarray(np.full((36, 64, 3), i * 4, np.uint8),
                                               format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 25)
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
    stem = np.zeros((2 * SR, 2), np.float32)
    stem[:, 0] = 0.25
    write_preview(source, tmp_path / "p.mp4", stem)
    with av.open(str(tmp_path / "p.mp4")) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 50
    from scorer.music.render import load_audio_file
    audio = load_audio_file(tmp_path / "p.mp4")
    assert np.mean(audio[SR // 2:SR, 0]) == pytest.approx(0.25, abs=0.03)  # the score, level kept
    assert np.abs(audio[SR // 2:SR, 1]).max() < 0.02
