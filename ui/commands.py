"""Every edit is a QUndoCommand.

Cue edge move, cue retarget, choice lock, suggestions, cue sheet, settings change. Commands
hold the old and the new values and only call :class:`ui.document.Document` setters, so undo
restores exactly what was there.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from scorer.project import Suggestion

EPS = 1e-6


class MoveCueEdge(QUndoCommand):
    """Move a cue's start or end; a neighbour sharing that boundary moves with it (a roll)."""

    def __init__(self, doc, number: str, edge: str, new: float):
        super().__init__(f"Move {edge} of cue {number}")
        if edge not in ("start", "end"):
            raise ValueError(f"edge must be 'start' or 'end', not {edge!r}")
        self.doc = doc
        self.before = {c.number: (c.start, c.end) for c in doc.cues()}
        cue = doc.cue(number)
        old = getattr(cue, edge)
        after = dict(self.before)
        after[number] = (new, cue.end) if edge == "start" else (cue.start, new)
        for other in doc.cues():
            if other.number == number:
                continue
            if edge == "start" and abs(other.end - old) < EPS:
                after[other.number] = (other.start, new)
            elif edge == "end" and abs(other.start - old) < EPS:
                after[other.number] = (new, other.end)
        self.after = after

    def _apply(self, times: dict[str, tuple[float, float]]) -> None:
        for number, (start, end) in times.items():
            cue = self.doc.cue(number)
            if (cue.start, cue.end) != (start, end):
                self.doc.set_cue_times(number, start, end)

    def redo(self):
        self._apply(self.after)

    def undo(self):
        self._apply(self.before)


class RetargetCue(QUndoCommand):
    """Move a cue's target on the valence-arousal plane; key, tempo, instruments follow."""

    def __init__(self, doc, number: str, valence: float, arousal: float):
        super().__init__(f"Retarget cue {number}")
        from ui.core import CUE_MUSIC_FIELDS, retarget_fields

        cue = doc.cue(number)
        self.doc, self.number = doc, number
        self.old = {k: copy.deepcopy(getattr(cue, k)) for k in CUE_MUSIC_FIELDS}
        self.new = dict(self.old)
        self.new.update(retarget_fields(cue, max(-1.0, min(1.0, valence)),
                                        max(-1.0, min(1.0, arousal))))

    def redo(self):
        self.doc.set_cue_fields(self.number, copy.deepcopy(self.new))

    def undo(self):
        self.doc.set_cue_fields(self.number, copy.deepcopy(self.old))


class LockChoice(QUndoCommand):
    """Choose a suggestion for a cue and lock it (or unlock)."""

    def __init__(self, doc, number: str, choice: str, locked: bool):
        super().__init__(f"{'Lock' if locked else 'Unlock'} music of cue {number}")
        cue = doc.cue(number)
        self.doc, self.number = doc, number
        self.old = (cue.choice, cue.locked)
        self.new = (choice, locked)

    def redo(self):
        self.doc.set_cue_choice(self.number, *self.new)

    def undo(self):
        self.doc.set_cue_choice(self.number, *self.old)


class AddSuggestions(QUndoCommand):
    """Add suggestions (a regeneration or a library search) to the project."""

    def __init__(self, doc, items: list[Suggestion], text: str = "Add suggestions"):
        super().__init__(text)
        self.doc = doc
        self.items = list(items)

    def redo(self):
        self.doc.add_suggestions(copy.deepcopy(self.items))

    def undo(self):
        self.doc.remove_suggestions({s.id for s in self.items})


class EditCueSheet(QUndoCommand):
    """Replace the cue sheet's header and rows (from the export dialog)."""

    def __init__(self, doc, sheet: dict):
        super().__init__("Edit cue sheet")
        self.doc = doc
        self.old = copy.deepcopy(doc.project.cue_sheet)
        self.new = copy.deepcopy(sheet)

    def redo(self):
        self.doc.set_cue_sheet(copy.deepcopy(self.new))

    def undo(self):
        self.doc.set_cue_sheet(copy.deepcopy(self.old))


class ChangeSettings(QUndoCommand):
    """Change preferences (from the settings dialog)."""

    def __init__(self, settings, new: dict[str, Any]):
        super().__init__("Change settings")
        self.settings = settings
        self.old = {k: settings[k] for k in new}
        self.new = dict(new)

    def redo(self):
        self.settings.apply(self.new)

    def undo(self):
        self.settings.apply(self.old)
