"""The main window: wires the document, the views and the core together; little else.

Long work (analysis, thumbnails, suggestions, generation, export) goes through
:func:`ui.thread.run_task`; results come back on the GUI thread as (result, error).
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
)

from scorer import project as projectio
from scorer.errors import Cancelled, ScorerError
from scorer.project import Project, Suggestion
from ui import commands, core
from ui.actions import MENUS, build_actions, spec
from ui.audition import Audition
from ui.document import PROJECT_SUFFIX, Document, untitled_path
from ui.player import PlayerWidget
from ui.settings import Settings, WindowState
from ui.suggestions import SuggestionsPanel
from ui.thread import run_in_process, run_task, running_tasks, shutdown, stop_workers, warm_up
from ui.timeline import TimelineView
from ui.vaplane import VAPlane

log = logging.getLogger(__name__)

VIDEO_FILTER = "Video (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.mxf);;Scorer project (*.json)"


def _is_project(path: Path) -> bool:
    return path.name.endswith(".json")


class MainWindow(QMainWindow):
    """Scorer's window."""

    def __init__(self, settings: Settings | None = None, state: WindowState | None = None):
        super().__init__()
        self.setWindowTitle("Scorer")
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        self.state = state or WindowState()
        self.doc = Document(self)
        self.video_path: Path | None = None
        self.analysis_task = None
        self.tasks: dict[str, object] = {}  # kind -> running task (one per kind)
        self._stages: dict[str, float] = {}

        self.player = PlayerWidget(self)
        self.plane = VAPlane(self)
        self.panel = SuggestionsPanel(self)
        self.panel.set_document(self.doc)
        self.timeline = TimelineView(self)
        self.timeline.format_time = self.player.timecode_text
        self.audition = Audition(self.player, self.settings, self)

        self.top = QSplitter(Qt.Orientation.Horizontal, self)
        self.top.addWidget(self.player)
        self.top.addWidget(self.plane)
        self.top.addWidget(self.panel)
        self.top.setSizes([520, 300, 340])
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(self.top)
        self.split.addWidget(self.timeline)
        self.split.setSizes([380, 400])
        self.setCentralWidget(self.split)

        self.status = QLabel("Drop a video here, or File > Open.", self)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.act_cancel)
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)

        self._build_actions()
        self._connect()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start(1000 * int(self.settings["project/autosave_seconds"]))
        self.settings.subscribe(self._on_setting)
        self.resize(1180, 780)
        self._restore_state()
        warm_up()  # a worker process starts now, not when the first clip is dropped

    # ------------------------------------------------------------------ construction
    def _build_actions(self) -> None:
        self.actions = build_actions(self)
        undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        for name, action in (("undo", undo), ("redo", redo)):
            action.setShortcuts([QKeySequence(k) for k in spec(name).shortcuts])
            action.setObjectName(f"action_{name}")
            self.actions[name] = action
        for name, action in self.actions.items():
            handler = getattr(self, f"act_{name}", None)
            if handler is not None:
                action.triggered.connect(lambda _=False, h=handler: h())
            self.addAction(action)  # shortcuts work even with the menu bar hidden
        bar = self.menuBar()
        for title, names in MENUS:
            menu = bar.addMenu(title)
            for name in names:
                if name == "-":
                    menu.addSeparator()
                elif name == "-recent":
                    self.recent_menu = menu.addMenu("Open &Recent")
                    self._fill_recent()
                else:
                    menu.addAction(self.actions[name])
        self._update_actions()

    def _connect(self) -> None:
        doc = self.doc
        doc.projectReplaced.connect(self._on_project_replaced)
        doc.cueChanged.connect(self._on_cue_changed)
        # bound methods (not lambdas): Qt drops them when the window goes away
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.undo_stack.indexChanged.connect(self._update_title)
        self.player.positionChanged.connect(self.timeline.set_playhead)
        self.player.positionChanged.connect(self.plane.set_time)
        self.timeline.seekRequested.connect(self._seek)
        self.timeline.cueSelected.connect(self.select_cue)
        self.timeline.edgeDragged.connect(self.move_cue_edge)
        self.plane.cueSelected.connect(self.select_cue)
        self.plane.retargeted.connect(self.retarget_cue)
        self.panel.auditionRequested.connect(self.start_audition)
        self.panel.stopRequested.connect(self.audition.stop)
        self.panel.lockRequested.connect(self.lock_choice)
        self.panel.regenerateRequested.connect(self.regenerate)
        self.audition.preparing.connect(self.say)
        self.audition.started.connect(self._on_audition_started)
        self.audition.stopped.connect(self._on_audition_stopped)
        self.audition.failed.connect(self._on_audition_failed)

    def _on_audition_started(self, number: str, suggestion_id: str) -> None:
        self.say(f"Auditioning cue {number} with {self._title_of(suggestion_id)} "
                 "(Shift+Space stops)")

    def _on_audition_stopped(self) -> None:
        self.say("Audition stopped.")

    def _on_audition_failed(self, message: str) -> None:
        self.say(f"Audition failed: {message}", error=True)

    def _restore_state(self) -> None:
        geometry = self.state.load_bytes("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for key, splitter in (("split", self.split), ("top", self.top)):
            data = self.state.load_bytes(key)
            if data is not None:
                splitter.restoreState(data)

    def _save_state(self) -> None:
        self.state.save_bytes("geometry", QByteArray(self.saveGeometry()))
        self.state.save_bytes("split", QByteArray(self.split.saveState()))
        self.state.save_bytes("top", QByteArray(self.top.saveState()))
        self.state.sync()

    # ------------------------------------------------------------------ status line
    def say(self, text: str, error: bool = False) -> None:
        """Show what is happening (or what went wrong) in the status line."""
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")
        if error:
            log.warning("%s", text)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)

    def _update_title(self, *_args) -> None:
        name = self.doc.project.title if self.doc.project else "Scorer"
        dirty = self.doc.project is not None and not self.doc.undo_stack.isClean()
        self.setWindowTitle(f"{name}{' *' if dirty else ''} — Scorer")

    def _update_actions(self) -> None:
        has = self.doc.project is not None
        for name in ("save", "save_as", "export", "zoom_in", "zoom_out", "zoom_fit"):
            self.actions[name].setEnabled(has)
        self.actions["cancel"].setEnabled(bool(running_tasks()))

    # ------------------------------------------------------------------ opening
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                event.acceptProposedAction()
                self.open_path(Path(url.toLocalFile()))
                return

    def act_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", str(self.video_path or Path.home()),
                                              VIDEO_FILTER)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> None:
        """Open a project file or analyse a video."""
        if _is_project(path):
            self.open_project(path)
        else:
            self.analyze_video(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.state.recent_files()
        for i, name in enumerate(files, 1):
            action = self.recent_menu.addAction(f"&{i % 10} {Path(name).name}")
            action.setToolTip(name)
            action.triggered.connect(lambda _=False, n=name: self.open_path(Path(n)))
        self.recent_menu.setEnabled(bool(files))

    def _remember(self, path: Path) -> None:
        self.state.add_recent_file(path)
        self._fill_recent()

    def _offer_recovery(self, path: Path) -> Project | None:
        """If an autosave is newer than ``path``, offer it; return the recovered project."""
        candidate = projectio.recovery_candidate(path)
        if candidate is None:
            return None
        answer = QMessageBox.question(
            self, "Recover unsaved work?",
            f"Scorer found unsaved changes from an earlier session:\n{candidate}\n\n"
            "Recover them?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        try:
            return projectio.load(candidate)
        except ScorerError as exc:
            self.say(f"Cannot recover: {exc}", error=True)
            return None

    def open_project(self, path: Path, recovered: Project | None = None) -> None:
        if not self._confirm_discard():
            return
        recovered = recovered or self._offer_recovery(path)
        try:
            project = recovered or projectio.load(path)
        except ScorerError as exc:
            self.say(str(exc), error=True)
            return
        self._cancel_all()
        self.doc.replace(project, path, saved=path.exists())
        if recovered is not None:
            self.doc.undo_stack.resetClean()  # recovered edits are not saved yet
        self._remember(path)
        media = project.media
        if media and Path(media.path).exists():
            self.video_path = Path(media.path)
            self.player.load(media.path, media.fps, media.start_timecode)
            self._start_thumbnails(Path(media.path))
        self.say(f"Opened {path.name}" + (" (recovered from autosave)" if recovered else ""))

    def analyze_video(self, path: Path) -> None:
        """Analyse a video off the GUI thread; cues and suggestions follow."""
        if self.analysis_task is not None:
            self.say("An analysis is already running; cancel it first (Esc).", error=True)
            return
        if not self._confirm_discard():
            return
        path = Path(path).resolve()
        recovered = self._offer_recovery(untitled_path(path))
        if recovered is not None:
            self.open_project(untitled_path(path), recovered)
            return
        self._cancel_all()
        self.video_path = path
        self._remember(path)
        from dataclasses import asdict

        from scorer.pipeline import AnalysisSettings

        settings = AnalysisSettings(content_type=self.settings["analysis/content_type"],
                                    sample_fps=float(self.settings["analysis/sample_fps"]),
                                    transcriber=self.settings["analysis/transcriber"])
        project = Project(title=path.stem)
        project.settings["content_type"] = settings.content_type
        weights = self.settings["fusion/weights"]
        if weights:
            project.settings["fusion_weights"] = dict(weights)
        self._stages = {}
        self._busy(True)
        self.say(f"Analysing {path.name}…")

        self.analysis_task = run_in_process(
            "analysis", "analyze",
            {"path": str(path), "project": project.to_dict(), "settings": asdict(settings)},
            self._analysis_done, progress=self._analysis_progress, convert=Project.from_dict)
        self._update_actions()

    def _analysis_progress(self, stage: str, fraction: float) -> None:
        self._stages[stage] = fraction
        weights = {"video": 0.6, "audio": 0.3, "fusion": 0.05, "cues": 0.05}
        done = sum(weights.get(s, 0.05) * f for s, f in self._stages.items())
        self.progress.setValue(int(1000 * min(1.0, done / 1.0)))
        parts = " · ".join(f"{s} {int(f * 100)}%" for s, f in self._stages.items())
        name = self.video_path.name if self.video_path else ""
        self.say(f"Analysing {name}: {parts}")

    def _analysis_done(self, project: Project | None, error: BaseException | None) -> None:
        self.analysis_task = None
        self._busy(False)
        self._update_actions()
        if isinstance(error, Cancelled):
            self.say("Analysis cancelled; nothing was changed.")
            return
        if error is not None:
            self.say(f"Analysis failed: {error}", error=True)
            if not isinstance(error, ScorerError):
                log.warning("analysis crashed", exc_info=error)
            return
        self.doc.replace(project, untitled_path(self.video_path), saved=False)
        self.doc.undo_stack.resetClean()  # a fresh analysis is unsaved work
        media = project.media
        self.player.load(str(self.video_path), media.fps, media.start_timecode)
        self._start_thumbnails(self.video_path)
        missing = [core.missing_message(f) for f in ("fusion", "cues") if not core.available(f)]
        summary = (f"Analysed {self.video_path.name}: {len(project.shots)} cuts, "
                   f"{len(project.tracks)} modalities, {len(project.cues)} cues.")
        self.say(" ".join([summary] + missing), error=bool(missing))
        # separate event-loop turns, so no single one holds the window for long
        QTimer.singleShot(0, self.autosave)
        QTimer.singleShot(0, self._start_suggestions)

    # ------------------------------------------------------------------ background jobs
    def _start_thumbnails(self, path: Path) -> None:
        fps = float(self.settings["timeline/thumbnail_fps"])

        def work(task):
            from scorer.media import iter_frames

            out = []
            for frame in iter_frames(path, fps=fps, max_width=112, cancel=task.cancel):
                h, w, _ = frame.image.shape
                image = QImage(frame.image.data, w, h, 3 * w, QImage.Format.Format_RGB888)
                out.append((frame.time, image.copy()))  # copy: the array is reused
            return out

        def done(result, error):
            self.tasks.pop("thumbnails", None)
            if error is None:
                self.timeline.set_thumbnails([(t, QPixmap.fromImage(img)) for t, img in result])
            elif not isinstance(error, Cancelled):
                self.say(f"No thumbnails: {error}", error=True)

        self.tasks["thumbnails"] = run_task("thumbnails", work, done)

    def _start_suggestions(self) -> None:
        if not self.doc.cues():
            return
        if not core.available("suggest"):
            self.say(self.status.text() + " " + core.missing_message("suggest"))
            return
        n = int(self.settings["music/suggestions"])
        self._busy(True)
        self.say("Finding music for each cue…")
        kwargs = {"project": self.doc.project.to_dict(), "project_path": str(self.doc.path),
                  "n": n, "folders": list(self.settings["library/folders"]),
                  "use_default": bool(self.settings["library/use_default"])}

        def progress(stage, fraction):
            self.progress.setValue(int(1000 * fraction))
            self.say(f"Finding music: {stage} {int(fraction * 100)}%")

        def done(result, error):
            self.tasks.pop("suggest", None)
            self._busy(bool(running_tasks()))
            self._update_actions()
            if isinstance(error, Cancelled):
                self.say("Music search cancelled.")
                return
            if error is not None:
                self.say(f"Music search failed: {error}", error=True)
                return
            # suggest_project keeps the suggestions of locked cues and replaces the rest
            self.doc.project.suggestions = result
            for cue in self.doc.cues():
                self.doc.suggestionsChanged.emit(cue.number)
            self.say(f"{len(result)} suggestions for {len(self.doc.cues())} cues. "
                     "Select a cue, then audition (Ctrl+Space).")
            self.autosave()

        self.tasks["suggest"] = run_in_process(
            "suggest", "suggest", kwargs, done, progress=progress,
            convert=lambda items: [Suggestion(**item) for item in items])
        self._update_actions()

    # ------------------------------------------------------------------ document events
    def _on_project_replaced(self) -> None:
        self.audition.stop()
        project = self.doc.project
        self.timeline.set_project(project, self.doc.duration(), fit=True)
        self.plane.set_project(project)
        self._update_title()
        self._update_actions()
        cues = self.doc.cues()
        self.select_cue(cues[0].number if cues else "")

    def _on_cue_changed(self, number: str) -> None:
        self.timeline.update_cue(number)
        self.plane.update()

    def _seek(self, t: float) -> None:
        self.player.seek(t, user=True)

    def select_cue(self, number: str) -> None:
        self.timeline.select_cue(number)
        self.plane.select_cue(number)
        if self.panel.number != number:
            self.panel.show_cue(number)

    # ------------------------------------------------------------------ edits (undoable)
    def move_cue_edge(self, number: str, edge: str, t: float) -> None:
        command = commands.MoveCueEdge(self.doc, number, edge, t)
        rolled = sorted(n for n in command.after if n != number
                        and command.after[n] != command.before[n])
        self.doc.undo_stack.push(command)
        what = (f"the cut between cues {' and '.join(sorted([number, *rolled]))}" if rolled
                else f"the {edge} of cue {number}")
        self.say(f"Moved {what} to {self.player.timecode_text(t)} (Ctrl+Z undoes).")

    def retarget_cue(self, number: str, valence: float, arousal: float) -> None:
        self.doc.undo_stack.push(commands.RetargetCue(self.doc, number, valence, arousal))
        cue = self.doc.cue(number)
        self.say(f"Cue {number} now aims at valence {cue.valence:+.2f}, arousal "
                 f"{cue.arousal:+.2f}: {cue.tempo:.0f} BPM, {cue.key} {cue.mode}.")

    def lock_choice(self, number: str, suggestion_id: str, lock: bool) -> None:
        self.doc.undo_stack.push(commands.LockChoice(self.doc, number,
                                                     suggestion_id if lock else "", lock))
        self.panel.select_suggestion(suggestion_id)
        what = f"locked to {self._title_of(suggestion_id)}" if lock else "unlocked"
        self.say(f"Cue {number}: {what}.")

    def regenerate(self, number: str, style: str, seed: int, temperature: float,
                   palette: str) -> None:
        if not core.available("generate"):
            self.say(core.missing_message("generate"), error=True)
            return
        if "generate" in self.tasks:
            self.say("Still generating; wait for it to finish.", error=True)
            return
        cue = copy.deepcopy(self.doc.cue(number))
        if palette:
            palettes = core.instrument_palettes()
            cue.programs = dict(palettes.get(palette, cue.programs))
            cue.instrumentation = palette
        folder = self._music_folder()
        label = style or "auto"
        target = folder / f"{number}-{label}-s{seed}-t{temperature:.2f}-{palette or 'plan'}.mid"
        self.say(f"Generating music for cue {number} (style {label}, seed {seed}, "
                 f"temperature {temperature:.1f})…")
        self._busy(True)
        cue_doc = Project(cues=[cue]).to_dict()["cues"][0]

        def done(result, error):
            self.tasks.pop("generate", None)
            self._busy(bool(running_tasks()))
            if error is not None:
                self.say(f"Generation failed: {error}", error=True)
                return
            used, fit, measured = result["style"] or label, result["fit"], result["measured"]
            sid = f"{number}:gen:{used}:{seed}:{temperature:.2f}:{palette or 'plan'}"
            item = Suggestion(
                id=sid, cue=number, source="generated",
                title=f"Generated {used} (seed {seed}, T {temperature:.1f})", path=str(target),
                score=fit,
                explanation=(f"score {fit:.2f}; melody LSTM ({used}) sampled at temperature "
                             f"{temperature:.1f}, seed {seed}; arranged for "
                             f"{cue.instrumentation.replace('_', ' ')} in {cue.key} {cue.mode} "
                             f"at {cue.tempo:.0f} BPM" + (f"; {measured}" if measured else "")),
                params={"style": used, "seed": seed, "temperature": temperature,
                        "programs": dict(cue.programs)})
            self.doc.undo_stack.push(commands.AddSuggestions(
                self.doc, [item], f"Regenerate music for cue {number}"))
            self.panel.select_suggestion(sid)
            self.say(f"New music for cue {number}: {item.title}.")

        self.tasks["generate"] = run_in_process(
            "generate", "generate", {"cue": cue_doc, "style": style, "seed": seed,
                                     "temperature": temperature, "target": str(target)}, done)

    def _music_folder(self) -> Path:
        """Generated music goes to a folder beside the project (the job creates it)."""
        from scorer.project import music_folder

        return music_folder(self.doc.path or untitled_path(self.video_path or Path("untitled")))

    def _title_of(self, suggestion_id: str) -> str:
        for s in (self.doc.project.suggestions if self.doc.project else []):
            if s.id == suggestion_id:
                return s.title
        return suggestion_id

    def start_audition(self, number: str, suggestion_id: str) -> None:
        suggestion = next((s for s in self.doc.project.suggestions if s.id == suggestion_id),
                          None)
        if suggestion is None:
            return
        self.audition.start(self.doc.cue(number), suggestion)

    # ------------------------------------------------------------------ actions
    def act_save(self) -> bool:
        if self.doc.project is None:
            return False
        if not self.doc.saved:
            return self.act_save_as()
        return self._save_to(self.doc.path)

    def act_save_as(self) -> bool:
        if self.doc.project is None:
            return False
        start = self.video_path.with_name(self.video_path.stem + PROJECT_SUFFIX) \
            if self.video_path else Path.home() / f"untitled{PROJECT_SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(start),
                                              "Scorer project (*.json)")
        if not path:
            return False
        if not path.endswith(".json"):
            path += PROJECT_SUFFIX
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        old = self.doc.path if not self.doc.saved else None
        try:
            self.doc.save(path)
        except ScorerError as exc:
            self.say(str(exc), error=True)
            return False
        if old is not None and old != path:
            projectio.autosave_path(old).unlink(missing_ok=True)
        self._remember(path)
        self._update_title()
        self.say(f"Saved {path}")
        return True

    def autosave(self, wait: bool = False) -> None:
        """Autosave unsaved work; the file is written (and fsynced) off the GUI thread."""
        snapshot = self.doc.autosave_snapshot()
        if snapshot is None:
            return
        target, data = snapshot

        def work(task):
            projectio.atomic_write_bytes(target, data)
            return target

        def done(result, error):
            if error is not None:
                self.say(f"Autosave failed: {error}", error=True)
            else:
                log.info("autosaved %s", result)

        if wait:  # at close: the process is about to end
            try:
                projectio.atomic_write_bytes(target, data)
            except (OSError, ScorerError) as exc:  # incl. another Scorer writing it now
                log.warning("autosave failed: %s", exc)
            return
        run_task("autosave", work, done)

    def act_export(self) -> None:
        if self.doc.project is None:
            return
        from ui.export_dialog import ExportDialog

        out_dir = (self.video_path.parent if self.video_path else Path.home()) / \
            f"{self.doc.project.title}-export"
        dialog = ExportDialog(self.doc.project, out_dir, self)
        self._export_dialog = dialog  # tests reach the open dialog here
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        self.export(dialog.formats(), dialog.out_dir(), dialog.cue_sheet(),
                    force=dialog.force.isChecked())

    def export(self, formats: list[str], out_dir: Path, cue_sheet: dict | None = None,
               force: bool = False) -> None:
        """Export off the GUI thread (the dialog calls this; so can tests)."""
        if not core.available("export"):
            self.say(core.missing_message("export"), error=True)
            return
        if cue_sheet is not None and cue_sheet != self.doc.project.cue_sheet:
            self.doc.undo_stack.push(commands.EditCueSheet(self.doc, cue_sheet))
        sf2 = self.settings["audio/soundfont"] or None
        self._busy(True)
        self.say(f"Exporting {', '.join(formats)} to {out_dir}…")
        kwargs = {"project": self.doc.project.to_dict(),
                  "project_path": str(self.doc.path) if self.doc.path else None,
                  "formats": list(formats), "out_dir": str(out_dir), "force": force, "sf2": sf2}

        def progress(stage, fraction):
            self.progress.setValue(int(1000 * fraction))
            self.say(f"Exporting: {stage} {int(fraction * 100)}%")

        def done(report, error):
            self.tasks.pop("export", None)
            self._busy(bool(running_tasks()))
            self.last_export = (report, error)
            if isinstance(error, Cancelled):
                self.say("Export cancelled; no partial files were left.")
            elif error is not None:
                self.say(f"Export failed: {error}", error=True)
            else:
                self.say(f"Exported to {out_dir}: {_describe_report(report)}")

        self.tasks["export"] = run_in_process("export", "export", kwargs, done,
                                              progress=progress)

    def act_cancel(self) -> None:
        tasks = running_tasks()
        for task in tasks:
            task.cancel_task()
        self.audition.stop()
        if tasks:
            self.say("Cancelling " + ", ".join(t.name for t in tasks) + "…")

    def _cancel_all(self) -> None:
        self.audition.stop()
        for task in self.tasks.values():
            task.cancel_task()
        self.tasks.clear()

    def act_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            changed = dialog.changed()
            if changed:
                self.doc.undo_stack.push(commands.ChangeSettings(self.settings, changed))
                self.say("Preferences changed (Ctrl+Z undoes); re-analyse to apply analysis "
                         "settings.")

    def _on_setting(self, key: str, value) -> None:
        if key == "project/autosave_seconds":
            self.autosave_timer.start(1000 * int(value))
        elif key in ("library/folders",):
            self.panel.refresh_choices()

    def act_quit(self) -> None:
        self.close()

    def act_about(self) -> None:
        QMessageBox.about(self, "About Scorer", "Scorer scores video: it reads the emotion of "
                          "every scene and suggests music for each cue.")

    def act_play_pause(self) -> None:
        if self.audition.active:
            self.audition.stop()
        else:
            self.player.play_pause()

    def act_shuttle_back(self) -> None:
        self.audition.stop()
        self.player.shuttle(-1)

    def act_shuttle_stop(self) -> None:
        self.audition.stop()
        self.player.shuttle(0)

    def act_shuttle_forward(self) -> None:
        self.audition.stop()
        self.player.shuttle(1)

    def act_step_back(self) -> None:
        self.player.step(-1)

    def act_step_forward(self) -> None:
        self.player.step(1)

    def act_zoom_in(self) -> None:
        self.timeline.zoom(1.5)

    def act_zoom_out(self) -> None:
        self.timeline.zoom(1 / 1.5)

    def act_zoom_fit(self) -> None:
        self.timeline.zoom_fit()

    def act_audition(self) -> None:
        self.panel._audition()

    def act_stop_audition(self) -> None:
        self.audition.stop()

    def act_lock_choice(self) -> None:
        self.panel._lock()

    def act_regenerate(self) -> None:
        self.panel._regenerate()

    # ------------------------------------------------------------------ closing
    def _confirm_discard(self) -> bool:
        if self.doc.project is None or self.doc.undo_stack.isClean():
            return True
        if not self.doc.saved:
            return True  # unsaved analyses stay in their autosave; recovery offers them
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save changes to {self.doc.project.title}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.act_save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.autosave(wait=True)
        self.autosave_timer.stop()
        self.audition.cleanup()
        self.player.stop()
        self.analysis_task = None
        shutdown()
        stop_workers()
        self._save_state()
        event.accept()


def _describe_report(report: dict) -> str:
    files = [Path(f).name for f in report.get("files", [])]
    notes = list(report.get("notes", []))
    text = f"{len(files)} files ({', '.join(files[:6])}{'…' if len(files) > 6 else ''})"
    if notes:
        text += f"; {len(notes)} notes: " + "; ".join(notes[:2])
    return text
