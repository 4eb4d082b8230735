"""Defects found by walking through the editor as an animator would (QA journeys)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mouse_events import drag
from PySide6.QtCore import QPointF

from inbetweener.model.project import Project


def test_a_key_can_be_removed_and_the_removal_undone(window):
    doc = window.document
    before = doc.project
    window.state.set_frame(6)  # key B of the fixture
    window.actions_["remove_key"].trigger()
    assert [k.frame for k in doc.project.keyframes] == [0]
    assert doc.undo_stack.undoText() == "Remove key"
    window.undo_action.trigger()
    assert doc.project == before
    # Reachable where animators look for it: the timeline's right-click menu.
    assert window.actions_["remove_key"] in window.timeline.context_actions


def test_remove_key_off_a_key_says_where_to_go(window):
    window.state.set_frame(3)
    window.actions_["remove_key"].trigger()
    assert len(window.document.project.keyframes) == 2
    assert "key" in window.statusBar().currentMessage().lower()


def test_remove_frame_on_a_key_points_to_remove_key(window):
    window.state.set_frame(0)
    window.actions_["remove_frame"].trigger()
    message = window.statusBar().currentMessage()
    shortcut = window.actions_["remove_key"].shortcut().toString()
    assert "Remove key" in message and shortcut in message


def test_frame_info_on_an_empty_project_says_how_to_start(window):
    window.document.load(Project(320, 240))
    text = window.frame_info.text()
    assert "/ 0" not in text
    assert "import" in text.lower()


def test_path_buttons_are_off_where_there_is_no_segment(window):
    window.state.set_frame(3)
    window.panel.refresh(force=True)
    assert all(b.isEnabled() for b in window.panel.path_buttons)
    window.document.load(Project(320, 240))
    window.panel.refresh(force=True)
    assert not any(b.isEnabled() for b in window.panel.path_buttons)
    assert not window.panel.reason.isVisible()  # no empty row left where an engine problem would show


def test_frame_info_calls_an_ungenerated_in_between_so(window):
    window.state.set_frame(3)  # nothing generated in the fixture
    text = window.frame_info.text()
    assert "not generated" in text
    assert "hold" not in text


def test_frame_info_past_the_end_says_so(window):
    window.state.set_frame(window.document.project.length + 3)
    assert "after the last frame" in window.frame_info.text()


def test_play_with_nothing_generated_says_to_generate_first(window):
    window.state.set_frame(0)
    window.actions_["play"].trigger()
    window.player.pause()
    assert window.actions_["generate"].shortcut().toString() in window.statusBar().currentMessage()


def test_dropping_a_key_past_its_neighbour_says_why(window):
    window.show_message("")
    tl = window.timeline
    drag(tl.viewport(), [QPointF(tl.cell_center(6)), QPointF(tl.cell_center(3)), QPointF(tl.cell_center(0))])
    assert [k.frame for k in window.document.project.keyframes] == [0, 6]
    assert "neighbouring key" in window.statusBar().currentMessage()


def test_export_dialog_shows_the_whole_folder_and_says_export(qtbot):
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.export_dialog import ExportDialog

    folder = Path("/home/animator/projects/ball-export")
    dialog = ExportDialog("ball", folder)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    field = dialog.folder
    assert field.width() >= field.fontMetrics().horizontalAdvance(str(folder)) + 8
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert ok.text().replace("&", "") == "Export"


def _drop_target(widget):
    """The widget Qt hands a drop to: the first one up from `widget` that takes drops."""
    while widget is not None and not widget.acceptDrops():
        widget = widget.parentWidget()
    return widget


@pytest.mark.parametrize("where", ["canvas", "timing"])
def test_images_dropped_on_the_canvas_or_timing_plot_become_keys(window, where):
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    samples = Path(__file__).resolve().parents[2] / "resources" / "samples"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples / "figure_a.png"))])
    # Where an animator drops: the big picture, or any panel (the timing plot is a graphics view too).
    target = window.canvas.viewport() if where == "canvas" else window.timing.plot.viewport()
    args = (QPoint(40, 40), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(*args)
    move.accept()  # Qt pre-accepts moves once the enter was accepted
    QApplication.sendEvent(target, move)
    assert move.isAccepted(), "the canvas refuses the drop (forbidden cursor)"
    QApplication.sendEvent(_drop_target(target), QDropEvent(QPoint(40, 40), *args[1:]))
    assert len(window.document.project.keyframes) == 3


def test_importing_a_key_of_another_size_says_it_was_fitted(window, tmp_path):
    import cv2
    import numpy as np

    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.full((60, 40, 3), 200, np.uint8))
    assert window.files.import_keys([small])
    message = window.statusBar().currentMessage()
    assert "40x60" in message and "160x120" in message  # what happened, in numbers
    assert window.document.project.key_image(window.document.project.keyframes[-1]).shape[:2] == (120, 160)


def test_frames_arriving_during_generation_show_their_pictures_in_the_timeline(window, qtbot):
    import numpy as np

    window.state.set_frame(3)  # the playhead past the key: the key marker painted first
    green = np.zeros((120, 160, 4), np.uint8)
    green[..., 1] = 200
    green[..., 3] = 255
    window.state.add_preview(1, green)
    window.state.add_preview(2, green)
    tl = window.timeline
    image = tl.viewport().grab().toImage()
    for f in (1, 2):
        colour = image.pixelColor(tl.cell_rect(f).center().x(), tl.cell_rect(f).y() + 20)
        # The pending frame's own picture, not a block of the key colour (a brush left over from the key marker).
        assert (colour.red(), colour.green(), colour.blue()) == (0, 200, 0), f"frame {f + 1}: {colour.name()}"


def test_new_project_keeps_the_canvas_size_the_animator_typed(window, monkeypatch, tmp_path):
    import cv2
    import numpy as np
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("800x600", True)))
    window.files.new()
    key = tmp_path / "key.png"
    cv2.imwrite(str(key), np.full((384, 512, 3), 255, np.uint8))
    assert window.files.import_keys([key])
    project = window.document.project
    assert (project.width, project.height) == (800, 600)  # not silently replaced by the key's size
    assert "800x600" in window.statusBar().currentMessage()
    # Left empty (the default), the canvas takes the first key's size.
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("", True)))
    window.files.new()
    assert window.files.import_keys([key])
    assert (window.document.project.width, window.document.project.height) == (512, 384)


@pytest.mark.parametrize("typed", ["100000x100000", "0x480", "wide"])
def test_new_project_refuses_an_unusable_canvas_size(window, monkeypatch, typed):
    from PySide6.QtWidgets import QInputDialog

    before = window.document.project
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (typed, True)))
    window.files.new()
    assert window.document.project is before
    assert typed.split("x")[0] in window.statusBar().currentMessage()


def _generate_by_hand(doc, frames) -> None:
    from ui_projects import disc_image

    from inbetweener.model.commands import PutGeneratedFrames

    doc.push(PutGeneratedFrames(tuple((f, disc_image(160, 120, 40 + 10 * f, 60)) for f in frames)))


def _generated_with_one_locked(window, locked: int):
    """Frames 1-5 generated, one of them locked, the panel on the segment; returns the project then."""
    from inbetweener.model.commands import SetFrameStatus
    from inbetweener.model.project import FrameStatus

    _generate_by_hand(window.document, range(1, 6))
    window.document.push(SetFrameStatus((locked,), FrameStatus.LOCKED))
    window.state.set_frame(2)
    window.panel.refresh(force=True)
    return window.document.project


@pytest.mark.parametrize("count", [8, 3])
def test_changing_the_in_between_count_drops_frames_timed_for_the_old_count(window, count):
    from inbetweener.model.project import FrameStatus

    doc = window.document
    before = _generated_with_one_locked(window, 2)
    window.panel.count.setValue(count)
    seg = doc.project.segment(0)
    assert seg.count == count
    statuses = {f: c.status for f, c in doc.project.cells.items()}
    # Like retiming a key by dragging: stale generated frames go, the locked frame stays.
    assert statuses == {2: FrameStatus.LOCKED}
    window.undo_action.trigger()
    assert doc.project == before


def test_fewer_in_betweens_never_throws_away_a_locked_frame(window):
    doc = window.document
    before = _generated_with_one_locked(window, 5)
    window.panel.count.setValue(3)
    assert doc.project is before
    assert window.panel.count.value() == 5  # the spin box shows the count that still holds
    assert "locked" in window.statusBar().currentMessage()


def test_regenerating_a_frame_that_comes_out_the_same_says_what_to_change(window, qtbot):
    window.state.set_frame(3)
    with qtbot.waitSignal(window.generation.done, timeout=30000):
        window.actions_["generate"].trigger()
    with qtbot.waitSignal(window.generation.done, timeout=30000) as done:
        window.actions_["regenerate"].trigger()
    assert done.args == [True]
    message = window.statusBar().currentMessage()
    assert "same" in message and "seed" in message


def test_a_new_paths_handles_are_grabbable_on_the_frame_it_was_drawn(window):
    """5 in-betweens: frame 3 sits a third of the way, where a straight path's first handle used to be."""
    canvas = window.canvas
    window.state.set_frame(2)
    window.actions_["add_path"].trigger()
    for x, y in ((40, 60), (130, 60)):
        p = QPointF(canvas.mapFromScene(QPointF(x, y)))
        drag(canvas.viewport(), [p])
    window.actions_["add_path"].trigger()  # leave add mode
    doc = window.document
    path = doc.project.segment(0).settings.paths[0]
    for handle in (1, 2):
        hx, hy = doc.project.segment(0).settings.paths[0].curve.points[handle]
        start = QPointF(canvas.mapFromScene(QPointF(hx, hy)))
        drag(canvas.viewport(), [start, start + QPointF(0, -20), start + QPointF(0, -40)])
        assert doc.undo_stack.undoText() == "Move path point", f"handle {handle} was hidden under the dot"
    # Still a straight path from A to B before the bends, so nothing about the motion changed by placing handles.
    assert path.curve.points[0] == pytest.approx((40, 60), abs=0.5)
    assert path.curve.points[-1] == pytest.approx((130, 60), abs=0.5)
    ys = [p[1] for p in path.curve.points]
    assert max(ys) - min(ys) < 0.5


