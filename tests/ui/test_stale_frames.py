"""Frames generated for older settings: the timeline draws them out of date and the panel says so."""

from __future__ import annotations

from mouse_events import drag
from PySide6.QtCore import QPointF, QRect

from inbetweener.model.commands import AddPath, SetFrameStatus, UpdateSegment
from inbetweener.model.project import FrameStatus, MotionPath
from ui.timeline import STALE_STRIP, STRIP_H, THUMB_H


def _generate(window, qtbot) -> None:
    with qtbot.waitSignal(window.generation.done, timeout=60000) as done:
        window.actions_["generate"].trigger()
    assert done.args == [True]


def _stale_pixels(timeline, frame: int) -> int:
    """Pixels of the out-of-date strip colour in a frame's state strip."""
    r = timeline.cell_rect(frame)
    strip = QRect(r.x() + 3, r.y() + THUMB_H + 5, r.width() - 6, STRIP_H)
    image = timeline.viewport().grab(strip).toImage()
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if image.pixelColor(x, y).rgb() == STALE_STRIP.rgb())


def test_moving_a_path_point_marks_the_generated_frames_until_generated_again(window, qtbot):
    doc, tl, panel = window.document, window.timeline, window.panel
    doc.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    window.state.set_frame(2)
    window.state.select_path(0)
    _generate(window, qtbot)
    frames = set(doc.project.segment(0).frames)
    assert tl.stale_frames() == frozenset()
    assert not panel.stale.isVisible() and panel.stale.text() == ""
    assert _stale_pixels(tl, 2) == 0

    # Bend the path with the mouse on the canvas: the frames stay, but are out of date.
    canvas = window.canvas
    h = doc.project.segment(0).settings.paths[0].curve.points[1]
    drag(canvas.viewport(), [QPointF(canvas.mapFromScene(QPointF(h[0], h[1] - d))) for d in (0, 10, 30)])
    assert doc.project.segment(0).settings.paths[0].curve.points[1] != h
    assert set(doc.project.cells) == frames
    assert tl.stale_frames() == frames
    assert tl.is_stale(2) and not tl.is_stale(0)
    assert panel.stale.isVisible()
    assert panel.stale.text().startswith("5 in-betweens are out of date")
    assert "Generate to refresh" in panel.stale.text()
    assert "out of date" in window.frame_info.text()
    tl.viewport().repaint()
    assert _stale_pixels(tl, 2) > 0

    # Undo of the drag makes them current again; redo makes them stale again.
    window.undo_action.trigger()
    assert tl.stale_frames() == frozenset() and not panel.stale.isVisible()
    assert "out of date" not in window.frame_info.text()
    window.redo_action.trigger()
    assert tl.stale_frames() == frames

    # Generating again records the new settings: nothing is out of date any more.
    _generate(window, qtbot)
    assert tl.stale_frames() == frozenset()
    assert not panel.stale.isVisible()
    tl.viewport().repaint()
    assert _stale_pixels(tl, 2) == 0


def test_accepted_frames_are_never_out_of_date_and_one_stale_frame_is_said_in_the_singular(window, qtbot):
    doc, panel = window.document, window.panel
    window.state.set_frame(2)
    _generate(window, qtbot)
    doc.push(SetFrameStatus((1, 2, 4, 5), FrameStatus.ACCEPTED))
    doc.push(UpdateSegment(0, seed=11))
    assert window.timeline.stale_frames() == {3}
    assert panel.stale.text().startswith("1 in-between is out of date")
