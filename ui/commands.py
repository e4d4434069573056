"""Every edit of the document is a QUndoCommand.

Cue edits (retarget, edge moves, locks, styles, instruments, found music) are made by the core
(:mod:`scorer.affect.edit`) and kept as before/after snapshots (:class:`EditProject`); the cue
sheet has its own command. Preferences are not document edits and are not on this stack.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from scorer.project import Project, Suggestion


class EditProject(QUndoCommand):
    """An edit made by the core (:mod:`scorer.affect.edit`), kept as before/after snapshots.

    The core re-plans everything that derives from the edit; undo puts the whole earlier state
    of the cues and suggestions back, so nothing derived can go stale.
    """

    def __init__(self, doc, text: str, before: dict, after: dict):
        super().__init__(text)
        self.doc, self.before, self.after = doc, before, after

    def redo(self):
        self.doc.restore(self.after)

    def undo(self):
        self.doc.restore(self.before)


def apply_edit(doc, text: str, edit: Callable[[Project], Any]) -> Any:
    """Run a core edit on the open project and push it as one undoable command.

    Returns:
        What ``edit`` returned (the cues to re-suggest, for the core's cue edits).

    Raises:
        ScorerError: The edit was refused; the project is left as it was.
    """
    before = doc.snapshot()
    try:
        result = edit(doc.project)
        after = doc.snapshot()
    finally:
        # back to the earlier state without signals: the command's redo applies the edit
        # and tells the views, exactly as a later redo will
        doc.put_back(before)
        before = doc.snapshot()
    doc.undo_stack.push(EditProject(doc, text, before, after))
    return result


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