def test_after_typing_a_count_and_enter_the_shortcuts_work_again(window, qtbot):
    from PySide6.QtCore import Qt

    window.activateWindow()
    window.state.set_frame(2)
    window.panel.refresh(force=True)
    box = window.panel.count
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "7")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.document.project.segment(0).count == 7
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Period)  # next frame, as the animator presses it
    assert window.state.frame == 3
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.project.segment(0).count == 5


def test_opening_a_project_while_generating_stops_the_job_quietly(window, qtbot, tmp_path):
    import gated_engine
    from ui_projects import make_project

    from inbetweener.io.project_file import save_project

    other = tmp_path / "other.ibw"
    save_project(make_project(count=7), other)
    try:
        gated_engine.start_held_generation(window, qtbot)
        assert window.files.open_path(other, ask=False)
        assert not window.generation.is_running()  # stopped before the document was replaced
        assert window.state.previews == {}
        assert window.document.path == other and window.document.is_clean()
        assert not window.cancel_button.isVisible()
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()  # the stopped worker's last queued signals
        assert window.document.is_clean() and window.document.undo_stack.count() == 0
        assert "changed while generating" not in window.statusBar().currentMessage()
    finally:
        gated_engine.GATE.set()


def test_exporting_before_generating_says_the_in_betweens_are_holds(window, tmp_path):
    files = window.files.export(tmp_path / "out", "png")
    assert files
    message = window.statusBar().currentMessage()
    assert "5 in-betweens" in message and "not generated" in message
    _generate_by_hand(window.document, range(1, 6))
    window.files.export(tmp_path / "out2", "png")
    assert "not generated" not in window.statusBar().currentMessage()


