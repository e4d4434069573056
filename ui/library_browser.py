"""The library browser: the editor finds music by hand and puts it on a cue.

A dock with search fields (words, mood, tempo range, key and mode, instrumentation), the
pieces found, a preview of the piece as it is, and two ways to use one: drag its row onto a
cue on the timeline, or "Use for selected cue". Searching (and indexing the library folders
the first time), rendering a preview and adapting a piece all run in a worker process
(:mod:`ui.jobs`) with progress and cancel; the core does the work
(:mod:`scorer.music.library.browse`, :func:`scorer.music.library.suggest.suggestion_for_entry`).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from scorer.errors import Cancelled
from scorer.music.instruments import CLASSES
from scorer.music.library.browse import FAMILIES, KEYS, QUADRANTS
from ui import media_calls
from ui.thread import run_in_process

MIME = "application/x-scorer-library-piece"
PREVIEW_SECONDS = 30.0
COLUMNS = ("Title", "Mood", "Tempo", "Key", "Length", "Instruments")


def _length(seconds: float) -> str:
    """m:ss, as a library lists lengths."""
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def piece_from_mime(mime: QMimeData) -> dict | None:
    """The piece a drag carries ({"id", "title"}), or None for any other drag."""
    if not mime.hasFormat(MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(MIME)).decode("utf-8"))
        return {"id": int(data["id"]), "title": str(data.get("title", ""))}
    except (ValueError, KeyError, TypeError):
        return None


class PieceTable(QTableWidget):
    """The results; a row drags out as a library piece."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)  # one line a piece; the whole title on hover
        self.verticalHeader().hide()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, items) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in items})
        if rows:
            row = self.item(rows[0], 0).data(Qt.ItemDataRole.UserRole)
            mime.setData(MIME, json.dumps({"id": row["id"], "title": row["title"]})
                         .encode("utf-8"))
            mime.setText(row["title"])
        return mime


