"""Timing curve editor (pyqtgraph): s(t) of the selected path as a CSS cubic-bezier with two handles,
or, with no path selected, the segment's spacing (which time each in-between is made for).

Dragging a handle pushes SetTiming (or the segment's new spacing; merged into one undo step per
drag); the dots on the curve are the segment's in-betweens, so the spacing chart and the canvas
ticks update live. A path's handles go up to progress 2 and down to -1 (overshoot, anticipation);
the plot grows to show the curve and handles. A spacing stays between the keys (0 to 1).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from inbetweener.model.commands import CommandError, SetTiming, UpdateSegment
from inbetweener.paths.timing import PRESET_NAMES, SPACING_PRESET_NAMES, X_RANGE, Y_RANGE, Timing
from ui.document import Document
from ui.state import EditorState, segment_for_frame, when_frame_settles


def bezier_curve(timing: Timing, samples: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """Points (x(u), y(u)) of the timing curve, for drawing."""
    u = np.linspace(0.0, 1.0, samples)
    w = 1.0 - u

    def b(a: float, c: float) -> np.ndarray:
        return 3 * w * w * u * a + 3 * w * u * u * c + u**3

    return b(timing.x1, timing.x2), b(timing.y1, timing.y2)


UNIT_Y_RANGE = (-0.05, 1.05)


def y_range_for(timing: Timing) -> tuple[float, float]:
    """The plot's progress range: the unit square, grown to hold the curve and both handles."""
    _, y = bezier_curve(timing)
    lo = min(0.0, float(y.min()), timing.y1, timing.y2)
    hi = max(1.0, float(y.max()), timing.y1, timing.y2)
    return lo - 0.05, hi + 0.05


# A spacing's handles keep its in-betweens between the keys.
SPACING_Y_RANGE = (0.0, 1.0)


