"""The export dialog.

Every format of scorer.export, the output folder, and the cue sheet's header and rows
editable in tables. Accepting stores the cue sheet in the project (undoable) and
returns the chosen formats; the export itself runs off the GUI thread in the main window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from scorer.export import cuesheet
from scorer.timebase import format_clock
from ui import core

# the cue sheet's fields are the core's (one list for the dialog, the CLI and the writers)
HEADER_FIELDS = cuesheet.HEADER_FIELDS
ROW_FIELDS = cuesheet.ROW_FIELDS
FORMAT_TITLES = {
    "midi": "MIDI (all cues, SMPTE offset)", "wav": "Score stem WAV", "mp4": "Preview MP4",
    "cuesheet": "Cue sheet (CSV, XLSX, PDF)", "csv": "Cue sheet CSV",
    "xlsx": "Cue sheet XLSX", "pdf": "Cue sheet PDF",
    "otio": "OpenTimelineIO", "edl": "CMX 3600 EDL", "fcp7": "Final Cut Pro 7 XML",
    "srt": "Music captions (SRT, VTT)", "vtt": "Music captions VTT",
}


class ExportDialog(QDialog):
    """Choose formats and folder; edit the cue sheet."""

    def __init__(self, project, out_dir: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.project = project
        self.format_boxes: dict[str, QCheckBox] = {}
        formats = QGroupBox("Formats", self)
        grid = QGridLayout(formats)
        for i, name in enumerate(core.export_formats()):
            box = QCheckBox(FORMAT_TITLES.get(name, name.upper()), formats)
            box.setChecked(True)
            box.setObjectName(f"format_{name}")
            self.format_boxes[name] = box
            grid.addWidget(box, i // 3, i % 3)

        self.folder = QLineEdit(str(out_dir), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.force = QCheckBox("Overwrite existing files", self)
        folder_row = QHBoxLayout()
        folder_row.addWidget(QLabel("Folder", self))
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)

        sheet = project.cue_sheet or {}
        self.header_table = QTableWidget(len(HEADER_FIELDS), 1, self)
        self.header_table.setObjectName("cue_sheet_header")
        self.header_table.setHorizontalHeaderLabels(["Value"])
        self.header_table.setVerticalHeaderLabels([title for _, title in HEADER_FIELDS])
        self.header_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for row, (key, _) in enumerate(HEADER_FIELDS):
            default = project.title if key == "production_title" else ""
            value = sheet.get(key, default) if key != "usage" else sheet.get("usage", "BI")
            self.header_table.setItem(row, 0, QTableWidgetItem(str(value or "")))

        per_cue = sheet.get("cues", {}) or {}
        self.rows_table = QTableWidget(len(project.cues), 2 + len(ROW_FIELDS), self)
        self.rows_table.setObjectName("cue_sheet_rows")
        self.rows_table.setHorizontalHeaderLabels(
            ["Cue", "In–Out"] + [title for _, title in ROW_FIELDS])
        for row, cue in enumerate(project.cues):
            fixed = (cue.number, f"{format_clock(cue.start)}–{format_clock(cue.end)}")
            for col, text in enumerate(fixed):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.rows_table.setItem(row, col, item)
            own = per_cue.get(cue.number, {})
            for col, (key, _) in enumerate(ROW_FIELDS, 2):
                value = own.get(key, cue.title if key == "title" else "")
                self.rows_table.setItem(row, col, QTableWidgetItem(str(value or "")))
        self.rows_table.resizeColumnsToContents()
        self.rows_table.setColumnWidth(2, 180)  # the title is what editors type most

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        if not core.available("export"):
            self.export_button.setEnabled(False)
            self.export_button.setToolTip(core.missing_message("export"))

        layout = QVBoxLayout(self)
        layout.addWidget(formats)
        layout.addLayout(folder_row)
        layout.addWidget(self.force)
        layout.addWidget(QLabel("<b>Cue sheet</b> — header", self))
        layout.addWidget(self.header_table)
        layout.addWidget(QLabel("Rows (empty cells take the header's defaults)", self))
        layout.addWidget(self.rows_table, 1)
        layout.addWidget(buttons)
        self.resize(820, 620)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def formats(self) -> list[str]:
        return [name for name, box in self.format_boxes.items() if box.isChecked()]

    def out_dir(self) -> Path:
        return Path(self.folder.text()).expanduser()

    def cue_sheet(self) -> dict:
        """The cue sheet as edited (the layout ``scorer.export.cuesheet`` reads)."""
        sheet = {k: v for k, v in (self.project.cue_sheet or {}).items() if k != "cues"}
        for row, (key, _) in enumerate(HEADER_FIELDS):
            item = self.header_table.item(row, 0)
            text = item.text().strip() if item else ""
            if text:
                sheet[key] = text
            else:
                sheet.pop(key, None)
        cues = {}
        for row in range(self.rows_table.rowCount()):
            number = self.rows_table.item(row, 0).text()
            own = {}
            for col, (key, _) in enumerate(ROW_FIELDS, 2):
                item = self.rows_table.item(row, col)
                text = item.text().strip() if item else ""
                if text:
                    own[key] = float(text) if key.endswith("share") and _is_number(text) \
                        else text
            if own:
                cues[number] = own
        sheet["cues"] = cues
        return sheet


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
