"""Atomic, locked writes: one helper for projects, autosaves and exports.

- :func:`atomic_write_bytes` writes a temp file beside the target, fsyncs it and renames it
  over the target: a crash leaves the old file or the new one, never half of one.
- :func:`output_lock` holds an exclusive ``flock`` on a hidden lock file for a target file or
  folder, so that a second Scorer writing the same project or into the same export folder
  stops at once with a clear message instead of both "succeeding" with mixed files. The kernel
  drops the lock when its process dies (even on SIGKILL), so a crash never leaves it stuck.
- Temp files carry the tag ``.scorer-tmp`` in their name. Whoever holds the lock of a target
  removes the temp files a killed writer left behind (:func:`clean_stale_temps`).
- :func:`staged_folder` makes a run that writes many files into one folder all-or-nothing:
  they go to a hidden staging folder and move into place only when the run commits, so a
  cancelled or failed run leaves the folder exactly as it was.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from scorer.errors import ScorerError, describe_os_error

TEMP_TAG = ".scorer-tmp"
LOCK_SUFFIX = ".scorer-lock"
FOLDER_LOCK = ".scorer-lock"
# temp names of earlier versions (mkstemp: ".NAME.XXXXXXXX.tmp[.ext]") are cleaned too
_OLD_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp(\.[^.]+)?$")


class OutputBusy(ScorerError):
    """Another Scorer process is writing the same file or folder right now."""


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# read once at import: os.umask can only be read by setting it, which is not thread-safe
_UMASK = _read_umask()

_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth): re-entrant in a process
_held_guard = threading.Lock()


def lock_path(target: str | Path) -> Path:
    """Return the lock file of a target: inside a folder, beside a file."""
    target = Path(target)
    if target.is_dir():
        return target / FOLDER_LOCK
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


def _acquire(path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666 & ~_UMASK)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = ""
            with contextlib.suppress(OSError, ValueError):
                owner = os.pread(fd, 32, 0).decode("ascii").strip()
            os.close(fd)
            raise OutputBusy(
                f"another Scorer{f' (process {owner})' if owner else ''} is "
                "writing here; wait until it has finished, or choose another "
                "output",
                path.parent
                if path.name == FOLDER_LOCK
                else path.with_name(path.name[1 : -len(LOCK_SUFFIX)]),
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # the holder before us may have unlinked the file after we opened it: lock the new one
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
            return fd
        os.close(fd)


@contextlib.contextmanager
def output_lock(
    target: str | Path, error: type[ScorerError] | None = ScorerError
) -> Iterator[Path]:
    """Hold the exclusive write lock of a file or folder (re-entrant within one process).

    Args:
        target: The file or folder about to be written (a folder must exist).
        error: The error class for a folder that cannot hold the lock file (None: the
            OSError itself is raised).

    Yields:
        The lock file.

    Raises:
        OutputBusy: If another process holds the lock.
        ScorerError: (``error``) If the lock file cannot be created (read-only or full disk,
            no permission), with the reason in words.
    """
    path = lock_path(target)
    key = str(path.resolve())
    with _held_guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            owned = False
        else:
            owned = True
    if owned:
        try:
            fd = _acquire(path)
        except OSError as exc:
            if error is None:
                raise
            raise error(f"cannot write here ({describe_os_error(exc)})", path.parent) from exc
        with _held_guard:
            _held[key] = (fd, 1)
    try:
        yield path
    finally:
        with _held_guard:
            fd, depth = _held[key]
            if depth > 1:
                _held[key] = (fd, depth - 1)
                fd = -1
            else:
                del _held[key]
        if fd >= 0:
            with contextlib.suppress(OSError):
                path.unlink()  # unlink while still locked: a waiter re-checks the inode
            os.close(fd)


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of Scorer's temp files (this version's or an older one's)."""
    return TEMP_TAG in name or bool(_OLD_TEMP.match(name))


def temp_file(final: str | Path) -> Path:
    """Create an empty temp file beside ``final`` (mode as a normal write would give).

    Raises:
        OSError: If the folder is not writable.
    """
    final = Path(final)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{final.name}.", suffix=TEMP_TAG + final.suffix, dir=final.parent
    )
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600 files
    finally:
        os.close(fd)
    return Path(tmp)


