"""Fixtures for the reliability tests: a private data folder, and (for Qt tests) a quiet main window."""

from __future__ import annotations

import pytest


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Recovery files and settings go to a temporary data folder, never the user's."""
    folder = tmp_path / "data"
    monkeypatch.setenv("INBETWEENER_DATA_DIR", str(folder))
    return folder


def small_disc_project(engine: str = "crossfade", count: int = 5, w: int = 64, h: int = 48):
    """Two keys with a disc that moves, `count` in-betweens, one segment using `engine`."""
    import numpy as np

    from inbetweener.model.commands import InsertKeyframe, UpdateSegment, apply
    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Project

    def disc(cx: int) -> ImageData:
        yy, xx = np.mgrid[0:h, 0:w]
        img = np.full((h, w, 4), 255, np.uint8)
        img[(xx - cx) ** 2 + (yy - h // 2) ** 2 <= 64] = (30, 40, 200, 255)
        return ImageData.from_array(img)

    project = Project(w, h, 12.0, name="discs")
    project, _ = apply(project, InsertKeyframe(0, disc(w // 4)))
    project, _ = apply(project, InsertKeyframe(count + 1, disc(3 * w // 4)))
    project, _ = apply(project, UpdateSegment(0, engine=engine))
    return project


@pytest.fixture
def main_window(qtbot, tmp_path, data_dir):
    """The real main window on a small project; errors go to the status bar (no modal boxes)."""
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(small_disc_project(), None, settings)
    win.quiet = True
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win
