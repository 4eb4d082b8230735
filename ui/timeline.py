"""The timeline: one cell per frame with key markers, review state, thumbnails and the playhead.

Generated frames made for older settings of their segment (paths, timing, engine, seed, options or
a key's drawing changed since) are drawn out of date: a dimmed, hatched strip and an orange corner.

Ruler (top row): click or drag to scrub. Track: click selects a frame; dragging a key retimes it
(MoveKeyframe, which changes the in-between count). Frame numbers are 1-based on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from inbetweener.errors import UserError
from inbetweener.model.commands import CommandError, MoveKeyframe
from inbetweener.model.fingerprint import all_stale_frames
from inbetweener.model.lookup import shown_at
from inbetweener.model.project import FrameStatus, Project
from ui.document import Document
from ui.frame_cache import FrameCache, qimage_from_rgba, resized_rgba
from ui.state import EditorState

RULER_H = 18
THUMB_H = 40
STRIP_H = 7
TRACK_TOP = RULER_H
TRACK_H = THUMB_H + STRIP_H + 6
TOTAL_H = RULER_H + TRACK_H + 2
SPARE_FRAMES = 12  # empty cells after the end, so a last key can be dragged later

STATUS_COLORS = {
    FrameStatus.KEY: QColor("#f0b429"),
    FrameStatus.GENERATED: QColor("#4c8bf5"),
    FrameStatus.ACCEPTED: QColor("#3fb950"),
    FrameStatus.LOCKED: QColor("#e5534b"),
}
PREVIEW_COLOR = QColor("#b072f0")
# A generated frame made for older settings of its segment: the generated blue, dimmed and hatched,
# and a small orange corner mark on the picture (the animator should generate again).
STALE_STRIP = QColor("#2b4a7d")
STALE_MARK = QColor("#db6d28")
BROKEN_THUMB = QColor("#7a2e2e")  # a drawing that cannot be decoded (damaged in the file)
HOLD_COLOR = QColor("#6e7681")
BG = QColor("#1e2227")
CELL_BG = QColor("#2a2f36")
KEY_CELL_BG = QColor("#3a3524")
PLAYHEAD = QColor("#ff4d4d")


class TimelineWidget(QAbstractScrollArea):
    """Frame cells, key markers, per-frame state, thumbnails, playhead; scrub and retime with the mouse."""

    contextMenuAt = Signal(int, QPoint)  # frame, global position (the main window adds its actions)
    message = Signal(str)  # one-line hints for the status bar

    def __init__(self, document: Document, state: EditorState, cache: FrameCache | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.state = state
        self.cache = cache or FrameCache()
        self.prefetcher = None  # ui.worker.FramePrefetcher, set by the main window
        self.cell_w = 46
        self.context_actions: list[QAction] = []
        self._scrubbing = False
        self._shown_frame = state.frame
        self._preview_thumbs: dict[tuple[int, int], QImage] = {}
        self._drag_key: int | None = None  # frame of the key being retimed
        self._drag_to: int | None = None
        self._thumb_queue: list[str] = []
        self._stale_for: Project | None = None  # the project `_stale` was worked out for
        self._stale: frozenset[int] = frozenset()
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setInterval(0)
        self._thumb_timer.timeout.connect(self._make_some_thumbnails)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(TOTAL_H + self.horizontalScrollBar().sizeHint().height() + 4)
        self.setMaximumHeight(TOTAL_H + self.horizontalScrollBar().sizeHint().height() + 4)
        self._font = QFont(self.font())
        self._font.setPointSizeF(max(7.0, self._font.pointSizeF() * 0.85))
        document.changed.connect(self._on_document_changed)
        state.frameChanged.connect(self._on_frame_changed)
        state.previewsChanged.connect(self.viewport().update)
        self._update_scroll_range()

    def sizeHint(self) -> QSize:
        return QSize(800, self.minimumHeight())

    # -- geometry --------------------------------------------------------------------------------
    def shown_frames(self) -> int:
        return self.document.project.length + SPARE_FRAMES

    def frame_at(self, x: float) -> int:
        """The frame under viewport x (clamped to the cells drawn)."""
        f = int((x + self.horizontalScrollBar().value()) // self.cell_w)
        return max(0, min(f, self.shown_frames() - 1))

    def cell_rect(self, frame: int) -> QRect:
        x = frame * self.cell_w - self.horizontalScrollBar().value()
        return QRect(x, TRACK_TOP, self.cell_w, TRACK_H)

    def cell_center(self, frame: int, in_ruler: bool = False) -> QPoint:
        r = self.cell_rect(frame)
        return QPoint(r.center().x(), RULER_H // 2 if in_ruler else r.center().y())

    def _update_scroll_range(self) -> None:
        bar = self.horizontalScrollBar()
        total = self.shown_frames() * self.cell_w
        bar.setRange(0, max(0, total - self.viewport().width()))
        bar.setPageStep(self.viewport().width())
        bar.setSingleStep(self.cell_w)

    def ensure_visible(self, frame: int) -> None:
        bar = self.horizontalScrollBar()
        x0, x1 = frame * self.cell_w, (frame + 1) * self.cell_w
        if x0 < bar.value():
            bar.setValue(x0)
        elif x1 > bar.value() + self.viewport().width():
            bar.setValue(x1 - self.viewport().width())

    # -- reactions -------------------------------------------------------------------------------
    def _on_document_changed(self) -> None:
        self._update_scroll_range()
        self.viewport().update()

    def _on_frame_changed(self, frame: int) -> None:
        old, self._shown_frame = self._shown_frame, frame
        before = self.horizontalScrollBar().value()
        self.ensure_visible(frame)
        if self.horizontalScrollBar().value() != before:
            self.viewport().update()
            return
        for f in (old, frame):
            r = self.cell_rect(f)
            self.viewport().update(r.x() - 2, 0, r.width() + 4, TOTAL_H)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._update_scroll_range()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        self.viewport().update()

    # -- queries ---------------------------------------------------------------------------------
    def stale_frames(self) -> frozenset[int]:
        """Generated frames made for other settings than their segment's now (worked out once per edit)."""
        project = self.document.project
        if project is not self._stale_for:
            self._stale_for, self._stale = project, all_stale_frames(project)
        return self._stale

    def is_stale(self, frame: int) -> bool:
        return frame in self.stale_frames()

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        project = self.document.project
        p = QPainter(self.viewport())
        p.fillRect(self.viewport().rect(), BG)
        p.setFont(self._font)
        # Only the cells in the damaged region: a playhead step repaints two cells, not the strip.
        first = self.frame_at(event.rect().left())
        last = self.frame_at(event.rect().right())
        key_frames = {k.frame for k in project.keyframes}
        for f in range(first, last + 1):
            self._paint_cell(p, f, f in key_frames, f < project.length)
        if self._drag_key is not None and self._drag_to is not None:
            r = self.cell_rect(self._drag_to)
            p.setPen(QPen(STATUS_COLORS[FrameStatus.KEY], 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r.adjusted(2, 2, -2, -2))
            label = self.retime_label(self._drag_key, self._drag_to)
            p.setPen(QColor("#ffffff"))
            p.fillRect(QRect(r.right() + 4, TRACK_TOP + 4, 150, 16), QColor(0, 0, 0, 170))
            p.drawText(QRect(r.right() + 8, TRACK_TOP + 4, 146, 16), Qt.AlignmentFlag.AlignVCenter, label)
        # Playhead over everything.
        x = self.cell_rect(self.state.frame).center().x()
        p.setPen(QPen(PLAYHEAD, 2))
        p.drawLine(x, 0, x, TOTAL_H)
        p.end()
        if self._thumb_queue:
            if self.prefetcher is not None:
                images = self.document.project.images
                self.prefetcher.request_thumbnails([(i, images[i]) for i in self._thumb_queue
                                                    if i in images and not self.cache.broken(i)])
                self._thumb_queue = []
            elif not self._thumb_timer.isActive():
                self._thumb_timer.start()

    def _paint_cell(self, p: QPainter, f: int, is_key: bool, inside: bool) -> None:
        project = self.document.project
        r = self.cell_rect(f)
        current = f == self.state.frame
        # Ruler with 1-based numbers.
        ruler = QRect(r.x(), 0, r.width(), RULER_H)
        p.fillRect(ruler, QColor("#3b4048") if current else QColor("#262a30"))
        p.setPen(QColor("#e6e6e6") if current else QColor("#9aa1a9"))
        p.drawText(ruler, Qt.AlignmentFlag.AlignCenter, str(f + 1))
        p.setPen(QColor("#15181c"))
        p.drawLine(r.x(), 0, r.x(), TOTAL_H)
        if not inside:
            p.fillRect(r.adjusted(1, 1, 0, 0), QColor("#181b1f"))
            return
        p.fillRect(r.adjusted(1, 1, 0, 0), KEY_CELL_BG if is_key else CELL_BG)
        preview = self.state.previews.get(f)
        shown = shown_at(project, f)
        thumb_rect = QRect(r.x() + 3, r.y() + 3, r.width() - 6, THUMB_H)
        if preview is not None and not is_key:
            p.fillRect(thumb_rect, QColor("#3a2f4a"))
            thumb = self._preview_thumbnail(f, preview)
            p.save()
            p.setClipRect(thumb_rect)
            p.drawImage(thumb_rect.center().x() - thumb.width() // 2, thumb_rect.y(), thumb)
            p.restore()
            p.setPen(QPen(PREVIEW_COLOR, 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)  # an outline only: it must not cover the picture
            p.drawRect(thumb_rect.adjusted(0, 0, -1, -1))
        elif shown.image_id is not None and not shown.hold:
            thumb = self.cache.thumbnail(shown.image_id)
            if thumb is None and self.cache.broken(shown.image_id) is not None:
                p.fillRect(thumb_rect, BROKEN_THUMB)  # a damaged drawing: not asked for again
            elif thumb is None:
                if shown.image_id not in self._thumb_queue:
                    self._thumb_queue.append(shown.image_id)
                p.fillRect(thumb_rect, QColor("#444a52"))
            else:
                p.save()
                p.setClipRect(thumb_rect)
                p.fillRect(thumb_rect, QColor("#ffffff"))
                p.drawImage(thumb_rect.center().x() - thumb.width() // 2, thumb_rect.y(), thumb)
                p.restore()
        elif shown.hold:
            # A hold: a line continuing the previous drawing.
            p.setPen(QPen(HOLD_COLOR, 2))
            y = thumb_rect.center().y()
            p.drawLine(r.x(), y, r.right(), y)
        # State strip: key / generated / out of date (generated for older settings) / accepted / locked /
        # pending preview.
        strip = QRect(r.x() + 3, r.y() + THUMB_H + 5, r.width() - 6, STRIP_H)
        status = shown.status if not shown.hold else None
        if preview is not None and not is_key:
            p.fillRect(strip, QBrush(PREVIEW_COLOR, Qt.BrushStyle.BDiagPattern))
        elif status == FrameStatus.GENERATED and not shown.hold and f in self.stale_frames():
            p.fillRect(strip, STALE_STRIP)
            p.fillRect(strip, QBrush(STATUS_COLORS[FrameStatus.GENERATED], Qt.BrushStyle.BDiagPattern))
            self._paint_stale_mark(p, thumb_rect)
        elif status is not None:
            p.fillRect(strip, STATUS_COLORS[status])
        if is_key:
            self._paint_key_marker(p, r)
        if status == FrameStatus.LOCKED:
            self._paint_lock(p, r)
        if current:
            p.setPen(QPen(PLAYHEAD, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r.adjusted(1, 1, -1, -1))

    def _preview_thumbnail(self, frame: int, preview) -> QImage:
        """A small picture of a frame still being generated (made once per arriving frame)."""
        key = (frame, id(preview))
        hit = self._preview_thumbs.get(key)
        if hit is None:
            h = self.cache.thumb_height
            w = max(1, round(preview.shape[1] * h / preview.shape[0]))
            hit = qimage_from_rgba(resized_rgba(preview, (w, h)))
            if len(self._preview_thumbs) > 256:
                self._preview_thumbs.clear()
            self._preview_thumbs[key] = hit
        return hit

    def _paint_key_marker(self, p: QPainter, r: QRect) -> None:
        cx, cy = r.center().x(), RULER_H - 4
        # A QPainterPath, not QPolygon: drawPolygon trips a refcount bug in PySide6 6.12.
        diamond = QPainterPath()
        diamond.moveTo(cx, cy - 5)
        diamond.lineTo(cx + 5, cy)
        diamond.lineTo(cx, cy + 5)
        diamond.lineTo(cx - 5, cy)
        diamond.closeSubpath()
        p.save()  # the key's fill must not leak into the next cells' outlines
        p.setPen(QPen(QColor("#111"), 1))
        p.setBrush(STATUS_COLORS[FrameStatus.KEY])
        p.drawPath(diamond)
        p.restore()

    def _paint_stale_mark(self, p: QPainter, thumb: QRect) -> None:
        """An orange corner on the picture: this frame was made for older settings."""
        corner = QPainterPath()  # a QPainterPath, not QPolygon (see _paint_key_marker)
        corner.moveTo(thumb.right() - 9, thumb.y())
        corner.lineTo(thumb.right() + 1, thumb.y())
        corner.lineTo(thumb.right() + 1, thumb.y() + 10)
        corner.closeSubpath()
        p.save()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(STALE_MARK)
        p.drawPath(corner)
        p.restore()

    def _paint_lock(self, p: QPainter, r: QRect) -> None:
        body = QRect(r.right() - 12, r.y() + 5, 9, 7)
        p.setPen(QPen(QColor("#111"), 1))
        p.setBrush(STATUS_COLORS[FrameStatus.LOCKED])
        p.drawRect(body)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(STATUS_COLORS[FrameStatus.LOCKED], 1.5))
        p.drawArc(body.x() + 1, body.y() - 5, 7, 9, 0, 180 * 16)

    def retime_label(self, key: int, to: int) -> str:
        """What dropping the dragged key at `to` would do, in animators' words."""
        frames = [k.frame for k in self.document.project.keyframes]
        i = frames.index(key)
        lo = frames[i - 1] if i > 0 else None
        hi = frames[i + 1] if i + 1 < len(frames) else None
        if (lo is not None and to <= lo) or (hi is not None and to >= hi) or to < 0:
            return "cannot pass a key"
        parts = [f"frame {to + 1}"]
        if lo is not None:
            parts.append(f"{to - lo - 1} before")
        if hi is not None:
            parts.append(f"{hi - to - 1} after")
        return " · ".join(parts)

    def _make_some_thumbnails(self) -> None:
        """A few thumbnails per event-loop turn, so a long timeline never freezes the window."""
        images = self.document.project.images
        for _ in range(4):
            if not self._thumb_queue:
                break
            image_id = self._thumb_queue.pop(0)
            if image_id in images and not self.cache.broken(image_id):
                try:
                    self.cache.make_thumbnail(image_id, images[image_id])
                except UserError as exc:  # a drawing stored damaged: say so once, stop asking
                    if self.cache.mark_broken(image_id, str(exc)):
                        self.message.emit(str(exc))
        if not self._thumb_queue:
            self._thumb_timer.stop()
        self.viewport().update()

    # -- mouse -----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        pos = event.position()
        f = self.frame_at(pos.x())
        if pos.y() >= TRACK_TOP and self.document.project.key_at(f) is not None:
            self._drag_key, self._drag_to = f, f
        else:
            self._scrubbing = True
        self.state.set_frame(f)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        f = self.frame_at(event.position().x())
        if self._drag_key is not None:
            if f != self._drag_to:
                self._drag_to = f
                self.viewport().update()
        elif self._scrubbing:
            self.state.set_frame(f)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_key is not None:
            src, dst = self._drag_key, self._drag_to
            self._drag_key = self._drag_to = None
            if dst is not None and dst != src:
                try:
                    self.document.push(MoveKeyframe(src, dst))
                    self.state.set_frame(dst)
                except CommandError as exc:
                    # Dropped beyond a neighbouring key: the key stays; say why it did not move.
                    self.message.emit(f"The key stayed at frame {src + 1}: {exc}.")
            self.viewport().update()
        self._scrubbing = False

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 1 if event.angleDelta().y() > 0 else -1
            self.cell_w = max(18, min(120, self.cell_w + 6 * step))
            self._update_scroll_range()
            self.ensure_visible(self.state.frame)
            self.viewport().update()
        else:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - event.angleDelta().y() - event.angleDelta().x())

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        f = self.frame_at(event.pos().x())
        self.state.set_frame(f)
        if self.context_actions:
            menu = QMenu(self)
            menu.addActions(self.context_actions)
            menu.exec(event.globalPos())
        self.contextMenuAt.emit(f, event.globalPos())


if __name__ == "__main__":
    from ui.preview import preview_widget

    preview_widget(lambda doc, state: TimelineWidget(doc, state))
