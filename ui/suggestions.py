"""The suggestions panel of the selected cue.

It shows what the cue asks for, ranked library and generated music with their explanations,
and offers audition, regenerate (style, instruments, seed melody, seed, temperature) and lock a
choice.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from scorer.affect.cues import format_shares
from scorer.music.instruments import planned_instruments
from scorer.timebase import format_clock
from ui import core
from ui.seedmelody import SeedMelodyField


class SuggestionsPanel(QWidget):
    """Suggestions of one cue.

    Signals:
        auditionRequested(str, str): cue number, suggestion id.
        stopRequested(): stop the audition.
        lockRequested(str, str, bool): cue number, suggestion id, lock (False = unlock).
        regenerateRequested(str, str, int, float, str, str): cue, style, seed, temperature,
            palette, seed melody file ("" = bundled).
    """

    auditionRequested = Signal(str, str)
    stopRequested = Signal()
    lockRequested = Signal(str, str, bool)
    regenerateRequested = Signal(str, str, int, float, str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.number = ""
        self.header = QLabel("Drop a video to begin.", self)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["#", "Source", "Title", "Fit"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tree.setColumnWidth(0, 28)
        self.tree.setColumnWidth(1, 70)
        self.tree.setColumnWidth(2, 160)
        self.tree.currentItemChanged.connect(self._show_explanation)
        self.tree.itemDoubleClicked.connect(lambda *_: self._audition())
        self.explanation = QTextBrowser(self)
        self.explanation.setMaximumHeight(80)
        self.tree.setMinimumHeight(110)
        self.explanation.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.audition_button = QPushButton("▶ Audition", self)
        self.stop_button = QPushButton("■ Stop", self)
        self.lock_button = QPushButton("Lock choice", self)
        for button in (self.audition_button, self.stop_button, self.lock_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.audition_button.clicked.connect(self._audition)
        self.stop_button.clicked.connect(self.stopRequested)
        self.stop_button.setEnabled(False)  # until an audition plays
        self.lock_button.clicked.connect(self._lock)

        self.style = QComboBox(self)
        self.instruments = QComboBox(self)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 999_999)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.1, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(1.0)
        self.seed_melody = SeedMelodyField(self)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.regenerate_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.regenerate_button.setToolTip("Generate new music for this cue with a new seed")
        self.regenerate_button.clicked.connect(self._regenerate)
        for widget in (self.style, self.instruments, self.seed, self.temperature):
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

        buttons = QHBoxLayout()
        buttons.addWidget(self.audition_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.lock_button)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        gen_row = QHBoxLayout()
        gen_row.addWidget(QLabel("Seed", self))
        gen_row.addWidget(self.seed)
        gen_row.addWidget(QLabel("Temp.", self))
        gen_row.addWidget(self.temperature)
        form.addRow("Style", self.style)
        form.addRow("Instruments", self.instruments)
        form.addRow("Seed melody", self.seed_melody)
        form.addRow(gen_row)
        form.addRow(self.regenerate_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.header)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.explanation)
        layout.addLayout(buttons)
        layout.addLayout(form)
        self.refresh_choices()
        self._update_enabled()

    def refresh_choices(self) -> None:
        """Fill the style and instrument lists from the core (empty = chosen per cue)."""
        self.style.clear()
        for name in core.styles():
            self.style.addItem(name or "auto (router)", name)
        self.instruments.clear()
        self.instruments.addItem("as planned", "")
        for name in core.instrument_palettes():
            self.instruments.addItem(name.replace("_", " "), name)
        generate = core.available("generate")
        self.regenerate_button.setEnabled(generate)
        if not generate:
            self.regenerate_button.setToolTip(core.missing_message("generate"))

    def set_document(self, doc) -> None:
        self.doc = doc
        doc.suggestionsChanged.connect(self._on_cue_event)
        doc.cueChanged.connect(self._on_cue_event)
        doc.projectReplaced.connect(self._on_replaced)

    def _on_cue_event(self, number: str) -> None:
        if number == self.number:
            self.show_cue(number)

    def _on_replaced(self) -> None:
        self.show_cue("")

    def show_cue(self, number: str) -> None:
        """Show a cue's target and suggestions."""
        self.number = number
        self.tree.clear()
        self.explanation.clear()
        if not number or self.doc is None or self.doc.project is None:
            cues = self.doc.cues() if self.doc and self.doc.project else []
            self.header.setText("Select a cue on the timeline." if cues else
                                "No cues yet: drop a video to analyse.")
            self._update_enabled()
            return
        cue = self.doc.cue(number)
        planned = planned_instruments(cue.programs)  # what the ranking matches pieces against
        self.header.setText(
            f"<b>Cue {cue.number}</b> {format_clock(cue.start)}–{format_clock(cue.end)} "
            f"({cue.duration:.1f} s)<br>target valence {cue.valence:+.2f}, arousal "
            f"{cue.arousal:+.2f} · {cue.tempo:.0f} BPM · {cue.key} {cue.mode}"
            + (f" · {cue.instrumentation.replace('_', ' ')}" if cue.instrumentation else "")
            + (f" ({', '.join(planned)})" if planned else "")
            + (f"<br>emotion from {format_shares(cue.shares)}" if cue.shares else "")
            + (f"<br><b>Locked:</b> {self._title(cue.choice)}" if cue.locked else ""))
        for rank, s in enumerate(self.doc.suggestions_for(number), 1):
            mark = "[locked] " if cue.locked and cue.choice == s.id else ""
            item = QTreeWidgetItem([str(rank), s.source, mark + s.title, f"{s.score:.2f}"])
            item.setData(0, Qt.ItemDataRole.UserRole, s.id)
            tip = s.title + (f"\n\n{s.explanation}" if s.explanation else "")
            for column in range(4):  # the title is often cut: the whole of it on hover
                item.setToolTip(column, tip)
            self.tree.addTopLevelItem(item)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._update_enabled()

    def _title(self, suggestion_id: str) -> str:
        for s in self.doc.project.suggestions:
            if s.id == suggestion_id:
                return s.title
        return "(no music chosen)" if not suggestion_id else suggestion_id

    def set_auditioning(self, active: bool) -> None:
        """Stop is only offered while an audition plays."""
        self.stop_button.setEnabled(active)

    def current_id(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else ""

    def select_suggestion(self, suggestion_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == suggestion_id:
                self.tree.setCurrentItem(item)
                return

    def _show_explanation(self, item, _previous=None) -> None:
        self._update_enabled()
        if item is None or self.doc is None:
            self.explanation.clear()
            return
        sid = item.data(0, Qt.ItemDataRole.UserRole)
        for s in self.doc.project.suggestions:
            if s.id == sid:
                self.explanation.setPlainText(s.explanation or "(no explanation given)")
                return

    def _update_enabled(self) -> None:
        has = bool(self.current_id())
        self.audition_button.setEnabled(has)
        self.lock_button.setEnabled(has)
        if self.doc is not None and self.number and self.doc.project is not None:
            cue = self.doc.cue(self.number)
            locked_here = cue.locked and cue.choice == self.current_id()
            self.lock_button.setText("Unlock" if locked_here else "Lock choice")
        self.regenerate_button.setEnabled(bool(self.number) and core.available("generate"))

    def _audition(self) -> None:
        if self.number and self.current_id():
            self.auditionRequested.emit(self.number, self.current_id())

    def _lock(self) -> None:
        if not (self.number and self.current_id()):
            return
        cue = self.doc.cue(self.number)
        unlock = cue.locked and cue.choice == self.current_id()
        self.lockRequested.emit(self.number, self.current_id(), not unlock)

    def _regenerate(self) -> None:
        if not self.number:
            return
        self.regenerateRequested.emit(self.number, self.style.currentData() or "",
                                      self.seed.value(), self.temperature.value(),
                                      self.instruments.currentData() or "",
                                      self.seed_melody.path())
        self.seed.setValue(self.seed.value() + 1)  # the next press gives new music
