"""The preferences dialog, built from the declarations in :mod:`ui.settings`."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui import core
from ui.settings import OPTIONS, Settings


class SettingsDialog(QDialog):
    """Edit preferences.

    :meth:`changed` returns the edited ones; the caller applies them through an undoable
    ChangeSettings command.
    """

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()

        content = QComboBox(self)
        for name in core.content_types():
            content.addItem(name, name)
        current = settings["analysis/content_type"]
        if content.findData(current) < 0:
            content.addItem(current, current)
        content.setCurrentIndex(content.findData(current))
        self.editors["analysis/content_type"] = content
        form.addRow(OPTIONS["analysis/content_type"].title, content)

        for key in ("analysis/transcriber",):
            combo = QComboBox(self)
            for choice in OPTIONS[key].choices:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(0, combo.findData(settings[key])))
            self.editors[key] = combo
            form.addRow(OPTIONS[key].title, combo)
        use_default = QCheckBox(OPTIONS["library/use_default"].title, self)
        use_default.setChecked(bool(settings["library/use_default"]))
        self.editors["library/use_default"] = use_default
        for key in ("analysis/sample_fps", "audition/original_gain_db",
                    "timeline/thumbnail_fps"):
            box = QDoubleSpinBox(self)
            box.setRange(-60.0 if "gain" in key else 0.1, 0.0 if "gain" in key else 30.0)
            box.setSingleStep(0.5)
            box.setValue(float(settings[key]))
            self.editors[key] = box
            form.addRow(OPTIONS[key].title, box)
        for key, (lo, hi) in (("music/suggestions", (1, 50)),
                              ("project/autosave_seconds", (5, 3600))):
            box = QSpinBox(self)
            box.setRange(lo, hi)
            box.setValue(int(settings[key]))
            self.editors[key] = box
            form.addRow(OPTIONS[key].title, box)

        sf2 = QLineEdit(settings["audio/soundfont"], self)
        sf2.setPlaceholderText("built-in General MIDI SoundFont")
        pick = QPushButton("Browse…", self)
        pick.clicked.connect(lambda: self._pick_sf2(sf2))
        row = QHBoxLayout()
        row.addWidget(sf2, 1)
        row.addWidget(pick)
        self.editors["audio/soundfont"] = sf2
        form.addRow(OPTIONS["audio/soundfont"].title, row)

        weights_box = QGroupBox("Modality weights (unticked = the content type's preset)", self)
        weights_form = QFormLayout(weights_box)
        stored = settings["fusion/weights"]
        self.weight_editors: dict[str, tuple[QCheckBox, QDoubleSpinBox]] = {}
        for name in core.modalities():
            use = QCheckBox(self)
            spin = QDoubleSpinBox(self)
            spin.setRange(0.0, 10.0)
            spin.setSingleStep(0.1)
            spin.setValue(float(stored.get(name, 1.0)))
            use.setChecked(name in stored)
            spin.setEnabled(name in stored)
            use.toggled.connect(spin.setEnabled)
            line = QHBoxLayout()
            line.addWidget(use)
            line.addWidget(spin, 1)
            weights_form.addRow(name, line)
            self.weight_editors[name] = (use, spin)

        library_box = QGroupBox(OPTIONS["library/folders"].title, self)
        self.folders = QListWidget(library_box)
        self.folders.addItems(settings["library/folders"])
        add = QPushButton("Add…", library_box)
        remove = QPushButton("Remove", library_box)
        add.clicked.connect(self._add_folder)
        remove.clicked.connect(lambda: [self.folders.takeItem(self.folders.row(i))
                                        for i in self.folders.selectedItems()])
        lib_layout = QVBoxLayout(library_box)
        lib_layout.addWidget(use_default)
        lib_layout.addWidget(self.folders)
        lib_buttons = QHBoxLayout()
        lib_buttons.addWidget(add)
        lib_buttons.addWidget(remove)
        lib_layout.addLayout(lib_buttons)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel, self)
        if hasattr(parent, "act_edit_shortcuts"):  # the shortcut editor is a preference too
            keys = buttons.addButton("Keyboard Shortcuts…",
                                     QDialogButtonBox.ButtonRole.ActionRole)
            keys.setToolTip("Change the keys of any command (Ctrl+Alt+K)")
            keys.clicked.connect(parent.act_edit_shortcuts)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(weights_box)
        layout.addWidget(library_box)
        layout.addWidget(buttons)

    def _pick_sf2(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "SoundFont", edit.text(),
                                              "SoundFonts (*.sf2 *.sf3)")
        if path:
            edit.setText(path)

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Music library folder")
        if folder:
            self.folders.addItem(folder)

    def values(self) -> dict:
        """Every preference as edited."""
        out = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[key] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                out[key] = editor.isChecked()
            elif isinstance(editor, QLineEdit):
                out[key] = editor.text().strip()
            else:
                out[key] = OPTIONS[key].type(editor.value())
        out["fusion/weights"] = {name: round(spin.value(), 3)
                                 for name, (use, spin) in self.weight_editors.items()
                                 if use.isChecked()}
        out["library/folders"] = [self.folders.item(i).text()
                                  for i in range(self.folders.count())]
        return out

    def changed(self) -> dict:
        """Only the preferences that differ from the stored ones."""
        return {k: v for k, v in self.values().items() if self.settings[k] != v}
