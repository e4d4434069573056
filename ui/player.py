"""The player: picture and original sound (QMediaPlayer), shuttle, frame steps, timecode.

J/K/L shuttle as in editing tools: L plays forward and each further press doubles the speed;
J does the same backward; K stops. The FFmpeg backend cannot play backward, so backward
shuttle steps the position back on a timer while paused (picture only, as editors expect).
Arrow keys step exactly one frame, computed with scorer.timebase from the clip's exact rate.
"""

from __future__ import annotations

from fractions import Fraction

from PySide6.QtCore import QRectF, QSignalBlocker, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from scorer import timebase
from ui import media_calls

SHUTTLE_SPEEDS = (1.0, 2.0, 4.0, 8.0)
BACK_TICK_MS = 40


class VideoView(QWidget):
    """Paints the player's frames itself (through a QVideoSink).

    A plain widget rather than QVideoWidget: it needs no GPU surface, works the same on every
    platform plugin (offscreen included), and ``grab()`` captures the picture for screenshots.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._on_frame)
        self.image = QImage()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def _on_frame(self, frame: QVideoFrame) -> None:
        if frame.isValid():
            self.image = frame.toImage()
            self.update()

    def clear(self) -> None:
        self.image = QImage()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(16, 16, 16))
        if not self.image.isNull():
            size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = (self.width() - size.width()) / 2
            y = (self.height() - size.height()) / 2
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(x, y, size.width(), size.height()), self.image)
        painter.end()


class PlayerWidget(QWidget):
    """Video with a transport bar.

    Signals:
        positionChanged(float): Playhead time in seconds (while playing and after seeks).
        userSeeked(float): The user moved the playhead (not playback itself).
    """

    positionChanged = Signal(float)
    userSeeked = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.video = VideoView(self)
        self.video.setMinimumSize(240, 135)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoSink(self.video.sink)
        self.has_audio_device = bool(QMediaDevices.audioOutputs())
        self.rate = Fraction(25)
        self.start_frame = 0
        self._shuttle = 0  # signed index into SHUTTLE_SPEEDS (+1 = 1x forward)
        self._back_timer = QTimer(self)
        self._back_timer.setInterval(BACK_TICK_MS)
        self._back_timer.timeout.connect(self._back_tick)

        self.play_button = QToolButton(self)
        self.play_button.setText("▶")
        self.play_button.setToolTip("Play/Pause (Space)")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.play_pause)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.sliderMoved.connect(lambda ms: self.seek(ms / 1000.0, user=True))
        self.timecode = QLabel("00:00:00:00", self)
        self.timecode.setObjectName("timecode")
        font = self.timecode.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 2)
        self.timecode.setFont(font)
        self.speed = QLabel("", self)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.play_button)
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.speed)
        bar.addWidget(self.timecode)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addLayout(bar)

        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(lambda ms: self.slider.setRange(0, max(0, ms)))
        self.player.playbackStateChanged.connect(self._on_state)

    # --- loading ----------------------------------------------------------------------
    def load(self, path: str, fps: str = "25", start_timecode: str = "") -> None:
        """Show a clip; ``fps`` is the exact rate string from MediaInfo."""
        self.stop()
        try:
            self.rate = timebase.as_rate(fps) if fps and fps != "0" else Fraction(25)
        except Exception:  # noqa: BLE001 - an odd rate only changes the timecode display
            self.rate = Fraction(25)
        self.start_frame = 0
        if start_timecode:
            try:
                self.start_frame = timebase.timecode_to_frames(start_timecode, self.rate)
            except Exception:  # noqa: BLE001 - a bad tag is display-only
                self.start_frame = 0
        self.video.clear()
        media_calls.call(self.player, "setSource", QUrl.fromLocalFile(str(path)))
        self.player.mediaStatusChanged.connect(self._first_frame,
                                               Qt.ConnectionType.SingleShotConnection)
        self._show_time(0.0)

    def _first_frame(self, status) -> None:
        # show the first picture at once, as editing tools do, instead of a black frame
        if status == QMediaPlayer.MediaStatus.LoadedMedia and not self.is_playing():
            media_calls.call(self.player, "pause")  # paused renders the frame

    # --- transport --------------------------------------------------------------------
    def position(self) -> float:
        """Playhead time in seconds."""
        return self.player.position() / 1000.0

    def is_playing(self) -> bool:
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def play(self) -> None:
        self._back_timer.stop()
        media_calls.call(self.player, "play")

    def pause(self) -> None:
        self._back_timer.stop()
        self._shuttle = 0
        media_calls.call(self.player, "pause")
        self._update_speed()

    def stop(self) -> None:
        self._back_timer.stop()
        self._shuttle = 0
        if self.player.playbackState() != QMediaPlayer.PlaybackState.StoppedState:
            media_calls.call(self.player, "stop")
        self._update_speed()

    def set_enabled(self, enabled: bool) -> None:
        """Transport controls only work with a clip loaded."""
        self.play_button.setEnabled(enabled)
        self.slider.setEnabled(enabled)

    def release(self) -> None:
        """Stop and let go of the media before the window goes.

        The FFmpeg backend decodes on its own threads, which call back into the sink; they
        are stopped and the source and sink detached while the widgets still exist, so no
        frame is delivered to a half-destroyed window.
        """
        self._back_timer.stop()
        self.stop()
        media_calls.call(self.player, "setSource", QUrl())
        self.player.setVideoSink(None)
        self.video.clear()

    def play_pause(self) -> None:
        if self.is_playing() or self._back_timer.isActive():
            self.pause()
        else:
            self._shuttle = 1
            media_calls.call(self.player, "setPlaybackRate", 1.0)
            self.play()
            self._update_speed()

    def shuttle(self, direction: int) -> None:
        """J (-1), K (0), L (+1): change shuttle speed like an editing tool."""
        if direction == 0:
            self.pause()
            return
        if self._shuttle == 0 or (self._shuttle > 0) != (direction > 0):
            self._shuttle = direction
        else:
            self._shuttle = max(-len(SHUTTLE_SPEEDS),
                                min(len(SHUTTLE_SPEEDS), self._shuttle + direction))
        speed = SHUTTLE_SPEEDS[abs(self._shuttle) - 1]
        if self._shuttle > 0:
            media_calls.call(self.player, "setPlaybackRate", speed)
            self.play()
        else:
            media_calls.call(self.player, "pause")
            self._back_timer.start()
        self._update_speed()

    def _back_tick(self) -> None:
        speed = SHUTTLE_SPEEDS[abs(self._shuttle) - 1] if self._shuttle < 0 else 0
        new = self.position() - speed * BACK_TICK_MS / 1000.0
        if new <= 0:
            new = 0.0
            self.pause()
        self.seek(new)

    def step(self, frames: int) -> None:
        """Pause and move exactly ``frames`` frames (into the middle of the target frame)."""
        self.pause()
        frame = timebase.seconds_to_frame(self.position(), self.rate) + frames
        frame = max(0, frame)
        t = timebase.frame_to_seconds(frame, self.rate) + Fraction(1, 2) / self.rate
        duration = self.player.duration() / 1000.0
        if duration > 0:
            t = min(float(t), duration)
        self.seek(float(t), user=True)

    def seek(self, seconds: float, user: bool = False) -> None:
        """Move the playhead."""
        media_calls.call(self.player, "setPosition", int(round(max(0.0, seconds) * 1000)))
        self._show_time(max(0.0, seconds))
        if user:
            self.userSeeked.emit(max(0.0, seconds))

    def set_volume(self, gain: float) -> None:
        """Original sound level, linear 0..1."""
        self.audio.setVolume(max(0.0, min(1.0, gain)))

    # --- display ----------------------------------------------------------------------
    def timecode_text(self, seconds: float) -> str:
        return timebase.seconds_to_timecode(max(0.0, seconds), self.rate,
                                            start_frame=self.start_frame)

    def _show_time(self, seconds: float) -> None:
        self.timecode.setText(self.timecode_text(seconds))
        with QSignalBlocker(self.slider):
            self.slider.setValue(int(seconds * 1000))
        self.positionChanged.emit(seconds)

    def _on_position(self, ms: int) -> None:
        self._show_time(ms / 1000.0)

    def _on_state(self, state) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setText("❚❚" if playing else "▶")
        if not playing and not self._back_timer.isActive():
            self._shuttle = 0
            self._update_speed()

    def _update_speed(self) -> None:
        if self._shuttle == 0:
            self.speed.setText("")
        else:
            speed = SHUTTLE_SPEEDS[abs(self._shuttle) - 1]
            self.speed.setText(f"{'◀' if self._shuttle < 0 else '▶'} {speed:g}×")
