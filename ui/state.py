"""Editor view state shared by the panels: current frame, selected path, onion skin, pending previews.

This is not part of the document (not saved, not undoable); the document is in ui.document.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from inbetweener.model.project import Project, Segment

# Side panels refresh this long after the playhead stops moving (scrubbing paints the canvas first).
FRAME_SETTLE_MS = 60


def when_frame_settles(owner: QObject, state: EditorState, refresh: Callable[[], object]) -> QTimer:
    """Call `refresh` once the playhead has rested FRAME_SETTLE_MS (scrubbing and playback paint
    the canvas first; a side panel follows when they stop). The timer is `owner`'s child."""
    timer = QTimer(owner)
    timer.setSingleShot(True)
    timer.setInterval(FRAME_SETTLE_MS)
    timer.timeout.connect(refresh)
    state.frameChanged.connect(timer.start)
    return timer


def segment_for_frame(project: Project, frame: int) -> Segment | None:
    """The segment an animator means at `frame`: the one around it, or starting/ending at its key."""
    seg = project.segment_at(frame)
    if seg is not None:
        return seg
    for s in project.segments:
        if s.start.frame == frame:
            return s
    for s in project.segments:
        if s.end.frame == frame:
            return s
    return None


class EditorState(QObject):
    """What the panels look at together; every setter emits only on a real change."""

    frameChanged = Signal(int)
    selectionChanged = Signal()
    onionChanged = Signal()
    previewsChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._frame = 0
        self.selected_path: int | None = None
        self.onion_enabled = True
        self.onion_opacity = 0.3
        self.onion_count = 1  # keys ghosted on each side
        # Frames of a running job, shown as pending previews (not in the document yet).
        self.previews: dict[int, np.ndarray] = {}

    @property
    def frame(self) -> int:
        return self._frame

    def set_frame(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame != self._frame:
            self._frame = frame
            self.frameChanged.emit(frame)

    def select_path(self, index: int | None) -> None:
        if index != self.selected_path:
            self.selected_path = index
            self.selectionChanged.emit()

    def set_onion(self, enabled: bool | None = None, opacity: float | None = None,
                  count: int | None = None) -> None:
        if count is not None:
            self.onion_count = max(1, min(5, int(count)))
        if enabled is not None:
            self.onion_enabled = bool(enabled)
        if opacity is not None:
            self.onion_opacity = float(min(1.0, max(0.0, opacity)))
        self.onionChanged.emit()

    def add_preview(self, frame: int, image: np.ndarray) -> None:
        self.previews[frame] = image
        self.previewsChanged.emit()

    def clear_previews(self) -> None:
        if self.previews:
            self.previews = {}
            self.previewsChanged.emit()
