"""Side panel: the current segment's engine, in-between count, spacing, seed, engine options and its paths."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inbetweener.engines.base import EngineOption, engine_class, engine_names
from inbetweener.errors import UserError
from inbetweener.model.commands import (
    Command,
    CommandError,
    InsertFrames,
    RemoveFrames,
    UpdateSegment,
)
from inbetweener.model.fingerprint import stale_frames
from inbetweener.model.project import FrameStatus, Segment
from inbetweener.paths.timing import SPACING_PRESET_NAMES, Timing
from ui.document import Document
from ui.state import EditorState, segment_for_frame, when_frame_settles

_engine_cache: dict[str, tuple[tuple[EngineOption, ...], str | None]] = {}
CUSTOM_SPACING = "custom"  # what the spacing box shows for a curve that is no preset


def engine_info(name: str) -> tuple[tuple[EngineOption, ...], str | None]:
    """(options, unavailable reason) of an engine; imports its module once (never at start-up for others)."""
    if name not in _engine_cache:
        try:
            cls = engine_class(name)
            _engine_cache[name] = (tuple(getattr(cls, "options", ())), cls.unavailable_reason())
        except UserError as exc:
            _engine_cache[name] = ((), str(exc))
        except Exception as exc:  # noqa: BLE001 - a broken engine must not break the panel
            _engine_cache[name] = ((), f"the {name} engine cannot load ({type(exc).__name__}); check its installation")
    return _engine_cache[name]


def engine_problem(name: str, options: dict | None = None) -> str | None:
    """Why the engine cannot run with these segment options (libraries, then a model for engines
    that need one), or None. Model folders are looked up each time: one added meanwhile counts."""
    reason = engine_info(name)[1]
    if reason:
        return reason
    model_problem = getattr(engine_class(name), "model_problem", None)
    if model_problem is None:
        return None
    options = options or {}
    dirs = [Path(p) for p in str(options.get("model_dirs", "") or "").split(os.pathsep) if p.strip()]
    try:
        return model_problem(str(options.get("model", "") or "") or None, dirs)
    except Exception as exc:  # noqa: BLE001 - a broken lookup must not break the panel
        return f"the {name} engine cannot look for models ({type(exc).__name__})"


class EngineCombo(QComboBox):
    """Engine names; availability of engines other than the current one is checked when the list opens."""

    def showPopup(self) -> None:  # noqa: N802
        model = self.model()
        if isinstance(model, QStandardItemModel):
            for row in range(self.count()):
                reason = engine_problem(self.itemText(row))
                item = model.item(row)
                item.setEnabled(reason is None or row == self.currentIndex())
                item.setToolTip(reason or "")
        super().showPopup()


class SegmentPanel(QWidget):
    """Edits the settings of the segment under the playhead through commands."""

    addPathRequested = Signal()
    deletePathRequested = Signal()
    autopilotRequested = Signal()
    message = Signal(str)
    editingDone = Signal()  # Enter pressed in a field: the window hands the keyboard back to the canvas

    def __init__(self, document: Document, state: EditorState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.state = state
        self._segment: Segment | None = None
        self._option_widgets: dict[str, QWidget] = {}
        self._options_for: str | None = None

        self.title = QLabel()
        self.title.setWordWrap(True)
        self.engine = EngineCombo()
        self.engine.addItems(engine_names())
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #e5534b;")
        # Generated frames made for older settings of this segment (kept, but out of date).
        self.stale = QLabel()
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet("color: #db6d28;")
        self.stale.setVisible(False)
        self.count = QSpinBox()
        self.count.setRange(0, 999)
        self.count.setKeyboardTracking(False)
        self.count.setToolTip("In-betweens in this segment: moves the next key (and everything after it)")
        self.spacing = QComboBox()
        self.spacing.addItems(SPACING_PRESET_NAMES)
        self.spacing.setToolTip("Where the in-betweens fall between the keys, like a spacing chart: ease-in "
                                "bunches them near the first key (a slow start), ease-out near the last. "
                                "Paths' own timing curves apply on top.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.options_form = QFormLayout()
        self.paths = QListWidget()
        self.paths.setMaximumHeight(120)
        add = QPushButton("Add")
        add.setToolTip("Add a path: click a point on key A, then its match on key B (P)")
        delete = QPushButton("Delete")
        auto = QPushButton("Autopilot")
        auto.setToolTip("Propose paths from matching features of the two keys")
        add.clicked.connect(self.addPathRequested)
        delete.clicked.connect(self.deletePathRequested)
        auto.clicked.connect(self.autopilotRequested)
        self.path_buttons = (add, delete, auto)  # off where there is no segment: they could only complain

        form = QFormLayout()
        form.addRow("Engine", self.engine)
        form.addRow("", self.reason)
        form.addRow("In-betweens", self.count)
        form.addRow("Spacing", self.spacing)
        form.addRow("Seed", self.seed)
        buttons = QHBoxLayout()
        for b in (add, delete, auto):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.stale)
        layout.addLayout(form)
        layout.addLayout(self.options_form)
        layout.addWidget(QLabel("Motion paths"))
        layout.addWidget(self.paths)
        layout.addLayout(buttons)
        layout.addStretch(1)

        for box in (self.count, self.seed):
            self._hand_back_on_enter(box)
        self.engine.activated.connect(self._engine_chosen)
        self.count.valueChanged.connect(self._count_changed)
        self.spacing.activated.connect(self._spacing_chosen)
        self.seed.valueChanged.connect(self._seed_changed)
        self.paths.currentRowChanged.connect(self._path_row_changed)
        document.changed.connect(self.refresh)
        # While the playhead moves (scrub, playback) the panel follows once it rests: the canvas first.
        self._frame_settle = when_frame_settles(self, state, self.refresh)
        state.selectionChanged.connect(self._sync_selection)
        self.refresh()

    # -- model -> widgets (signals blocked: no feedback loops) ----------------------------------
    def refresh(self, *_: Any, force: bool = False) -> None:
        seg = segment_for_frame(self.document.project, self.state.frame)
        # Before the early return: generating changes the frames, not the segment's settings.
        self._show_stale(seg)
        if seg == self._segment and seg is not None and not force:
            return  # same segment, same settings: nothing to redraw while scrubbing
        self._segment = seg
        enabled = seg is not None
        for w in (self.engine, self.count, self.spacing, self.seed, self.paths, *self.path_buttons):
            w.setEnabled(enabled)
        if seg is None:
            self.title.setText("<b>No segment here</b><br>Put the playhead between two keys.")
            self.reason.setText("")
            self.reason.setVisible(False)
            self._build_options(None)
            self.paths.clear()
            return
        self.title.setText(f"<b>Segment {seg.index + 1}</b>: frames {seg.start.frame + 1} → {seg.end.frame + 1}")
        s = seg.settings
        for w in (self.engine, self.count, self.spacing, self.seed):
            w.blockSignals(True)
        if self.engine.findText(s.engine) < 0:
            self.engine.addItem(s.engine)
        self.engine.setCurrentText(s.engine)
        self.count.setValue(seg.count)
        self._show_spacing(s.spacing)
        self.seed.setValue(s.seed)
        for w in (self.engine, self.count, self.spacing, self.seed):
            w.blockSignals(False)
        options = engine_info(s.engine)[0]
        reason = engine_problem(s.engine, s.options_dict)
        self.reason.setText(reason or "")
        self.reason.setVisible(bool(reason))
        self._build_options(s.engine, options)
        self._fill_option_values(s.options_dict)
        self._fill_paths(seg)

    def _show_spacing(self, spacing: Timing) -> None:
        """The spacing box shows the segment's preset, or "custom" for a curve of its own (from a
        file); that entry is there only while such a segment is shown."""
        custom = self.spacing.findText(CUSTOM_SPACING)
        name = spacing.name if spacing.name in SPACING_PRESET_NAMES else CUSTOM_SPACING
        if name == CUSTOM_SPACING and custom < 0:
            self.spacing.addItem(CUSTOM_SPACING)
        elif name != CUSTOM_SPACING and custom >= 0:
            self.spacing.removeItem(custom)
        self.spacing.setCurrentText(name)

    def stale_text(self, seg: Segment | None) -> str:
        """What the panel says about the segment's out-of-date frames ("" when none)."""
        n = len(stale_frames(self.document.project, seg.index)) if seg is not None else 0
        if not n:
            return ""
        return (f"{n} in-between{'s are' if n != 1 else ' is'} out of date (made for older settings) "
                "— Generate to refresh.")

    def _show_stale(self, seg: Segment | None) -> None:
        text = self.stale_text(seg)
        if text != self.stale.text():
            self.stale.setText(text)
        self.stale.setVisible(bool(text))

    def _fill_paths(self, seg: Segment) -> None:
        self.paths.blockSignals(True)
        self.paths.clear()
        for i, path in enumerate(seg.settings.paths):
            timing = path.timing.name or "custom timing"
            item = QListWidgetItem(f"{path.name or f'path {i + 1}'} — {timing}"
                                   + (" (proposed)" if path.proposed else ""))
            if path.proposed:
                item.setToolTip("Proposed by the autopilot: a hint the engine may bend with the shape your "
                                "own paths carry. Drag a point or change its timing to make it yours.")
            self.paths.addItem(item)
        self.paths.setCurrentRow(self.state.selected_path if self.state.selected_path is not None else -1)
        self.paths.blockSignals(False)

    def _sync_selection(self) -> None:
        self.paths.blockSignals(True)
        self.paths.setCurrentRow(self.state.selected_path if self.state.selected_path is not None else -1)
        self.paths.blockSignals(False)

    def _build_options(self, engine: str | None, options: tuple[EngineOption, ...] = ()) -> None:
        if engine == self._options_for:
            return
        self._options_for = engine
        while self.options_form.rowCount():
            self.options_form.removeRow(0)
        self._option_widgets = {}
        for opt in options:
            w = self._option_widget(opt)
            w.setToolTip(opt.help)
            self._option_widgets[opt.name] = w
            self.options_form.addRow(opt.name.replace("_", " "), w)

    def _hand_back_on_enter(self, widget: QWidget) -> QWidget:
        """After Enter the animator's next key is Space, `.` or Ctrl+Z, which a focused field would swallow."""
        edit = widget.lineEdit() if isinstance(widget, (QSpinBox, QDoubleSpinBox)) else widget
        if isinstance(edit, QLineEdit):
            edit.returnPressed.connect(self.editingDone)
        return widget

    def _option_widget(self, opt: EngineOption) -> QWidget:
        return self._hand_back_on_enter(self._make_option_widget(opt))

    def _make_option_widget(self, opt: EngineOption) -> QWidget:
        name = opt.name
        if isinstance(opt.default, bool) and set(opt.choices or (False, True)) <= {False, True}:
            w = QCheckBox()
            w.toggled.connect(lambda v, n=name: self._set_option(n, bool(v)))
            return w
        if opt.choices:
            w = QComboBox()
            w.addItems([str(c) for c in opt.choices])
            w.activated.connect(lambda _i, n=name, box=w, o=opt: self._set_option(n, o.choices[box.currentIndex()]))
            return w
        if isinstance(opt.default, int):
            w = QSpinBox()
            w.setRange(int(opt.minimum if opt.minimum is not None else -10**6),
                       int(opt.maximum if opt.maximum is not None else 10**6))
            w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda v, n=name: self._set_option(n, int(v)))
            return w
        if isinstance(opt.default, float):
            w = QDoubleSpinBox()
            w.setDecimals(3)
            w.setSingleStep(0.05)
            w.setRange(float(opt.minimum if opt.minimum is not None else -1e6),
                       float(opt.maximum if opt.maximum is not None else 1e6))
            w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda v, n=name: self._set_option(n, float(v)))
            return w
        w = QLineEdit()
        w.editingFinished.connect(lambda n=name, box=w: self._set_option(n, box.text()))
        return w

    def _fill_option_values(self, values: dict[str, Any]) -> None:
        options, _ = engine_info(self._options_for) if self._options_for else ((), None)
        for opt in options:
            w = self._option_widgets.get(opt.name)
            value = values.get(opt.name, opt.default)
            if w is None:
                continue
            w.blockSignals(True)
            if isinstance(w, QComboBox):
                w.setCurrentText(str(value))
            elif isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                w.setValue(value)
            elif isinstance(w, QLineEdit):
                w.setText(str(value))
            w.blockSignals(False)

    # -- widgets -> commands ---------------------------------------------------------------------
    def _push(self, command: Command) -> None:
        try:
            self.document.push(command)
        except (CommandError, UserError) as exc:
            self.message.emit(str(exc))
            self.refresh(force=True)

    def _engine_chosen(self, _index: int) -> None:
        seg = self._segment
        name = self.engine.currentText()
        if seg is None or name == seg.settings.engine:
            return
        reason = engine_problem(name)
        if reason:
            self.message.emit(reason)
            self.refresh(force=True)
            return
        self._push(UpdateSegment(seg.index, engine=name))

    def _count_changed(self, value: int) -> None:
        seg = self._segment
        if seg is None or value == seg.count:
            return
        delta = value - seg.count
        cells = self.document.project.cells
        if delta < 0:
            gone = range(seg.end.frame + delta, seg.end.frame)
            locked = [f for f in gone if f in cells and cells[f].status == FrameStatus.LOCKED]
            if locked:  # a hand-fixed frame is never thrown away by a spin box
                self.message.emit(f"Frame {locked[0] + 1} is locked; unlock it (U) first, or drag the key "
                                  "in the timeline instead.")
                self.refresh(force=True)
                return
        # More in-betweens: hold frames inserted before the end key; fewer: the last ones removed.
        # Either command drops the segment's generated frames (timed for the old count) itself.
        self._push(InsertFrames(seg.end.frame, delta, label="More in-betweens") if delta > 0 else
                   RemoveFrames(seg.end.frame + delta, -delta, label="Fewer in-betweens"))
        end = seg.end.frame + delta
        if delta < 0 and self.state.frame >= end and self.document.project.key_at(end) is not None:
            # A playhead left at or past the moved key sat in the next segment (or past the end): the
            # panel jumped there, and the next click of this box changed another segment.
            self.state.set_frame(max(seg.start.frame, end - 1))

    def _spacing_chosen(self, _index: int) -> None:
        seg = self._segment
        name = self.spacing.currentText()
        if seg is None or name not in SPACING_PRESET_NAMES or seg.settings.spacing == Timing.preset(name):
            return
        self._push(UpdateSegment(seg.index, spacing=Timing.preset(name), label="Spacing"))
        self.document.end_drag()  # a choice is a step of its own (spacing drags in the timing editor merge)

    def _seed_changed(self, value: int) -> None:
        if self._segment is not None and value != self._segment.settings.seed:
            self._push(UpdateSegment(self._segment.index, seed=value))

    def _set_option(self, name: str, value: Any) -> None:
        seg = self._segment
        if seg is not None and seg.settings.option(name, object()) != value:
            self._push(UpdateSegment(seg.index, options=((name, value),)))

    def _path_row_changed(self, row: int) -> None:
        self.state.select_path(row if row >= 0 else None)


if __name__ == "__main__":
    from ui.preview import preview_widget

    preview_widget(lambda doc, state: SegmentPanel(doc, state))
