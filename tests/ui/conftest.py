"""Fixtures for the editor tests: small projects and a quiet main window."""

from __future__ import annotations

import pytest

from inbetweener.engines.base import register_engine
from inbetweener.model.project import Project

pytest.importorskip("PySide6")

# The gated test engine and the project builders live beside the tests (pytest puts this folder on
# sys.path; modules named "conftest" are ambiguous there, so tests import ui_projects instead).
register_engine("gated", "gated_engine:GatedEngine")
from ui_projects import make_project  # noqa: E402


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
