"""Robustness corpus, round two: options, special files, file names, resume, messages, video.

Each case runs a real command (in this process, or in a child process where a hang is the
risk) and checks four things: no traceback, no hang (a timeout), no wrong data (what was
written or reported is what the input holds), and a message that names the file or option
and the problem. Case ids start with their class (``options-``, ``special-`` ...) so that
``pytest --collect-only -q`` counts the cases per class. Concurrent writers, full and
read-only file systems are in test_fileio.py; library pieces in test_library_robust.py and
test_library_default_all.py.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from scorer import cli, media
from scorer import project as project_io
from scorer.errors import InputError, ProjectError
from scorer.project import Cue, MediaInfo, Project

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from fixtures.media import write_clip  # noqa: E402

HANG_SECONDS = 90  # a child process still running after this has hung


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Run the CLI in this process; return (exit code, stderr)."""
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def run_child(argv: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """Run the CLI in a child process (hangs are caught by the timeout)."""
    try:
        done = subprocess.run([sys.executable, "-m", "scorer.cli", *map(str, argv)],
                              cwd=REPO, capture_output=True, text=True,
                              timeout=HANG_SECONDS, env={**os.environ, "PYTHONPATH": str(REPO)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: scorer {' '.join(map(str, argv))} ran over {HANG_SECONDS} s")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_clip(tmp_path / "clip.mp4", seconds=2.0)


@pytest.fixture
def saved_project(tmp_path) -> Path:
    path = tmp_path / "p.scorer.json"
    project_io.save(Project(title="p", media=MediaInfo(path="clip.mp4", duration="6"),
                            cues=[Cue("1M1", 0.0, 4.0)]), path)
    return path


# ------------------------------------------------------------------------------- options

OPTION_CASES = {
    "fps-nan": (["analyze", "{clip}", "-o", "{out}", "--fps", "nan"], "--fps"),
    "fps-zero": (["analyze", "{clip}", "-o", "{out}", "--fps", "0"], "--fps"),
    "fps-huge": (["analyze", "{clip}", "-o", "{out}", "--fps", "1e9"], "--fps"),
    "fps-negative": (["analyze", "{clip}", "-o", "{out}", "--fps", "-4"], "--fps"),
    "fps-inf": (["analyze", "{clip}", "-o", "{out}", "--fps", "inf"], "--fps"),
    "content-type-unknown": (["analyze", "{clip}", "-o", "{out}", "--content-type", "opera"],
                             "--content-type"),
    "transcriber-unknown": (["analyze", "{clip}", "-o", "{out}", "--transcriber", "siri"],
                            "--transcriber"),
    "cues-max-length-nan": (["cues", "{project}", "--max-length", "nan"], "--max-length"),
    "cues-max-length-zero": (["cues", "{project}", "--max-length", "0"], "--max-length"),
    "cues-min-above-max": (["cues", "{project}", "--min-length", "30", "--max-length", "10"],
                           "--min-length"),
    "cues-content-type-unknown": (["cues", "{project}", "--content-type", "x"],
                                  "--content-type"),
    "render-rate-zero": (["render", "{midi}", "-o", "{wav}", "--rate", "0"], "--rate"),
    "render-rate-negative": (["render", "{midi}", "-o", "{wav}", "--rate", "-44100"],
                             "--rate"),
    "render-tail-nan": (["render", "{midi}", "-o", "{wav}", "--tail", "nan"], "--tail"),
    "suggest-n-zero": (["suggest", "{project}", "-n", "0"], "-n"),
    "library-workers-zero": (["library", "add", "{tmp}", "--workers", "0"], "--workers"),
    "export-format-unknown": (["export", "{project}", "-o", "{tmp}/x", "--formats", "mp3"],
                              "--formats"),
    "score-temperature-inf": (["score", "{project}", "--temperature", "inf"],
                              "--temperature"),
    "score-seed-negative": (["score", "{project}", "--seed", "-1"], "--seed"),
}


@pytest.mark.parametrize("case", list(OPTION_CASES), ids=[f"options-{c}" for c in OPTION_CASES])
def test_options_are_checked_before_any_work(case, tmp_path, clip, saved_project, capsys):
    argv, flag = OPTION_CASES[case]
    midi = tmp_path / "m.mid"
    midi.write_bytes(b"MThd")  # never read: the option is refused first
    before = sorted(p.name for p in tmp_path.iterdir())
    subst = {"clip": clip, "out": tmp_path / "new.scorer.json", "project": saved_project,
             "midi": midi, "wav": tmp_path / "out.wav", "tmp": tmp_path}
    code, err = run_cli([a.format(**subst) for a in argv], capsys)
    assert code == 2 and flag in err
    # nothing written: no project, no autosave, no output file
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# ------------------------------------------------------------------------- special files


def _fifo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    os.mkfifo(path)
    return path


def _loop(tmp_path: Path, name: str) -> Path:
    a, b = tmp_path / name, tmp_path / f"{name}.other"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


SPECIAL_CASES = {
    "probe-dev-zero": (lambda t: ["probe", "/dev/zero"], "/dev/zero", "character device"),
    "probe-fifo": (lambda t: ["probe", _fifo(t, "in.mp4")], "in.mp4", "named pipe"),
    "analyze-dev-zero": (lambda t: ["analyze", "/dev/zero", "-o", t / "p.scorer.json"],
                         "/dev/zero", "character device"),
    "analyze-fifo": (lambda t: ["analyze", _fifo(t, "in.mp4"), "-o", t / "p.scorer.json"],
                     "in.mp4", "named pipe"),
    "probe-link-loop": (lambda t: ["probe", _loop(t, "loop.mp4")], "loop.mp4", "link loop"),
    "probe-broken-link": (lambda t: ["probe", _broken(t)], "dangling.mp4",
                          "broken symbolic link"),
    "cues-dev-zero": (lambda t: ["cues", "/dev/zero"], "/dev/zero", "character device"),
    "cues-fifo": (lambda t: ["cues", _fifo(t, "p.scorer.json")], "p.scorer.json",
                  "named pipe"),
    "render-fifo": (lambda t: ["render", _fifo(t, "m.mid"), "-o", t / "o.wav"], "m.mid",
                    "named pipe"),
    "transcript-import-fifo": (lambda t: ["transcript", _project(t), "--import",
                                          _fifo(t, "s.srt")], "s.srt", "named pipe"),
    "score-seed-melody-fifo": (lambda t: ["score", _project(t), "--seed-melody",
                                          _fifo(t, "seed.mid")], "seed.mid", "named pipe"),
}


def _broken(tmp_path: Path) -> Path:
    link = tmp_path / "dangling.mp4"
    link.symlink_to(tmp_path / "gone.mp4")
    return link


def _project(tmp_path: Path) -> Path:
    path = tmp_path / "proj.scorer.json"
    project_io.save(Project(title="p", cues=[Cue("1M1", 0.0, 4.0, valence=0.3)]), path)
    return path


@pytest.mark.parametrize("case", list(SPECIAL_CASES), ids=[f"special-{c}" for c in SPECIAL_CASES])
def test_special_files_are_named_not_read(case, tmp_path):
    make, name, kind = SPECIAL_CASES[case]
    code, _out, err = run_child(make(tmp_path))
    if case == "score-seed-melody-fifo" and "no melody model" in err:
        pytest.skip("no melody model installed")
    assert code == 2, err
    assert name in err and kind in err, err


def test_special_library_folder_with_pipes_and_loops_is_indexed(tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    from test_library_robust import midi_with_tempo

    (folder / "good.mid").write_bytes(midi_with_tempo(500000))
    os.mkfifo(folder / "pipe.mid")
    _loop(folder, "loop.mid")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder)  # a folder loop
    code, out, err = run_child(["library", "add", folder, "--index", tmp_path / "lib.sqlite",
                                "--workers", "1"])
    assert code == 0, err
    assert "1 added" in out and "2 unreadable" in out
    assert f"{folder / 'pipe.mid'}: not a regular file" in out
    assert f"{folder / 'loop.mid'}: cannot read (too many levels of symbolic links" in out


# ----------------------------------------------------------------------- names and resume


@pytest.mark.slow
def test_names_non_utf8_file_name_is_analysed_and_saved(tmp_path, capsys):
    """A full analysis of a 2 s clip: about 30 s on two shared cores."""
    folder = os.fsencode(tmp_path)
    name = os.fsdecode(folder + b"/cl\xe9p\xff.mp4")
    write_clip(Path(name), seconds=2.0)
    out = tmp_path / "p.scorer.json"
    code, err = run_cli(["analyze", name, "-o", out, "--transcriber", "none", "--fps", "2"],
                        capsys)
    assert code == 0, err
    project = project_io.load(out)
    assert os.fsencode(project.media.path).endswith(b"/cl\xe9p\xff.mp4")
    assert Path(project.media.path).is_file()  # the stored name still opens the clip
    json.loads(out.read_text(encoding="utf-8"))  # the file itself is valid UTF-8 JSON


def test_names_output_is_a_folder(tmp_path, clip, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    for extra in ([], ["--force"]):
        code, err = run_cli(["analyze", clip, "-o", folder, *extra], capsys)
        assert code == 2 and "is a folder" in err and str(folder) in err
    assert list(folder.iterdir()) == []


def _autosave_of(clip_path: Path, out: Path) -> None:
    p = Project(title="old", media=media.probe(clip_path), shots=[0.5, 1.0],
                settings={"analysis_done": ["vision"],
                          "source": media.source_fingerprint(clip_path)})
    project_io.autosave(p, out)


def test_resume_refuses_the_autosave_of_another_clip(tmp_path, capsys):
    first = write_clip(tmp_path / "a.mp4", seconds=2.0)
    second = write_clip(tmp_path / "b.mp4", seconds=2.0, colors=((0, 200, 0), (200, 200, 0)))
    out = tmp_path / "p.scorer.json"
    _autosave_of(first, out)
    code, err = run_cli(["analyze", second, "-o", out, "--resume"], capsys)
    assert code == 2 and "belongs to another clip" in err and "a.mp4" in err
    assert not out.exists() and project_io.autosave_path(out).exists()  # nothing lost


def test_resume_refuses_a_replaced_file_at_the_same_path(tmp_path, capsys):
    clip_path = write_clip(tmp_path / "a.mp4", seconds=2.0)
    out = tmp_path / "p.scorer.json"
    _autosave_of(clip_path, out)
    write_clip(clip_path, seconds=3.0, colors=((0, 0, 0), (255, 255, 255)))  # re-exported
    code, err = run_cli(["analyze", clip_path, "-o", out, "--resume"], capsys)
    assert code == 2 and "belongs to another clip" in err and "differ" in err


def test_resume_refuses_an_older_autosave_of_another_path(tmp_path, capsys):
    first = write_clip(tmp_path / "a.mp4", seconds=2.0)
    second = write_clip(tmp_path / "b.mp4", seconds=2.0)
    out = tmp_path / "p.scorer.json"
    project_io.autosave(Project(title="old", media=media.probe(first)), out)  # no "source"
    code, err = run_cli(["analyze", second, "-o", out, "--resume"], capsys)
    assert code == 2 and "belongs to another clip" in err


# ------------------------------------------------------------------------------ messages


def _doc(**cue) -> str:
    base = {"number": "1M1", "start": 0.0, "end": 4.0}
    return json.dumps({"schema_version": 2, "cues": [base | cue]})


MESSAGE_CASES = {
    "project-field-wrong-type": (lambda t: _write(t / "p.json", _doc(start="soon")),
                                 ProjectError, "1M1.start must be a number"),
    "project-bool-as-text": (lambda t: _write(t / "p.json", _doc(locked="yes")),
                             ProjectError, "1M1.locked must be true or false"),
    "project-20000-duplicate-cues": (
        lambda t: _write(t / "p.json", json.dumps({"schema_version": 2, "cues": [
            {"number": "1M1", "start": 0, "end": 1}] * 20000})),
        ProjectError, "at most"),
    "project-duplicate-cue-numbers": (
        lambda t: _write(t / "p.json", json.dumps({"schema_version": 2, "cues": [
            {"number": "1M1", "start": 0, "end": 1}, {"number": "1M1", "start": 2,
                                                      "end": 3}]})),
        ProjectError, "1M1 (2 times)"),
    "project-media-width-text": (
        lambda t: _write(t / "p.json", json.dumps({"schema_version": 2, "media": {
            "path": "x.mp4", "width": "wide"}})),
        ProjectError, "MediaInfo.width must be a number"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(MESSAGE_CASES), ids=[f"messages-{c}" for c in MESSAGE_CASES])
def test_messages_name_the_file_and_the_field(case, tmp_path):
    make, error, words = MESSAGE_CASES[case]
    path = make(tmp_path)
    with pytest.raises(error) as info:
        project_io.load(path)
    assert str(path) in str(info.value) and words in str(info.value)
    assert "not supported between" not in str(info.value)


def test_messages_no_raw_errno_for_a_damaged_video(tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    code, err = run_cli(["probe", bad], capsys)
    assert code == 2 and str(bad) in err and "[Errno" not in err


def test_messages_cut_short_midi_in_words(tmp_path, capsys):
    from test_library_robust import midi_with_tempo

    cut = tmp_path / "cut.mid"
    cut.write_bytes(midi_with_tempo(500000)[:60])
    code, err = run_cli(["render", cut, "-o", tmp_path / "o.wav"], capsys)
    assert code == 2 and "cut short" in err and "EOFError" not in err
    from scorer.music.melody import load_seed

    with pytest.raises(InputError) as info:
        load_seed(cut)
    assert str(cut) in str(info.value) and "EOFError" not in str(info.value)


def test_messages_one_microsecond_tempo_renders(tmp_path, capsys):
    from test_library_robust import midi_with_tempo

    fast = tmp_path / "fast.mid"
    fast.write_bytes(midi_with_tempo(1, bars=2))
    code, err = run_cli(["render", fast, "-o", tmp_path / "o.wav"], capsys)
    assert code == 0, err
    import soundfile

    audio, sr = soundfile.read(tmp_path / "o.wav")
    # 8 quarter notes at the 400 BPM ceiling last 1.2 s, plus the 1 s tail
    assert 2.0 < len(audio) / sr < 2.6 and np.abs(audio).max() > 0.01


SRT = "1\n00:00:01,000 --> 00:00:02,500\nI told you so.\n\n2\n00:00:03,000 --> 00:00:04,000\nNo.\n"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_messages_utf16_subtitles_without_bom_are_read(tmp_path, encoding):
    from scorer.audio.subtitles import load_subtitles

    path = tmp_path / "s.srt"
    path.write_bytes(SRT.encode(encoding))
    segments, problems = load_subtitles(path)
    assert [s.text for s in segments] == ["I told you so.", "No."] and not problems


def test_messages_subtitle_cue_far_past_the_clip_end(tmp_path, saved_project, capsys):
    subs = tmp_path / "s.srt"
    subs.write_text(SRT + "\n3\n99:59:59,000 --> 99:59:59,900\nLate.\n", encoding="utf-8")
    code, err = run_cli(["transcript", saved_project, "--import", subs], capsys)
    out = capsys.readouterr().out if code else ""
    assert code == 0
    project = project_io.load(saved_project)
    assert [s.text for s in project.transcript] == ["I told you so.", "No."]
    problems = project.settings["audio"]["subtitle_problems"]
    assert any("99:59:59" in p and "after the clip ends" in p for p in problems), (problems, out)


# --------------------------------------------------------------------------------- video


def _encode(path: Path, size=(160, 96), pix_fmt="yuv420p", codec="libx264", frames=24,
            fps=24, options=None, noise=False, vfr=False) -> Path:
    """Encode a clip whose left half is red, then blue (frames alternate 60/20 ms if vfr)."""
    with av.open(str(path), "w", options=options or {}) as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height = size
        v.pix_fmt = pix_fmt
        if vfr:  # the encoder keeps millisecond timestamps as given
            v.codec_context.time_base = v.time_base = Fraction(1, 1000)
        t = 0
        for i in range(frames):
            img = np.zeros((size[1], size[0], 3), np.uint8)
            if noise:  # every frame costs about the same bytes
                img[:] = np.random.default_rng(i).integers(0, 255, img.shape, dtype=np.uint8)
            img[:, : size[0] // 2] = (200, 40, 40) if i < frames // 2 else (40, 40, 200)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format=pix_fmt)
            frame.pts = i
            if vfr:
                frame.pts, frame.time_base = t, Fraction(1, 1000)
                t += 20 if i % 2 else 60
            for packet in v.encode(frame):
                out.mux(packet)
        for packet in v.encode():
            out.mux(packet)
    return path


def _rotate_mp4(path: Path, degrees_clockwise: int) -> Path:
    """Write a display matrix into the MP4's track header (as phones do)."""
    data = bytearray(path.read_bytes())
    i = data.index(b"tkhd")
    assert data[i + 4] == 0  # version 0 header
    offset = i + 4 + 4 + 4 * 5 + 8 + 8
    cos_sin = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees_clockwise]
    c, s = cos_sin
    data[offset: offset + 36] = struct.pack(">9i", c << 16, s << 16, 0, -s << 16, c << 16, 0,
                                            0, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return path


def _has(codec: str, pix_fmt: str) -> bool:
    try:
        ctx = av.CodecContext.create(codec, "w")
        return pix_fmt in {f.name for f in (ctx.codec.video_formats or [])}
    except Exception:  # noqa: BLE001
        return False


VIDEO_CASES = {
    "rotation-90": dict(rotate=90),
    "rotation-270": dict(rotate=270),
    "variable-frame-rate": dict(vfr=True),
    "10-bit": dict(pix_fmt="yuv420p10le"),
    "4-2-2": dict(pix_fmt="yuv422p"),
    "odd-size": dict(size=(161, 97), pix_fmt="yuv444p"),
    "tiny": dict(size=(16, 16)),
}


@pytest.mark.parametrize("case", list(VIDEO_CASES), ids=[f"video-{c}" for c in VIDEO_CASES])
def test_video_unusual_but_valid_is_read(case, tmp_path):
    spec = dict(VIDEO_CASES[case])
    rotate = spec.pop("rotate", 0)
    if not _has("libx264", spec.get("pix_fmt", "yuv420p")):
        pytest.skip(f"this FFmpeg's libx264 lacks {spec['pix_fmt']}")
    path = _encode(tmp_path / ("v.mkv" if spec.get("vfr") else "v.mp4"), **spec)
    if rotate:
        _rotate_mp4(path, rotate)
    info = media.probe(path)
    size = spec.get("size", (160, 96))
    assert (info.width, info.height) == size and info.has_video and not info.has_audio
    assert info.rotation == rotate
    frames = list(media.iter_frames(path, fps=None, max_width=None))
    assert len(frames) == 24
    left = frames[0].image[:, : max(1, size[0] // 2 - 2)].reshape(-1, 3).mean(axis=0)
    assert left[0] > 150 and left[2] < 90  # the colours survive the pixel format
    if spec.get("vfr"):
        gaps = np.diff([f.time for f in frames])
        assert set(np.round(gaps, 3)) == {0.02, 0.06}


def test_video_audio_only_and_no_audio(tmp_path):
    song = write_clip(tmp_path / "song.m4a", seconds=2.0, video=False)
    info = media.probe(song)
    assert info.has_audio and not info.has_video and info.width == 0
    audio = media.load_audio(song)
    assert 1.9 < len(audio) / 16000 < 2.2
    silent = write_clip(tmp_path / "silent.mp4", seconds=2.0, audio=False)
    info = media.probe(silent)
    assert info.has_video and not info.has_audio


def test_video_truncated_with_index_in_front_is_said_and_shortened(tmp_path, caplog):
    full = _encode(tmp_path / "full.mp4", frames=24 * 8, options={"movflags": "faststart"},
                   noise=True)
    data = full.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # the index is at the front
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    assert float(Fraction(media.probe(full).duration)) == pytest.approx(8.0, abs=0.05)
    info = media.probe(cut)
    assert "cut short" in caplog.text and str(cut) in caplog.text
    seconds = float(Fraction(info.duration))
    # frames of equal content take equal bytes: the data ends near the middle
    assert 2.5 <= seconds <= 4.5
    last = list(media.iter_frames(cut, fps=None, max_width=None))[-1].time
    assert seconds <= last + 0.6  # cues planned on this duration stay on the data


def test_video_truncated_clip_analysis_keeps_cues_on_the_data(tmp_path, capsys, caplog):
    pytest.importorskip("scenedetect")
    src = write_clip(tmp_path / "full.mp4", seconds=8.0, audio=False,
                     colors=((200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)))
    remux = tmp_path / "front.mp4"
    with av.open(str(src)) as inp, av.open(str(remux), "w",
                                           options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    data = remux.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out_path = tmp_path / "p.scorer.json"
    code, err = run_cli(["analyze", cut, "-o", out_path, "--transcriber", "none", "--fps", "2"],
                        capsys)
    assert code == 0 and "cut short" in caplog.text, err
    project = project_io.load(out_path)
    end = float(Fraction(project.media.duration))
    assert end < 6.0
    assert all(c.end <= end + 1e-6 for c in project.cues)
