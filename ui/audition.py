"""Audition: the picture from the cue's start with the suggestion's music mixed in.

The music is prepared in a worker process by the core (:mod:`scorer.export.preview`): MIDI is
rendered through the SoundFont (audio decoded), fitted to the cue with fades and a music-bed
level, and dipped under the cue's speech regions, exactly as the exported mix will.
It is written to a temporary WAV and played by a second QMediaPlayer in step with the
picture player; a timer re-aligns the two when they drift apart by more than ``RESYNC_MS``.

Ducking: the *music* is ducked under speech (baked into the WAV, as in the export). The
original sound plays at the level set by the ``audition/original_gain_db`` preference
(0 dB = unchanged), so the editor hears the dialogue the music must sit under.

Like a music editor's session: a music-versus-dialogue balance (:meth:`Audition.set_balance`)
applies while auditioning; A/B compares two suggestions without stopping playback (the second
is rendered and played in step but silent, and :meth:`Audition.toggle_ab` swaps which one is
heard, instantly); and a cue can loop (:attr:`Audition.loop`) instead of ending at its end.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

from ui import media_calls
from ui.thread import run_in_process

RESYNC_MS = 80
SYNC_INTERVAL_MS = 200


class Audition(QObject):
    """Plays a cue with a suggestion; one at a time.

    Signals:
        started(str, str): Cue number and suggestion id now playing.
        stopped(): Audition over (finished, stopped or replaced).
        failed(str): The music could not be prepared; the message says why.
        preparing(str): Rendering has begun (status line text).
    """

    started = Signal(str, str)
    stopped = Signal()
    failed = Signal(str)
    preparing = Signal(str)
    heard = Signal(str, str)  # (side "A" or "B", suggestion id) now heard
    looped = Signal(str)  # cue number, each time the loop starts the cue again

    def __init__(self, player_widget, settings, parent=None):
        super().__init__(parent)
        self.picture = player_widget
        self.settings = settings
        self.music = QMediaPlayer(self)
        self.music_out = QAudioOutput(self)
        self.music.setAudioOutput(self.music_out)
        # the other side of an A/B comparison: plays in step, silent until it is heard
        self.music_b = QMediaPlayer(self)
        self.music_b_out = QAudioOutput(self)
        self.music_b.setAudioOutput(self.music_b_out)
        self._tmp = Path(tempfile.mkdtemp(prefix="scorer-audition-"))
        self.cue = None
        self.suggestion_id = ""
        self.wav: Path | None = None
        self.b_id = ""  # the suggestion on side B ("" = none yet)
        self.wav_b: Path | None = None
        self.on_b = False  # side B is the one heard
        self.balance = 0.0  # -1 dialogue only .. 0 both at their level .. +1 music only
        self.loop = False
        self._task = None
        self._task_b = None
        self._timer = QTimer(self)
        self._timer.setInterval(SYNC_INTERVAL_MS)
        self._timer.timeout.connect(self._sync)
        self.music.mediaStatusChanged.connect(self._on_media_status)
        self.music_b.mediaStatusChanged.connect(self._on_media_status)
        self.picture.userSeeked.connect(self._on_user_seek)

    @property
    def active(self) -> bool:
        return self.cue is not None

    def start(self, cue, suggestion) -> None:
        """Prepare the suggestion's music (worker) and then play it against the picture."""
        self.stop()
        if not suggestion.path:
            self.failed.emit(f"suggestion {suggestion.title!r} has no music file")
            return
        self.preparing.emit(f"Rendering {suggestion.title} for cue {cue.number}…")

        def done(result, error):
            self._task = None
            if error is not None:
                self.failed.emit(str(error))
                return
            self._play(cue, suggestion.id, Path(result))

        self._task = self._render(cue, suggestion, done)

    def _render(self, cue, suggestion, done):
        return run_in_process(
            "audition", "audition", {"path": suggestion.path, "start": cue.start,
                                     "end": cue.end, "ducking": list(cue.ducking),
                                     "sf2": self.settings["audio/soundfont"],
                                     "out_dir": str(self._tmp)}, done)

    # --- levels -----------------------------------------------------------------------
    def gains(self) -> tuple[float, float]:
        """(music gain, dialogue gain) for the balance; each is full on its own side."""
        b = max(-1.0, min(1.0, self.balance))
        original = 10 ** (float(self.settings["audition/original_gain_db"]) / 20)
        return min(1.0, 1.0 + b), min(1.0, 1.0 - b) * original

    def set_balance(self, balance: float) -> None:
        """Music versus dialogue while auditioning: -1 dialogue only, +1 music only."""
        self.balance = max(-1.0, min(1.0, float(balance)))
        if self.cue is not None:
            self._apply_levels()

    def _apply_levels(self) -> None:
        music, dialogue = self.gains()
        self.music_out.setVolume(0.0 if self.on_b else music)
        self.music_b_out.setVolume(music if self.on_b else 0.0)
        self.picture.set_volume(dialogue)

    # --- A/B --------------------------------------------------------------------------
    def compare(self, suggestion) -> None:
        """Make ``suggestion`` side B (rendered in the background) and switch to it."""
        if self.cue is None:
            return
        if suggestion.id == self.suggestion_id:
            self.toggle_ab(to_b=False)
            return
        if suggestion.id == self.b_id and self.wav_b is not None:
            self.toggle_ab(to_b=True)
            return
        if not suggestion.path:
            self.failed.emit(f"suggestion {suggestion.title!r} has no music file")
            return
        if self._task_b is not None:
            self._task_b.cancel_task()
        cue = self.cue
        self.preparing.emit(f"Rendering {suggestion.title} to compare (A/B)…")

        def done(result, error):
            self._task_b = None
            if error is not None:
                self.failed.emit(str(error))
                return
            if self.cue is not cue:
                return  # the audition ended meanwhile
            self.b_id, self.wav_b = suggestion.id, Path(result)
            media_calls.call(self.music_b, "setSource", QUrl.fromLocalFile(str(self.wav_b)))
            media_calls.call(self.music_b, "setPosition", max(0, self._expected_ms()))
            media_calls.call(self.music_b, "play")
            self.toggle_ab(to_b=True)

        self._task_b = self._render(cue, suggestion, done)

    def toggle_ab(self, to_b: bool | None = None) -> None:
        """Hear the other side (or the side asked for); playback does not stop."""
        if self.cue is None or self.wav_b is None:
            return
        self.on_b = (not self.on_b) if to_b is None else bool(to_b)
        self._apply_levels()
        self.heard.emit("B" if self.on_b else "A", self.heard_id)

    @property
    def heard_id(self) -> str:
        """The suggestion now heard."""
        return self.b_id if self.on_b and self.wav_b is not None else self.suggestion_id

    # --- playing ----------------------------------------------------------------------
    def _play(self, cue, suggestion_id: str, wav: Path) -> None:
        self.cue, self.suggestion_id, self.wav = cue, suggestion_id, wav
        self.on_b, self.b_id, self.wav_b = False, "", None
        self._apply_levels()
        media_calls.call(self.music, "setSource", QUrl.fromLocalFile(str(wav)))
        self.picture.seek(cue.start)
        self.picture.play()
        media_calls.call(self.music, "setPosition", 0)
        media_calls.call(self.music, "play")
        self._timer.start()
        self.started.emit(cue.number, suggestion_id)

    def stop(self) -> None:
        """Stop the music, pause the picture and restore the original sound level."""
        for name in ("_task", "_task_b"):
            task = getattr(self, name)
            if task is not None:
                task.cancel_task()
                setattr(self, name, None)
        if self.cue is None:
            return
        self._timer.stop()
        media_calls.call(self.music, "stop")
        if self.wav_b is not None:
            media_calls.call(self.music_b, "stop")
        self.picture.pause()
        self.picture.set_volume(1.0)
        self.cue = None
        self.suggestion_id = self.b_id = ""
        self.wav_b, self.on_b = None, False
        self.stopped.emit()

    def _expected_ms(self) -> int:
        return int(round((self.picture.position() - self.cue.start) * 1000))

    def _sync(self) -> None:
        if self.cue is None:
            return
        at_end = self.picture.position() >= self.cue.end - 0.02
        if at_end and self.loop and self.picture.is_playing():
            self.picture.seek(self.cue.start)  # round again: picture and both sides
            for player in self._players():
                media_calls.call(player, "setPosition", 0)
            self.looped.emit(self.cue.number)
            return
        if at_end or not self.picture.is_playing():
            self.stop()
            return
        expected = self._expected_ms()
        for player in self._players():
            if player.playbackState() == QMediaPlayer.PlaybackState.PlayingState and \
                    abs(player.position() - expected) > RESYNC_MS:
                media_calls.call(player, "setPosition", max(0, expected))

    def _players(self) -> list:
        return [self.music] + ([self.music_b] if self.wav_b is not None else [])

    def _on_media_status(self, status) -> None:
        if self.cue is not None and status == QMediaPlayer.MediaStatus.LoadedMedia:
            for player in self._players():
                media_calls.call(player, "setPosition", max(0, self._expected_ms()))

    def _on_user_seek(self, t: float) -> None:
        if self.cue is None:
            return
        if self.cue.start <= t < self.cue.end:
            for player in self._players():
                media_calls.call(player, "setPosition", int(round((t - self.cue.start) * 1000)))
        else:
            self.stop()

    def cleanup(self) -> None:
        """Stop, let go of the music file, and remove the temporary WAVs."""
        self.stop()
        media_calls.call(self.music, "setSource", QUrl())
        media_calls.call(self.music_b, "setSource", QUrl())
        for wav in self._tmp.glob("*.wav"):
            wav.unlink(missing_ok=True)
        try:
            self._tmp.rmdir()
        except OSError:
            pass