def test_removing_a_middle_key_drops_frames_generated_for_the_old_spacing(window):
    from ui_projects import disc_image

    from inbetweener.model.commands import InsertKeyframe, SetFrameStatus
    from inbetweener.model.project import FrameStatus

    doc = window.document
    doc.push(InsertKeyframe(12, disc_image(160, 120, 60, 60)))
    _generate_by_hand(doc, (1, 2, 3, 7, 8))
    doc.push(SetFrameStatus((8,), FrameStatus.ACCEPTED))
    before = doc.project
    window.state.set_frame(6)
    window.actions_["remove_key"].trigger()
    assert [k.frame for k in doc.project.keyframes] == [0, 12]
    assert {f: c.status for f, c in doc.project.cells.items()} == {8: FrameStatus.ACCEPTED}
    window.undo_action.trigger()  # one step brings key and frames back
    assert doc.project == before


def test_exporting_an_empty_project_says_there_is_nothing_to_export(window, tmp_path):
    window.document.load(Project(320, 240))
    assert window.files.export(tmp_path / "out", "png") == []
    assert "no frames to export" in window.statusBar().currentMessage()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(("typed", "expected"), [
    ("~/renders", Path.home() / "renders"),
    ("renders", Path("/home/animator/projects/renders")),
    ("  /tmp/out  ", Path("/tmp/out")),
])
def test_a_typed_export_folder_never_lands_in_the_start_folder(qtbot, typed, expected):
    from ui.export_dialog import ExportDialog

    dialog = ExportDialog("ball", Path("/home/animator/projects/ball-export"))
    qtbot.addWidget(dialog)
    dialog.folder.setText(typed)
    assert dialog.settings()["out_dir"] == expected  # "~" was a folder named "~" in the start folder


