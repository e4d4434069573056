"""Typed errors whose messages a person can act on.

Every error names the file (when there is one) and says what is wrong with it, so the CLI and
the GUI can show the message as it is, without a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

# the errors people meet most, in words that say what to do
_ERRNO_WORDS = {
    errno.ENOSPC: "the disk is full (no space left)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ELOOP: "too many levels of symbolic links (a link loop)",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EIO: "input/output error (a failing disk or a lost network share)",
}


class ScorerError(Exception):
    """Base class for every error Scorer reports to a person.

    Args:
        message: What went wrong, in words a user can act on.
        path: The file or folder concerned, if any; it is prefixed to the message.
    """

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        self.message = message
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


class InputError(ScorerError):
    """A file the user handed in is missing, unreadable or not what it claims to be."""


class MediaError(InputError):
    """A video or audio file cannot be probed or decoded."""


class ProjectError(InputError):
    """A project file is malformed, from an unknown version, or fails validation."""


class ModelError(ScorerError):
    """A model file is missing, corrupt (hash mismatch) or cannot be opened."""


class ExportError(ScorerError):
    """An export could not be written; the previous file, if any, is left intact."""


class Cancelled(ScorerError):
    """Long work was cancelled by the user; nothing partial was written."""

    exit_code = 130

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)


def describe_os_error(exc: BaseException) -> str:
    """Say what an OSError (or a PyAV error carrying an errno) means, in words.

    Never shows a raw "[Errno N]": FFmpeg's error codes are large negative tags that mean
    nothing to a person, so its own text (``strerror``) is used instead.
    """
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code in _ERRNO_WORDS:
        return _ERRNO_WORDS[code]
    text = getattr(exc, "strerror", None)
    if not text and isinstance(code, int) and 0 < code < 4096:
        text = os.strerror(code)
    if not text:
        text = re.sub(r"\[Errno -?\d+\]\s*", "", str(exc)).strip() or type(exc).__name__
    return str(text)[:1].lower() + str(text)[1:]


# what a path is when it is not a regular file, for messages
_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder", ""),
    (stat.S_ISFIFO, "a named pipe (FIFO)", "it has no length and may never end"),
    (stat.S_ISCHR, "a character device (such as /dev/zero)", "it has no length and never ends"),
    (stat.S_ISBLK, "a block device (a whole disk or partition)", ""),
    (stat.S_ISSOCK, "a socket", ""),
)


def check_regular_file(path: str | Path, error: type[ScorerError] = InputError,
                       what: str = "file") -> os.stat_result:
    """Return the stat of ``path`` if it is a regular file; otherwise raise ``error``.

    Pipes and devices are named as such (opening a pipe would block, a device never ends);
    missing files, link loops and unreadable folders are said in words.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            words = ("is a broken symbolic link (its target is missing)"
                     if os.path.islink(path) else "file not found")
        else:
            words = describe_os_error(exc)
        raise error(words, path) from exc
    except ValueError as exc:  # a NUL byte in the name
        raise error(f"not a valid file name ({exc})", path) from exc
    if not stat.S_ISREG(st.st_mode):
        kind, why = next(((name, why) for test, name, why in _SPECIAL_KINDS
                          if test(st.st_mode)), ("a special file", ""))
        raise error(f"is {kind}, not a {what}" + (f": {why}" if why else ""), path)
    return st
