"""Keyboard shortcuts: the list in Help (F1) and the editor (Ctrl+Alt+K, as in Premiere).

Both are generated from the window's actual QActions (declared in :mod:`ui.actions`), so the
list is never out of date. The defaults follow the editors' conventions (Space, J/K/L, I/O, M,
F...); the editor changes them, refuses a key another command already has (naming it), and
keeps only the differences from the defaults in the preferences (``shortcuts/custom``), so a
later version's new defaults still reach everything the editor did not change.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from ui.actions import ACTIONS, MENUS

log = logging.getLogger(__name__)

PORTABLE = QKeySequence.SequenceFormat.PortableText
NATIVE = QKeySequence.SequenceFormat.NativeText


def _texts(keys) -> list[str]:
    out: list[str] = []
    for key in keys:
        sequences = QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) \
            else [QKeySequence(key)]
        for seq in sequences:
            text = seq.toString(PORTABLE)
            if text and text not in out:
                out.append(text)
    return out


def default_keys() -> dict[str, list[str]]:
    """Every action's default shortcuts as portable text ("Ctrl+Shift+B")."""
    return {spec.name: _texts(spec.shortcuts) for spec in ACTIONS}


def current_keys(actions: dict) -> dict[str, list[str]]:
    """Every action's shortcuts now, as portable text."""
    return {name: [s.toString(PORTABLE) for s in action.shortcuts() if not s.isEmpty()]
            for name, action in actions.items()}


def same_key(a: str, b: str) -> bool:
    """Whether two key texts are the same sequence ("ctrl+k" is "Ctrl+K")."""
    return QKeySequence(a).matches(QKeySequence(b)) == QKeySequence.SequenceMatch.ExactMatch


def find_conflict(keys: dict[str, list[str]], name: str, key: str) -> str | None:
    """The other action that already has ``key``, or None."""
    for other, texts in keys.items():
        if other != name and any(same_key(key, t) for t in texts):
            return other
    return None


def custom_keys(keys: dict[str, list[str]]) -> dict[str, list[str]]:
    """Only the actions whose shortcuts differ from the defaults."""
    defaults = default_keys()
    return {name: list(texts) for name, texts in keys.items()
            if name in defaults and texts != defaults[name]}


def apply_keys(actions: dict, custom: dict) -> None:
    """Give the actions their defaults, then the stored changes (unknown names ignored)."""
    defaults = default_keys()
    for name, action in actions.items():
        texts = custom.get(name, defaults.get(name)) if isinstance(custom, dict) else None
        if texts is None:
            continue
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            log.warning("ignored a stored shortcut of %s: %r", name, texts)
            texts = defaults.get(name, [])
        action.setShortcuts([QKeySequence(t) for t in texts if t])


def ordinary(key: str | QKeySequence) -> bool:
    """Whether a key is on an ordinary keyboard (not F13-F35 or an "Open"/"Undo" media key).

    Qt's standard bindings add such keys on X11 (Undo is also F14 and the Undo key); they stay
    bound but are not listed, so the list reads as an editor expects.
    """
    seq = QKeySequence(key)
    return not seq.isEmpty() and all(seq[i].key().value < Qt.Key.Key_F13.value
                                     for i in range(seq.count()))


def listed(texts) -> str:
    """Keys for people: the ordinary ones, in the platform's words, comma-separated."""
    return ", ".join(QKeySequence(t).toString(NATIVE) for t in texts if ordinary(t))