def test_the_export_button_is_off_while_the_folder_is_empty(qtbot):
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.export_dialog import ExportDialog

    dialog = ExportDialog("ball", Path("/home/animator/projects/ball-export"))
    qtbot.addWidget(dialog)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    dialog.folder.setText("   ")
    assert not ok.isEnabled()  # it exported into the folder the program was started from
    dialog.folder.setText("/tmp/out")
    assert ok.isEnabled()


def test_fewer_in_betweens_keep_the_panel_on_the_segment_being_edited(window):
    from ui_projects import disc_image

    from inbetweener.model.commands import InsertKeyframe

    doc = window.document
    doc.push(InsertKeyframe(12, disc_image(160, 120, 60, 60)))  # keys at 1, 7, 13 (1-based)
    window.state.set_frame(5)  # in-between 5 of 5 of segment 1
    window.panel.refresh(force=True)
    window.panel.count.setValue(1)
    assert doc.project.segment(0).count == 1
    # The playhead was left in segment 2, so the panel jumped there and the next click of the same
    # spin box changed the other segment.
    window.panel.refresh(force=True)
    assert window.panel.title.text().startswith("<b>Segment 1</b>")
    window.panel.count.setValue(0)
    window.panel.refresh(force=True)
    assert window.panel.count.isEnabled() and window.panel.count.value() == 0  # not "No segment here"
    assert doc.project.segment(0).count == 0 and doc.project.segment(1).count == 5


def test_exporting_while_generating_keeps_the_generation_progress_bar(window, qtbot, tmp_path):
    import gated_engine

    try:
        gated_engine.start_held_generation(window, qtbot)
        assert window.files.export(tmp_path / "out", "png")
        assert window.generation.is_running()
        assert window.progress.isVisible()  # the export hid it, beside a Cancel button still there
        gated_engine.GATE.set()
        qtbot.waitUntil(lambda: not window.generation.is_running(), timeout=10000)
        assert not window.progress.isVisible()
    finally:
        gated_engine.GATE.set()


@pytest.mark.parametrize("action", ["accept", "lock", "unlock"])
def test_a_frame_already_in_that_state_adds_no_undo_step_and_stays_saved(window, tmp_path, action):
    doc = window.document
    _generate_by_hand(doc, range(1, 6))
    window.state.set_frame(3)
    window.actions_[action].trigger()
    window.files.save_to(tmp_path / "p.ibw")
    steps = doc.undo_stack.count()
    window.actions_[action].trigger()  # pressed again: nothing to change
    # It pushed a step that changed nothing (Ctrl+Z looked dead) and marked the saved file modified.
    assert doc.undo_stack.count() == steps and doc.is_clean()
    state = {"accept": "accepted", "lock": "locked", "unlock": "unlocked"}[action]
    assert f"already {state}" in window.statusBar().currentMessage()


def test_regenerating_a_locked_frame_says_to_unlock_it(window):
    _generate_by_hand(window.document, range(1, 6))
    window.state.set_frame(3)
    window.actions_["lock"].trigger()
    window.actions_["regenerate"].trigger()
    assert not window.generation.is_running()
    message = window.statusBar().currentMessage()
    assert "Frame 4 is locked" in message and "(U)" in message
