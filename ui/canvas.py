"""The canvas: the current frame with onion skin, zoom and pan, and motion-path editing on a segment.

Edit mode: drag a knot or handle (MovePathPoint, one undo step per drag), click a curve to select it,
Del deletes it; on an in-between frame drag a path's position dot to re-shape the path through that
point at that time (ReplacePath). Add mode: click a point on key A, then its match on key B.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from inbetweener.errors import UserError
from inbetweener.model.commands import AddPath, CommandError, MovePathPoint, RemovePath, ReplacePath
from inbetweener.model.lookup import shown_at
from inbetweener.model.project import MotionPath, Segment
from inbetweener.paths.bezier import BezierChain
from ui.document import Document
from ui.frame_cache import FrameCache, Size, onion_image, qimage_from_rgba, resized_rgba
from ui.path_geometry import Hit, hit_test, redrag, split_for_redrag
from ui.path_overlay import PathOverlay
from ui.state import EditorState, segment_for_frame

GRAB_RADIUS_PX = 9
# Handles of a new straight path sit here along it, not at the thirds: in-between dots land on the thirds
# whenever the in-between count is 2, 5, 8, 11..., and a handle under a dot could not be grabbed.
NEW_HANDLE_AT = (0.27, 0.73)


def straight_path(start: tuple[float, float], end: tuple[float, float], name: str) -> MotionPath:
    """A straight path (motion follows arc length, so where the handles sit on the line changes nothing)."""
    a, b = np.asarray(start, float), np.asarray(end, float)
    handles = [tuple(float(v) for v in a + f * (b - a)) for f in NEW_HANDLE_AT]
    return MotionPath(BezierChain((tuple(map(float, a)), handles[0], handles[1], tuple(map(float, b)))), name=name)
ONION_BEFORE = (230, 60, 60)  # red: where it comes from
ONION_AFTER = (40, 170, 80)  # green: where it goes
PAPER = QColor("#ffffff")


class CanvasView(QGraphicsView):
    """Shows the current frame and edits the current segment's motion paths through commands."""

    message = Signal(str)  # one-line hints and errors for the status bar
    playToggleRequested = Signal()  # Space tapped (not held for panning) while the canvas has focus
    addModeChanged = Signal(bool)

    def __init__(self, document: Document, state: EditorState, cache: FrameCache | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.state = state
        self.cache = cache or FrameCache()
        self.prefetcher = None  # ui.worker.FramePrefetcher, set by the main window
        self.progressive = False  # with a prefetcher: show stand-ins instead of decoding on the GUI thread
        self.waiting_for: tuple[str, Size | None] | None = None
        self._last_sharp: QImage | None = None
        self.add_mode = False
        self._pending_start: tuple[float, float] | None = None
        self._drag: Hit | None = None
        self._redrag_base: tuple[MotionPath, int] | None = None
        self._pan_from: QPointF | None = None
        self._space_down = False
        self._space_panned = False
        self._fit = True
        self._canvas_rect = QRectF()
        self._previews: OrderedDict[tuple[int, int, Size | None], QImage] = OrderedDict()

        self.scene_ = QGraphicsScene(self)
        self.setScene(self.scene_)
        self.setBackgroundBrush(QColor("#33383f"))
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        # QGraphicsView takes drops for its scene, whose items take none: dropped files were refused
        # over the canvas. Leaving drops to the main window imports them wherever they land.
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)
        self.overlay = PathOverlay()
        self._followed: tuple[int | None, dict[int, MotionPath]] = (None, {})  # see show_followed
        self.scene_.addItem(self.overlay)

        document.changed.connect(self.refresh)
        state.frameChanged.connect(self._on_frame)
        state.selectionChanged.connect(self._refresh_overlay)
        state.onionChanged.connect(self.refresh)
        state.previewsChanged.connect(self._refresh_frame)
        self.refresh()

    # -- what is shown ---------------------------------------------------------------------------
    def segment(self) -> Segment | None:
        return segment_for_frame(self.document.project, self.state.frame)

    def dot_time(self) -> float | None:
        seg = self.segment()
        if seg is None or not (seg.start.frame < self.state.frame < seg.end.frame):
            return None
        return seg.time_of(self.state.frame)

    def refresh(self) -> None:
        project = self.document.project
        rect = QRectF(0, 0, project.width, project.height)
        if self._canvas_rect != rect:
            self._canvas_rect = rect
            self.scene_.setSceneRect(rect.adjusted(-rect.width(), -rect.height(), rect.width(), rect.height()))
            self._fit = True
            self.fit()
        seg = self.segment()
        if self.state.selected_path is not None and (seg is None or self.state.selected_path >= len(seg.settings.paths)):
            self.state.select_path(None)
        self._refresh_frame()
        self._refresh_overlay()

    def _on_frame(self, frame: int) -> None:
        self.waiting_for = None
        if self._pending_start is not None:
            self.cancel_add()
        self._refresh_frame()
        self._refresh_overlay()
        self._prefetch_around(frame)

    def _refresh_frame(self) -> None:
        self.viewport().update()

    # -- what the current frame shows --------------------------------------------------------------
    def display_size(self) -> Size | None:
        """On-screen size of the canvas when zoomed out (frames are kept at that size); None at >= 100%."""
        s = self.transform().m11()
        if s >= 1.0:
            return None
        project = self.document.project
        return max(1, round(project.width * s)), max(1, round(project.height * s))

    def current_image(self, size: Size | None = None) -> QImage | None:
        """The current frame as painted: a pending preview, the frame's image, or the held drawing."""
        project, frame = self.document.project, self.state.frame
        preview = self.state.previews.get(frame)
        if preview is not None and project.key_at(frame) is None:
            key = (frame, id(preview), size)
            hit = self._previews.get(key)
            if hit is None:
                hit = qimage_from_rgba(resized_rgba(preview, size))
                self._previews[key] = hit
                while len(self._previews) > 4:
                    self._previews.popitem(last=False)
            return hit
        image_id = self._current_image_id()
        if image_id is None or self.cache.broken(image_id) is not None:
            return None  # a damaged drawing shows as blank paper (the status bar said why, once)
        hit = self.cache.get(image_id, size)
        if hit is not None:
            self._last_sharp = hit
            return hit
        if self.progressive and self.prefetcher is not None and size is not None:
            # Never decode on the GUI thread while scrubbing: ask the prefetcher for this frame
            # first and show a stand-in (its thumbnail, or the last frame) until it arrives.
            standin = self._standin(image_id, size)
            if standin is not None:
                self.waiting_for = (image_id, size)
                self._prefetch_around(self.state.frame)
                return standin
        try:
            image = self.cache.image(image_id, project.images[image_id], size)
        except UserError as exc:
            self._mark_broken(image_id, str(exc))
            return None
        self._last_sharp = image
        return image

    def _mark_broken(self, image_id: str, message: str) -> None:
        """An image that cannot be decoded: never try it again, and say why once."""
        if self.cache.mark_broken(image_id, message):
            self.message.emit(message)

    def frame_failed(self, image_id: str, message: str) -> None:
        """The prefetcher could not decode a frame, thumbnail or ghost: stop waiting for it, say why once."""
        self._mark_broken(image_id, message)
        if self.waiting_for is not None and self.waiting_for[0] == image_id:
            self.waiting_for = None
            self.viewport().update()

    def _standin(self, image_id: str, size: Size) -> QImage | None:
        thumb = self.cache.thumbnail(image_id)
        if thumb is not None:
            return thumb  # the painter stretches it over the paper (cheaper than scaling a copy)
        last = self._last_sharp
        if last is not None and (last.width(), last.height()) == size:
            return last
        return None

    def is_sharp(self) -> bool:
        """False while a stand-in is shown for a frame the prefetcher is still decoding."""
        return self.waiting_for is None

    def frame_arrived(self, image_id: str, size: Size | None) -> None:
        """The prefetcher delivered a frame: repaint if it is the one we are waiting for."""
        if self.waiting_for == (image_id, size):
            self.waiting_for = None
            self.viewport().update()
        elif image_id.startswith("onion:"):
            self.viewport().update()

    def _current_image_id(self) -> str | None:
        project = self.document.project
        if self._pending_start is not None:
            seg = self.segment()
            if seg is not None:  # picking the end of a new path: show key B
                return seg.end.image_id
        return shown_at(project, self.state.frame).image_id

    def onion_keys(self) -> list[tuple[str, tuple[int, int, int], float]]:
        """Keys to ghost: up to `onion_count` before (red) and after (green), fading with distance."""
        project, frame = self.document.project, self.state.frame
        if not self.state.onion_enabled or self._pending_start is not None:
            return []
        n = self.state.onion_count
        before = [k for k in project.keyframes if k.frame < frame][-n:]
        after = [k for k in project.keyframes if k.frame > frame][:n]
        out = [(k.image_id, ONION_BEFORE, 1.0 / (len(before) - i)) for i, k in enumerate(before)]
        out += [(k.image_id, ONION_AFTER, 1.0 / (i + 1)) for i, k in enumerate(after)]
        return out

    def onion_cache_id(self, keys: list[tuple[str, tuple[int, int, int], float]]) -> str:
        return "onion:" + ":".join(f"{i}{t}{w:.2f}" for i, t, w in keys) + f":{self.state.onion_opacity:.3f}"

    def _onion_image(self, keys: list[tuple[str, tuple[int, int, int], float]], size: Size | None) -> QImage | None:
        """One layer with the neighbouring keys' ink; made off the GUI thread when a prefetcher is there."""
        cache_id = self.onion_cache_id(keys)
        if self.cache.broken(cache_id) is not None or any(self.cache.broken(i) for i, _, _ in keys):
            return None  # a damaged key: ghost nothing rather than fail on every repaint
        hit = self.cache.get(cache_id, size)
        if hit is not None:
            return hit
        images = self.document.project.images
        layers = [(images[i], t, w) for i, t, w in keys]
        if self.progressive and self.prefetcher is not None:
            self.prefetcher.request_onion(cache_id, layers, size, self.state.onion_opacity)
            return None  # drawn without ghosts for a moment; frame_arrived repaints
        try:
            image = onion_image(layers, size, self.state.onion_opacity)
        except UserError as exc:
            self._mark_broken(cache_id, str(exc))
            return None
        self.cache.put(cache_id, size, image)
        return image

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """Paper, frame and onion skin; zoomed out they are blitted 1:1 from display-size images."""
        project = self.document.project
        size = self.display_size()
        frame_image = self.current_image(size)
        onion = self.onion_keys()
        layers = [frame_image] if frame_image is not None else []
        ghost = self._onion_image(onion, size) if onion else None
        if ghost is not None:
            layers.append(ghost)
        opaque = frame_image is not None and frame_image.format() == QImage.Format.Format_RGB32
        painter.save()
        if size is not None:
            origin: QPoint = self.mapFromScene(QPointF(0, 0))
            painter.resetTransform()
            paper = QRectF(origin.x(), origin.y(), size[0], size[1])
            self._fill_around(painter, QRectF(self.viewport().rect()), paper)
            if not opaque:
                painter.fillRect(paper, PAPER)
            for image in layers:
                if (image.width(), image.height()) == size:
                    painter.drawImage(origin, image)  # 1:1 blit
                else:  # a stand-in thumbnail while the real frame is decoded
                    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                    painter.drawImage(paper, image)
        else:
            paper = QRectF(0, 0, project.width, project.height)
            super().drawBackground(painter, rect)
            painter.fillRect(paper, PAPER)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.transform().m11() < 3)
            for image in layers:
                painter.drawImage(paper, image)
        painter.restore()

    def _fill_around(self, painter: QPainter, view: QRectF, paper: QRectF) -> None:
        """The desk colour outside the paper only (filling under an opaque frame is wasted time)."""
        brush = self.backgroundBrush()
        top = QRectF(view.left(), view.top(), view.width(), max(0.0, paper.top() - view.top()))
        bottom = QRectF(view.left(), paper.bottom(), view.width(), max(0.0, view.bottom() - paper.bottom() + 1))
        left = QRectF(view.left(), paper.top(), max(0.0, paper.left() - view.left()), paper.height())
        right = QRectF(paper.right(), paper.top(), max(0.0, view.right() - paper.right() + 1), paper.height())
        for r in (top, bottom, left, right):
            if r.width() > 0 and r.height() > 0:
                painter.fillRect(r, brush)

    def _prefetch_around(self, frame: int) -> None:
        """Ask the background prefetcher for the frames a scrub or playback reaches next."""
        if self.prefetcher is None:
            return
        project, size = self.document.project, self.display_size()
        wanted = []
        for f in (frame, frame + 1, frame + 2, frame - 1, frame + 3, frame - 2, frame + 4, frame + 5, frame - 3):
            image_id = shown_at(project, f).image_id
            if image_id is not None and self.cache.get(image_id, size) is None and not self.cache.broken(image_id):
                wanted.append((image_id, project.images[image_id], size))
        self.prefetcher.request(wanted)

    def show_followed(self, segment: int | None, paths: dict[int, MotionPath]) -> None:
        """Show the paths the last frames of `segment` followed in place of the drawn ones (none: {})."""
        self._followed = (segment, dict(paths))
        self._refresh_overlay()

    def _refresh_overlay(self) -> None:
        project = self.document.project
        seg = self.segment()
        followed = self._followed[1] if seg is not None and seg.index == self._followed[0] else {}
        self.overlay.set_state(seg, self.state.selected_path, self.dot_time(),
                               QRectF(0, 0, project.width, project.height), self._pending_start, followed)

    # -- zoom and pan ----------------------------------------------------------------------------
    def fit(self) -> None:
        project = self.document.project
        self.fitInView(QRectF(0, 0, project.width, project.height).adjusted(-16, -16, 16, 16),
                       Qt.AspectRatioMode.KeepAspectRatio)

    def zoom_to(self, factor: float) -> None:
        self._fit = False
        self.setTransform(self.transform().fromScale(factor, factor))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._fit:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        factor = 1.0015 ** event.angleDelta().y()
        scale = self.transform().m11() * factor
        if 0.02 < scale < 64:
            self._fit = False
            self.scale(factor, factor)

    def _grab_radius(self) -> float:
        return GRAB_RADIUS_PX / (self.transform().m11() or 1.0)

    # -- path editing ----------------------------------------------------------------------------
    def set_add_mode(self, on: bool) -> None:
        changed = self.add_mode != bool(on)
        self.add_mode = bool(on)
        self.cancel_add()
        if changed:
            self.addModeChanged.emit(self.add_mode)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if on:
            self.message.emit("Add path: click a point on key A, then the same point on key B (Esc cancels).")

    def cancel_add(self) -> None:
        if self._pending_start is not None:
            self._pending_start = None
            self._refresh_frame()
            self._refresh_overlay()

    def delete_selected(self) -> bool:
        seg, idx = self.segment(), self.state.selected_path
        if seg is None or idx is None:
            return False
        try:
            self.document.push(RemovePath(seg.index, idx))
        except CommandError as exc:
            self.message.emit(str(exc))
            return False
        self.state.select_path(None)
        return True

    def _scene_xy(self, event: QMouseEvent) -> tuple[float, float]:
        p = self.mapToScene(event.position().toPoint())
        return float(p.x()), float(p.y())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space_down):
            self._pan_from = event.position()
            self._space_panned = True
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        x, y = self._scene_xy(event)
        seg = self.segment()
        if self.add_mode:
            self._add_click(seg, x, y)
            return
        if seg is None:
            return
        hit = hit_test(seg.settings.paths, x, y, self._grab_radius(), self.state.selected_path, self.dot_time())
        self.state.select_path(hit.path_index if hit else None)
        self._drag = hit if hit is not None and hit.kind in ("point", "dot") else None
        self._redrag_base = None
        if self._drag is not None and self._drag.kind == "dot":
            time = self.dot_time()
            assert time is not None
            self._redrag_base = split_for_redrag(seg.settings.paths[hit.path_index], time)
            if self._redrag_base is None:
                self.message.emit("This in-between is past the end of its path (the timing overshoots); "
                                  "change the timing curve or drag the path's end handle to move it.")

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            return
        if self._drag is None:
            self._hover(event)
            return
        seg = self.segment()
        if seg is None:
            return
        x, y = self._scene_xy(event)
        try:
            if self._drag.kind == "point":
                self.document.push(MovePathPoint(seg.index, self._drag.path_index, self._drag.point_index, x, y))
            elif self._redrag_base is not None:
                base, knot = self._redrag_base
                time = self.dot_time()
                assert time is not None
                self.document.push(ReplacePath(seg.index, self._drag.path_index,
                                               redrag(base, knot, time, x, y), label="Re-drag path"))
        except CommandError as exc:
            self.message.emit(str(exc))

    def _hover(self, event: QMouseEvent) -> None:
        """Cursor feedback: an open hand over anything that can be dragged."""
        if self.add_mode or self._space_down:
            return
        seg = self.segment()
        hit = None
        if seg is not None and seg.settings.paths:
            x, y = self._scene_xy(event)
            hit = hit_test(seg.settings.paths, x, y, self._grab_radius(), self.state.selected_path, self.dot_time())
        shape = Qt.CursorShape.OpenHandCursor if hit is not None and hit.kind != "curve" else (
            Qt.CursorShape.PointingHandCursor if hit is not None else Qt.CursorShape.ArrowCursor)
        if self.viewport().cursor().shape() != shape:
            self.viewport().setCursor(shape)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.CrossCursor if self.add_mode else Qt.CursorShape.ArrowCursor)
            return
        if self._drag is not None:
            self._drag = None
            self._redrag_base = None
            self.document.end_drag()
        if self.add_mode and self._pending_start is not None:
            x, y = self._scene_xy(event)
            sx, sy = self._pending_start
            if np.hypot(x - sx, y - sy) > 3 * self._grab_radius():  # press-drag-release also adds
                self._add_click(self.segment(), x, y)

    def _add_click(self, seg: Segment | None, x: float, y: float) -> None:
        if seg is None:
            self.message.emit("Paths belong to a segment: go to a frame between two keys first.")
            return
        if self._pending_start is None:
            self._pending_start = (x, y)
            self._refresh_frame()
            self._refresh_overlay()
            self.message.emit("Now click the same point on key B.")
            return
        start, self._pending_start = self._pending_start, None
        count = len(seg.settings.paths)
        try:
            self.document.push(AddPath(seg.index, straight_path(start, (x, y), name=f"path {count + 1}")))
        except CommandError as exc:
            self.message.emit(str(exc))
            self._refresh_frame()
            return
        self.state.select_path(count)
        self._refresh_frame()
        self.message.emit("Path added: drag its handles to bend it.")

    # -- keys ------------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        # Space held over the canvas pans (as in drawing programs); a tap still plays.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Space and not event.modifiers():
                event.accept()
                return True
            if event.key() == Qt.Key.Key_Escape and (self._pending_start is not None or self.add_mode):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down, self._space_panned = True, False
            return
        if event.key() == Qt.Key.Key_Escape:
            if self._pending_start is not None:
                self.cancel_add()
            elif self.add_mode:
                self.set_add_mode(False)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            if not self._space_panned:
                self.playToggleRequested.emit()
            return
        super().keyReleaseEvent(event)


if __name__ == "__main__":
    from ui.preview import preview_widget

    preview_widget(lambda doc, state: CanvasView(doc, state))