def plain(text: str) -> str:
    """A menu text without its mnemonic ampersand and ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _rows(actions: dict) -> list[tuple[str, str, str]]:
    """(menu, command, action name) of every action, in menu order."""
    # the declared name: an action's own text may change ("Undo Move start of cue 1M2")
    declared = {spec.name: spec.text for spec in ACTIONS}
    rows, seen = [], set()
    for title, names in MENUS:
        for name in names:
            if name in actions and name not in seen:
                rows.append((plain(title), plain(declared.get(name, actions[name].text())),
                             name))
                seen.add(name)
    rows += [("Other", plain(declared.get(n, a.text())), n) for n, a in actions.items()
             if n not in seen]
    return rows


class ShortcutsHelp(QDialog):
    """Help > Keyboard Shortcuts: every command and its keys, by menu, with a filter."""

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.setWindowTitle("Keyboard Shortcuts")
        self.setObjectName("shortcuts_help")
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter: a command or a key")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Command", "Keys"])
        self.tree.setRootIsDecorated(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        edit = QPushButton("Edit Shortcuts…", self)
        edit.clicked.connect(win.act_edit_shortcuts)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(edit)
        bottom.addStretch(1)
        bottom.addWidget(close)
        intro = QLabel("The keys follow the editors' conventions (Premiere, Resolve, Final "
                       "Cut): Space plays, J/K/L shuttle, I/O mark in and out, M adds a "
                       "marker, F shows the viewer full screen.", self)
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)
        self.resize(560, 640)
        self.refresh()

    def refresh(self) -> None:
        """List the actions as they are now (after an edit too)."""
        self.tree.clear()
        menus: dict[str, QTreeWidgetItem] = {}
        for menu, command, name in _rows(self.win.actions):
            parent = menus.get(menu)
            if parent is None:
                parent = menus[menu] = QTreeWidgetItem(self.tree, [menu])
                parent.setFirstColumnSpanned(True)
            keys = listed(self.win.actions[name].shortcuts())
            item = QTreeWidgetItem(parent, [command, keys])
            item.setData(0, Qt.ItemDataRole.UserRole, name)
            tip = self.win.actions[name].toolTip()
            if tip and tip != command:
                item.setToolTip(0, tip)
        self.tree.expandAll()
        self._filter(self.filter.text())

    def keys_of(self, command: str) -> str:
        """The keys listed beside a command (for tests and tools)."""
        for item in self._items():
            if item.text(0) == command:
                return item.text(1)
        raise KeyError(command)

    def _items(self):
        for i in range(self.tree.topLevelItemCount()):
            menu = self.tree.topLevelItem(i)
            for j in range(menu.childCount()):
                yield menu.child(j)

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            menu = self.tree.topLevelItem(i)
            shown = 0
            for j in range(menu.childCount()):
                item = menu.child(j)
                hit = not text or text in item.text(0).lower() or text in item.text(1).lower()
                item.setHidden(not hit)
                shown += hit
            menu.setHidden(shown == 0)


class ShortcutEditor(QDialog):
    """Edit > Keyboard Shortcuts: change, remove or reset a command's keys.

    A key that another command has is refused with that command's name; OK applies the keys
    to the actions and stores the differences from the defaults in the preferences.
    """

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.setWindowTitle("Keyboard Shortcuts")
        self.setObjectName("shortcut_editor")
        self.keys = current_keys(win.actions)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Command", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_: self._show_current())
        self.key_edit = QKeySequenceEdit(self)
        self.key_edit.setMaximumSequenceLength(1)
        self.assign_button = QPushButton("Add Key", self)
        self.assign_button.setToolTip("Give the selected command the key typed here")
        self.remove_button = QPushButton("Remove Keys", self)
        self.reset_one = QPushButton("Default", self)
        self.reset_one.setToolTip("The selected command's default keys")
        self.reset_all = QPushButton("Reset All to Defaults", self)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.assign_button.clicked.connect(
            lambda: self.assign(self.current(), self.key_edit.keySequence().toString(PORTABLE)))
        self.remove_button.clicked.connect(lambda: self.set_keys(self.current(), []))
        self.reset_one.clicked.connect(
            lambda: self.set_keys(self.current(), default_keys().get(self.current(), [])))
        self.reset_all.clicked.connect(self.reset_to_defaults)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(QLabel("Key:", self))
        row.addWidget(self.key_edit, 1)
        row.addWidget(self.assign_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.reset_one)
        bottom = QHBoxLayout()
        bottom.addWidget(self.reset_all)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        self.resize(560, 640)
        self._fill()

    def _fill(self) -> None:
        current = self.current()
        self.tree.clear()
        for _menu, command, name in _rows(self.win.actions):
            item = QTreeWidgetItem(self.tree, [command, listed(self.keys.get(name, []))])
            item.setData(0, Qt.ItemDataRole.UserRole, name)
            if name == current:
                self.tree.setCurrentItem(item)

    def current(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else ""

    def select(self, name: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.tree.setCurrentItem(item)
                return
        raise KeyError(name)

    def _show_current(self) -> None:
        self.key_edit.clear()
        self.message.setText("")

    def _command(self, name: str) -> str:
        return next(command for _menu, command, n in _rows(self.win.actions) if n == name)

    def assign(self, name: str, key: str) -> bool:
        """Add ``key`` to a command; refused (False, with a message) if another has it."""
        if not name or not key:
            return False
        other = find_conflict(self.keys, name, key)
        shown = QKeySequence(key).toString(NATIVE)
        if other is not None:
            self.message.setText(f"{shown} is already the key of “{self._command(other)}”: "
                                 "remove it there first.")
            self.message.setStyleSheet("color: #b00020;")
            return False
        if any(same_key(key, k) for k in self.keys.get(name, [])):
            return True
        self.set_keys(name, self.keys.get(name, []) + [QKeySequence(key).toString(PORTABLE)])
        self.message.setText(f"{shown} now does “{self._command(name)}”.")
        return True

    def set_keys(self, name: str, keys: list[str]) -> None:
        if not name:
            return
        self.keys[name] = list(keys)
        self.message.setStyleSheet("")
        self._fill()

    def reset_to_defaults(self) -> None:
        defaults = default_keys()
        self.keys = {name: list(defaults.get(name, [])) for name in self.win.actions}
        self.message.setText("Every command has its default keys again (OK applies them).")
        self.message.setStyleSheet("")
        self._fill()

    def accept(self) -> None:
        self.win.apply_shortcuts(custom_keys(self.keys))
        super().accept()