class LibraryBrowser(QDockWidget):
    """Search the music library, preview a piece, and use it for a cue.

    Signals:
        useRequested(str, int, str): cue number, piece id, piece title.
    """

    useRequested = Signal(str, int, str)

    def __init__(self, win):
        super().__init__("Music Library", win)
        self.setObjectName("library_browser")
        self.win = win
        self.rows: list[dict] = []
        self.total = 0
        self.indexed = False  # the folders were indexed for the current preferences
        self.task = None
        self.preview_task = None
        self.previewing: dict | None = None
        self._tmp = Path(tempfile.mkdtemp(prefix="scorer-preview-"))
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.player.playbackStateChanged.connect(self._on_player_state)

        body = QWidget(self)
        self.text = QLineEdit(body)
        self.text.setPlaceholderText("words: title, file, mood, instrument, tag…")
        self.text.setClearButtonEnabled(True)
        self.mood = QComboBox(body)
        self.mood.addItem("any", "")
        for name in QUADRANTS:
            self.mood.addItem(name, name)
        self.mood.addItem("near the selected cue", "cue")
        self.tempo_min = QSpinBox(body)
        self.tempo_max = QSpinBox(body)
        for box in (self.tempo_min, self.tempo_max):
            box.setRange(0, 300)
            box.setSpecialValueText("any")
            box.setSuffix(" BPM")
        self.key = QComboBox(body)
        self.key.addItem("any key", "")
        for name in KEYS:
            self.key.addItem(name, name)
        self.mode = QComboBox(body)
        for text, value in (("any mode", ""), ("major", "major"), ("minor", "minor")):
            self.mode.addItem(text, value)
        self.instrument = QComboBox(body)
        self.instrument.addItem("any", "")
        for name in FAMILIES:
            self.instrument.addItem(name, name)
        # single instruments: named by MIDI programs or recognised in audio
        for name in CLASSES:
            if name not in FAMILIES:
                self.instrument.addItem(name, name)
        self.search_button = QPushButton("Search", body)
        self.search_button.setToolTip("Search the library (the folders are indexed first when "
                                      "they changed)")
        self.rescan_button = QPushButton("Rescan", body)
        self.rescan_button.setToolTip("Index the library folders again (new or changed files)")
        self.table = PieceTable(body)
        self.table.itemSelectionChanged.connect(self._update_enabled)
        self.table.itemDoubleClicked.connect(lambda *_: self.preview())
        self.info = QLabel("Search to list the library's pieces.", body)
        self.info.setWordWrap(True)
        self.progress = QProgressBar(body)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel", body)
        self.cancel_button.hide()
        self.preview_button = QPushButton("▶ Preview", body)
        self.preview_button.setToolTip("Hear the piece as it is (its first 30 seconds)")
        self.stop_button = QPushButton("■ Stop", body)
        self.use_button = QPushButton("Use for Selected Cue", body)
        self.use_button.setToolTip("Adapt the piece to the selected cue and choose it "
                                   "(or drag the row onto a cue on the timeline)")

        tempo = QHBoxLayout()
        tempo.addWidget(self.tempo_min)
        tempo.addWidget(QLabel("to", body))
        tempo.addWidget(self.tempo_max)
        key = QHBoxLayout()
        key.addWidget(self.key)
        key.addWidget(self.mode)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Find", self.text)
        form.addRow("Mood", self.mood)
        form.addRow("Tempo", tempo)
        form.addRow("Key", key)
        form.addRow("Instruments", self.instrument)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search_button)
        search_row.addWidget(self.rescan_button)
        search_row.addStretch(1)
        work_row = QHBoxLayout()
        work_row.addWidget(self.progress, 1)
        work_row.addWidget(self.cancel_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addLayout(search_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.info)
        layout.addLayout(work_row)
        layout.addLayout(buttons)
        self.setWidget(body)

        # a search follows the fields as they change, once they have been still a moment
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(350)
        self._debounce.timeout.connect(self.search)
        self.text.returnPressed.connect(self.search)
        self.text.textChanged.connect(self._later)
        for combo in (self.mood, self.key, self.mode, self.instrument):
            combo.currentIndexChanged.connect(self._later)
        for box in (self.tempo_min, self.tempo_max):
            box.valueChanged.connect(self._later)
        self.search_button.clicked.connect(self.search)
        self.rescan_button.clicked.connect(lambda: self.search(refresh=True))
        self.cancel_button.clicked.connect(self.cancel)
        self.preview_button.clicked.connect(self.preview)
        self.stop_button.clicked.connect(self.stop_preview)
        self.use_button.clicked.connect(self.use_for_selected)
        win.settings.subscribe(self._on_setting)
        self._update_enabled()

    # ------------------------------------------------------------------ searching
    def _on_setting(self, key: str, _value) -> None:
        if key in ("library/folders", "library/use_default"):
            self.indexed = False  # the next search indexes the new folders

    def _later(self, *_args) -> None:
        if self.isVisible():
            self._debounce.start()

    def query(self) -> dict:
        """The search fields as a :class:`scorer.music.library.browse.BrowseQuery`'s fields."""
        query: dict = {"text": self.text.text().strip(), "key": self.key.currentData(),
                       "mode": self.mode.currentData(),
                       "instrument": self.instrument.currentData()}
        mood = self.mood.currentData()
        if mood == "cue":
            number = self.win.panel.number
            if number and self.win.doc.project is not None:
                cue = self.win.doc.cue(number)
                query.update(valence=cue.valence, arousal=cue.arousal)
        elif mood:
            query["mood"] = mood
        if self.tempo_min.value():
            query["tempo_min"] = float(self.tempo_min.value())
        if self.tempo_max.value():
            query["tempo_max"] = float(self.tempo_max.value())
        return query

    def search(self, refresh: bool = False) -> None:
        """Search in the background (indexing the folders first when they changed)."""
        self._debounce.stop()
        if self.task is not None:
            self.task.cancel_task()
        settings = self.win.settings
        refresh = bool(refresh) or not self.indexed
        query = self.query()
        kwargs = {"query": query, "folders": list(settings["library/folders"]),
                  "use_default": bool(settings["library/use_default"]), "refresh": refresh}
        self._working(True, "Indexing the library folders…" if refresh else "Searching…")
        task = None

        def progress(stage, fraction):
            self.progress.setValue(int(1000 * fraction))
            self.info.setText(f"{'Indexing' if stage in ('scan', 'index') else 'Searching'}"
                              f"… {int(fraction * 100)}%")

        def done(result, error):
            if self.task is not task:
                return  # a newer search replaced this one
            self.task = None
            self._working(False)
            if isinstance(error, Cancelled):
                self.info.setText("Search cancelled.")
                return
            if error is not None:
                self.info.setText(f"Search failed: {error}")
                self.win.say(f"Library search failed: {error}", error=True)
                return
            self.indexed = self.indexed or refresh
            self.show_rows(result["rows"], result["total"])

        task = run_in_process("library search", "library_search", kwargs, done,
                              progress=progress)
        self.task = task

    def show_rows(self, rows: list[dict], total: int) -> None:
        """Fill the table with the pieces found."""
        self.rows, self.total = list(rows), int(total)
        table = self.table
        table.setRowCount(0)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            tempo = f"{row['tempo']:.0f}" if row["tempo_known"] else "—"
            cells = (row["title"], row["quadrant"], tempo, f"{row['key']} {row['mode']}",
                     _length(row["duration"]),
                     ", ".join(row.get("instruments") or row["families"]) or "—")
            tip = (f"{row['title']}\n{row['path']}\n{row['quadrant']}: valence "
                   f"{row['valence']:+.2f}, arousal {row['arousal']:+.2f}"
                   + (f"\nsounds {', '.join(row['tags'])}" if row["tags"] else "")
                   + (f"\ninstruments: {', '.join(row['instruments'])}"
                      if row.get("instruments") else ""))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, row)
                table.setItem(r, c, item)
        if rows:
            table.selectRow(0)
        shown = len(rows)
        self.info.setText(f"{shown} of {total} pieces" + (" (the best first)" if shown else
                                                          ": nothing matches; widen the search"))
        self._update_enabled()

    def titles(self) -> list[str]:
        """The titles listed, top to bottom."""
        return [row["title"] for row in self.rows]

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() \
            else []
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def select_title(self, title: str) -> None:
        for r, row in enumerate(self.rows):
            if row["title"] == title:
                self.table.selectRow(r)
                return
        raise KeyError(title)

    # ------------------------------------------------------------------ preview
    def preview(self) -> None:
        """Render the selected piece's opening and play it on its own."""
        row = self.selected()
        if row is None:
            return
        self.stop_preview()
        self.win.audition.stop()
        self.info.setText(f"Rendering a preview of {row['title']}…")
        task = None

        def done(result, error):
            if self.preview_task is not task:
                return
            self.preview_task = None
            self._update_enabled()
            if isinstance(error, Cancelled):
                return
            if error is not None:
                self.info.setText(f"Preview failed: {error}")
                self.win.say(f"Preview failed: {error}", error=True)
                return
            self.previewing = row
            media_calls.call(self.player, "setSource", QUrl.fromLocalFile(str(result)))
            media_calls.call(self.player, "play")
            self.info.setText(f"Previewing {row['title']} (■ Stop)")
            self._update_enabled()

        task = run_in_process("library preview", "library_preview",
                              {"entry": row["id"], "seconds": PREVIEW_SECONDS,
                               "sf2": self.win.settings["audio/soundfont"],
                               "out_dir": str(self._tmp)}, done)
        self.preview_task = task
        self._update_enabled()

    def stop_preview(self) -> None:
        if self.preview_task is not None:
            self.preview_task.cancel_task()
            self.preview_task = None
        if self.previewing is not None:
            media_calls.call(self.player, "stop")
            self.previewing = None
        self._update_enabled()

    def _on_player_state(self, state) -> None:
        if state == QMediaPlayer.PlaybackState.StoppedState and self.previewing is not None:
            self.previewing = None
            self._update_enabled()

    # ------------------------------------------------------------------ using a piece
    def use_for_selected(self) -> None:
        row = self.selected()
        number = self.win.panel.number
        if row is None:
            return
        if not number:
            self.win.say("Select a cue first (click it on the timeline), or drag the piece "
                         "onto a cue.", error=True)
            return
        self.useRequested.emit(number, int(row["id"]), row["title"])

    # ------------------------------------------------------------------ state
    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel_task()

    def _working(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.info.setText(text)
        self._update_enabled()

    def _update_enabled(self) -> None:
        has = self.selected() is not None
        self.preview_button.setEnabled(has and self.preview_task is None)
        self.stop_button.setEnabled(self.previewing is not None or self.preview_task is not None)
        self.use_button.setEnabled(has and self.win.doc.project is not None)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.rows and self.task is None:
            self.search()  # the first look lists the library

    def cleanup(self) -> None:
        """Stop the preview and the search; remove the preview files."""
        self._debounce.stop()
        self.cancel()
        self.stop_preview()
        media_calls.call(self.player, "setSource", QUrl())
        for path in self._tmp.glob("*"):
            path.unlink(missing_ok=True)
        try:
            self._tmp.rmdir()
        except OSError:
            pass
