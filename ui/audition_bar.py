"""The audition bar: music-versus-dialogue balance, A/B, loop, and the level meters."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSlider, QToolBar, QToolButton


class AuditionBar(QToolBar):
    """Controls a music editor uses while auditioning; each also has a menu action."""

    def __init__(self, win):
        super().__init__("Audition", win)
        self.setObjectName("audition_bar")
        self.win = win
        audition = win.audition
        self.addWidget(QLabel(" Dialogue ", self))
        self.balance = QSlider(Qt.Orientation.Horizontal, self)
        self.balance.setObjectName("balance")
        self.balance.setRange(-100, 100)
        self.balance.setFixedWidth(140)
        self.balance.setToolTip("Music versus dialogue while auditioning (Alt+= more music, "
                                "Alt+- more dialogue; centre: both at their level)")
        self.balance.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.balance.valueChanged.connect(lambda v: audition.set_balance(v / 100))
        self.addWidget(self.balance)
        self.addWidget(QLabel(" Music  ", self))
        self.ab_button = QToolButton(self)
        self.ab_button.setDefaultAction(win.actions["ab_compare"])
        self.addWidget(self.ab_button)
        self.heard = QLabel("", self)
        self.heard.setObjectName("heard")
        self.heard.setMinimumWidth(180)
        self.addWidget(self.heard)
        loop = QToolButton(self)
        loop.setDefaultAction(win.actions["loop_cue"])
        self.addWidget(loop)
        self.addWidget(win.meter)
        audition.heard.connect(self._on_heard)
        audition.started.connect(lambda _n, sid: self._on_heard("A", sid))
        audition.stopped.connect(lambda: self.heard.setText(""))

    def _on_heard(self, side: str, suggestion_id: str) -> None:
        self.heard.setText(f"{side}: {self.win.title_of(suggestion_id)}")
        self.heard.setStyleSheet("color: #1565c0; font-weight: bold;" if side == "B"
                                 else "color: #2e7d32; font-weight: bold;")
