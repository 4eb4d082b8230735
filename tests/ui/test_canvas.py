"""Canvas: paths are created, bent, re-dragged and deleted by real mouse events through commands."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from mouse_events import drag, send_mouse
from PySide6.QtCore import QPointF

from inbetweener.model.commands import AddPath
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain
from inbetweener.paths.timing import Timing
from ui.path_geometry import redrag, spacing_ticks, split_for_redrag


def at(canvas, x, y):
    return QPointF(canvas.mapFromScene(QPointF(x, y)))


def paths(window):
    return window.document.project.segment(0).settings.paths


def test_add_path_by_clicking_a_then_b(window, qtbot):
    canvas = window.canvas
    window.state.set_frame(2)
    window.actions_["add_path"].trigger()
    assert canvas.add_mode
    vp = canvas.viewport()
    send_mouse(vp, "press", at(canvas, 40, 60))
    send_mouse(vp, "release", at(canvas, 40, 60))
    assert paths(window) == ()  # waiting for the point on key B
    send_mouse(vp, "press", at(canvas, 120, 62))
    send_mouse(vp, "release", at(canvas, 120, 62))
    (path,) = paths(window)
    assert path.start == pytest.approx((40, 60), abs=1.0)
    assert path.end == pytest.approx((120, 62), abs=1.0)
    assert window.state.selected_path == 0
    assert window.document.undo_stack.count() == 1
    window.undo_action.trigger()
    assert paths(window) == ()
    window.redo_action.trigger()
    assert len(paths(window)) == 1


def test_dragging_a_handle_bends_the_path_in_one_undo_step(window, qtbot):
    canvas = window.canvas
    window.state.set_frame(1)
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    window.state.select_path(0)
    before = paths(window)[0]
    h = before.curve.points[1]
    steps = [at(canvas, h[0], h[1] - d) for d in (0, 10, 20, 35)]
    drag(canvas.viewport(), steps)
    after = paths(window)[0]
    assert after.curve.points[1] == pytest.approx((h[0], h[1] - 35), abs=1.0)
    assert after.curve.points[0] == before.curve.points[0]  # only the handle moved
    mid = after.curve.evaluate(0.5)
    assert mid[1] < 55  # the curve now bows upwards
    assert window.document.undo_stack.count() == 2  # add + one merged drag
    window.undo_action.trigger()
    assert paths(window)[0] == before
    window.redo_action.trigger()
    assert paths(window)[0] == after


def test_dragging_an_endpoint_moves_the_knot_with_its_handle(window):
    canvas = window.canvas
    window.state.set_frame(1)
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    p0, p1 = paths(window)[0].curve.points[:2]
    drag(canvas.viewport(), [at(canvas, 40, 60), at(canvas, 45, 50), at(canvas, 50, 40)])
    q0, q1 = paths(window)[0].curve.points[:2]
    assert q0 == pytest.approx((50, 40), abs=1.0)
    assert np.subtract(q1, p1) == pytest.approx(np.subtract(q0, p0), abs=1e-6)


def test_redrag_of_the_position_dot_passes_through_the_target(window):
    canvas = window.canvas
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    window.state.set_frame(3)  # t = 3/6
    seg = window.document.project.segment(0)
    t = seg.time_of(3)
    start = paths(window)[0].position(t)
    target = (start[0] + 4, start[1] - 25)
    drag(canvas.viewport(), [at(canvas, *start), at(canvas, start[0] + 2, start[1] - 12), at(canvas, *target)])
    new = paths(window)[0]
    assert new.position(t) == pytest.approx(target, abs=1.0)
    assert new.start == (40, 60) and new.end == (120, 60)
    assert window.document.undo_stack.count() == 2
    window.undo_action.trigger()
    assert paths(window)[0].position(t) == pytest.approx(start, abs=1e-6)


def test_click_selects_and_delete_removes_then_undo_restores(window):
    canvas = window.canvas
    window.state.set_frame(1)
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    window.state.select_path(None)
    send_mouse(canvas.viewport(), "press", at(canvas, 80, 60))
    send_mouse(canvas.viewport(), "release", at(canvas, 80, 60))
    assert window.state.selected_path == 0
    window.actions_["delete_path"].trigger()
    assert paths(window) == ()
    window.undo_action.trigger()
    assert len(paths(window)) == 1


def test_scrubbing_changes_the_shown_frame(window, qtbot):
    from ui.worker import GenerationController  # noqa: F401 - the window owns one

    canvas = window.canvas
    window.state.set_frame(0)
    key_a = canvas.current_image()
    window.state.set_frame(window.document.project.keyframes[1].frame)
    key_b = canvas.current_image()
    assert key_a != key_b
    assert key_a.width() == 160


def test_spacing_ticks_follow_the_timing():
    path = MotionPath(BezierChain.line((0, 0), (100, 0)), Timing.preset("ease-in"))
    ticks = spacing_ticks(path, (0.25, 0.5, 0.75), 10)
    xs = [0.5 * (a[0] + b[0]) for a, b in ticks]
    assert xs == sorted(xs) and xs[0] < 25 and xs[1] < 50  # ease-in: bunched at the start
    assert all(abs(abs(a[1] - b[1]) - 10) < 1e-6 for a, b in ticks)  # across the path


def test_spacing_ticks_past_the_end_of_an_overshooting_path():
    path = MotionPath(BezierChain(((0, 0), (30, -40), (70, -40), (100, 0))), Timing.preset("overshoot"))
    times = (0.5, 0.7, 0.9)
    ticks = spacing_ticks(path, times, 10)
    tangent = np.array([30.0, 40.0]) / 50.0  # the end tangent, from the last handle (70, -40) to (100, 0)
    for (a, b), t in zip(ticks, times, strict=True):
        centre = 0.5 * (a + b)
        assert centre == pytest.approx(path.position(t), abs=1e-9)
        assert float(np.dot(centre - np.array([100.0, 0.0]), tangent)) > 1.0  # past the end, along it
        assert abs(float(np.dot(b - a, tangent))) < 1e-6  # still across the path
        assert float(np.hypot(*(b - a))) == pytest.approx(10)


def test_a_dot_past_the_end_is_not_re_dragged_and_says_why(window, qtbot):
    canvas = window.canvas
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60), Timing.preset("overshoot"))))
    window.state.set_frame(3)  # t = 3/6: progress 1.087, the dot is past B's point
    t = window.document.project.segment(0).time_of(3)
    before = paths(window)[0]
    dot = before.position(t)
    assert dot[0] > 125
    with qtbot.waitSignal(canvas.message) as said:
        drag(canvas.viewport(), [at(canvas, *dot), at(canvas, dot[0] + 2, dot[1] - 12), at(canvas, dot[0], 30)])
    assert "past the end" in said.args[0]
    assert paths(window)[0] == before and window.document.undo_stack.count() == 1


def test_redrag_geometry_keeps_the_ends_and_hits_the_target():
    path = MotionPath(BezierChain(((0, 0), (30, -40), (70, -40), (100, 0))), Timing.preset("ease-in-out"))
    base, knot = split_for_redrag(path, 0.3)
    assert len(base.curve.points) == 7 and knot == 3
    moved = redrag(base, knot, 0.3, 20.0, -60.0)
    assert moved.position(0.3) == pytest.approx((20, -60), abs=0.1)
    assert moved.start == (0, 0) and moved.end == (100, 0)
    # (an autopilot proposal re-dragged is the animator's)
    assert not redrag(replace(base, proposed=True), knot, 0.3, 20.0, -60.0).proposed


def test_scrubbing_never_decodes_on_the_gui_thread(qtbot, tmp_path, monkeypatch):
    """A big frame not decoded yet shows a stand-in at once and turns sharp when the prefetcher delivers."""
    from PySide6.QtCore import QSettings

    from inbetweener.model.commands import InsertKeyframe, apply
    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Project
    from ui.main_window import MainWindow

    monkeypatch.setenv("INBETWEENER_DATA_DIR", str(tmp_path))
    project = Project(1600, 1200, 24.0)
    for frame, value in ((0, 40), (4, 200)):
        img = np.full((1200, 1600, 4), 255, np.uint8)
        img[300:900, 400:1200, :3] = value
        png = ImageData.from_array(img).png_bytes()
        project, _ = apply(project, InsertKeyframe(frame, ImageData.from_png(png, (1200, 1600))))
    win = MainWindow(project, None, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    win.quiet = True
    qtbot.addWidget(win)
    win.resize(900, 700)
    win.show()
    qtbot.waitExposed(win)
    canvas = win.canvas
    assert canvas.display_size() is not None  # zoomed out: frames are kept at screen size
    canvas.viewport().repaint()
    qtbot.waitUntil(canvas.is_sharp, timeout=20000)
    misses = canvas.cache.misses
    win.state.set_frame(4)
    canvas.viewport().repaint()
    assert canvas.cache.misses == misses  # nothing decoded on the GUI thread
    qtbot.waitUntil(canvas.is_sharp, timeout=20000)
    canvas.viewport().repaint()
    image = canvas.current_image(canvas.display_size())
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    assert (c.red(), c.green(), c.blue()) == (200, 200, 200)
