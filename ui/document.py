"""The open project as a Qt object: the Project, its file, its undo stack, change signals.

Widgets never change the Project directly: they push a QUndoCommand (ui.commands), which calls
the setters here, which emit the signals the views redraw on.
"""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from scorer import project as projectio
from scorer.project import Cue, Project, Suggestion

PROJECT_SUFFIX = ".scorer.json"


# what an undoable edit may change (the snapshot commands keep these)
SNAPSHOT_FIELDS = ("cues", "suggestions", "markers", "mark_in", "mark_out")


def user_data_dir() -> Path:
    """Scorer's per-user data folder (``SCORER_DATA_DIR`` overrides, as in the core)."""
    from platformdirs import user_data_dir as _udd

    return Path(os.environ.get("SCORER_DATA_DIR") or _udd("scorer"))


def untitled_folder() -> Path:
    """The folder where projects that were never saved autosave."""
    return (user_data_dir() / "untitled").resolve()


def untitled_path(video: str | Path) -> Path:
    """Where an unsaved project of a video autosaves: one stable name per video file."""
    video = Path(video).resolve()
    digest = hashlib.sha1(str(video).encode("utf-8")).hexdigest()[:10]
    folder = untitled_folder()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{video.stem}-{digest}{PROJECT_SUFFIX}"


class Document(QObject):
    """The project being edited.

    Signals:
        projectReplaced: A new project was loaded or analysed (redraw everything).
        cueChanged(str): One cue's times, target or choice changed.
        cuesChanged: Cues were added, removed or re-timed together.
        suggestionsChanged(str): The suggestions of a cue changed.
        cueSheetChanged: The cue sheet header or rows changed.
    """

    projectReplaced = Signal()
    cueChanged = Signal(str)
    cuesChanged = Signal()
    suggestionsChanged = Signal(str)
    cueSheetChanged = Signal()
    marksChanged = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.project: Project | None = None
        self.path: Path | None = None  # where the project is saved
        self.saved = False  # False while the path is the untitled autosave location
        self.undo_stack = QUndoStack(self)

    # --- loading and saving -------------------------------------------------------------
    def replace(self, project: Project, path: Path | None, saved: bool) -> None:
        """Make ``project`` the open project; clears undo history."""
        self.project = project
        self.path = path
        self.saved = saved
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.projectReplaced.emit()

    def save(self, path: Path | None = None) -> Path:
        """Save the project (atomically) and mark the undo stack clean."""
        target = Path(path or self.path)
        projectio.save(self.project, target)
        self.path, self.saved = target, True
        self.undo_stack.setClean()
        return target

    def needs_autosave(self) -> bool:
        """True when there is work that is not in the saved project file."""
        return self.project is not None and self.path is not None and not (
            self.undo_stack.isClean() and self.saved)

    def autosave(self) -> Path | None:
        """Write the autosave now (on this thread) if needed; return its path."""
        if not self.needs_autosave():
            return None
        return projectio.autosave(self.project, self.path)

    def autosave_snapshot(self) -> tuple[Path, bytes] | None:
        """Return the autosave's path and bytes, taken now.

        The (slow, fsynced) write can then happen on another thread while editing goes on.
        """
        if not self.needs_autosave():
            return None
        return projectio.autosave_path(self.path), projectio.dumps(self.project).encode("utf-8")

    # --- queries ------------------------------------------------------------------------
    def cues(self) -> list[Cue]:
        return self.project.cues if self.project else []

    def cue(self, number: str) -> Cue:
        return self.project.cue(number)

    def suggestions_for(self, number: str) -> list[Suggestion]:
        if self.project is None:
            return []
        return sorted((s for s in self.project.suggestions if s.cue == number),
                      key=lambda s: -s.score)

    def duration(self) -> float:
        if self.project is None or self.project.media is None:
            return 0.0
        from fractions import Fraction

        return float(Fraction(self.project.media.duration))

    # --- snapshots and setters used by undo commands -------------------------------------
    def snapshot(self) -> dict:
        """A deep copy of what edits change: cues, suggestions, markers, in and out points."""
        return {key: copy.deepcopy(getattr(self.project, key)) for key in SNAPSHOT_FIELDS}

    def put_back(self, snapshot: dict) -> None:
        """Put a snapshot back silently (an edit being turned into an undo command)."""
        for key in SNAPSHOT_FIELDS:
            setattr(self.project, key, snapshot[key])

    def restore(self, snapshot: dict) -> None:
        """Put a snapshot back and tell every view what changed."""
        before = {c.number: c for c in self.project.cues}
        marks = (self.project.markers, self.project.mark_in, self.project.mark_out)
        self.project.markers = copy.deepcopy(snapshot["markers"])
        self.project.mark_in, self.project.mark_out = snapshot["mark_in"], snapshot["mark_out"]
        if marks != (self.project.markers, self.project.mark_in, self.project.mark_out):
            self.marksChanged.emit()
        self.project.cues = copy.deepcopy(snapshot["cues"])
        old_sugs = self.project.suggestions
        self.project.suggestions = copy.deepcopy(snapshot["suggestions"])
        numbers = [c.number for c in self.project.cues]
        if set(before) != set(numbers):
            self.cuesChanged.emit()
        for number in numbers:
            if before.get(number) != self.cue(number):
                self.cueChanged.emit(number)
        changed = {s.cue for s in old_sugs} ^ {s.cue for s in self.project.suggestions}
        old_by_id = {s.id: s for s in old_sugs}
        new_by_id = {s.id: s for s in self.project.suggestions}
        changed |= {s.cue for i, s in {**old_by_id, **new_by_id}.items()
                    if old_by_id.get(i) != new_by_id.get(i)}
        for number in sorted(changed):
            self.suggestionsChanged.emit(number)

    def replace_suggestions(self, numbers: list[str], items: list[Suggestion]) -> None:
        """Replace the suggestions of the named cues with ``items``."""
        wanted = set(numbers)
        self.project.suggestions = [s for s in self.project.suggestions
                                    if s.cue not in wanted] + list(items)
        for number in sorted(wanted):
            self.suggestionsChanged.emit(number)

    def add_suggestions(self, items: list[Suggestion]) -> None:
        self.project.suggestions.extend(items)
        for number in {s.cue for s in items}:
            self.suggestionsChanged.emit(number)

    def remove_suggestions(self, ids: set[str]) -> None:
        cues = {s.cue for s in self.project.suggestions if s.id in ids}
        self.project.suggestions = [s for s in self.project.suggestions if s.id not in ids]
        for number in cues:
            self.suggestionsChanged.emit(number)

    def set_cue_sheet(self, sheet: dict) -> None:
        self.project.cue_sheet = sheet
        self.cueSheetChanged.emit()
