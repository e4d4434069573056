"""The seed melody of generation: a drop target for a hummed, sung or played tune or a score.

An audio file (WAV, MP3, FLAC, OGG...) is transcribed to notes when music is generated
(:mod:`scorer.music.transcribe`); an image of a printed melody (PNG, JPEG...) is read by optical
music recognition (:mod:`scorer.music.omr`); a MIDI or token file is read as it is. Empty means
the bundled seed for the cue's mode.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QToolButton, QWidget

from scorer.music.omr import IMAGE_SUFFIXES, PDF_SUFFIXES
from scorer.music.transcribe import AUDIO_SUFFIXES

SEED_SUFFIXES = AUDIO_SUFFIXES + IMAGE_SUFFIXES + PDF_SUFFIXES + (".mid", ".midi", ".txt")
_HINT = "bundled · drop a tune here (audio, score image or PDF, or MIDI)"


def _local_file(event) -> str:
    """The one local file a drag carries, or ""."""
    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return ""
    return urls[0].toLocalFile()


class SeedMelodyField(QWidget):
    """Shows the seed melody file; takes one dropped or chosen audio, image, MIDI or token file.

    Signals:
        changed(str): The new seed melody path ("" = the bundled seed).
    """

    changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._path = ""
        self.setAcceptDrops(True)
        self.label = QLabel(_HINT, self)
        self.label.setMinimumWidth(60)
        self.label.setFrameShape(QLabel.Shape.StyledPanel)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.label.setToolTip("Generation continues this melody. Drop a recording of a hummed, "
                              "sung or played tune (WAV, MP3, FLAC, OGG...) - its notes are "
                              "transcribed -, a picture of a printed melody (PNG, JPEG...) - "
                              "its notes are read - or a MIDI file.")
        self.choose_button = QToolButton(self)
        self.choose_button.setText("…")
        self.choose_button.setToolTip("Choose a seed melody file")
        self.choose_button.clicked.connect(self._choose)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("×")
        self.clear_button.setToolTip("Back to the bundled seed melody")
        self.clear_button.clicked.connect(lambda: self.set_path(""))
        self.clear_button.setEnabled(False)
        for button in (self.choose_button, self.clear_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.choose_button)
        row.addWidget(self.clear_button)

    def path(self) -> str:
        return self._path

    def set_path(self, path: str) -> bool:
        """Take a seed melody file ("" clears it); False (and a message) for another kind."""
        suffix = Path(path).suffix.lower() if path else ""
        if path and suffix not in SEED_SUFFIXES:
            what = "not audio, a score (image or PDF) or MIDI"
            self.label.setText(f"<span style='color:#c0392b'>{Path(path).name}: {what}</span>")
            self.label.setToolTip(f"{path}\nA seed melody is an audio file "
                                  f"({', '.join(AUDIO_SUFFIXES)}), a printed melody "
                                  f"({', '.join(IMAGE_SUFFIXES + PDF_SUFFIXES)}; a PDF's "
                                  "first page) or a MIDI file.")
            return False
        self._path = path
        self.label.setText(Path(path).name if path else _HINT)
        self.label.setToolTip(path or "The bundled seed melody for the cue's mode")
        self.clear_button.setEnabled(bool(path))
        self.changed.emit(path)
        return True

    def _choose(self) -> None:
        pattern = " ".join(f"*{s}" for s in SEED_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, "Seed melody", "",
                                              f"Tunes ({pattern});;All files (*)")
        if path:
            self.set_path(path)

    def dragEnterEvent(self, event) -> None:
        path = _local_file(event)
        if path and Path(path).suffix.lower() in SEED_SUFFIXES:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = _local_file(event)
        if path and self.set_path(path):
            event.acceptProposedAction()
        else:
            event.ignore()
