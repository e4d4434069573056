"""Atomic, locked writes: another Scorer writing the same output, temp files left by a killed
writer, two exports into one folder, read-only and full file systems."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_export_formats import make_project

from scorer import project as project_io
from scorer.errors import ExportError, ProjectError
from scorer.export import export_project
from scorer.fileio import OutputBusy, atomic_write_bytes, lock_path, output_lock
from scorer.project import Project

REPO = Path(__file__).resolve().parents[2]


def _holder(target: Path) -> subprocess.Popen:
    """Start a process that holds the write lock of ``target`` until it is killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from scorer.fileio import output_lock
        with output_lock({str(target)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_atomic_write_leaves_only_the_file(tmp_path):
    target = tmp_path / "a.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]  # no temp, no lock file


def test_a_second_writer_is_told_and_the_file_is_untouched(tmp_path):
    path = tmp_path / "p.scorer.json"
    project_io.save(Project(title="first"), path)
    holder = _holder(path)
    try:
        with pytest.raises(OutputBusy) as info:
            project_io.save(Project(title="second"), path)
        assert "another Scorer" in str(info.value) and str(path) in str(info.value)
        assert f"process {holder.pid}" in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    assert project_io.load(path).title == "first"
    project_io.save(Project(title="second"), path)  # the lock died with its process
    assert project_io.load(path).title == "second"


def test_lock_is_reentrant_within_one_process(tmp_path):
    target = tmp_path / "x.json"
    with output_lock(target), output_lock(target):
        atomic_write_bytes(target, b"{}")
    assert not lock_path(target).exists()


def test_temp_files_of_a_killed_writer_are_removed_by_the_next_save(tmp_path):
    path = tmp_path / "p.scorer.json"
    code = textwrap.dedent(f"""
        import os, signal
        from scorer import fileio
        tmp = fileio.temp_file({str(path)!r})
        tmp.write_bytes(b"x" * 100000)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    (tmp_path / ".p.scorer.json.ab12cd34.tmp").write_bytes(b"older version's temp")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2
    project_io.save(Project(title="p"), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.scorer.json"]


def test_sigkill_during_export_leaves_nothing_the_next_export_keeps(tmp_path):
    p, path, _ = make_project(tmp_path / "proj", "25")
    out = tmp_path / "out"
    code = textwrap.dedent(f"""
        import os, signal
        from scorer import project as project_io
        from scorer.export import common, export_project
        real = common.Staging.commit
        def die(self):  # killed with every file staged, just before the renames
            os.kill(os.getpid(), signal.SIGKILL)
        common.Staging.commit = die
        export_project(project_io.load({str(path)!r}), {str(path)!r}, "midi,srt,edl",
                       {str(out)!r})
    """)
    project_io.save(p, path)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    residue = [f for f in out.rglob("*") if f.is_file()]
    assert residue and all(f.name.startswith(".") for f in residue)
    report = export_project(p, path, "midi,srt,edl", out)
    files = sorted(str(f.relative_to(out)) for f in out.rglob("*") if f.is_file())
    assert files == sorted(str(f.relative_to(out)) for f in report.files)


def test_two_exports_into_one_folder_do_not_both_succeed(tmp_path):
    first, first_path, _ = make_project(tmp_path / "one", "25")
    second, second_path, _ = make_project(tmp_path / "two", "25")
    second.title = "Other Film"
    out = tmp_path / "out"
    out.mkdir()
    holder = _holder(out)  # an export in progress in this folder
    try:
        with pytest.raises(OutputBusy, match="another Scorer"):
            export_project(second, second_path, "edl", out)
    finally:
        holder.kill()
        holder.wait()
    export_project(first, first_path, "edl", out)
    # both write cues/1M1.wav: the second may not replace the first's without --force
    with pytest.raises(ExportError, match="would overwrite"):
        export_project(second, second_path, "edl", out)


def test_two_concurrent_cli_exports(tmp_path):
    """Two real processes export different projects into one folder at the same time."""
    paths = []
    for name in ("one", "two"):
        p, path, _ = make_project(tmp_path / name, "25")
        p.title = f"Film {name}"
        project_io.save(p, path)
        paths.append(path)
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-m", "scorer.cli", "export", str(path),
                               "--formats", "edl,midi", "-o", str(out)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for path in paths]
    results = [(proc.wait(timeout=300), proc.stderr.read()) for proc in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    message = next(err for code, err in results if code == 2)
    assert "another Scorer" in message or "would overwrite" in message
    assert "Traceback" not in message


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 1 MiB tmpfs (root only; skips where mounting is not allowed)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_keeps_the_old_project(small_tmpfs):
    path = small_tmpfs / "p.scorer.json"
    project_io.save(Project(title="small"), path)
    (small_tmpfs / "filler").write_bytes(b"\0" * (1024 * 1024 - 64 * 1024))
    big = Project(title="x" * (200 * 1024))
    with pytest.raises(ProjectError, match="disk is full") as info:
        project_io.save(big, path)
    assert str(path) in str(info.value)
    assert project_io.load(path).title == "small"
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["filler", "p.scorer.json"]
    with pytest.raises(ProjectError, match="autosave.*disk is full"):
        project_io.autosave(big, path)


def test_read_only_file_system_is_said_in_words(small_tmpfs, capsys):
    path = small_tmpfs / "p.scorer.json"
    project_io.save(Project(title="before"), path)
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    try:
        with pytest.raises(ProjectError, match="read-only"):
            project_io.save(Project(title="after"), path)
        with pytest.raises(ProjectError, match="read-only"):
            project_io.autosave(Project(title="after"), path)
        with pytest.raises(ExportError, match="read-only"):
            p, ppath, _ = make_project(small_tmpfs.parent / "proj", "25")
            export_project(p, ppath, "edl", small_tmpfs / "out")
        # analyze says so before any work (it used to crash at its first autosave)
        from scorer import cli

        sys.path.insert(0, str(REPO / "tests"))
        from fixtures.media import write_clip

        clip = write_clip(small_tmpfs.parent / "clip.mp4", seconds=1.0)
        code = cli.main(["analyze", str(clip), "-o", str(small_tmpfs / "new.scorer.json")])
        err = capsys.readouterr().err
        assert code == 2 and "read-only" in err and "Traceback" not in err
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=True)
    assert project_io.load(path).title == "before"
    assert sorted(p.name for p in small_tmpfs.iterdir()) == ["p.scorer.json"]


# ---------------------------------------------------------------- staged writes of many files


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    """The files of a folder (folders in it too, as None: a staging folder left is caught)."""
    return {p.name: p.read_bytes() if p.is_file() else None for p in folder.iterdir()}


def test_staged_folder_commits_all_files_at_once(tmp_path):
    from scorer.fileio import staged_folder

    folder = tmp_path / "music"
    folder.mkdir()
    (folder / "keep.mid").write_bytes(b"untouched")
    (folder / "take.mid").write_bytes(b"earlier take")
    with staged_folder(folder) as stage:
        atomic_write_bytes(stage.path / "take.mid", b"new take")
        atomic_write_bytes(stage.path / "more.mid", b"new file")
        # nothing is visible in the folder before the commit
        assert _folder_bytes(folder).get("take.mid") == b"earlier take"
        assert "more.mid" not in _folder_bytes(folder)
        assert stage.final_path(stage.path / "more.mid") == folder / "more.mid"
        assert stage.final_path(tmp_path / "elsewhere.mid") == tmp_path / "elsewhere.mid"
        moved = stage.commit()
    assert moved == [folder / "more.mid", folder / "take.mid"]
    assert _folder_bytes(folder) == {"keep.mid": b"untouched", "take.mid": b"new take",
                                     "more.mid": b"new file"}  # no staging or lock file left


@pytest.mark.parametrize("stop", [KeyboardInterrupt, ValueError])
def test_staged_folder_without_commit_leaves_the_folder_as_it_was(tmp_path, stop):
    from scorer.fileio import staged_folder

    folder = tmp_path / "music"
    folder.mkdir()
    (folder / "take.mid").write_bytes(b"earlier take")
    with pytest.raises(stop), staged_folder(folder) as stage:
        atomic_write_bytes(stage.path / "take.mid", b"half of a run")
        atomic_write_bytes(stage.path / "new.mid", b"half of a run")
        raise stop
    assert _folder_bytes(folder) == {"take.mid": b"earlier take"}


def test_staged_folder_removes_what_a_killed_run_left(tmp_path):
    from scorer.fileio import TEMP_TAG, staged_folder

    folder = tmp_path / "music"
    stale = folder / f".stage.abc12345{TEMP_TAG}"
    stale.mkdir(parents=True)
    (stale / "1M1.mid").write_bytes(b"killed run")
    (folder / ".stage.user-folder").mkdir()  # not Scorer's: kept
    with staged_folder(folder) as stage:
        assert not stale.exists()
        assert stage.path.parent == folder
    assert sorted(p.name for p in folder.iterdir()) == [".stage.user-folder"]


def test_staged_folder_is_busy_while_another_process_stages(tmp_path):
    from scorer.fileio import staged_folder

    folder = tmp_path / "music"
    folder.mkdir()
    holder = _holder(folder)
    try:
        with pytest.raises(OutputBusy, match="another Scorer"), staged_folder(folder):
            pass
    finally:
        holder.kill()
        holder.wait()
