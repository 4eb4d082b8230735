"""The whole app: screenshot mode, files (save, import, export), the timing editor, shortcuts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from inbetweener.io.png import png_size
from inbetweener.model.commands import AddPath
from inbetweener.model.project import MotionPath
from inbetweener.paths.timing import Timing

ROOT = Path(__file__).resolve().parents[2]


def test_run_gui_screenshot_writes_a_png(qtbot, tmp_path, project, monkeypatch):
    from inbetweener.io.project_file import save_project
    from ui.app import run_gui

    monkeypatch.setenv("INBETWEENER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "p.ibw"
    save_project(project, path)
    out = tmp_path / "shots" / "editor.png"
    assert run_gui(path, out, frame=2) == 0
    w, h = png_size(out.read_bytes())
    assert (w, h) == (1280, 800)
    img = cv2.imread(str(out))
    assert img.std() > 10  # a real picture, not a blank


def test_start_up_never_imports_torch(tmp_path):
    code = ("import sys; from ui.app import run_gui; "
            f"rc = run_gui(None, {str(tmp_path / 's.png')!r}); "
            "print(rc, 'torch' in sys.modules, 'diffusers' in sys.modules, flush=True)")
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "INBETWEENER_DATA_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["0", "False", "False"], (out.returncode, out.stdout, out.stderr[-2000:])


def test_save_marks_clean_and_title(window, tmp_path):
    window.state.set_frame(2)
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    assert window.windowTitle().startswith("discs (unsaved)*")
    assert window.files.save_to(tmp_path / "a.ibw")
    assert window.windowTitle().startswith("a.ibw —")
    assert str((tmp_path / "a.ibw").resolve()) in window.files.recent()


def test_open_a_corrupt_file_is_one_line_and_keeps_the_document(window, tmp_path):
    bad = tmp_path / "bad.ibw"
    bad.write_bytes(b"not a zip at all")
    before = window.document.project
    assert not window.files.open_path(bad, ask=False)
    assert window.document.project is before
    message = window.statusBar().currentMessage()
    assert message and "\n" not in message


def test_import_image_sequence_as_keys_is_one_undo_step(window, tmp_path):
    files = []
    for i in range(3):
        img = np.full((120, 160, 3), 255, np.uint8)
        cv2.circle(img, (30 + 40 * i, 60), 10, (0, 0, 0), -1)
        files.append(tmp_path / f"k{i}.png")
        cv2.imwrite(str(files[-1]), img)
    doc = window.document
    last = doc.project.keyframes[-1].frame
    assert window.files.import_keys(files)
    frames = [k.frame for k in doc.project.keyframes]
    sp = window.files.key_spacing
    assert frames[-3:] == [last + sp, last + 2 * sp, last + 3 * sp]
    window.undo_action.trigger()
    assert len(doc.project.keyframes) == 2


def test_import_into_an_empty_project_takes_the_image_size(window, tmp_path):
    window.document.new_project(64, 64)
    img = np.zeros((90, 120, 4), np.uint8)
    img[..., 3] = 255
    cv2.imwrite(str(tmp_path / "one.png"), img)
    assert window.files.import_keys([tmp_path / "one.png"])
    p = window.document.project
    assert (p.width, p.height) == (120, 90) and len(p.keyframes) == 1


@pytest.mark.parametrize("fmt", ["png", "gif"])
def test_export_writes_the_expected_files(window, tmp_path, fmt):
    files = window.files.export(tmp_path / "out", fmt, "shot", 3, 1)
    length = window.document.project.length
    if fmt == "png":
        names = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
        assert names == [f"shot_{i:03d}.png" for i in range(1, length + 1)]
    else:
        assert [f.name for f in files] == ["shot.gif"] and files[0].stat().st_size > 0


def _timing_editor_on_a_new_path(window):
    """Add a straight path to segment 1, select it; the document and the timing editor showing it."""
    window.state.set_frame(2)
    window.document.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    window.state.select_path(0)
    return window.document, window.timing


def test_timing_presets_and_handle_drag(window, qtbot):
    doc, editor = _timing_editor_on_a_new_path(window)
    tick_before = editor.spacing.getData()[1].copy()
    editor.preset_buttons["ease-in"].click()
    assert doc.project.segment(0).settings.paths[0].timing == Timing.preset("ease-in")
    assert not np.allclose(editor.spacing.getData()[1], tick_before)  # spacing chart updated live
    steps = doc.undo_stack.count()
    for x in (0.5, 0.6, 0.7):  # dragging a handle: one merged undo step
        editor.handles[0].setPos((x, 0.2))
    editor.handles[0].sigPositionChangeFinished.emit(editor.handles[0])
    assert doc.undo_stack.count() == steps + 1
    assert doc.project.segment(0).settings.paths[0].timing == Timing(0.7, 0.2, 1.0, 1.0)
    editor.handles[1].setPos((1.4, -1.3))  # dragged outside: time clamped to [0, 1], progress to [-1, 2]
    assert doc.project.segment(0).settings.paths[0].timing.handles[2:] == (1.0, -1.0)
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert doc.project.segment(0).settings.paths[0].timing == Timing.preset("ease-in")


def test_overshoot_and_anticipate_in_the_timing_editor(window, qtbot):
    doc, editor = _timing_editor_on_a_new_path(window)
    view = editor.plot.getViewBox()
    assert view.viewRange()[1][1] < 1.2  # a plain curve: the unit square
    editor.preset_buttons["overshoot"].click()
    assert doc.project.segment(0).settings.paths[0].timing == Timing.preset("overshoot")
    assert view.viewRange()[1][1] >= 1.56  # the plot grows to show the overshoot and its handle
    assert editor.spacing.getData()[1].max() > 1.0  # in-betweens past the mark on the spacing chart
    assert "overshoot" in editor.title.text()
    editor.preset_buttons["anticipate"].click()
    assert doc.project.segment(0).settings.paths[0].timing == Timing.preset("anticipate")
    assert view.viewRange()[1][0] <= -0.56 and view.viewRange()[1][1] < 1.2
    for y in (1.2, 1.5, 1.8):  # a handle dragged above the square: overshoot, one undo step
        editor.handles[1].setPos((0.6, y))
    editor.handles[1].sigPositionChangeFinished.emit(editor.handles[1])
    assert doc.project.segment(0).settings.paths[0].timing == Timing(0.36, 0.0, 0.6, 1.8)
    editor.handles[0].setPos((0.3, 2.7))  # past the limit: held at progress 2
    assert doc.project.segment(0).settings.paths[0].timing.handles[:2] == (0.3, 2.0)
    assert view.viewRange()[1][1] >= 2.0


def test_with_no_path_selected_the_timing_editor_edits_the_segments_spacing(window, qtbot):
    doc, editor = window.document, window.timing
    window.state.set_frame(2)
    window.state.select_path(None)
    editor.refresh()
    assert "Spacing" in editor.title.text() and "linear" in editor.title.text()
    assert not editor.preset_buttons["overshoot"].isEnabled()  # a spacing stays between the keys
    even = doc.project.segment(0).times
    editor.preset_buttons["ease-in"].click()
    assert doc.project.segment(0).settings.spacing == Timing.preset("ease-in")
    assert np.allclose(editor.spacing.getData()[1], doc.project.segment(0).times)  # the dots: times made for
    assert doc.project.segment(0).times[0] < even[0]
    steps = doc.undo_stack.count()
    for y in (0.2, 0.4, 1.6):  # a handle drag is one undo step; above the square it is held at 1
        editor.handles[0].setPos((0.3, y))
    editor.handles[0].sigPositionChangeFinished.emit(editor.handles[0])
    assert doc.undo_stack.count() == steps + 1
    assert doc.project.segment(0).settings.spacing == Timing(0.3, 1.0, 1.0, 1.0)
    window.undo_action.trigger()
    assert doc.project.segment(0).settings.spacing == Timing.preset("ease-in")
    qtbot.waitUntil(lambda: window.panel.spacing.currentText() == "ease-in", timeout=3000)


def test_ctrl_z_and_ctrl_shift_z_shortcuts(window, qtbot):
    doc = window.document
    window.state.set_frame(2)
    doc.push(AddPath(0, MotionPath.straight((40, 60), (120, 60))))
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.project.segment(0).settings.paths == ()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(doc.project.segment(0).settings.paths) == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert len(doc.project.segment(0).settings.paths) == 1


def test_engine_options_push_update_segment(window):
    panel = window.panel
    window.state.set_frame(2)
    box = panel._option_widgets["timing"]  # crossfade's option
    box.setCurrentText("ease-out")
    box.activated.emit(box.currentIndex())
    assert window.document.project.segment(0).settings.option("timing") == "ease-out"
    panel.seed.setValue(7)
    assert window.document.project.segment(0).settings.seed == 7


def test_a_missing_x11_library_is_named_in_one_line(monkeypatch):
    import ctypes

    from ui import app

    def fail(path, *args, **kwargs):
        raise OSError("libxcb-icccm.so.4: cannot open shared object file: No such file or directory")

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(ctypes, "CDLL", fail)
    message = app.missing_system_library()
    assert message is not None and "libxcb-icccm.so.4" in message and "\n" not in message


def test_uncaught_errors_become_one_line(monkeypatch, capsys):
    from inbetweener.errors import ImageError
    from ui import app

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    app._install_excepthook(quiet=True)
    try:
        raise KeyError("frame\nwith a second line")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    sys.excepthook(ImageError, ImageError("the image is empty; choose another file"), None)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "Traceback" not in "".join(err)
    assert err[0].startswith("inbetweener: Something went wrong (KeyError")
    assert err[1] == "inbetweener: the image is empty; choose another file"


def test_dragging_a_timing_handle_with_the_mouse(window, qtbot):
    from mouse_events import send_mouse
    from PySide6.QtCore import QPointF

    doc = window.document
    window.state.set_frame(2)
    doc.push(AddPath(0, MotionPath.straight((40, 60), (120, 60), Timing.preset("ease-in"))))
    window.state.select_path(0)
    editor = window.timing
    editor.refresh()
    plot = editor.plot
    vb = plot.plotItem.vb

    def to_widget(x, y):
        return QPointF(plot.mapFromScene(vb.mapViewToScene(QPointF(x, y))))

    steps = doc.undo_stack.count()
    vp = plot.viewport()
    start = to_widget(0.42, 0.0)
    send_mouse(vp, "press", start)
    for x, y in ((0.45, 0.05), (0.5, 0.2), (0.6, 0.3)):
        send_mouse(vp, "move", to_widget(x, y), None, Qt.MouseButton.LeftButton)
    send_mouse(vp, "release", to_widget(0.6, 0.3))
    timing = doc.project.segment(0).settings.paths[0].timing
    assert timing.x1 == pytest.approx(0.6, abs=0.03) and timing.y1 == pytest.approx(0.3, abs=0.03)
    assert doc.undo_stack.count() == steps + 1  # the whole drag is one undo step


def test_export_dialog_settings(qtbot, tmp_path):
    from ui.export_dialog import ExportDialog

    dialog = ExportDialog("walk", tmp_path)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(dialog.format.findData("mp4"))
    assert not dialog.pad.isEnabled()  # numbering only applies to PNG sequences
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.pad.setValue(3)
    dialog.start.setValue(0)
    assert dialog.settings() == {"out_dir": tmp_path, "fmt": "png", "name": "walk", "pad": 3, "start": 0}
