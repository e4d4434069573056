"""Marks, navigation and the plan's own edits (add, split, merge, delete, rename; hits; fades).

The logic is the core's (:mod:`scorer.markers`, :mod:`scorer.affect.edit`); each edit is one
undoable snapshot command, and cue edits that change what a cue asks of the music get fresh
suggestions through the music controller (which joins them to the edit's undo step).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog

from scorer import markers
from scorer.affect import edit
from scorer.errors import ScorerError
from ui.commands import apply_edit

CROSSFADE_SECONDS = 1.0


class PlanController(QObject):
    """Markers, in/out, jumps, and cue add/split/merge/delete/rename, hits and crossfades."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.doc = win.doc

    # ------------------------------------------------------------------ helpers
    def _now(self) -> float:
        return self.win.player.position()

    def _tc(self, t: float) -> str:
        return self.win.player.timecode_text(t)

    def _mark(self, text: str, fn) -> bool:
        if self.doc.project is None:
            return False
        try:
            apply_edit(self.doc, text, fn)
        except ScorerError as exc:
            self.win.say(str(exc), error=True)
            return False
        return True

    def _selected(self) -> str | None:
        number = self.win.panel.number
        if not number:
            self.win.say("Select a cue first (click it on the timeline).", error=True)
            return None
        return number

    def _cue_at(self, t: float) -> str | None:
        for cue in self.doc.cues():
            if cue.start <= t < cue.end:
                return cue.number
        self.win.say(f"No cue under the playhead ({self._tc(t)}).", error=True)
        return None

    # ------------------------------------------------------------------ marks
    def add_marker(self, t: float | None = None, name: str = "") -> None:
        t = self._now() if t is None else t
        if self._mark("Add marker", lambda p: markers.add_marker(p, t, name)):
            self.win.say(f"Marker at {self._tc(t)}.")

    def delete_marker(self) -> None:
        t = self._now()
        if self._mark("Delete marker", lambda p: markers.delete_marker(p, t)):
            self.win.say("Marker deleted.")

    def mark_in(self) -> None:
        t = self._now()
        if self._mark("Mark in", lambda p: markers.set_in(p, t)):
            self.win.say(f"In point at {self._tc(t)}.")

    def mark_out(self) -> None:
        t = self._now()
        if self._mark("Mark out", lambda p: markers.set_out(p, t)):
            self.win.say(f"Out point at {self._tc(t)}.")

    def clear_in_out(self) -> None:
        def clear(p):
            markers.set_in(p, None)
            markers.set_out(p, None)

        if self._mark("Clear in and out", clear):
            self.win.say("In and out points cleared.")

    # ------------------------------------------------------------------ navigation
    def _jump(self, t: float | None, what: str) -> None:
        if t is None:
            self.win.say(f"No {what} there.")
            return
        self.win.audition.stop()
        self.win.player.seek(t, user=True)
        self.win.say(f"{what.capitalize()} at {self._tc(t)}.")

    def go_in(self) -> None:
        project = self.doc.project
        self._jump(project.mark_in if project else None, "in point")

    def go_out(self) -> None:
        project = self.doc.project
        self._jump(project.mark_out if project else None, "out point")

    def step(self, kind: str, direction: int) -> None:
        project = self.doc.project
        if project is None:
            return
        points = {"edit": markers.edit_points, "marker": markers.marker_times,
                  "cue": markers.cue_starts}[kind](project)
        what = {"edit": "edit point", "marker": "marker", "cue": "cue start"}[kind]
        self._jump(markers.step_to(points, self._now(), direction),
                   f"{'next' if direction > 0 else 'previous'} {what}")

    def go_to(self, text: str | None = None) -> None:
        if self.doc.project is None:
            return
        if text is None:
            text, ok = QInputDialog.getText(self.win, "Go To", "Timecode (HH:MM:SS:FF), MM:SS "
                                            "or seconds:", text=self._tc(self._now()))
            if not ok:
                return
        player = self.win.player
        try:
            t = markers.parse_time(text, player.rate, player.start_frame)
        except ScorerError as exc:
            self.win.say(str(exc), error=True)
            return
        t = min(t, self.doc.duration())
        self.win.player.seek(t, user=True)
        self.win.say(f"At {self._tc(t)}.")

    # ------------------------------------------------------------------ cue edits
    def _edit(self, text: str, fn) -> bool:
        return self.win.music._edit(text, fn) is not None

    def add_cue(self) -> None:
        t = self._now()
        made: list[str] = []

        def add(p):
            made[:] = edit.fill_gap(p, t)
            return made

        if self._edit("Add cue", add):
            self.win.select_cue(made[0])
            cue = self.doc.cue(made[0])
            self.win.say(f"Added cue {cue.number} ({self._tc(cue.start)} to "
                         f"{self._tc(cue.end)}); finding music.")

    def split_cue(self) -> None:
        t = self._now()
        number = self._cue_at(t)
        if number and self._edit(f"Split cue {number}", lambda p: edit.split_cue(p, number, t)):
            self.win.say(f"Split cue {number} at {self._tc(t)}; finding music for both parts.")

    def merge_cue(self) -> None:
        number = self._selected()
        if number and self._edit(f"Merge cue {number}", lambda p: edit.merge_cues(p, number)):
            self.win.say(f"Merged the cue after {number} into it; finding music.")

    def delete_cue(self) -> None:
        number = self._selected()
        if number and self._edit(f"Delete cue {number}", lambda p: edit.delete_cue(p, number)):
            self.win.say(f"Deleted cue {number} (Ctrl+Z brings it back).")

    def rename_cue(self, new_number: str | None = None, title: str | None = None) -> None:
        number = self._selected()
        if not number:
            return
        if new_number is None and title is None:
            cue = self.doc.cue(number)
            text, ok = QInputDialog.getText(
                self.win, "Rename Cue", "Number and title (e.g. 1M4 Night walk):",
                text=f"{cue.number} {cue.title}".strip())
            if not ok:
                return
            new_number, _, title = text.strip().partition(" ")
        if self._edit(f"Rename cue {number}",
                      lambda p: edit.rename_cue(p, number, new_number, title)):
            self.win.select_cue(new_number or number)
            self.win.say(f"Cue {number} is now {new_number or number}"
                         + (f" “{title}”." if title else "."))

    def add_hit(self) -> None:
        t = self._now()
        number = self._cue_at(t)
        if number and self._edit(f"Add hit to cue {number}",
                                 lambda p: edit.add_hit(p, number, t)):
            self._say_tempo(number, f"Hit at {self._tc(t)}")

    def delete_hit(self) -> None:
        t = self._now()
        number = self._cue_at(t)
        if number and self._edit(f"Delete hit of cue {number}",
                                 lambda p: edit.delete_hit(p, number, t, tolerance=1.0)):
            self._say_tempo(number, "Hit deleted")

    def move_hit(self, number: str, old: float, new: float) -> None:
        if not self._edit(f"Move hit of cue {number}",
                          lambda p: edit.move_hit(p, number, old, new)):
            self.win.timeline.update_cue(number)  # put the dragged diamond back
            return
        self._say_tempo(number, f"Hit moved to {self._tc(new)}")

    def reset_hits(self) -> None:
        number = self._selected()
        if number and self._edit(f"Reset hits of cue {number}",
                                 lambda p: edit.reset_hits(p, number)):
            self._say_tempo(number, "Hits are the cuts again")

    def _say_tempo(self, number: str, what: str) -> None:
        cue = self.doc.cue(number)
        self.win.say(f"{what}: cue {number} re-fitted to {cue.tempo:.1f} BPM over "
                     f"{len(cue.hit_points)} hits (mean error {cue.hit_error_ms:.0f} ms); "
                     "finding music.")

    def crossfade(self, seconds: float | None = None) -> None:
        number = self._selected()
        if not number:
            return
        if seconds is None:
            seconds = 0.0 if self.doc.cue(number).crossfade else CROSSFADE_SECONDS
        if self._edit(f"Crossfade after cue {number}",
                      lambda p: edit.set_crossfade(p, number, seconds)):
            self.win.say(f"Crossfade of {seconds:g} s after cue {number}." if seconds
                         else f"No crossfade after cue {number}.")

    # ------------------------------------------------------------------ menu actions
    # (the window connects each action ``name`` to ``act_<name>`` here; see ui.actions)
    def act_add_marker(self) -> None:
        self.add_marker()

    def act_delete_marker(self) -> None:
        self.delete_marker()

    def act_mark_in(self) -> None:
        self.mark_in()

    def act_mark_out(self) -> None:
        self.mark_out()

    def act_clear_in_out(self) -> None:
        self.clear_in_out()

    def act_go_in(self) -> None:
        self.go_in()

    def act_go_out(self) -> None:
        self.go_out()

    def act_go_to(self) -> None:
        self.go_to()

    def act_prev_edit(self) -> None:
        self.step("edit", -1)

    def act_next_edit(self) -> None:
        self.step("edit", 1)

    def act_prev_marker(self) -> None:
        self.step("marker", -1)

    def act_next_marker(self) -> None:
        self.step("marker", 1)

    def act_prev_cue(self) -> None:
        self.step("cue", -1)

    def act_next_cue(self) -> None:
        self.step("cue", 1)

    def act_add_cue(self) -> None:
        self.add_cue()

    def act_split_cue(self) -> None:
        self.split_cue()

    def act_merge_cue(self) -> None:
        self.merge_cue()

    def act_delete_cue(self) -> None:
        self.delete_cue()

    def act_rename_cue(self) -> None:
        self.rename_cue()

    def act_add_hit(self) -> None:
        self.add_hit()

    def act_delete_hit(self) -> None:
        self.delete_hit()

    def act_reset_hits(self) -> None:
        self.reset_hits()

    def act_crossfade(self) -> None:
        self.crossfade()


# the actions this controller handles, enabled while a project is open
ACTION_NAMES = tuple(name[4:] for name in vars(PlanController) if name.startswith("act_"))
