import logging

import pytest

from scorer.audio.subtitles import load_subtitles, parse
from scorer.errors import InputError

SRT = """1
00:00:01,000 --> 00:00:03,500
Hello there, <i>friend</i>.

2
00:00:04,000 -> 00:00:05,000
This cue has a broken arrow.

3
00:00:06,000 --> 00:00:08,000
I am so happy
to see you.

4
00:00:09,000 --> 00:00:08,000
Ends before it starts.

5
00:01:10,250 --> 00:01:12,000
Goodbye.
"""


def test_broken_cues_reported_with_line_and_rest_kept(tmp_path, caplog):
    path = tmp_path / "film.srt"
    path.write_text(SRT, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        segments, problems = load_subtitles(path)
    assert [s.text for s in segments] == ["Hello there, friend.", "I am so happy to see you.",
                                          "Goodbye."]
    assert segments[2].start == pytest.approx(70.25)
    assert segments[0].end == pytest.approx(3.5)
    assert len(problems) == 2
    # cue 2 has no valid timing: its block starts on line 5; cue 4's timing is on line 15
    assert "line 5" in problems[0] and "film.srt" in problems[0]
    assert "line 15" in problems[1] and "before it starts" in problems[1]
    assert sum("line 5" in r.getMessage() for r in caplog.records) == 1


def test_word_times_spread_over_the_cue(tmp_path):
    path = tmp_path / "a.srt"
    path.write_text(SRT, encoding="utf-8")
    seg = load_subtitles(path)[0][1]
    assert [w.text for w in seg.words] == seg.text.split()
    assert seg.words[0].start == pytest.approx(seg.start)
    assert seg.words[-1].end == pytest.approx(seg.end, abs=1e-2)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(seg.words, seg.words[1:], strict=False))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings(tmp_path, encoding):
    path = tmp_path / "e.srt"
    path.write_bytes("1\r\n00:00:01,000 --> 00:00:02,000\r\nCafé crème, señor\r\n".encode(
        encoding))
    segments, problems = load_subtitles(path)
    assert segments[0].text == "Café crème, señor"
    assert problems == []


def test_webvtt(tmp_path):
    path = tmp_path / "c.vtt"
    path.write_text("WEBVTT\n\nNOTE a comment\n\nintro\n00:01.000 --> 00:02.500 align:start\n"
                    "<v Anna>Run!</v>\n\n00:00:03.000 --> 00:00:04.000\nNow.\n", encoding="utf-8")
    segments, problems = load_subtitles(path)
    assert [(s.start, s.end, s.text, s.source) for s in segments] == [
        (1.0, 2.5, "Run!", "vtt"), (3.0, 4.0, "Now.", "vtt")]
    assert problems == []


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_subtitles(tmp_path / "nope.srt")
    bad = tmp_path / "bad.srt"
    bad.write_text("1\nnot a time\nhello\n", encoding="utf-8")
    with pytest.raises(InputError, match="no readable subtitle cue"):
        load_subtitles(bad)


def test_cue_without_index_line():
    segments, problems = parse("00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:03,000 --> "
                               "00:00:04,000\nB\n")
    assert [s.text for s in segments] == ["A", "B"] and problems == []


def test_transcript_command_imports_and_prints(tmp_path, capsys):
    import argparse

    from scorer import project as project_io
    from scorer.audio import commands

    proj = tmp_path / "p.json"
    project_io.save(project_io.Project(title="t"), proj)
    subs = tmp_path / "s.srt"
    subs.write_text(SRT, encoding="utf-8")
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["transcript", str(proj), "--import", str(subs)])
    assert args.handler(args) == 0
    loaded = project_io.load(proj)
    assert len(loaded.transcript) == 3 and loaded.transcript[0].source == "srt"
    assert "line 5" in capsys.readouterr().out
    args = parser.parse_args(["transcript", str(proj)])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "00:01:10.250" in out and "Goodbye." in out
