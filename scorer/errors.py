"""Typed errors whose messages a person can act on.

Every error names the file (when there is one) and says what is wrong with it, so the CLI and
the GUI can show the message as it is, without a traceback.
"""

from __future__ import annotations

from pathlib import Path


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
