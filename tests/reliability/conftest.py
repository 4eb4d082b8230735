"""Fixtures for the reliability tests: a private data folder, and (for Qt tests) a quiet main window."""

from __future__ import annotations

import pytest
from reliability_helpers import small_disc_project


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Recovery files and settings go to a temporary data folder, never the user's."""
    folder = tmp_path / "data"
    monkeypatch.setenv("INBETWEENER_DATA_DIR", str(folder))
    return folder


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
