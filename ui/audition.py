"""Audition: the picture from the cue's start with the suggestion's music mixed in.

The music is prepared in a worker process by the core (:mod:`scorer.export.preview`): MIDI is
rendered through the SoundFont (audio decoded), fitted to the cue with fades and a music-bed
level, and dipped under the cue's speech regions, exactly as the exported mix will.
It is written to a temporary WAV and played by a second QMediaPlayer in step with the
picture player; a timer re-aligns the two when they drift apart by more than ``RESYNC_MS``.

Ducking: the *music* is ducked under speech (baked into the WAV, as in the export). The
original sound plays at the level set by the ``audition/original_gain_db`` preference
(0 dB = unchanged), so the editor hears the dialogue the music must sit under.
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

    def __init__(self, player_widget, settings, parent=None):
        super().__init__(parent)
        self.picture = player_widget
        self.settings = settings
        self.music = QMediaPlayer(self)
        self.music_out = QAudioOutput(self)
        self.music.setAudioOutput(self.music_out)
        self._tmp = Path(tempfile.mkdtemp(prefix="scorer-audition-"))
        self.cue = None
        self.suggestion_id = ""
        self.wav: Path | None = None
        self._task = None
        self._timer = QTimer(self)
        self._timer.setInterval(SYNC_INTERVAL_MS)
        self._timer.timeout.connect(self._sync)
        self.music.mediaStatusChanged.connect(self._on_media_status)
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
        start, end, ducking = cue.start, cue.end, list(cue.ducking)
        sf2 = self.settings["audio/soundfont"]
        path = suggestion.path

        def done(result, error):
            self._task = None
            if error is not None:
                self.failed.emit(str(error))
                return
            self._play(cue, suggestion.id, Path(result))

        self._task = run_in_process(
            "audition", "audition", {"path": path, "start": start, "end": end,
                                     "ducking": ducking, "sf2": sf2, "out_dir": str(self._tmp)},
            done)

    def _play(self, cue, suggestion_id: str, wav: Path) -> None:
        self.cue, self.suggestion_id, self.wav = cue, suggestion_id, wav
        gain_db = float(self.settings["audition/original_gain_db"])
        self.picture.set_volume(10 ** (gain_db / 20))
        media_calls.call(self.music, "setSource", QUrl.fromLocalFile(str(wav)))
        self.picture.seek(cue.start)
        self.picture.play()
        media_calls.call(self.music, "setPosition", 0)
        media_calls.call(self.music, "play")
        self._timer.start()
        self.started.emit(cue.number, suggestion_id)

    def stop(self) -> None:
        """Stop the music, pause the picture and restore the original sound level."""
        if self._task is not None:
            self._task.cancel_task()
            self._task = None
        if self.cue is None:
            return
        self._timer.stop()
        media_calls.call(self.music, "stop")
        self.picture.pause()
        self.picture.set_volume(1.0)
        self.cue = None
        self.suggestion_id = ""
        self.stopped.emit()

    def _expected_ms(self) -> int:
        return int(round((self.picture.position() - self.cue.start) * 1000))

    def _sync(self) -> None:
        if self.cue is None:
            return
        if self.picture.position() >= self.cue.end - 0.02 or not self.picture.is_playing():
            self.stop()
            return
        expected = self._expected_ms()
        if self.music.playbackState() == QMediaPlayer.PlaybackState.PlayingState and \
                abs(self.music.position() - expected) > RESYNC_MS:
            media_calls.call(self.music, "setPosition", max(0, expected))

    def _on_media_status(self, status) -> None:
        if self.cue is not None and status == QMediaPlayer.MediaStatus.LoadedMedia:
            media_calls.call(self.music, "setPosition", max(0, self._expected_ms()))

    def _on_user_seek(self, t: float) -> None:
        if self.cue is None:
            return
        if self.cue.start <= t < self.cue.end:
            media_calls.call(self.music, "setPosition", int(round((t - self.cue.start) * 1000)))
        else:
            self.stop()

    def cleanup(self) -> None:
        """Stop, let go of the music file, and remove the temporary WAVs."""
        self.stop()
        media_calls.call(self.music, "setSource", QUrl())
        for wav in self._tmp.glob("*.wav"):
            wav.unlink(missing_ok=True)
        try:
            self._tmp.rmdir()
        except OSError:
            pass
