"""Analysis: analyse a dropped clip, re-analyse with changed preferences, thumbnails."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage, QPixmap

from scorer.errors import Cancelled, ScorerError
from scorer.project import Project
from ui import core
from ui.document import untitled_path
from ui.thread import run_in_process, run_task

log = logging.getLogger(__name__)

STAGE_WEIGHTS = {"video": 0.6, "audio": 0.3, "fusion": 0.05, "cues": 0.05}


class AnalysisController(QObject):
    """Runs the core's analysis in a worker process, with progress and cancel."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.task = None
        self._stages: dict[str, float] = {}
        self._keep_path: tuple[Path, bool] | None = None

    def _settings(self):
        from scorer.pipeline import AnalysisSettings

        s = self.win.settings
        return AnalysisSettings(content_type=s["analysis/content_type"],
                                sample_fps=float(s["analysis/sample_fps"]),
                                transcriber=s["analysis/transcriber"])

    def analyze(self, path: Path, base: Project | None = None,
                keep_path: tuple[Path, bool] | None = None) -> None:
        """Analyse ``path``; ``base`` carries what a re-analysis keeps (locked cues, sheet)."""
        if self.task is not None:
            self.win.say("An analysis is already running; cancel it first (Esc).", error=True)
            return
        settings = self._settings()
        project = base or Project(title=path.stem)
        project.settings["content_type"] = settings.content_type
        weights = self.win.settings["fusion/weights"]
        if weights:
            project.settings["fusion_weights"] = dict(weights)
        else:
            project.settings.pop("fusion_weights", None)
        self._keep_path = keep_path
        self._stages = {}
        self.win.busy(True)
        self.win.say(f"Analysing {path.name}…")
        self.task = run_in_process(
            "analysis", "analyze",
            {"path": str(path), "project": project.to_dict(), "settings": asdict(settings)},
            self._done, progress=self._progress, convert=Project.from_dict)
        self.win.update_actions()

    def reanalyse(self) -> None:
        """Analyse the open clip again with the current preferences; locked cues stay."""
        doc, win = self.win.doc, self.win
        if doc.project is None or win.video_path is None or not win.video_path.exists():
            win.say("Nothing to re-analyse: open a clip first.", error=True)
            return
        win.cancel_all()
        old = doc.project
        base = Project(title=old.title, cues=[c for c in old.cues if c.locked],
                       suggestions=[s for s in old.suggestions
                                    if any(c.locked and c.number == s.cue for c in old.cues)],
                       cue_sheet=dict(old.cue_sheet))
        base.settings = {k: v for k, v in old.settings.items() if k == "cues"}
        self.analyze(win.video_path, base, keep_path=(doc.path, doc.saved))

    def _progress(self, stage: str, fraction: float) -> None:
        self._stages[stage] = fraction
        done = sum(STAGE_WEIGHTS.get(s, 0.05) * f for s, f in self._stages.items())
        self.win.progress.setValue(int(1000 * min(1.0, done)))
        parts = " · ".join(f"{s} {int(f * 100)}%" for s, f in self._stages.items())
        name = self.win.video_path.name if self.win.video_path else ""
        self.win.say(f"Analysing {name}: {parts}")

    def _done(self, project: Project | None, error: BaseException | None) -> None:
        win = self.win
        self.task = None
        win.busy(False)
        win.update_actions()
        if isinstance(error, Cancelled):
            win.say("Analysis cancelled; nothing was changed.")
            return
        if error is not None:
            win.say(f"Analysis failed: {error}", error=True)
            if not isinstance(error, ScorerError):
                log.warning("analysis crashed", exc_info=error)
            return
        path, saved = self._keep_path or (untitled_path(win.video_path), False)
        self._keep_path = None
        win.doc.replace(project, path, saved=saved)
        win.doc.undo_stack.resetClean()  # a fresh analysis is unsaved work
        media, video = project.media, win.video_path
        # separate event-loop turns, so no single one holds the window for long (opening the
        # clip in the player alone takes tens of milliseconds)
        QTimer.singleShot(0, lambda: win.player.load(str(video), media.fps,
                                                     media.start_timecode))
        self.start_thumbnails(video)
        missing = [core.missing_message(f) for f in ("fusion", "cues") if not core.available(f)]
        summary = (f"Analysed {win.video_path.name}: {len(project.shots)} cuts, "
                   f"{len(project.tracks)} modalities, {len(project.cues)} cues.")
        # a model that was asked for but could not run, and what ran instead
        audio_info = project.settings.get("audio", {})
        for note in filter(None, (audio_info.get("transcriber_note"),
                                  audio_info.get("voice_note"))):
            missing.append(note[0].upper() + note[1:] + ".")
        win.say(" ".join([summary] + missing), error=bool(missing))
        # separate event-loop turns, so no single one holds the window for long
        QTimer.singleShot(0, win.autosave)
        QTimer.singleShot(0, lambda: win.music.find_music(None) if win.doc.cues() else None)

    def start_waveform(self, path: Path) -> None:
        """Decode the original sound once, off the GUI thread, for the timeline's lane."""
        bins = 100

        def work(task):
            from scorer.media.waveform import waveform_envelope

            return waveform_envelope(path, bins_per_second=bins, cancel=task.cancel)

        def done(result, error):
            self.win.tasks.pop("waveform", None)
            if error is None:
                self.win.timeline.set_waveform(*result, bins)
            elif not isinstance(error, Cancelled):
                log.info("no waveform for %s: %s", path, error)

        old = self.win.tasks.pop("waveform", None)
        if old is not None:
            old.cancel_task()
        self.win.tasks["waveform"] = run_task("waveform", work, done)

    def start_thumbnails(self, path: Path) -> None:
        fps = float(self.win.settings["timeline/thumbnail_fps"])

        def work(task):
            from scorer.media import iter_frames

            out = []
            for frame in iter_frames(path, fps=fps, max_width=112, cancel=task.cancel):
                h, w, _ = frame.image.shape
                image = QImage(frame.image.data, w, h, 3 * w, QImage.Format.Format_RGB888)
                out.append((frame.time, image.copy()))  # copy: the array is reused
            return out

        def done(result, error):
            self.win.tasks.pop("thumbnails", None)
            if error is None:
                self.win.timeline.set_thumbnails(
                    [(t, QPixmap.fromImage(img)) for t, img in result])
            elif not isinstance(error, Cancelled):
                self.win.say(f"No thumbnails: {error}", error=True)

        self.win.tasks["thumbnails"] = run_task("thumbnails", work, done)
