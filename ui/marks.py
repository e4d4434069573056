"""What the editor marks on the timeline: hit points on the cues, markers, in and out points.

Hit points are small diamonds on each cue block; drag one to move it (the cue's tempo re-fits
through :func:`scorer.affect.edit.move_hit`). Markers are flags on the ruler with a thin line
down the lanes; the in-to-out range is shaded on the ruler.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QCursor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

HIT = QColor(200, 40, 90)
MARKER = QColor(30, 120, 200)
IN_OUT = QColor(250, 190, 40, 110)
HIT_PX = 5.0


class HitItem(QGraphicsItem):
    """One hit point of a cue: drag to move it, within the cue."""

    def __init__(self, view, number: str, t: float, top: float, height: float):
        super().__init__()
        self.view, self.number, self.t = view, number, t
        self.top, self.height = top, height
        self._origin: float | None = None
        self.setZValue(15)  # above the cue block, so a press here drags the hit
        self.setCursor(QCursor(Qt.CursorShape.SizeHorCursor))
        self.setToolTip(f"Hit point of cue {number} at {view.format_time(t)}: drag to move")
        self.setPos(view.x_of(t), 0)

    def boundingRect(self) -> QRectF:
        return QRectF(-HIT_PX - 1, self.top, 2 * HIT_PX + 2, self.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setPen(QPen(HIT, 1))
        painter.drawLine(QPointF(0, self.top + 2), QPointF(0, self.top + self.height - 2))
        y = self.top + self.height - HIT_PX - 1
        painter.setBrush(QBrush(HIT))
        painter.drawPolygon(QPolygonF([QPointF(0, y - HIT_PX), QPointF(HIT_PX, y),
                                       QPointF(0, y + HIT_PX), QPointF(-HIT_PX, y)]))

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self._origin = self.t
        self.view.select_cue(self.number)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._origin is None:
            return
        cue = self.view.project.cue(self.number)
        t = self.view.snap(self.view.t_of(event.scenePos().x()))
        self.t = min(cue.end - 0.01, max(cue.start + 0.01, t))
        self.setPos(self.view.x_of(self.t), 0)

    def mouseReleaseEvent(self, event) -> None:
        if self._origin is None:
            return
        origin, self._origin = self._origin, None
        self.view.hide_snap()
        if abs(self.t - origin) > 1e-3:
            self.view.hitMoved.emit(self.number, float(origin), float(self.t))


class MarksItem(QGraphicsItem):
    """Markers and the in/out range, drawn over the ruler and down the lanes."""

    def __init__(self, view, ruler_h: float, bottom: float):
        super().__init__()
        self.view, self.ruler_h, self.bottom = view, ruler_h, bottom
        self.setZValue(30)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks seek, as before

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.view.x_of(self.view.duration) + 20, self.bottom)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        project = self.view.project
        if project is None:
            return
        x_of = self.view.x_of
        mark_in, mark_out = project.mark_in, project.mark_out
        if mark_in is not None or mark_out is not None:
            a = x_of(mark_in if mark_in is not None else 0.0)
            b = x_of(mark_out if mark_out is not None else self.view.duration)
            painter.fillRect(QRectF(a, self.ruler_h - 6, b - a, 6), IN_OUT)
            painter.setPen(QPen(QColor(200, 140, 0), 2))
            for t, sign in ((mark_in, 1), (mark_out, -1)):
                if t is None:
                    continue
                x = x_of(t)  # a bracket: [ at the in point, ] at the out point
                painter.drawLine(QPointF(x, self.ruler_h - 10), QPointF(x, self.ruler_h))
                painter.drawLine(QPointF(x, self.ruler_h - 10), QPointF(x + 4 * sign,
                                                                        self.ruler_h - 10))
        for marker in project.markers:
            x = x_of(marker.time)
            painter.setPen(QPen(MARKER, 1, Qt.PenStyle.DotLine))
            painter.drawLine(QPointF(x, self.ruler_h), QPointF(x, self.bottom))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(MARKER))
            painter.drawPolygon(QPolygonF([QPointF(x - 4, 0), QPointF(x + 4, 0),
                                           QPointF(x + 4, 7), QPointF(x, 11),
                                           QPointF(x - 4, 7)]))
            if marker.name:
                painter.setPen(MARKER)
                painter.drawText(QPointF(x + 6, 10), marker.name)
