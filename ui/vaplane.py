"""The valence-arousal plane.

Russell's circumplex, the clip's trajectory, the current position, and each cue's target as a
handle that can be dragged to retarget the cue.

Emotion words are placed by scorer.affect.circumplex (the same table the analyzers use), and
the quadrant names come from ``circumplex.quadrant``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from scorer.affect import circumplex

HANDLE_R = 9.0
WORDS = ("happy", "angry", "fear", "sad", "calm", "tender", "surprise", "tense", "solemn")


class VAPlane(QWidget):
    """The circumplex widget.

    Signals:
        retargeted(str, float, float): A cue handle was dropped at (valence, arousal).
        cueSelected(str): A cue handle was clicked.
    """

    retargeted = Signal(str, float, float)
    cueSelected = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.project = None
        self.time = 0.0
        self.selected_cue = ""
        self._drag: str | None = None
        self._drag_pos: tuple[float, float] | None = None

    def sizeHint(self) -> QSize:
        return QSize(300, 300)

    # --- geometry -----------------------------------------------------------------------
    def _frame(self) -> tuple[QPointF, float]:
        side = min(self.width(), self.height()) - 36
        return QPointF(self.width() / 2, self.height() / 2), max(10.0, side / 2)

    def to_widget(self, valence: float, arousal: float) -> QPointF:
        centre, radius = self._frame()
        return QPointF(centre.x() + valence * radius, centre.y() - arousal * radius)

    def to_va(self, point: QPointF) -> tuple[float, float]:
        centre, radius = self._frame()
        v = (point.x() - centre.x()) / radius
        a = (centre.y() - point.y()) / radius
        return max(-1.0, min(1.0, v)), max(-1.0, min(1.0, a))

    # --- state --------------------------------------------------------------------------
    def set_project(self, project) -> None:
        self.project = project
        self.update()

    def set_time(self, t: float) -> None:
        self.time = t
        self.update()

    def select_cue(self, number: str) -> None:
        self.selected_cue = number
        self.update()

    def current_position(self) -> tuple[float, float] | None:
        fused = self.project.fused if self.project is not None else None
        if fused is None or len(fused) == 0:
            return None
        v = float(np.interp(self.time, fused.times, fused.valence))
        a = float(np.interp(self.time, fused.times, fused.arousal))
        return v, a

    def _cue_at(self, pos: QPointF) -> str | None:
        if self.project is None:
            return None
        for cue in reversed(self.project.cues):
            p = self.to_widget(cue.valence, cue.arousal)
            if (p - pos).manhattanLength() <= HANDLE_R * 1.6:
                return cue.number
        return None

    # --- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(252, 252, 250))
        centre, radius = self._frame()
        painter.setPen(QPen(QColor(170, 170, 170), 1))
        painter.drawEllipse(centre, radius, radius)
        painter.drawLine(QPointF(centre.x() - radius, centre.y()),
                         QPointF(centre.x() + radius, centre.y()))
        painter.drawLine(QPointF(centre.x(), centre.y() - radius),
                         QPointF(centre.x(), centre.y() + radius))
        small = QFont(self.font())
        small.setPointSizeF(7.5)
        painter.setFont(small)
        painter.setPen(QColor(90, 90, 90))
        painter.drawText(QPointF(centre.x() + radius - 44, centre.y() - 4), "valence +")
        painter.drawText(QPointF(centre.x() + 4, centre.y() - radius + 10), "arousal +")
        quad = QFont(self.font())
        quad.setPointSizeF(9)
        quad.setBold(True)
        painter.setFont(quad)
        painter.setPen(QColor(150, 150, 170))
        for v, a in ((0.6, 0.85), (-0.6, 0.85), (-0.6, -0.85), (0.6, -0.85)):
            p = self.to_widget(v, a)
            painter.drawText(QRectF(p.x() - 40, p.y() - 9, 80, 18), Qt.AlignmentFlag.AlignCenter,
                             circumplex.quadrant(v, a))
        painter.setFont(small)
        painter.setPen(QColor(160, 160, 160))
        for word in WORDS:
            v, a = circumplex.coordinates(word)
            p = self.to_widget(v * 0.92, a * 0.92)
            painter.drawEllipse(p, 1.5, 1.5)
            painter.drawText(QPointF(p.x() + 3, p.y() + 3), word)
        if self.project is not None:
            self._paint_trajectory(painter)
            self._paint_cues(painter)
            pos = self.current_position()
            if pos is not None:
                painter.setPen(QPen(QColor(200, 30, 30), 2))
                painter.setBrush(QColor(240, 80, 80))
                painter.drawEllipse(self.to_widget(*pos), 5, 5)
        painter.end()

    def _paint_trajectory(self, painter: QPainter) -> None:
        fused = self.project.fused
        if fused is None or len(fused) < 2:
            return
        path = QPainterPath()
        first = True
        for v, a, c in zip(fused.valence, fused.arousal, fused.confidence, strict=True):
            if c <= 0:
                first = True
                continue
            p = self.to_widget(v, a)
            if first:
                path.moveTo(p)
                first = False
            else:
                path.lineTo(p)
        painter.setPen(QPen(QColor(60, 100, 200, 140), 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)

    def _paint_cues(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(7.5)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        placed: list[QRectF] = []
        # the selected cue first, so its label always shows; the others only where they fit
        order = sorted(self.project.cues, key=lambda c: c.number != self.selected_cue)
        for cue in order:
            if self._drag == cue.number and self._drag_pos is not None:
                v, a = self._drag_pos
            else:
                v, a = cue.valence, cue.arousal
            p = self.to_widget(v, a)
            selected = cue.number == self.selected_cue
            painter.setPen(QPen(QColor(20, 80, 40), 2.5 if selected else 1.2))
            painter.setBrush(QColor(90, 190, 120, 230 if selected else 160))
            painter.drawEllipse(p, HANDLE_R, HANDLE_R)
            w, h = metrics.horizontalAdvance(cue.number) + 2, metrics.height()
            spots = (QRectF(p.x() + HANDLE_R + 2, p.y() - h / 2, w, h),
                     QRectF(p.x() - HANDLE_R - 2 - w, p.y() - h / 2, w, h),
                     QRectF(p.x() - w / 2, p.y() - HANDLE_R - h, w, h),
                     QRectF(p.x() - w / 2, p.y() + HANDLE_R, w, h))
            spot = next((r for r in spots if not any(r.intersects(o) for o in placed)),
                        spots[0] if selected else None)
            if spot is None:
                continue  # crowded: the handle's tooltip still names it
            placed.append(spot)
            painter.setPen(QColor(10, 40, 20))
            painter.drawText(spot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             cue.number)

    # --- dragging -----------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        number = self._cue_at(event.position())
        if number is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._drag = number
        self._drag_pos = None
        self.select_cue(number)
        self.cueSelected.emit(number)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is None:
            number = self._cue_at(event.position())
            self.setCursor(Qt.CursorShape.OpenHandCursor if number else
                           Qt.CursorShape.ArrowCursor)
            self.setToolTip(f"Cue {number}: drag to retarget" if number else "")
            return
        self._drag_pos = self.to_va(event.position())
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._drag is None:
            return
        number, pos = self._drag, self._drag_pos
        self._drag, self._drag_pos = None, None
        if pos is not None:
            self.retargeted.emit(number, pos[0], pos[1])
        self.update()
