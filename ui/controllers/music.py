"""Cue edits and the music for each cue.

Every edit goes through the core (:mod:`scorer.affect.edit`), which re-plans what derives from
it; the window keeps it as one undoable snapshot command. The cues an edit changed get fresh
suggestions in the background (cancellable; a newer edit cancels and widens the running
search), so the list never shows music chosen for an old target.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject

from scorer.affect import edit
from scorer.errors import Cancelled, ScorerError
from scorer.project import Project, Suggestion, music_folder
from ui import core
from ui.commands import apply_edit
from ui.document import untitled_path
from ui.thread import run_in_process, running_tasks

log = logging.getLogger(__name__)


def _plan_key(cue) -> tuple:
    """What a cue's suggestions were made for; a change means they are stale."""
    return (cue.start, cue.end, cue.valence, cue.arousal, cue.tempo, cue.key, cue.mode,
            cue.instrumentation, cue.style)


class MusicController(QObject):
    """Retarget, move edges, lock, regenerate, and find music (all, selected, after edits)."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.doc = win.doc
        self._pending: set[str] | None = set()  # cues waiting for music; None = all
        self._keys: dict[str, tuple] = {}
        self._origin = None  # the edit whose cues are being re-suggested

    # ------------------------------------------------------------------ edits
    def _edit(self, text: str, fn) -> list[str] | None:
        try:
            refresh = apply_edit(self.doc, text, fn)
        except ScorerError as exc:
            self.win.say(str(exc), error=True)
            return None
        if refresh:
            stack = self.doc.undo_stack
            self.find_music(refresh, origin=stack.command(stack.index() - 1))
        return refresh

    def move_cue_edge(self, number: str, edge: str, t: float) -> None:
        before = {c.number: (c.start, c.end) for c in self.doc.cues()}
        refresh = self._edit(f"Move {edge} of cue {number}",
                             lambda p: edit.move_edge(p, number, edge, t))
        if refresh is None:
            return
        moved = sorted(n for n, c in ((c.number, c) for c in self.doc.cues())
                       if before.get(n) != (c.start, c.end))
        what = (f"the cut between cues {' and '.join(moved)}" if len(moved) > 1
                else f"the {edge} of cue {number}")
        cue = self.doc.cue(number)
        self.win.say(f"Moved {what} to {self.win.player.timecode_text(t)}: cue {number} now "
                     f"{cue.tempo:.0f} BPM, {len(cue.hit_points)} hits; finding music "
                     "(Ctrl+Z undoes).")

    def retarget_cue(self, number: str, valence: float, arousal: float) -> None:
        valence, arousal = max(-1.0, min(1.0, valence)), max(-1.0, min(1.0, arousal))
        if self._edit(f"Retarget cue {number}",
                      lambda p: edit.retarget(p, number, valence, arousal)) is None:
            return
        cue = self.doc.cue(number)
        self.win.say(f"Cue {number} now aims at valence {cue.valence:+.2f}, arousal "
                     f"{cue.arousal:+.2f}: {cue.tempo:.0f} BPM, {cue.key} {cue.mode}, "
                     f"{cue.instrumentation.replace('_', ' ')}; finding music.")

    def lock_choice(self, number: str, suggestion_id: str, lock: bool) -> None:
        text = f"{'Lock' if lock else 'Unlock'} music of cue {number}"
        if self._edit(text, lambda p: edit.set_lock(p, number, lock,
                                                    suggestion_id if lock else "")) is None:
            return
        self.win.panel.select_suggestion(suggestion_id)
        what = f"locked to {self.win.title_of(suggestion_id)}" if lock else "unlocked"
        self.win.say(f"Cue {number}: {what}.")

    # ------------------------------------------------------------------ finding music
    def music_folder(self) -> Path:
        """Where this project's adapted and generated music goes (beside the project)."""
        path = self.doc.path or untitled_path(self.win.video_path or Path("untitled"))
        return music_folder(path)

    def find_music(self, numbers: list[str] | None = None, origin=None) -> None:
        """Suggest music for these cues (None: every unlocked cue) in the background.

        Args:
            numbers: The cues; None for every unlocked cue.
            origin: The undo command of the edit that asked (its undo step takes the music).
        """
        self._origin = origin
        if not self.doc.cues():
            self.win.say("No cues to find music for: open or analyse a clip first.")
            return
        if not core.available("suggest"):
            self.win.say(core.missing_message("suggest"), error=True)
            return
        running = self.win.tasks.pop("suggest", None)
        if running is not None:  # widen the running search instead of racing it
            running.cancel_task()
        if numbers is None or self._pending is None:
            self._pending = None
        else:
            self._pending |= set(numbers)
        wanted = None if self._pending is None else sorted(self._pending)
        self._keys = {c.number: _plan_key(c) for c in self.doc.cues()}
        settings = self.win.settings
        kwargs = {"project": self.doc.project.to_dict(),
                  "project_path": str(self.doc.path or untitled_path(self.win.video_path)),
                  "n": int(settings["music/suggestions"]),
                  "folders": list(settings["library/folders"]),
                  "use_default": bool(settings["library/use_default"]), "numbers": wanted}
        self.win.busy(True)
        what = "every cue" if wanted is None else "cue " + ", ".join(wanted)
        self.win.say(f"Finding music for {what}…")

        def progress(stage, fraction):
            self.win.progress.setValue(int(1000 * fraction))
            self.win.say(f"Finding music for {what}: {stage} {int(fraction * 100)}%")

        task = None

        def done(result, error):
            if self.win.tasks.get("suggest") is task:
                self.win.tasks.pop("suggest", None)
            self.win.busy(bool(running_tasks()))
            self.win.update_actions()
            if isinstance(error, Cancelled):
                if "suggest" not in self.win.tasks:
                    self.win.say("Music search cancelled.")
                return
            if error is not None:
                self.win.say(f"Music search failed: {error}", error=True)
                return
            self._apply(result)

        task = run_in_process("suggest", "suggest", kwargs, done, progress=progress)
        self.win.tasks["suggest"] = task
        self.win.update_actions()

    def _apply(self, result: dict) -> None:
        numbers = [n for n in result["numbers"]
                   if any(c.number == n for c in self.doc.cues())]
        fresh = [n for n in numbers if _plan_key(self.doc.cue(n)) == self._keys.get(n)]
        # changed while the search ran; an undo that brought back the earlier plan also
        # brought back its music, so only cues left without music are searched again
        stale = sorted(n for n in set(numbers) - set(fresh) if not self.doc.suggestions_for(n))
        items = [Suggestion(**s) for s in result["suggestions"] if s["cue"] in fresh]
        if self._pending is not None:
            self._pending -= set(fresh)
        else:
            self._pending = set(stale)
        if fresh:
            self._put(fresh, items)
        cues = f"{len(fresh)} cue" + ("s" if len(fresh) != 1 else "")
        self.win.say(f"{len(items)} suggestions for {cues}. Select a cue, then audition "
                     "(Ctrl+Space).")
        self.win.autosave()
        if stale:  # edited while the search ran: look again for those
            self.find_music(stale, origin=self._origin)

    def _put(self, numbers: list[str], items: list[Suggestion]) -> None:
        """Store found music so that one undo goes back to before the edit that asked for it.

        Music found for an edit joins that edit's undo step while nothing else was done in
        between; music found after an analysis belongs to the analysis (not undoable); a
        search the editor asked for, or one that lands after other edits, is its own step.
        """
        stack = self.doc.undo_stack
        top = stack.command(stack.index() - 1) if stack.index() > 0 else None
        if top is not None and top is self._origin:
            self.doc.replace_suggestions(numbers, items)
            top.after = self.doc.snapshot()
            return
        if stack.count() == 0:
            self.doc.replace_suggestions(numbers, items)
            return

        def put(project: Project) -> None:
            project.suggestions = [s for s in project.suggestions
                                   if s.cue not in numbers] + items

        label = ", ".join(numbers) if len(numbers) <= 4 else f"{len(numbers)} cues"
        apply_edit(self.doc, f"Find music for {label}", put)

    def use_library_piece(self, number: str, entry_id: int, title: str = "") -> None:
        """Adapt a piece the editor picked in the library browser to a cue, and choose it.

        The piece is adapted in a worker process exactly as a suggestion is; the result is
        one undoable edit (:func:`scorer.affect.edit.use_suggestion`).
        """
        if not any(c.number == number for c in self.doc.cues()):
            return
        cue = self.doc.cue(number)
        key = _plan_key(cue)
        name = title or f"piece {entry_id}"
        kind = f"library_use:{number}"
        running = self.win.tasks.pop(kind, None)
        if running is not None:  # the last piece dropped on a cue wins
            running.cancel_task()
        cue_doc = Project(cues=[cue]).to_dict()["cues"][0]
        self.win.busy(True)
        self.win.say(f"Adapting {name} to cue {number}…")
        task = None

        def progress(stage, fraction):
            self.win.progress.setValue(int(1000 * fraction))

        def done(result, error):
            if self.win.tasks.get(kind) is task:
                self.win.tasks.pop(kind, None)
            self.win.busy(bool(running_tasks()))
            if isinstance(error, Cancelled):
                self.win.say(f"Adapting {name} cancelled.")
                return
            if error is not None:
                self.win.say(f"Cannot use {name} for cue {number}: {error}", error=True)
                return
            if not any(c.number == number for c in self.doc.cues()) or \
                    _plan_key(self.doc.cue(number)) != key:
                self.win.say(f"Cue {number} changed while {name} was being adapted; drop "
                             "the piece on it again.", error=True)
                return
            item = Suggestion(**result)
            try:
                apply_edit(self.doc, f"Use {name} for cue {number}",
                           lambda p: edit.use_suggestion(p, number, item))
            except ScorerError as exc:
                self.win.say(str(exc), error=True)
                return
            if self.win.panel.number == number:
                self.win.panel.select_suggestion(item.id)
            self.win.say(f"Cue {number} now plays {name}, adapted: fit {item.score:.2f} "
                         "(Ctrl+Z undoes).")
            self.win.autosave()

        task = run_in_process("adapt", "library_use",
                              {"cue": cue_doc, "entry": int(entry_id),
                               "folder": str(self.music_folder())}, done, progress=progress)
        self.win.tasks[kind] = task

    def regenerate(self, number: str, style: str, seed: int, temperature: float,
                   palette: str, seed_melody: str = "") -> None:
        if not core.available("generate"):
            self.win.say(core.missing_message("generate"), error=True)
            return
        if "generate" in self.win.tasks:
            self.win.say("Still generating; wait for it to finish.", error=True)
            return
        cue_doc = Project(cues=[self.doc.cue(number)]).to_dict()["cues"][0]
        label = style or "auto"
        melody = f", from the tune in {Path(seed_melody).name}" if seed_melody else ""
        self.win.say(f"Generating music for cue {number} (style {label}, seed {seed}, "
                     f"temperature {temperature:.1f}{melody})…")
        self.win.busy(True)

        def done(result, error):
            self.win.tasks.pop("generate", None)
            self.win.busy(bool(running_tasks()))
            if isinstance(error, Cancelled):
                self.win.say("Generation cancelled.")
                return
            if error is not None:
                self.win.say(f"Generation failed: {error}", error=True)
                return
            item = Suggestion(**result)
            if not any(c.number == number for c in self.doc.cues()):
                return  # the cue went away meanwhile

            def add(project: Project) -> None:
                project.suggestions = [s for s in project.suggestions
                                       if s.id != item.id] + [item]

            apply_edit(self.doc, f"Regenerate music for cue {number}", add)
            self.win.panel.select_suggestion(item.id)
            self.win.say(f"New music for cue {number}: {item.title}.")

        self.win.tasks["generate"] = run_in_process(
            "generate", "generate", {"cue": cue_doc, "style": style, "seed": seed,
                                     "temperature": temperature, "palette": palette,
                                     "folder": str(self.music_folder()),
                                     "seed_melody": seed_melody}, done)
