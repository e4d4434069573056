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
        self.audition.heard.connect(self._on_heard)

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

    # --- a music editor's audition: A/B, loop, balance ----------------------------------
    def act_ab_compare(self) -> None:
        """Compare the selected suggestion with the one playing (or switch sides)."""
        audition = self.audition
        if not audition.active:
            self.win.say("A/B compares while auditioning: start one (Ctrl+Space), select "
                         "another suggestion, then A/B (Ctrl+Shift+B).")
            return
        chosen = self.win.panel.current_id()
        project = self.win.doc.project
        other = next((s for s in project.suggestions if s.id == chosen), None) \
            if project and chosen else None
        if other is None or other.cue != audition.cue.number or \
                chosen in (audition.suggestion_id, audition.b_id):
            if audition.wav_b is None:
                self.win.say("Select another suggestion of this cue to compare with.")
                return
            audition.toggle_ab()
            return
        audition.compare(other)

    def _on_heard(self, side: str, suggestion_id: str) -> None:
        self.win.say(f"Hearing {side}: {self.win.title_of(suggestion_id)} (Ctrl+Shift+B "
                     "switches; playback goes on)")

    def act_loop_cue(self) -> None:
        self.audition.loop = self.win.actions["loop_cue"].isChecked()
        self.win.say("Auditions loop the cue." if self.audition.loop
                     else "Auditions stop at the cue's end.")

    def nudge_balance(self, step: int) -> None:
        slider = self.win.audition_bar.balance
        slider.setValue(max(-100, min(100, slider.value() + step)))
        music, dialogue = self.audition.gains()
        self.win.say(f"Audition balance: music {_db(music)}, dialogue {_db(dialogue)}.")

    def act_more_music(self) -> None:
        self.nudge_balance(20)

    def act_more_dialogue(self) -> None:
        self.nudge_balance(-20)


def _db(gain: float) -> str:
    import math

    return "off" if gain <= 1e-6 else f"{20 * math.log10(gain):+.0f} dB"
