"""The motion paths of the current segment drawn over the canvas: curves, handles, spacing ticks, dots."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from inbetweener.model.project import MotionPath, Segment
from ui.path_geometry import is_knot, spacing_ticks

PATH_COLOR = QColor("#ff8c1a")
SELECTED_COLOR = QColor("#00b3ff")
HANDLE_COLOR = QColor("#7a7a7a")
TICK_COLOR = QColor("#202020")
DOT_COLOR = QColor("#ff2d95")
PENDING_COLOR = QColor("#00c853")
FOLLOWED_COLOR = QColor("#00c853")  # where the last frames followed a path whose end was off its match


class PathOverlay(QGraphicsItem):
    """Paints every path of one segment; sizes are in screen pixels whatever the zoom."""

    def __init__(self) -> None:
        super().__init__()
        self.segment: Segment | None = None
        self.selected: int | None = None
        self.dot_time: float | None = None  # set on an in-between frame: where each path's point is now
        self.pending_start: tuple[float, float] | None = None  # first click of the add-path tool
        # Paths of this segment the last generated frames followed in place of the drawn ones
        # (index -> path; inbetweener.jobs.FollowedPaths), shown until kept or withdrawn.
        self.followed: dict[int, MotionPath] = {}
        self._rect = QRectF()
        self.setZValue(10)

    def set_state(self, segment: Segment | None, selected: int | None, dot_time: float | None,
                  canvas: QRectF, pending_start: tuple[float, float] | None = None,
                  followed: dict[int, MotionPath] | None = None) -> None:
        self.prepareGeometryChange()
        self.segment, self.selected, self.dot_time = segment, selected, dot_time
        self.pending_start = pending_start
        self.followed = followed or {}
        # Handles may be dragged off the canvas: keep a generous margin so they still repaint.
        m = max(canvas.width(), canvas.height())
        self._rect = canvas.adjusted(-m, -m, m, m)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        scale = painter.worldTransform().m11() or 1.0
        px = 1.0 / scale  # one screen pixel in canvas units
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.segment is not None:
            times = self.segment.times
            for i, path in enumerate(self.segment.settings.paths):
                self._paint_path(painter, path, i == self.selected, times, px)
            for path in self.followed.values():
                self._paint_followed(painter, path, px)
        if self.pending_start is not None:
            self._disc(painter, self.pending_start, 6 * px, PENDING_COLOR, px)

    def _paint_path(self, p: QPainter, path: MotionPath, selected: bool, times: tuple[float, ...],
                    px: float) -> None:
        color = SELECTED_COLOR if selected else PATH_COLOR
        curve = QPainterPath()
        pts = path.curve.points
        curve.moveTo(*pts[0])
        for k in range(1, len(pts), 3):
            curve.cubicTo(QPointF(*pts[k]), QPointF(*pts[k + 1]), QPointF(*pts[k + 2]))
        # A light halo keeps the curve readable over dark and light drawings alike.
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(255, 255, 255, 170), 5 * px))
        p.drawPath(curve)
        # An autopilot proposal's curve is dotted until the animator makes it theirs.
        p.setPen(QPen(color, 2 * px, Qt.PenStyle.DotLine if path.proposed else Qt.PenStyle.SolidLine))
        p.drawPath(curve)
        for a, b in spacing_ticks(path, times, 12 * px):
            p.setPen(QPen(TICK_COLOR, 2 * px))
            p.drawLine(QPointF(*a), QPointF(*b))
        if selected:
            p.setPen(QPen(HANDLE_COLOR, 1 * px, Qt.PenStyle.DashLine))
            for k in range(0, len(pts) - 1, 3):
                p.drawLine(QPointF(*pts[k]), QPointF(*pts[k + 1]))
                p.drawLine(QPointF(*pts[k + 2]), QPointF(*pts[k + 3]))
            for j, q in enumerate(pts):
                if not is_knot(j):
                    self._disc(p, q, 4 * px, QColor("#ffffff"), px, outline=color)
        for j, q in enumerate(pts):
            if is_knot(j):
                size = 5 * px if j in (0, len(pts) - 1) else 4 * px
                self._square(p, q, size, color, px)
        if self.dot_time is not None:
            pos = path.position(self.dot_time)
            self._disc(p, (float(pos[0]), float(pos[1])), 6 * px, DOT_COLOR, px)

    def _paint_followed(self, p: QPainter, path: MotionPath, px: float) -> None:
        """The curve the frames followed, dashed, with a ring at its end (the match in key B), and
        on an in-between the point where the frame shows it."""
        pts = path.curve.points
        curve = QPainterPath()
        curve.moveTo(*pts[0])
        for k in range(1, len(pts), 3):
            curve.cubicTo(QPointF(*pts[k]), QPointF(*pts[k + 1]), QPointF(*pts[k + 2]))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(FOLLOWED_COLOR, 1.5 * px, Qt.PenStyle.DashLine))
        p.drawPath(curve)
        p.setPen(QPen(FOLLOWED_COLOR, 2 * px))
        p.drawEllipse(QPointF(*pts[-1]), 7 * px, 7 * px)
        if self.dot_time is not None:
            pos = path.position(self.dot_time)
            p.drawEllipse(QPointF(float(pos[0]), float(pos[1])), 4 * px, 4 * px)

    @staticmethod
    def _disc(p: QPainter, c, r: float, fill: QColor, px: float, outline: QColor | None = None) -> None:
        p.setPen(QPen(outline or QColor("#101010"), 1.5 * px))
        p.setBrush(fill)
        p.drawEllipse(QPointF(float(c[0]), float(c[1])), r, r)

    @staticmethod
    def _square(p: QPainter, c, half: float, fill: QColor, px: float) -> None:
        p.setPen(QPen(QColor("#101010"), 1.5 * px))
        p.setBrush(fill)
        p.drawRect(QRectF(float(c[0]) - half, float(c[1]) - half, 2 * half, 2 * half))
