"""The timeline: ruler, thumbnails, shot cuts, one lane per modality, fused curves, cues.

Scene x is ``MARGIN + seconds * pps`` (pixels per second); zooming changes ``pps`` and lays
the scene out again (cheap: a few hundred items), so text and pictures never stretch.
Cue blocks are edited by dragging their edges; edges snap to shot cuts within ``SNAP_PX``.
A finished drag is reported with :attr:`TimelineView.edgeDragged`; the main window turns it
into an undoable command, and the view redraws from the project, the one source of truth.

Lanes can be collapsed (click the triangle by a lane's name) and resized (drag the line under
a lane's name), as in editing tools; :attr:`TimelineView.lane_state` holds the layout, which
the window keeps in the preferences. The name column is as wide as the longest lane name.
A piece dragged from the library browser can be dropped onto a cue
(:attr:`TimelineView.pieceDropped`).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QCursor,
    QFont,
    QFontMetricsF,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
)

from scorer.affect import fusion
from scorer.music import film_music
from ui.library_browser import piece_from_mime
from ui.marks import HitItem, MarksItem

MARGIN = 84.0  # the least room for lane names at the left (it grows for longer names)
RULER_H = 22.0
THUMB_H = 36.0
CUE_H = 26.0
LANE_H = 30.0
GAP = 4.0
COLLAPSED_H = 12.0  # a collapsed lane: its name and a strip
MIN_LANE_H = 16.0
MAX_LANE_H = 240.0
RESIZE_PX = 3.0  # how near a lane's lower edge the pointer resizes it
TRIANGLE_W = 12.0
NAME_PT = 8.0
SNAP_PX = 8.0
EDGE_PX = 6.0
MIN_CUE = 0.25  # seconds

VALENCE = QColor(52, 120, 220)
AROUSAL = QColor(230, 120, 30)
CUT = QColor(120, 120, 120)
# one colour per modality in the "emotion from" lane (and its tooltip's order)
MODALITY_COLOURS = {
    "faces": QColor(220, 80, 80), "voice": QColor(60, 150, 90), "prosody": QColor(140, 190, 90),
    "words": QColor(150, 90, 200), "music": QColor(40, 130, 200), "lighting": QColor(235, 185, 40),
    "motion": QColor(150, 150, 150),
}
CUE_FILL = QColor(90, 160, 110, 150)
CUE_SELECTED = QColor(70, 190, 120, 210)
PLAYHEAD = QColor(220, 40, 40)
MUSIC_CHOSEN = QColor(170, 140, 220, 170)
MUSIC_TOP = QColor(200, 185, 230, 140)
DROP_TARGET = QColor(240, 140, 0)


def _tick_step(pps: float, min_px: float = 70.0) -> float:
    for step in (0.04, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if step * pps >= min_px:
            return step
    return 7200.0


class RulerItem(QGraphicsItem):
    """Timecode ruler across the clip."""

    def __init__(self, view: TimelineView):
        super().__init__()
        self.view = view

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.view.x_of(self.view.duration) + self.view.margin, RULER_H)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        view = self.view
        painter.fillRect(self.boundingRect(), QColor(235, 235, 235))
        step = _tick_step(view.pps)
        painter.setPen(QPen(QColor(60, 60, 60), 0))
        font = QFont(painter.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        exposed = option.exposedRect
        if view.rate:
            # ticks on whole frames, a whole number of timecode seconds (or frames) apart, so
            # labels read 00:00:15:00 and not 00:00:14:24 at 23.976 fps
            nominal = round(float(view.rate))
            frames = max(1, round(step * nominal))
            if frames >= nominal:
                frames = round(frames / nominal) * nominal
            step = frames / float(view.rate)
        first = max(0, math.floor((exposed.left() - view.margin) / view.pps / step))
        last = math.ceil((exposed.right() - view.margin) / view.pps / step) + 1
        for i in range(first, last + 1):
            t = i * step
            if t > view.duration + 1e-9:
                break
            x = view.x_of(t)
            painter.drawLine(QPointF(x, RULER_H - 8), QPointF(x, RULER_H))
            painter.drawText(QPointF(x + 3, RULER_H - 10), view.format_time(t))
            for k in range(1, 5):
                xs = view.x_of(t + k * step / 5)
                if t + k * step / 5 <= view.duration:
                    painter.drawLine(QPointF(xs, RULER_H - 3), QPointF(xs, RULER_H))


class CurveItem(QGraphicsItem):
    """A lane with valence and/or arousal curves; gaps where confidence is 0."""

    def __init__(self, view: TimelineView, top: float, times, series, confidence=None,
                 height: float = LANE_H, tip=None):
        super().__init__()
        self.view, self.top, self.height = view, top, height
        self.times = np.asarray(times, dtype=float)
        self.series = series  # list of (values, QColor)
        self.confidence = None if confidence is None else np.asarray(confidence, dtype=float)
        self.tip = tip  # time -> tooltip text ("" for none), or None
        self.setAcceptHoverEvents(tip is not None)

    def hoverMoveEvent(self, event) -> None:
        if self.tip is not None:
            self.setToolTip(self.tip(self.view.t_of(event.scenePos().x())))

    def boundingRect(self) -> QRectF:
        return QRectF(0, self.top, self.view.x_of(self.view.duration) + self.view.margin,
                      self.height)

    def _y(self, value: float) -> float:
        return self.top + self.height / 2 - float(value) * (self.height / 2 - 3)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = self.boundingRect()
        margin = self.view.margin
        painter.fillRect(QRectF(margin, rect.top(), rect.width() - margin, rect.height()),
                         QColor(250, 250, 250))
        painter.setPen(QPen(QColor(215, 215, 215), 0, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(margin, self._y(0)), QPointF(rect.right(), self._y(0)))
        if len(self.times) == 0:
            return
        xs = margin + self.times * self.view.pps
        valid = np.ones(len(xs), bool) if self.confidence is None else self.confidence > 0
        if self.confidence is not None:  # confidence as a grey band at the lane's foot
            band = QPainterPath()
            band.moveTo(xs[0], rect.bottom())
            for x, c in zip(xs, self.confidence, strict=True):
                band.lineTo(x, rect.bottom() - c * min(8.0, self.height / 4))
            band.lineTo(xs[-1], rect.bottom())
            painter.fillPath(band, QColor(0, 0, 0, 40))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for values, colour in self.series:
            path = QPainterPath()
            pen_down = False
            for x, v, ok in zip(xs, values, valid, strict=True):
                if not ok:
                    pen_down = False
                    continue
                point = QPointF(x, self._y(v))
                if pen_down:
                    path.lineTo(point)
                else:
                    path.moveTo(point)
                    pen_down = True
            painter.setPen(QPen(colour, 1.6))
            painter.drawPath(path)


class SharesItem(QGraphicsItem):
    """Where the fused emotion comes from: each window's modality shares, stacked to 100 %."""

    def __init__(self, view: TimelineView, top: float, times, shares: dict[str, np.ndarray],
                 height: float = LANE_H):
        super().__init__()
        self.view, self.top, self.height = view, top, height
        self.times = np.asarray(times, dtype=float)
        self.shares = {k: np.asarray(v, dtype=float) for k, v in shares.items()}
        self.setAcceptHoverEvents(True)

    def boundingRect(self) -> QRectF:
        return QRectF(0, self.top, self.view.x_of(self.view.duration) + self.view.margin,
                      self.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = self.boundingRect()
        margin = self.view.margin
        painter.fillRect(QRectF(margin, rect.top(), rect.width() - margin, rect.height()),
                         QColor(250, 250, 250))
        if len(self.times) == 0 or not self.shares:
            return
        step = float(np.median(np.diff(self.times))) if len(self.times) > 1 else 1.0
        names = [n for n in MODALITY_COLOURS if n in self.shares]
        names += sorted(n for n in self.shares if n not in MODALITY_COLOURS)
        for i, t in enumerate(self.times):
            x0 = self.view.x_of(max(0.0, t - step / 2))
            x1 = self.view.x_of(t + step / 2)
            total = sum(float(self.shares[n][i]) for n in names)
            if total <= 0:
                continue  # nothing spoke here
            bottom = rect.bottom()
            for name in names:
                part = float(self.shares[name][i]) / total * (self.height - 2)
                if part <= 0:
                    continue
                colour = MODALITY_COLOURS.get(name, QColor(100, 100, 100))
                painter.fillRect(QRectF(x0, bottom - part, max(1.0, x1 - x0), part), colour)
                bottom -= part

    def share_text(self, t: float) -> str:
        """The shares of the window at time ``t`` in words ("faces 45 %, music 30 %…")."""
        if len(self.times) == 0:
            return ""
        i = int(np.abs(self.times - t).argmin())
        parts = sorted(((float(v[i]), k) for k, v in self.shares.items() if v[i] > 0),
                       reverse=True)
        total = sum(v for v, _ in parts) or 1.0
        return ", ".join(f"{k} {round(100 * v / total)} %" for v, k in parts) or "no reading"

    def hoverMoveEvent(self, event) -> None:
        t = self.view.t_of(event.scenePos().x())
        self.setToolTip(f"emotion from {self.share_text(t)}")


class MusicLaneItem(QGraphicsItem):
    """Where each cue's music plays (with its notes), ends early, and fades out."""

    def __init__(self, view: TimelineView, top: float, items, height: float = LANE_H):
        super().__init__()
        self.view, self.top, self.items, self.height = view, top, items, height
        tips = []
        for i in items:
            kind = "locked" if i.locked else "chosen" if i.chosen else "top-scored"
            tip = f"{i.cue}: {i.title} ({kind} suggestion)"
            if i.music_end < i.end - 0.05:
                tip += f"; silent from {view.format_time(i.music_end)}"
            tips.append(tip)
        self.setToolTip("\n".join(tips) or "No music chosen yet")

    def boundingRect(self) -> QRectF:
        return QRectF(0, self.top, self.view.x_of(self.view.duration) + self.view.margin,
                      self.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        view = self.view
        LANE_H = self.height  # noqa: N806 - the lane's own height, as the module constant
        painter.fillRect(QRectF(view.margin, self.top, self.boundingRect().width()
                                - view.margin, LANE_H), QColor(250, 250, 250))
        font = QFont(painter.font())
        font.setPointSizeF(7.5)
        painter.setFont(font)
        for item in self.items:
            x0, x1, xe = view.x_of(item.start), view.x_of(item.music_end), view.x_of(item.end)
            body = QRectF(x0, self.top + 1, max(1.0, x1 - x0), LANE_H - 2)
            painter.fillRect(body, MUSIC_CHOSEN if item.chosen or item.locked else MUSIC_TOP)
            if xe - x1 > 1:  # the piece ends before the cue: silence, hatched
                painter.fillRect(QRectF(x1, self.top + 1, xe - x1, LANE_H - 2),
                                 QBrush(QColor(150, 150, 150), Qt.BrushStyle.BDiagPattern))
            xf = view.x_of(item.fade_start)
            if x1 - xf > 1:
                fade = QLinearGradient(xf, 0, x1, 0)
                fade.setColorAt(0, QColor(255, 255, 255, 0))
                fade.setColorAt(1, QColor(255, 255, 255, 200))
                painter.fillRect(QRectF(xf, self.top + 1, x1 - xf, LANE_H - 2), fade)
            if item.notes:  # a small piano roll of the chosen MIDI
                low = min(n.pitch for n in item.notes)
                high = max(n.pitch for n in item.notes)
                span = max(12, high - low)
                painter.setPen(QPen(QColor(60, 30, 110, 200), 1.2))
                for n in item.notes:
                    y = self.top + LANE_H - 4 - (n.pitch - low) / span * (LANE_H - 8)
                    painter.drawLine(QPointF(view.x_of(n.start), y),
                                     QPointF(max(view.x_of(n.start) + 1, view.x_of(n.end)), y))
            painter.setPen(QColor(40, 20, 70))
            painter.drawText(body.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignTop
                             | Qt.AlignmentFlag.AlignLeft, item.title)


class WaveformItem(QGraphicsItem):
    """The original sound track as a min/max waveform."""

    def __init__(self, view: TimelineView, top: float, mins, maxs, bins_per_second: float,
                 height: float = LANE_H):
        super().__init__()
        self.view, self.top, self.height = view, top, height
        self.mins, self.maxs, self.bps = mins, maxs, bins_per_second

    def boundingRect(self) -> QRectF:
        return QRectF(0, self.top, self.view.x_of(self.view.duration) + self.view.margin,
                      self.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        view = self.view
        exposed = option.exposedRect
        LANE_H = self.height  # noqa: N806 - the lane's own height, as the module constant
        painter.fillRect(QRectF(view.margin, self.top, self.boundingRect().width()
                                - view.margin, LANE_H), QColor(250, 250, 250))
        if not len(self.maxs):
            return
        mid, half = self.top + LANE_H / 2, LANE_H / 2 - 2
        painter.setPen(QPen(QColor(70, 110, 140), 1))
        left = max(view.margin, math.floor(exposed.left()))
        right = min(view.x_of(view.duration), math.ceil(exposed.right()))
        x = left
        while x < right:
            a = int((x - view.margin) / view.pps * self.bps)
            b = max(a + 1, int((x + 1 - view.margin) / view.pps * self.bps))
            if a >= len(self.maxs):
                break
            lo, hi = float(self.mins[a:b].min()), float(self.maxs[a:b].max())
            painter.drawLine(QPointF(x, mid - hi * half), QPointF(x, mid - lo * half))
            x += 1


class CueItem(QGraphicsRectItem):
    """A cue block; drag an edge to move it (snaps to cuts), click to select."""

    def __init__(self, view: TimelineView, number: str, start: float, end: float, top: float,
                 label: str, locked: bool = False, height: float = CUE_H):
        super().__init__()
        self.view, self.number, self.top, self.label = view, number, top, label
        self.height = height
        self.locked = locked
        self.start, self.end = start, end
        self._drag: str | None = None
        self._origin = 0.0
        self.setAcceptHoverEvents(True)
        self.setZValue(10)
        self.set_times(start, end)

    def set_times(self, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.setRect(QRectF(self.view.x_of(start), self.top, (end - start) * self.view.pps,
                            self.height))

    def paint(self, painter: QPainter, option, widget=None) -> None:
        selected = self.view.selected_cue == self.number
        painter.setBrush(QBrush(CUE_SELECTED if selected else CUE_FILL))
        painter.setPen(QPen(QColor(30, 90, 50), 2 if selected else 1))
        painter.drawRoundedRect(self.rect().adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        if self.view.drop_target == self.number:  # a library piece is being dragged over it
            painter.setPen(QPen(DROP_TARGET, 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self.rect().adjusted(1.5, 1.5, -1.5, -1.5), 4, 4)
        if self.height < CUE_H * 0.75:
            return  # collapsed: no room for the label
        painter.setPen(QColor(10, 40, 20))
        text_rect = self.rect().adjusted(5, 0, -3, 0)
        if self.locked:  # a padlock drawn with lines: emoji fonts are often missing
            x, y = text_rect.left(), self.rect().center().y()
            painter.setPen(QPen(QColor(10, 40, 20), 1.4))
            painter.setBrush(QColor(10, 40, 20))
            painter.drawRect(QRectF(x, y - 1, 9, 7))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawArc(QRectF(x + 1.5, y - 7, 6, 10), 0, 180 * 16)
            text_rect = text_rect.adjusted(13, 0, 0, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         self.label)
        self.setToolTip(f"Cue {self.number}" + (" (locked)" if self.locked else "")
                        + ": drag an edge to move it")

    def edge_at(self, x: float) -> str | None:
        rect = self.rect()
        if abs(x - rect.left()) <= EDGE_PX:
            return "start"
        if abs(x - rect.right()) <= EDGE_PX:
            return "end"
        return None

    def hoverMoveEvent(self, event) -> None:
        edge = self.edge_at(event.pos().x())
        self.setCursor(QCursor(Qt.CursorShape.SizeHorCursor if edge else
                               Qt.CursorShape.PointingHandCursor))

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self._drag = self.edge_at(event.pos().x())
        self._origin = getattr(self, self._drag) if self._drag else 0.0
        self.view.select_cue(self.number)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if not self._drag:
            return
        t = self.view.snap(self.view.t_of(event.scenePos().x()))
        lo, hi = self.view.edge_limits(self.number, self._drag)
        t = min(hi, max(lo, t))
        if self._drag == "start":
            self.set_times(t, self.end)
        else:
            self.set_times(self.start, t)
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if not self._drag:
            return
        edge, self._drag = self._drag, None
        new = getattr(self, edge)
        self.view.hide_snap()
        if abs(new - self._origin) > 1e-6:
            self.view.edgeDragged.emit(self.number, edge, float(new))


def _label(cue) -> str:
    return f"{cue.number} {cue.title}" if cue.title else cue.number


class TimelineView(QGraphicsView):
    """The timeline view.

    Signals:
        seekRequested(float): The user clicked a time.
        cueSelected(str): The user selected a cue block.
        edgeDragged(str, str, float): A cue's "start"/"end" edge was dragged to a time.
        hitMoved(str, float, float): A cue's hit point was dragged (cue, from, to).
        pieceDropped(str, int, str): A library piece was dropped on a cue (cue, id, title).
        lanesChanged(dict): A lane was collapsed, expanded or resized (the new layout).
    """

    seekRequested = Signal(float)
    cueSelected = Signal(str)
    edgeDragged = Signal(str, str, float)
    hitMoved = Signal(str, float, float)
    pieceDropped = Signal(str, int, str)
    lanesChanged = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pps = 60.0
        self.duration = 0.0
        self.project = None
        self.thumbnails: list[tuple[float, QPixmap]] = []
        self.selected_cue = ""
        self.cue_items: dict[str, CueItem] = {}
        self.hit_items: dict[str, list[HitItem]] = {}
        self.lanes: list[tuple[str, float]] = []  # (name, top)
        self.format_time = lambda t: f"{t:.1f}s"
        self.rate = None  # the clip's exact frame rate (Fraction), for ruler ticks on frames
        self.music_items: list = []  # scorer.music.lane.LaneItem, one per cue with music
        self.waveform = None  # (mins, maxs, bins per second) of the original sound
        self.shares_item = None  # the "emotion from" lane, when the fusion gave shares
        self._fitted = False  # the whole clip is shown: keep it so when the view resizes
        self._playhead_t = 0.0
        self.playhead: QGraphicsLineItem | None = None
        self.snap_line: QGraphicsLineItem | None = None
        self.follow_playhead = True
        # lane name -> {"collapsed": bool, "height": float}; kept by the window in the prefs
        self.lane_state: dict[str, dict] = {}
        self.lane_boxes: dict[str, tuple[float, float]] = {}  # name -> (scene top, height)
        self.margin = MARGIN
        self._cue_top = RULER_H + GAP + THUMB_H + GAP
        self._cue_h = CUE_H
        self._resizing: tuple[str, float] | None = None  # (lane, scene top) while dragging
        self.drop_target = ""  # the cue a dragged library piece would land on
        self.setAcceptDrops(True)
        self.viewport().setMouseTracking(True)

    # --- coordinates --------------------------------------------------------------------
    def x_of(self, t: float) -> float:
        return self.margin + t * self.pps

    def t_of(self, x: float) -> float:
        return max(0.0, min(self.duration, (x - self.margin) / self.pps))

    def cue_top(self) -> float:
        return self._cue_top

    # --- lanes: collapse and resize -------------------------------------------------------
    def default_height(self, name: str) -> float:
        return {"picture": THUMB_H, "cues": CUE_H}.get(name, LANE_H)

    def lane_height(self, name: str) -> float:
        """The height a lane is drawn at (collapsed, resized or its default)."""
        state = self.lane_state.get(name) or {}
        if state.get("collapsed"):
            return COLLAPSED_H
        try:
            height = float(state.get("height") or self.default_height(name))
        except (TypeError, ValueError):
            height = self.default_height(name)
        return max(MIN_LANE_H, min(MAX_LANE_H, height))

    def is_collapsed(self, name: str) -> bool:
        return bool((self.lane_state.get(name) or {}).get("collapsed"))

    def set_lane_state(self, state: dict) -> None:
        """Take a stored layout (from the preferences); unknown or odd entries are ignored."""
        self.lane_state = {str(k): dict(v) for k, v in (state or {}).items()
                           if isinstance(v, dict)}
        self.rebuild()

    def toggle_lane(self, name: str) -> None:
        """Collapse a lane, or expand it to the height it had."""
        state = self.lane_state.setdefault(name, {})
        state["collapsed"] = not state.get("collapsed", False)
        self._lanes_edited()

    def set_lane_height(self, name: str, height: float) -> None:
        """Resize a lane (which expands it)."""
        state = self.lane_state.setdefault(name, {})
        state["collapsed"] = False
        state["height"] = round(max(MIN_LANE_H, min(MAX_LANE_H, float(height))), 1)
        self._lanes_edited()

    def reset_lanes(self) -> None:
        """Every lane back to its default height, expanded."""
        self.lane_state = {}
        self._lanes_edited()

    def _lanes_edited(self) -> None:
        self.rebuild()
        self.lanesChanged.emit({k: dict(v) for k, v in self.lane_state.items()})

    BUILT_IN_LANES = ("picture", "cues", "music", "sound", "fused valence", "fused arousal",
                      "emotion from")

    def track_lane(self, track: str) -> str:
        """The lane name of a modality's track.

        The "music" track (the film's own music) is not the music lane, so a name that
        clashes with a built-in lane gets " emotion" added: each lane keeps its own layout.
        """
        return f"{track} emotion" if track in self.BUILT_IN_LANES else track

    def _lane_names(self) -> list[str]:
        names = list(self.BUILT_IN_LANES)
        if self.project is not None:
            names += [self.track_lane(t) for t in self.project.tracks]
        return names

    def _fit_margin(self) -> float:
        """Room for the longest lane name, its triangle and a little air."""
        font = QFont(self.font())
        font.setPointSizeF(NAME_PT)
        metrics = QFontMetricsF(font)
        widest = max(metrics.horizontalAdvance(name) for name in self._lane_names())
        return max(MARGIN, math.ceil(TRIANGLE_W + widest + 14))

    def _lane_at(self, pos) -> tuple[str, str] | None:
        """("resize" | "toggle", lane) for a viewport point in the name column, else None."""
        if pos.x() >= self.margin - 4:
            return None
        y = self.mapToScene(pos).y()
        for name, (top, height) in self.lane_boxes.items():
            if abs(y - (top + height)) <= RESIZE_PX and not self.is_collapsed(name):
                return "resize", name
        for name, (top, height) in self.lane_boxes.items():
            if top <= y < top + max(height, COLLAPSED_H):
                return "toggle", name
        return None

    def lane_header_point(self, name: str, resize: bool = False):
        """A viewport point on a lane's name (or on its lower edge), for tests and tools."""
        from PySide6.QtCore import QPoint

        top, height = self.lane_boxes[name]
        y = top + height if resize else top + min(height, 14.0) / 2
        return QPoint(6, self.mapFromScene(0, y).y())

    def edge_scene_pos(self, number: str, edge: str) -> QPointF:
        """Scene point on the middle of a cue's edge (for tests and tools)."""
        item = self.cue_items[number]
        x = item.rect().left() if edge == "start" else item.rect().right()
        return QPointF(x, item.rect().center().y())

    # --- content ------------------------------------------------------------------------
    def set_project(self, project, duration: float, fit: bool = False) -> None:
        """Show a project; ``fit`` zooms so the whole clip is visible (one layout pass)."""
        self.project = project
        self.duration = max(duration, 0.01)
        if fit:
            self.pps = self._fit_pps()
            self._fitted = True
        self.rebuild()

    def set_music_lane(self, items: list) -> None:
        """Show where each cue's music plays (:func:`scorer.music.lane.music_lane`)."""
        self.music_items = list(items)
        self.rebuild()

    def set_waveform(self, mins, maxs, bins_per_second: float) -> None:
        """Show the original sound track (:func:`scorer.media.waveform.waveform_envelope`)."""
        self.waveform = (mins, maxs, bins_per_second)
        self.rebuild()

    def set_thumbnails(self, thumbnails: list[tuple[float, QPixmap]]) -> None:
        self.thumbnails = thumbnails
        self.rebuild()

    def rebuild(self) -> None:
        scene = self.scene()
        scene.clear()
        self.cue_items.clear()
        self.hit_items.clear()
        self.lanes = []
        self.shares_item = None  # the "emotion from" lane, when the fusion gave shares
        self.lane_boxes = {}
        self.playhead = self.snap_line = None
        self.margin = self._fit_margin()
        width = self.x_of(self.duration) + 20
        scene.addItem(RulerItem(self))
        y = RULER_H + GAP

        def lane(name: str) -> float:
            self.lanes.append((name, y))
            height = self.lane_height(name)
            self.lane_boxes[name] = (y, height)
            return height

        height = lane("picture")
        right = -1.0
        for t, pixmap in self.thumbnails if not self.is_collapsed("picture") else ():
            x = self.x_of(t)
            if x < right:
                continue
            item = scene.addPixmap(pixmap)
            scale = height / max(1, pixmap.height())
            item.setScale(scale)
            item.setPos(x, y)
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            right = x + pixmap.width() * scale + 1
        y += height + GAP
        self._cue_top = y
        self._cue_h = height = lane("cues")
        project = self.project
        if project is not None:
            for cue in project.cues:
                item = CueItem(self, cue.number, cue.start, cue.end, y, _label(cue),
                               cue.locked, height)
                scene.addItem(item)
                self.cue_items[cue.number] = item
                self._add_hits(cue)
        y += height + GAP
        if project is not None:
            height = lane("music")
            scene.addItem(MusicLaneItem(self, y, self.music_items, height))
            y += height + GAP
            if self.waveform is not None:
                height = lane("sound")
                scene.addItem(WaveformItem(self, y, *self.waveform, height=height))
                y += height + GAP
        if project is not None and project.fused is not None and len(project.fused):
            fused = project.fused
            for name, values, colour in (("valence", fused.valence, VALENCE),
                                         ("arousal", fused.arousal, AROUSAL)):
                height = lane(f"fused {name}")
                scene.addItem(CurveItem(self, y, fused.times, [(values, colour)],
                                        fused.confidence, height))
                y += height + GAP
            shares = fusion.shares(fused)
            if shares:
                height = lane("emotion from")
                self.shares_item = SharesItem(self, y, fused.times, shares, height)
                scene.addItem(self.shares_item)
                y += height + GAP
        if project is not None:
            for name, track in project.tracks.items():
                height = lane(self.track_lane(name))
                tip = self._film_music_tip if name == "music" else None
                scene.addItem(CurveItem(self, y, track.times, [(track.valence, VALENCE),
                                                               (track.arousal, AROUSAL)],
                                        track.confidence, height, tip))
                y += height + GAP
        bottom = y
        if project is not None:
            pen = QPen(CUT, 0, Qt.PenStyle.DashLine)
            for cut in project.shots:
                line = scene.addLine(self.x_of(cut), RULER_H, self.x_of(cut), bottom, pen)
                line.setZValue(5)
        if project is not None:
            scene.addItem(MarksItem(self, RULER_H, bottom))
        self.snap_line = scene.addLine(0, RULER_H, 0, bottom, QPen(QColor(250, 200, 0), 2))
        self.snap_line.setZValue(20)
        self.snap_line.hide()
        self.playhead = scene.addLine(0, 0, 0, bottom, QPen(PLAYHEAD, 1.5))
        self.playhead.setZValue(50)
        scene.setSceneRect(QRectF(0, 0, width, bottom + 2))
        self.set_playhead(self._playhead_t, follow=False)
        self.viewport().update()  # the lane names are drawn in the foreground

    def _film_music_tip(self, t: float) -> str:
        """The film's own music at ``t``: its caption and the instruments heard."""
        caption = film_music.caption_at(self.project, t) if self.project else None
        return film_music.caption_summary(caption) if caption else "no film music captioned here"

    def update_cue(self, number: str) -> None:
        """Redraw one cue block from the project (after an edit or an undo)."""
        item = self.cue_items.get(number)
        if item is None or self.project is None:
            self.rebuild()
            return
        cue = self.project.cue(number)
        item.label, item.locked = _label(cue), cue.locked
        item.set_times(cue.start, cue.end)
        item.update()
        for hit in self.hit_items.pop(number, []):
            self.scene().removeItem(hit)
        self._add_hits(cue)

    def _add_hits(self, cue) -> None:
        items = [HitItem(self, cue.number, t, self.cue_top(), self._cue_h)
                 for t in cue.hit_points]
        for hit in items:
            self.scene().addItem(hit)
        self.hit_items[cue.number] = items

    def update_marks(self) -> None:
        """Redraw markers and in/out points (after an edit or an undo)."""
        self.scene().update()

    # --- editing helpers ----------------------------------------------------------------
    def snap(self, t: float) -> float:
        """Snap a time to the nearest shot cut within SNAP_PX; shows the snap line."""
        if self.project is not None and self.project.shots:
            cuts = np.asarray(self.project.shots)
            i = int(np.argmin(np.abs(cuts - t)))
            if abs(cuts[i] - t) * self.pps <= SNAP_PX:
                if self.snap_line is not None:
                    self.snap_line.setLine(self.x_of(cuts[i]), RULER_H, self.x_of(cuts[i]),
                                           self.sceneRect().bottom())
                    self.snap_line.show()
                return float(cuts[i])
        self.hide_snap()
        return t

    def hide_snap(self) -> None:
        if self.snap_line is not None:
            self.snap_line.hide()

    def edge_limits(self, number: str, edge: str) -> tuple[float, float]:
        """How far an edge may move: keep MIN_CUE of this cue and of a rolled neighbour."""
        cues = self.project.cues
        cue = self.project.cue(number)
        if edge == "start":
            lo = 0.0
            for other in cues:
                if other.number != number and other.end <= cue.start + 1e-6:
                    lo = max(lo, other.start + MIN_CUE if abs(other.end - cue.start) < 1e-6
                             else other.end)
            return lo, cue.end - MIN_CUE
        hi = self.duration
        for other in cues:
            if other.number != number and other.start >= cue.end - 1e-6:
                hi = min(hi, other.end - MIN_CUE if abs(other.start - cue.end) < 1e-6
                         else other.start)
        return cue.start + MIN_CUE, hi

    def select_cue(self, number: str) -> None:
        if number == self.selected_cue:
            return
        self.selected_cue = number
        for item in self.cue_items.values():
            item.update()
        self.cueSelected.emit(number)

    # --- playhead, zoom, scroll -----------------------------------------------------------
    def set_playhead(self, t: float, follow: bool = True) -> None:
        self._playhead_t = t
        if self.playhead is None:
            return
        x = self.x_of(t)
        line = self.playhead.line()
        self.playhead.setLine(x, 0, x, line.y2())
        if follow and self.follow_playhead:
            left = self.mapToScene(0, 0).x()
            right = self.mapToScene(self.viewport().width(), 0).x()
            if x < left or x > right - 10:
                self.horizontalScrollBar().setValue(int(x - self.margin - 20))

    def zoom(self, factor: float, anchor_t: float | None = None) -> None:
        anchor_t = self._playhead_t if anchor_t is None else anchor_t
        old_view_x = self.mapFromScene(self.x_of(anchor_t), 0).x()
        self.pps = max(2.0, min(2000.0, self.pps * factor))
        self._fitted = False
        self.rebuild()
        self.horizontalScrollBar().setValue(int(self.x_of(anchor_t) - old_view_x))

    def _fit_pps(self) -> float:
        return max(2.0, (self.viewport().width() - self.margin - 24) / max(self.duration, 0.01))

    def zoom_fit(self) -> None:
        if self.duration > 0:
            self.pps = self._fit_pps()
            self._fitted = True
            self.rebuild()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fitted and self.project is not None and abs(self._fit_pps() - self.pps) > 1e-3:
            self.pps = self._fit_pps()
            self.rebuild()

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            anchor = self.t_of(self.mapToScene(event.position().toPoint()).x())
            self.zoom(1.25 if delta > 0 else 0.8, anchor)
        else:  # plain wheel scrolls along time, as in editing tools
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
        event.accept()

    def mousePressEvent(self, event) -> None:
        header = self._lane_at(event.position().toPoint()) \
            if event.button() == Qt.MouseButton.LeftButton else None
        if header is not None:
            what, name = header
            if what == "resize":
                self._resizing = (name, self.lane_boxes[name][0])
            else:
                self.toggle_lane(name)
            event.accept()
            return
        # the playhead and the marker lines lie over the cues: look at everything under the press
        under = self.items(event.position().toPoint())
        on_item = any(isinstance(i, (CueItem, HitItem)) for i in under)
        if on_item or event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.seekRequested.emit(self.t_of(self.mapToScene(event.position().toPoint()).x()))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position().toPoint()
        if self._resizing is not None:
            name, top = self._resizing
            self.lane_state.setdefault(name, {}).update(
                collapsed=False, height=round(max(MIN_LANE_H, min(
                    MAX_LANE_H, self.mapToScene(pos).y() - top)), 1))
            self.rebuild()  # live, as the pointer moves (a few hundred items)
            event.accept()
            return
        header = self._lane_at(pos)
        if header is not None:
            self.viewport().setCursor(Qt.CursorShape.SizeVerCursor if header[0] == "resize"
                                      else Qt.CursorShape.PointingHandCursor)
        else:
            self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._resizing is not None:
            self._resizing = None
            self._lanes_edited()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # --- a library piece dragged onto a cue --------------------------------------------------
    def _cue_under(self, pos) -> str:
        """The cue whose span holds the time under a viewport point ("" for none)."""
        if self.project is None or pos.x() < self.margin:
            return ""
        t = (self.mapToScene(pos).x() - self.margin) / self.pps
        for cue in self.project.cues:
            if cue.start <= t < cue.end:
                return cue.number
        return ""

    def _set_drop_target(self, number: str) -> None:
        if number != self.drop_target:
            self.drop_target = number
            for item in self.cue_items.values():
                item.update()

    def dragEnterEvent(self, event) -> None:
        if piece_from_mime(event.mimeData()) is not None and self.project is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        number = self._cue_under(event.position().toPoint()) \
            if piece_from_mime(event.mimeData()) is not None else ""
        self._set_drop_target(number)
        if number:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_drop_target("")
        event.accept()

    def dropEvent(self, event) -> None:
        piece = piece_from_mime(event.mimeData())
        number = self._cue_under(event.position().toPoint()) if piece else ""
        self._set_drop_target("")
        if not number:
            event.ignore()
            return
        event.acceptProposedAction()
        self.select_cue(number)
        self.pieceDropped.emit(number, piece["id"], piece["title"])

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """Lane names, pinned to the left edge whatever the scroll position."""
        painter.save()
        painter.resetTransform()
        font = QFont(painter.font())
        font.setPointSizeF(NAME_PT)
        painter.setFont(font)
        MARGIN = self.margin  # noqa: N806 - as wide as the longest lane name
        for name, top in self.lanes:
            y = self.mapFromScene(0, top).y()
            height = self.lane_boxes.get(name, (top, 16.0))[1]
            collapsed = self.is_collapsed(name)
            painter.fillRect(QRectF(0, y, MARGIN - 4, max(height, COLLAPSED_H)),
                             QColor(244, 244, 244, 235))
            painter.setPen(QPen(QColor(200, 200, 200), 1))
            painter.drawLine(QPointF(0, y + height), QPointF(MARGIN - 4, y + height))
            # the triangle: pointing right when collapsed, down when open
            cx, cy = 6.0, y + min(height, 16.0) / 2
            triangle = QPainterPath()
            if collapsed:
                triangle.moveTo(cx - 2.5, cy - 4)
                triangle.lineTo(cx + 3, cy)
                triangle.lineTo(cx - 2.5, cy + 4)
            else:
                triangle.moveTo(cx - 4, cy - 2.5)
                triangle.lineTo(cx + 4, cy - 2.5)
                triangle.lineTo(cx, cy + 3)
            triangle.closeSubpath()
            painter.fillPath(triangle, QColor(90, 90, 90))
            painter.setPen(QColor(40, 40, 40))
            painter.drawText(QRectF(TRIANGLE_W, y, MARGIN - TRIANGLE_W - 6, min(height, 16.0)
                                    if height >= 14 else 14.0),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        # legend of the curve colours, in the corner above the lane names
        painter.fillRect(QRectF(0, 0, MARGIN - 4, RULER_H), QColor(235, 235, 235))
        for row, (text, colour) in enumerate((("valence", VALENCE), ("arousal", AROUSAL))):
            y = 6 + row * 10
            painter.setPen(QPen(colour, 2))
            painter.drawLine(QPointF(4, y), QPointF(16, y))
            painter.setPen(QColor(40, 40, 40))
            painter.drawText(QRectF(19, y - 6, MARGIN - 24, 12),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()