class TimingEditor(QWidget):
    """Edits the timing of the selected path of the current segment, or with no path selected,
    the segment's spacing."""

    message = Signal(str)

    def __init__(self, document: Document, state: EditorState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.state = state
        self._updating = False
        self._shown: object = ()
        self.title = QLabel()
        self.plot = pg.PlotWidget(background="#1e2227")
        self.plot.setMinimumSize(200, 200)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        # Not aspect-locked: time stays 0..1 across the width while the progress axis grows to
        # hold an overshoot (locked, the time axis would widen to -1.5..2.5 instead).
        self._y_range = UNIT_Y_RANGE
        self.plot.setRange(xRange=(-0.05, 1.05), yRange=UNIT_Y_RANGE, padding=0)
        self.plot.setLabel("bottom", "time")
        self.plot.setLabel("left", "progress along path")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.curve = self.plot.plot(pen=pg.mkPen("#ff8c1a", width=2))
        self.handle_lines = [self.plot.plot(pen=pg.mkPen("#9aa1a9", width=1, style=Qt.PenStyle.DashLine))
                             for _ in range(2)]
        self.spacing = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#111"), brush=pg.mkBrush("#ff2d95"))
        self.plot.addItem(self.spacing)
        self.handles = [pg.TargetItem(pos=(0, 0), size=12, symbol="o", pen=pg.mkPen("#00b3ff", width=2),
                                      brush=pg.mkBrush("#ffffff")) for _ in range(2)]
        for h in self.handles:
            self.plot.addItem(h)
            h.sigPositionChanged.connect(self._handle_moved)
            h.sigPositionChangeFinished.connect(lambda *_: self.document.end_drag())
        presets = QHBoxLayout()
        self.preset_buttons: dict[str, QPushButton] = {}
        for name in PRESET_NAMES:
            b = QPushButton(name)
            b.setToolTip(f"Timing preset: {name}")
            b.clicked.connect(lambda _c=False, n=name: self.apply_timing(Timing.preset(n)))
            presets.addWidget(b)
            self.preset_buttons[name] = b
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.plot, 1)
        layout.addLayout(presets)
        document.changed.connect(self.refresh)
        # While the playhead moves (scrub, playback) the panel follows once it rests: the canvas first.
        self._frame_settle = when_frame_settles(self, state, self.refresh)
        state.selectionChanged.connect(self.refresh)
        self.refresh()

    def target(self) -> tuple[int, int | None] | None:
        """(segment, path index) being edited: the selected path's timing, or (segment, None) for
        the segment's spacing when no path is selected; None outside any segment."""
        seg = segment_for_frame(self.document.project, self.state.frame)
        if seg is None:
            return None
        idx = self.state.selected_path
        return seg.index, idx if idx is not None and idx < len(seg.settings.paths) else None

    def current_timing(self) -> Timing | None:
        t = self.target()
        if t is None:
            return None
        settings = self.document.project.segment(t[0]).settings
        return settings.spacing if t[1] is None else settings.paths[t[1]].timing

    def refresh(self, *_: object) -> None:
        target = self.target()
        # Scrubbing inside a segment changes nothing here: skip the (costly) plot redraw.
        seg_now = None if target is None else self.document.project.segment(target[0])
        key = (target, seg_now)
        if key == self._shown:
            return
        self._shown = key
        enabled = target is not None
        spacing_mode = enabled and target[1] is None
        for name, b in self.preset_buttons.items():
            b.setEnabled(enabled and (not spacing_mode or name in SPACING_PRESET_NAMES))
        for h in self.handles:
            h.setVisible(enabled)
        if target is None:
            self.title.setText("<b>Timing</b> — put the playhead between two keys")
            self.curve.setData([], [])
            self.spacing.setData([], [])
            for line in self.handle_lines:
                line.setData([], [])
            return
        seg = self.document.project.segment(target[0])
        timing = self.current_timing()
        if spacing_mode:
            self.title.setText(f"<b>Spacing</b> — segment {seg.index + 1}: {timing.name or 'custom'} "
                               "(select a path to edit its timing)")
            self.plot.setLabel("bottom", "frame (evenly between the keys)")
            self.plot.setLabel("left", "time made for")
        else:
            path = seg.settings.paths[target[1]]
            self.title.setText(f"<b>Timing</b> — {path.name or f'path {target[1] + 1}'}: {timing.name or 'custom'}")
            self.plot.setLabel("bottom", "time")
            self.plot.setLabel("left", "progress along path")
        x, y = bezier_curve(timing)
        self.curve.setData(x, y)
        self.handle_lines[0].setData([0, timing.x1], [0, timing.y1])
        self.handle_lines[1].setData([1, timing.x2], [1, timing.y2])
        y_range = y_range_for(timing)
        if y_range != self._y_range:
            self._y_range = y_range
            self.plot.setRange(xRange=(-0.05, 1.05), yRange=y_range, padding=0)
        times = np.asarray(seg.times)
        if spacing_mode:  # each in-between: where it sits among the frames, and the time it is made for
            even = (np.asarray(seg.frames, float) - seg.start.frame) / max(1, seg.end.frame - seg.start.frame)
            self.spacing.setData(even, times)
        else:
            self.spacing.setData(times, timing.progress(times) if len(times) else times)
        self._updating = True
        try:
            self.handles[0].setPos((timing.x1, timing.y1))
            self.handles[1].setPos((timing.x2, timing.y2))
        finally:
            self._updating = False

    def _handle_moved(self, *_: object) -> None:
        if self._updating:
            return
        (x1, y1), (x2, y2) = ((float(h.pos().x()), float(h.pos().y())) for h in self.handles)
        def clamp(v: float, bounds: tuple[float, float]) -> float:
            return min(bounds[1], max(bounds[0], v))

        target = self.target()
        y_range = SPACING_Y_RANGE if target is not None and target[1] is None else Y_RANGE
        self.apply_timing(Timing(clamp(x1, X_RANGE), clamp(y1, y_range), clamp(x2, X_RANGE), clamp(y2, y_range)),
                          merge=True)

    def apply_timing(self, timing: Timing, merge: bool = False) -> None:
        """Push SetTiming for the selected path, or the segment's new spacing; presets are one
        undo step each."""
        target = self.target()
        if target is None:
            return
        if timing == self.current_timing():
            self.refresh()
            return
        segment, path = target
        try:
            self.document.push(UpdateSegment(segment, spacing=timing, label="Spacing") if path is None
                               else SetTiming(segment, path, timing))
        except CommandError as exc:
            self.message.emit(str(exc))
        if not merge:
            self.document.end_drag()


if __name__ == "__main__":
    from ui.preview import preview_widget

    def make(doc: Document, state: EditorState) -> TimingEditor:
        state.select_path(0)
        return TimingEditor(doc, state)

    preview_widget(make)
