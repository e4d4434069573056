"""A larger viewer: the picture in its own window, or full screen.

As in editing tools, F puts the viewer full screen and F or Esc brings it back; the picture
can also live in its own window (View > Viewer in Own Window), e.g. on a second display.
The player widget itself moves (no second decoder), so playback, audition and the meters go
on unchanged. Every shortcut of the main window works in the viewer's window too, except Esc,
which there leaves full screen instead of cancelling work.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QVBoxLayout, QWidget


class ViewerWindow(QWidget):
    """The top-level window that holds the picture while it is detached."""

    def __init__(self, viewer: Viewer):
        super().__init__(None, Qt.WindowType.Window)
        self.viewer = viewer
        self.setObjectName("viewer_window")
        self.setWindowTitle("Scorer — Viewer")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def closeEvent(self, event) -> None:
        # closing the window puts the picture back where it was
        event.ignore()
        self.viewer.attach()


class Viewer(QObject):
    """Moves the player between the main window, its own window and full screen.

    Signals:
        changed(): Detached, attached, full screen or back.
    """

    changed = Signal()

    def __init__(self, win):
        super().__init__(win)
        self.win = win
        self.player = win.player
        self.window: ViewerWindow | None = None
        self._sizes: list[int] = []
        self._index = 0
        self._only_for_full_screen = False  # detached by F: Esc also puts it back
        self.leave_action = QAction("Leave Full Screen", self)
        self.leave_action.setShortcut(QKeySequence("Esc"))
        self.leave_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.leave_action.triggered.connect(self.leave_full_screen)

    @property
    def detached(self) -> bool:
        return self.window is not None

    @property
    def full_screen(self) -> bool:
        return self.window is not None and self.window.isFullScreen()

    def detach(self) -> None:
        """Show the picture in its own window."""
        if self.window is not None:
            return
        split = self.win.top
        self._index = max(0, split.indexOf(self.player))
        self._sizes = split.sizes()
        window = ViewerWindow(self)
        window.layout().addWidget(self.player)
        for name, action in self.win.actions.items():
            if name != "cancel":  # Esc leaves full screen here
                window.addAction(action)
        window.addAction(self.leave_action)
        window.resize(max(640, self.player.width()), max(400, self.player.height()))
        self.window = window
        self.player.show()
        window.show()
        self.changed.emit()

    def attach(self) -> None:
        """Put the picture back into the main window."""
        window = self.window
        if window is None:
            return
        self.window = None
        self._only_for_full_screen = False
        if window.isFullScreen():
            window.showNormal()
        self.win.top.insertWidget(self._index, self.player)
        self.player.show()
        if self._sizes:
            self.win.top.setSizes(self._sizes)
        window.hide()
        window.deleteLater()
        self.win.activateWindow()
        self.changed.emit()

    def toggle_detach(self) -> None:
        if self.window is None:
            self.detach()
        else:
            self.attach()

    def toggle_full_screen(self) -> None:
        """F: full screen, or back."""
        if self.full_screen:
            self.leave_full_screen()
            return
        self._only_for_full_screen = self.window is None
        self.detach()
        self.window.showFullScreen()
        self.window.raise_()
        self.window.activateWindow()
        self.changed.emit()

    def leave_full_screen(self) -> None:
        """Esc (or F again): leave full screen; a viewer detached only for it goes back."""
        if not self.full_screen:
            return
        if self._only_for_full_screen:
            self.attach()
            return
        self.window.showNormal()
        self.changed.emit()
