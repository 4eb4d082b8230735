"""Fixtures for the editor tests: small projects, a quiet main window, synthetic mouse events."""

from __future__ import annotations

import numpy as np
import pytest

from inbetweener.engines.base import register_engine
from inbetweener.model.commands import InsertKeyframe, UpdateSegment, apply
from inbetweener.model.images import ImageData
from inbetweener.model.project import Project

pytest.importorskip("PySide6")

# The gated test engine lives beside the tests (pytest puts this folder on sys.path).
register_engine("gated", "gated_engine:GatedEngine")


def disc_image(w: int, h: int, cx: int, cy: int, r: int = 12) -> ImageData:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w, 4), 255, np.uint8)
    inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    img[inside] = (30, 40, 200, 255)
    return ImageData.from_array(img)


def make_project(engine: str = "crossfade", count: int = 5) -> Project:
    """160x120: a disc moving from (40, 60) to (120, 60), `count` in-betweens, one segment."""
    project = Project(160, 120, 12.0, name="discs")
    project, _ = apply(project, InsertKeyframe(0, disc_image(160, 120, 40, 60)))
    project, _ = apply(project, InsertKeyframe(count + 1, disc_image(160, 120, 120, 60)))
    project, _ = apply(project, UpdateSegment(0, engine=engine))
    return project


@pytest.fixture
def project() -> Project:
    return make_project()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, project):
    """The real main window on a small project; errors go to the status bar (no modal boxes)."""
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    monkeypatch.setenv("INBETWEENER_DATA_DIR", str(tmp_path / "data"))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(project, None, settings)
    win.quiet = True
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    return win


def send_mouse(widget, kind: str, pos, button=None, buttons=None) -> None:
    """Deliver one mouse event with explicit button state (QTest's moves lose it)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    types = {"press": QEvent.Type.MouseButtonPress, "move": QEvent.Type.MouseMove,
             "release": QEvent.Type.MouseButtonRelease}
    button = Qt.MouseButton.LeftButton if button is None else button
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == "release" else button
    if kind == "move":
        button = Qt.MouseButton.NoButton
    local = QPointF(pos)
    event = QMouseEvent(types[kind], local, widget.mapToGlobal(local), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget, points, button=None) -> None:
    """Press at the first point, move through the rest, release at the last."""
    send_mouse(widget, "press", points[0], button)
    for p in points[1:]:
        send_mouse(widget, "move", p, None, button)
    send_mouse(widget, "release", points[-1], button)