def clean_stale_temps(folder: str | Path, name: str | None = None, recursive: bool = False) -> int:
    """Remove temp files a killed writer left in ``folder``; returns how many.

    Call it only while holding the lock of the target (or the folder): then no live writer
    can own them.

    Args:
        folder: Where to look.
        name: Only temps of this target file name (".NAME.*"); None: every Scorer temp.
        recursive: Also look in sub-folders (export folders keep cue files in one).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    prefix = f".{name}." if name else "."
    removed = 0
    walker = folder.rglob(".*") if recursive else folder.glob(".*")
    for path in list(walker):
        if path.name.startswith(prefix) and is_temp_name(path.name) and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


class Stage:
    """The hidden staging folder of :func:`staged_folder`.

    Attributes:
        path: Where the run writes its files.
        final: The folder they go to on :meth:`commit`.
    """

    def __init__(self, path: Path, final: Path):
        self.path = path
        self.final = final
        self.committed = False

    def final_path(self, path: str | Path) -> Path:
        """Return where a file written in the staging folder will be after the commit."""
        path = Path(path)
        return self.final / path.name if path.parent == self.path else path

    def commit(self) -> list[Path]:
        """Move every file written in the staging folder into the final folder.

        Each move is an atomic rename over the file of the same name (same file system).

        Returns:
            The final paths, sorted.
        """
        moved = []
        for path in sorted(self.path.iterdir()):
            if path.is_file() and not path.name.startswith("."):  # temp and lock files stay
                target = self.final / path.name
                os.replace(path, target)
                moved.append(target)
        _fsync_folder(self.final)
        self.committed = True
        return moved


def _is_stage_name(name: str) -> bool:
    return name.startswith(".stage.") and name.endswith(TEMP_TAG)


@contextlib.contextmanager
def staged_folder(folder: str | Path) -> Iterator[Stage]:
    """Stage the files of a run that writes many files into ``folder`` (all or nothing).

    The folder's write lock is held meanwhile (another Scorer staging into it gets
    :class:`OutputBusy`), and staging folders that a killed run left are removed first. The
    caller writes into ``stage.path`` and calls ``stage.commit()`` when the run is complete;
    leaving the block without a commit (a cancel, an error) removes the staged files and
    leaves ``folder`` as it was: no file of an earlier run is replaced, no new file appears.

    Raises:
        OutputBusy: If another process is writing into the folder.
        ScorerError: If the folder cannot hold the lock or the staging folder.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with output_lock(folder):
        for old in folder.glob(".stage.*"):
            if _is_stage_name(old.name) and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        try:
            path = Path(tempfile.mkdtemp(prefix=".stage.", suffix=TEMP_TAG, dir=folder))
        except OSError as exc:
            raise ScorerError(f"cannot write here ({describe_os_error(exc)})", folder) from exc
        stage = Stage(path, folder)
        try:
            yield stage
        finally:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_bytes(path: str | Path, data: bytes, lock: bool = True) -> None:
    """Write a file atomically: temp file in the same folder, fsync, rename.

    A crash or a full disk leaves the previous file as it was. With ``lock`` the target's
    write lock is held meanwhile (another Scorer writing it gets :class:`OutputBusy`) and
    temp files a killed writer left for this target are removed.

    Raises:
        OSError: If the folder is not writable or the disk is full (the temp file is removed).
        OutputBusy: If another process is writing the same file.
    """
    path = Path(path)
    with output_lock(path, None) if lock else contextlib.nullcontext():
        if lock:
            clean_stale_temps(path.parent, path.name)
        _write_replace(path, data)


def _write_replace(path: Path, data: bytes) -> None:
    tmp = temp_file(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(path.parent)


def write_error_words(exc: OSError) -> str:
    """Words for a failed write, with what to do for the usual causes."""
    words = describe_os_error(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{words}; free some space and try again"
    if exc.errno == errno.EROFS:
        return f"{words}; choose a writable folder"
    return words
