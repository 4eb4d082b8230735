"""A drawing stored damaged in a project: the editor says so once in the status bar and keeps working."""

from __future__ import annotations

from dataclasses import replace

from damaged_png import damaged_png
from PySide6.QtWidgets import QApplication

from inbetweener.model.images import ImageData
from inbetweener.model.project import Cell, FrameStatus, Project

BAD_ID = "d" * 20


def with_damaged_frame(project: Project, frame: int = 2) -> Project:
    """`project` with in-between `frame` pointing at a drawing whose stored PNG cannot be decoded
    (what a project file loads when a PNG was already broken when saved: the loader checks the zip, not
    the pixels)."""
    bad = ImageData.from_png(damaged_png(project.width, project.height), (project.height, project.width))
    return replace(project, images={**project.images, BAD_ID: bad},
                   cells={**project.cells, frame: Cell(BAD_ID, FrameStatus.GENERATED)})


def test_prefetch_thread_reports_a_damaged_drawing(qtbot):
    from ui.worker import FramePrefetcher

    prefetcher = FramePrefetcher(threads=1)
    try:
        bad = ImageData.from_png(damaged_png(16, 12), (12, 16))
        with qtbot.waitSignal(prefetcher.failed, timeout=5000) as failed:
            prefetcher.request([(BAD_ID, bad, (8, 6))])
        image_id, message = failed.args
        assert image_id == BAD_ID
        assert "damaged" in message and "backup" in message and "\n" not in message
    finally:
        prefetcher.shutdown()


def _messages(window) -> list[str]:
    said: list[str] = []
    window.statusBar().messageChanged.connect(lambda text: said.append(text) if text else None)
    return said


def test_editor_says_once_that_a_stored_drawing_is_damaged(window, qtbot, project):
    said = _messages(window)
    window.document.load(with_damaged_frame(project))
    window.cache.clear()
    window.state.set_frame(2)
    qtbot.waitUntil(lambda: "damaged" in window.statusBar().currentMessage(), timeout=5000)
    # Repaints, scrubbing away and back, thumbnails from the prefetch thread: still said once.
    for f in (3, 2, 1, 2, 2):
        window.state.set_frame(f)
        window.canvas.viewport().repaint()
        window.timeline.viewport().repaint()
    QApplication.processEvents()  # deliver the prefetch thread's reports queued so far
    assert [m for m in said if "damaged" in m] == [window.cache.broken(BAD_ID)]
    assert window.canvas.current_image() is None  # blank paper, not a stale picture or a crash
    # The rest of the document still shows.
    window.state.set_frame(0)
    window.canvas.viewport().repaint()
    assert window.canvas.current_image() is not None


def test_zoomed_out_canvas_gets_the_message_from_the_prefetch_thread(window, qtbot, project):
    window.document.load(with_damaged_frame(project))
    window.cache.clear()
    window.canvas.zoom_to(0.5)  # zoomed out: frames are decoded off the GUI thread
    assert window.canvas.display_size() is not None
    window.state.set_frame(1)
    window.canvas.viewport().repaint()  # a sharp frame to stand in while frame 2 is decoded
    window.state.set_frame(2)
    window.canvas.viewport().repaint()
    qtbot.waitUntil(lambda: "damaged" in window.statusBar().currentMessage(), timeout=5000)
    qtbot.waitUntil(window.canvas.is_sharp, timeout=5000)  # it stops waiting for a frame that never comes

