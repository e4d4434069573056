"""Transport and audition: play, shuttle, frame steps, and playing a suggestion on the picture."""

from __future__ import annotations

from PySide6.QtCore import QObject


class TransportController(QObject):
    """Space/J/K/L/arrows and audition; an audition stops whenever the transport is used."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.player = win.player
        self.audition = win.audition
        self.audition.preparing.connect(win.say)
        self.audition.started.connect(self._on_started)
        self.audition.stopped.connect(self._on_stopped)
        self.audition.failed.connect(lambda m: win.say(f"Audition failed: {m}", error=True))

    def _on_stopped(self) -> None:
        self.win.panel.set_auditioning(False)
        self.win.say("Audition stopped.")

    def _on_started(self, number: str, suggestion_id: str) -> None:
        self.win.panel.set_auditioning(True)
        self.win.say(f"Auditioning cue {number} with {self.win.title_of(suggestion_id)} "
                     "(Shift+Space stops)")

    def play_pause(self) -> None:
        if self.win.doc.project is None and self.win.video_path is None:
            return
        if self.audition.active:
            self.audition.stop()
        else:
            self.player.play_pause()

    def shuttle(self, direction: int) -> None:
        self.audition.stop()
        self.player.shuttle(direction)

    def step(self, frames: int) -> None:
        self.player.step(frames)

    def start_audition(self, number: str, suggestion_id: str) -> None:
        project = self.win.doc.project
        suggestion = next((s for s in project.suggestions if s.id == suggestion_id), None) \
            if project else None
        if suggestion is None:
            return
        self.audition.start(self.win.doc.cue(number), suggestion)

    def stop_audition(self) -> None:
        self.audition.stop()
