"""The main window: builds the views and wires them to controllers by concern; little else.

The work lives in :mod:`ui.controllers`: analysis (analyse, re-analyse, thumbnails), music (cue
edits through the core and the music for each cue), transport (play, shuttle, audition) and
export. Long work goes through :mod:`ui.thread`; results come back on the GUI thread as
(result, error).
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QKeySequence
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
from scorer.errors import ScorerError
from scorer.project import Project
from ui.actions import MENUS, build_actions, spec
from ui.audition import Audition
from ui.audition_bar import AuditionBar
from ui.controllers.analysis import AnalysisController
from ui.controllers.export import ExportController
from ui.controllers.music import MusicController
from ui.controllers.plan import ACTION_NAMES as PLAN_ACTIONS
from ui.controllers.plan import PlanController
from ui.controllers.transport import TransportController
from ui.document import PROJECT_SUFFIX, Document, untitled_folder, untitled_path
from ui.library_browser import LibraryBrowser
from ui.meters import LevelMeter
from ui.player import PlayerWidget
from ui.settings import Settings, WindowState
from ui.shortcuts import apply_keys
from ui.suggestions import SuggestionsPanel
from ui.thread import run_task, running_tasks, shutdown, stop_workers, warm_up
from ui.timeline import TimelineView
from ui.vaplane import VAPlane
from ui.viewer import Viewer

log = logging.getLogger(__name__)

OPEN_FILTER = ("Video or Scorer project (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.mxf *.json);;"
               "Video (*.mp4 *.mov *.mkv *.avi *.webm *.m4v *.mxf);;Scorer project (*.json)")


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
        self.tasks: dict[str, object] = {}  # kind -> running task (one per kind)

        self.player = PlayerWidget(self)
        self.plane = VAPlane(self)
        self.panel = SuggestionsPanel(self)
        self.panel.set_document(self.doc)
        self.timeline = TimelineView(self)
        self.timeline.format_time = self.player.timecode_text
        self.timeline.set_lane_state(self.settings["timeline/lanes"])
        self.audition = Audition(self.player, self.settings, self)
        self.meter = LevelMeter(("dialogue", "music"), self)
        self.meter.tap("dialogue", self.player.player, self.player.audio.volume)
        self.meter.tap("music", self.audition.music,
                       lambda: 0.0 if self.audition.on_b else self.audition.gains()[0])
        self.meter.tap("music", self.audition.music_b,
                       lambda: self.audition.gains()[0] if self.audition.on_b else 0.0)

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

        self.analysis = AnalysisController(self)
        self.music = MusicController(self)
        self.plan = PlanController(self)
        self.transport = TransportController(self)
        self.exporter = ExportController(self)
        self.library = LibraryBrowser(self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.library)
        self.library.hide()  # View it with Music > Music Library (Ctrl+Shift+L)
        self.viewer = Viewer(self)
        self.shortcuts_help = None
        self.shortcut_editor = None
        self._build_actions()
        self.audition_bar = AuditionBar(self)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.audition_bar)
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
            handler = next((getattr(owner, f"act_{name}") for owner in
                            (self, self.plan, self.transport)
                            if hasattr(owner, f"act_{name}")), None)
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
        apply_keys(self.actions, self.settings["shortcuts/custom"])
        self.update_actions()

    def _connect(self) -> None:
        doc = self.doc
        doc.projectReplaced.connect(self._on_project_replaced)
        doc.cueChanged.connect(self._on_cue_changed)
        # the music lane follows every change of cues or music, once per event-loop turn
        self._lane_timer = QTimer(self)
        self._lane_timer.setSingleShot(True)
        self._lane_timer.setInterval(30)
        self._lane_timer.timeout.connect(self._refresh_music_lane)
        doc.suggestionsChanged.connect(self._lane_timer.start)
        doc.cueChanged.connect(self._lane_timer.start)
        doc.cuesChanged.connect(self._lane_timer.start)
        doc.cuesChanged.connect(self._on_cues_changed)
        # bound methods (not lambdas): Qt drops them when the window goes away
        doc.undo_stack.cleanChanged.connect(self._update_title)
        doc.undo_stack.indexChanged.connect(self._update_title)
        self.player.positionChanged.connect(self.timeline.set_playhead)
        self.player.positionChanged.connect(self.plane.set_time)
        self.timeline.seekRequested.connect(self._seek)
        self.timeline.cueSelected.connect(self.select_cue)
        self.timeline.edgeDragged.connect(self.music.move_cue_edge)
        self.timeline.hitMoved.connect(self.plan.move_hit)
        doc.marksChanged.connect(self.timeline.update_marks)
        self.plane.cueSelected.connect(self.select_cue)
        self.plane.retargeted.connect(self.music.retarget_cue)
        self.panel.auditionRequested.connect(self.transport.start_audition)
        self.panel.stopRequested.connect(self.audition.stop)
        self.panel.lockRequested.connect(self.music.lock_choice)
        self.panel.regenerateRequested.connect(self.music.regenerate)
        self.library.useRequested.connect(self.music.use_library_piece)
        self.timeline.pieceDropped.connect(self.music.use_library_piece)
        self.timeline.lanesChanged.connect(self._on_lanes_changed)
        self.library.visibilityChanged.connect(self.actions["show_library"].setChecked)
        self.viewer.changed.connect(
            lambda: self.actions["viewer_detach"].setChecked(self.viewer.detached))

    def _restore_state(self) -> None:
        geometry = self.state.load_bytes("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for key, splitter in (("split", self.split), ("top", self.top)):
            data = self.state.load_bytes(key)
            if data is not None:
                splitter.restoreState(data)
        docks = self.state.load_bytes("docks")
        if docks is not None:
            self.restoreState(docks)

    def _save_state(self) -> None:
        self.state.save_bytes("geometry", QByteArray(self.saveGeometry()))
        self.state.save_bytes("split", QByteArray(self.split.saveState()))
        self.state.save_bytes("top", QByteArray(self.top.saveState()))
        self.state.save_bytes("docks", QByteArray(self.saveState()))
        self.state.sync()

    # ------------------------------------------------------------------ status line
    def say(self, text: str, error: bool = False) -> None:
        """Show what is happening (or what went wrong) in the status line."""
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")
        if error:
            log.warning("%s", text)

    def busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)

    def _update_title(self, *_args) -> None:
        name = self.doc.project.title if self.doc.project else "Scorer"
        dirty = self.doc.project is not None and not self.doc.undo_stack.isClean()
        self.setWindowTitle(f"{name}{' *' if dirty else ''} — Scorer")

    def update_actions(self) -> None:
        has = self.doc.project is not None
        for name in ("save", "save_as", "export", "zoom_in", "zoom_out", "zoom_fit",
                     "reanalyse", "play_pause", "shuttle_back", "shuttle_stop",
                     "shuttle_forward", "step_back", "step_forward", *PLAN_ACTIONS):
            self.actions[name].setEnabled(has)
        has_cues = bool(self.doc.cues())
        for name in ("find_music", "find_music_selected"):
            self.actions[name].setEnabled(has_cues)
        self.actions["cancel"].setEnabled(bool(running_tasks()))
        self.player.set_enabled(has)

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
                                              OPEN_FILTER)
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
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(self.actions["clear_recent"])
        self.recent_menu.setEnabled(bool(files))

    def _remember(self, path: Path) -> None:
        """Put a file the user opened in Open Recent (never the internal autosave names)."""
        path = Path(path)
        if path.name.endswith(projectio.AUTOSAVE_SUFFIX) or \
                untitled_folder() in path.resolve().parents:
            return
        self.state.add_recent_file(path)
        self._fill_recent()

    def _forget(self, path: Path) -> None:
        self.state.remove_recent_file(path)
        self._fill_recent()

    def act_clear_recent(self) -> None:
        self.state.clear_recent_files()
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
            self._forget(path)
            return
        self.cancel_all()
        self.doc.replace(project, path, saved=path.exists())
        if recovered is not None:
            self.doc.undo_stack.resetClean()  # recovered edits are not saved yet
        self._remember(path)
        media = project.media
        if media and Path(media.path).exists():
            self.video_path = Path(media.path)
            self.player.load(media.path, media.fps, media.start_timecode)
            self.analysis.start_thumbnails(Path(media.path))
        self.say(f"Opened {path.name}" + (" (recovered from autosave)" if recovered else ""))

    def analyze_video(self, path: Path) -> None:
        """Analyse a video off the GUI thread; cues and suggestions follow."""
        if self.analysis.task is not None:
            self.say("An analysis is already running; cancel it first (Esc).", error=True)
            return
        if not self._confirm_discard():
            return
        path = Path(path).resolve()
        recovered = self._offer_recovery(untitled_path(path))
        if recovered is not None:
            self.open_project(untitled_path(path), recovered)
            return
        self.cancel_all()
        self.video_path = path
        self.analysis.analyze(path)
        if self.analysis.task is not None:
            self._remember(path)

    @property
    def analysis_task(self):
        """The running analysis, or None."""
        return self.analysis.task

    # ------------------------------------------------------------------ document events
    def _on_project_replaced(self) -> None:
        self.audition.stop()
        project = self.doc.project
        self.timeline.rate = None
        if project is not None and project.media is not None:
            try:
                rate = Fraction(project.media.fps)
                self.timeline.rate = rate if rate > 0 else None
            except (ValueError, ZeroDivisionError):
                pass  # an audio-only or odd clip: the ruler counts seconds
        self.timeline.set_project(project, self.doc.duration(), fit=True)
        self.plane.set_project(project)
        self._update_title()
        self.update_actions()
        cues = self.doc.cues()
        self.select_cue(cues[0].number if cues else "")
        self.timeline.waveform = None
        self._lane_timer.start()
        if project is not None and project.media is not None and project.media.has_audio \
                and Path(project.media.path).exists():
            self.analysis.start_waveform(Path(project.media.path))

    def _refresh_music_lane(self) -> None:
        from scorer.music.lane import music_lane

        project = self.doc.project
        if project is None:
            self.timeline.set_music_lane([])
            return
        try:
            self.timeline.set_music_lane(music_lane(project, self.doc.path))
        except Exception as exc:  # noqa: BLE001 - the lane is a view; the edit stands
            log.warning("music lane not drawn: %s", exc)

    def _on_cue_changed(self, number: str) -> None:
        self.timeline.update_cue(number)
        self.plane.update()

    def _on_cues_changed(self) -> None:
        self.timeline.set_project(self.doc.project, self.doc.duration(), fit=False)
        self.plane.set_project(self.doc.project)
        self.update_actions()
        numbers = [c.number for c in self.doc.cues()]
        if self.panel.number not in numbers:
            self.select_cue(numbers[0] if numbers else "")

    def _seek(self, t: float) -> None:
        self.player.seek(t, user=True)

    def select_cue(self, number: str) -> None:
        self.timeline.select_cue(number)
        self.plane.select_cue(number)
        if self.panel.number != number:
            self.panel.show_cue(number)

    def title_of(self, suggestion_id: str) -> str:
        for s in (self.doc.project.suggestions if self.doc.project else []):
            if s.id == suggestion_id:
                return s.title
        return suggestion_id

    # the edits, kept here as the window's public API (tests and menus call them)
    def move_cue_edge(self, number: str, edge: str, t: float) -> None:
        self.music.move_cue_edge(number, edge, t)

    def retarget_cue(self, number: str, valence: float, arousal: float) -> None:
        self.music.retarget_cue(number, valence, arousal)

    def lock_choice(self, number: str, suggestion_id: str, lock: bool) -> None:
        self.music.lock_choice(number, suggestion_id, lock)

    def export(self, formats: list[str], out_dir: Path, cue_sheet: dict | None = None,
               force: bool = False) -> None:
        self.exporter.export(formats, out_dir, cue_sheet, force)

    @property
    def last_export(self):
        return self.exporter.last_export

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
        self.exporter.open_dialog()

    def act_find_music(self) -> None:
        self.music.find_music(None)

    def act_find_music_selected(self) -> None:
        if self.panel.number:
            self.music.find_music([self.panel.number])
        else:
            self.say("Select a cue first (click it on the timeline).", error=True)

    def act_reanalyse(self) -> None:
        self.analysis.reanalyse()

    def act_cancel(self) -> None:
        tasks = running_tasks()
        for task in tasks:
            task.cancel_task()
        self.audition.stop()
        if tasks:
            self.say("Cancelling " + ", ".join(t.name for t in tasks) + "…")

    def cancel_all(self) -> None:
        self.audition.stop()
        for task in self.tasks.values():
            task.cancel_task()
        self.tasks.clear()

    def act_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        changed = dialog.changed()
        if not changed:
            return
        # preferences are not document edits: applied at once, not on the undo stack
        self.settings.apply(changed)
        if any(k.startswith(("analysis/", "fusion/")) for k in changed) and self.doc.project:
            self.say("Preferences saved. Analysis > Re-analyse (Ctrl+Shift+R) applies the "
                     "analysis settings to this clip.")
        else:
            self.say("Preferences saved.")

    def _on_setting(self, key: str, value) -> None:
        if key == "project/autosave_seconds":
            self.autosave_timer.start(1000 * int(value))
        elif key in ("library/folders",):
            self.panel.refresh_choices()

    def _on_lanes_changed(self, state: dict) -> None:
        self.settings["timeline/lanes"] = state

    def act_reset_lanes(self) -> None:
        self.timeline.reset_lanes()

    def act_show_library(self) -> None:
        show = not self.library.isVisible()
        self.library.setVisible(show)
        if show:
            self.library.raise_()
            self.library.text.setFocus()

    def act_viewer_full_screen(self) -> None:
        self.viewer.toggle_full_screen()

    def act_viewer_detach(self) -> None:
        self.viewer.toggle_detach()

    def act_shortcuts_help(self) -> None:
        from ui.shortcuts import ShortcutsHelp

        if self.shortcuts_help is None:
            self.shortcuts_help = ShortcutsHelp(self)
        self.shortcuts_help.refresh()
        self.shortcuts_help.show()
        self.shortcuts_help.raise_()

    def act_edit_shortcuts(self) -> None:
        from ui.shortcuts import ShortcutEditor

        self.shortcut_editor = ShortcutEditor(self)
        self.shortcut_editor.open()  # window-modal, without blocking the event loop

    def apply_shortcuts(self, custom: dict) -> None:
        """Give the actions these changed keys (over the defaults) and keep them."""
        apply_keys(self.actions, custom)
        self.settings["shortcuts/custom"] = custom
        if self.shortcuts_help is not None:
            self.shortcuts_help.refresh()
        self.say("Keyboard shortcuts saved." if custom else
                 "Keyboard shortcuts are the defaults.")

    def act_quit(self) -> None:
        self.close()

    def act_about(self) -> None:
        QMessageBox.about(self, "About Scorer", "Scorer scores video: it reads the emotion of "
                          "every scene and suggests music for each cue.")

    def act_play_pause(self) -> None:
        self.transport.play_pause()

    def act_shuttle_back(self) -> None:
        self.transport.shuttle(-1)

    def act_shuttle_stop(self) -> None:
        self.transport.shuttle(0)

    def act_shuttle_forward(self) -> None:
        self.transport.shuttle(1)

    def act_step_back(self) -> None:
        self.transport.step(-1)

    def act_step_forward(self) -> None:
        self.transport.step(1)

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
        if getattr(self, "_closed", False):  # a second close (test harnesses) has nothing to do
            event.accept()
            return
        if not self._confirm_discard():
            event.ignore()
            return
        self._closed = True
        self.autosave(wait=True)
        # An exception escaping closeEvent crashes PySide 6.11 (it segfaults reporting it),
        # so each step of the shutdown is logged on failure and the next one still runs.
        for step in (self.autosave_timer.stop, self.audition.cleanup, self.library.cleanup,
                     self.viewer.attach, self.player.release,
                     shutdown, stop_workers, self._save_state):
            try:
                step()
            except Exception:  # noqa: BLE001 - see above: nothing may escape here
                log.exception("closing: %s failed", getattr(step, "__name__", step))
        event.accept()

