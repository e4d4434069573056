"""The bad-input corpus: every broken input gets a ScorerError naming the file, no traceback."""

import subprocess
import sys

import pytest

from scorer import media
from scorer.errors import MediaError, ScorerError
from tests.fixtures.media import write_clip


def _truncated(tmp_path):
    good = write_clip(tmp_path / "good.mp4", seconds=2)
    data = good.read_bytes()
    bad = tmp_path / "truncated.mp4"
    bad.write_bytes(data[: len(data) // 3])
    return bad


def _text_as_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    return path


def _empty(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    return path


def _random_bytes(tmp_path):
    path = tmp_path / "noise.mov"
    path.write_bytes(bytes(range(256)) * 64)
    return path


BROKEN = {
    "zero-byte": _empty,
    "truncated": _truncated,
    "text renamed .mp4": _text_as_mp4,
    "random bytes": _random_bytes,
    "missing": lambda tmp: tmp / "does-not-exist.mp4",
    "directory": lambda tmp: tmp,
}


@pytest.mark.parametrize("kind", list(BROKEN))
def test_broken_input_gets_clear_error(kind, tmp_path):
    path = BROKEN[kind](tmp_path)
    with pytest.raises(MediaError) as info:
        media.probe(path)
        # a file that probes (truncated mp4 can keep its header) must then fail on decode
        list(media.iter_frames(path))
        raise MediaError("decoded without error", path)
    assert str(path) in str(info.value)


def test_truncated_file_decodes_what_it_has_or_says_why(tmp_path):
    path = _truncated(tmp_path)
    try:
        frames = list(media.iter_frames(path, fps=None))
    except MediaError as exc:
        assert str(path) in str(exc)
    else:
        assert len(frames) < 48


def test_one_frame_video(tmp_path):
    path = write_clip(tmp_path / "one.mp4", seconds=1 / 24, audio=False)
    frames = list(media.iter_frames(path, fps=4))
    assert len(frames) == 1


def test_path_with_spaces_and_accents(tmp_path):
    folder = tmp_path / "Séance d'été ünïcode"
    folder.mkdir()
    path = write_clip(folder / "Plan séquence n°1.mp4", seconds=1)
    assert media.probe(path).has_video
    assert len(list(media.iter_frames(path, fps=2))) == 2


@pytest.mark.parametrize("kind", ["text renamed .mp4", "missing", "directory"])
def test_cli_reports_without_traceback(kind, tmp_path):
    path = BROKEN[kind](tmp_path)
    result = subprocess.run([sys.executable, "-m", "scorer.cli", "probe", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and str(path) in result.stderr


def test_scorer_error_is_base_of_media_error():
    assert issubclass(MediaError, ScorerError)


@pytest.mark.parametrize(
    ("raised", "words", "code"),
    [
        (ZeroDivisionError("division by zero"), "unexpected ZeroDivisionError", 70),
        (KeyError("tempo"), "unexpected KeyError", 70),
        (PermissionError(13, "Permission denied", "/music/locked.mid"), "/music/locked.mid", 2),
    ],
    ids=["defect", "missing-key", "os-error"],
)
def test_unexpected_failure_is_one_line_not_a_traceback(raised, words, code, tmp_path,
                                                        monkeypatch, capsys):
    # a defect deep in any command (the Sintel export once ended in a struct.error traceback)
    from scorer import cli

    def broken(args):
        raise raised

    monkeypatch.setattr(cli, "validate_options", broken)
    assert cli.main(["probe", str(tmp_path / "clip.mp4")]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and words in err
    assert len(err.strip().splitlines()) == 1
    assert "[Errno" not in err
    with pytest.raises(type(raised)):  # --debug shows the traceback for the report
        cli.main(["--debug", "probe", str(tmp_path / "clip.mp4")])
