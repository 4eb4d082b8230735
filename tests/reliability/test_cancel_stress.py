"""Cancel and shutdown under stress: 100 start/cancel cycles leave the document identical and no
thread running; closing the window during a job exits cleanly. Offscreen; waits on signals only."""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QThread  # noqa: E402

from inbetweener.engines.base import EngineOption, Progress, TweenFrame, TweenRequest, register_engine  # noqa: E402
from inbetweener.jobs import plan_segment  # noqa: E402
from inbetweener.model.commands import UpdateSegment  # noqa: E402

RELEASE = threading.Event()


class EndlessEngine:
    """Makes one frame, then keeps yielding progress until released (or cancelled by closing)."""

    name: ClassVar[str] = "stress-endless"
    options: ClassVar[tuple[EngineOption, ...]] = ()

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    def tween(self, request: TweenRequest):
        yield TweenFrame(0, np.array(request.key_a))
        while not RELEASE.wait(0.002):
            yield Progress(0.5, "busy")


register_engine("stress-endless", f"{__name__}:EndlessEngine")


@pytest.fixture(autouse=True)
def _release():
    RELEASE.clear()
    yield
    RELEASE.set()  # never leave a worker spinning


def threads_running(window, service: set | frozenset = frozenset()) -> list[QThread]:
    """Running QThreads of the window, apart from long-lived service threads (e.g. a prefetcher)."""
    return [t for t in window.findChildren(QThread) if t.isRunning() and t not in service]


def cycle(window, qtbot, at_first_progress: bool) -> list:
    """Start a generation of segment 1 and cancel it, at once or when its first progress arrives
    (from a slot: signals arrive in order, so that is before the job's end can be handled)."""
    project = window.document.project
    job = plan_segment(project, 0)
    controller = window.generation

    def cancel_once(*_: object) -> None:
        controller.progress.disconnect(cancel_once)
        controller.cancel()

    with qtbot.waitSignal(controller.done, timeout=30_000) as done:
        if at_first_progress:
            controller.progress.connect(cancel_once)
        assert controller.start(job, project, "stress")
        if not at_first_progress:
            controller.cancel()
    return done.args


@pytest.mark.parametrize(("engine", "cycles"), [("crossfade", 100), ("flow", 20), ("stress-endless", 30)])
def test_start_cancel_cycles_leave_no_trace(main_window, qtbot, engine, cycles) -> None:
    doc = main_window.document
    doc.push(UpdateSegment(0, engine=engine))
    before, steps = doc.project, doc.undo_stack.count()
    service = set(main_window.findChildren(QThread))  # threads that live as long as the window
    outcomes = []
    for i in range(cycles):
        outcomes.append(cycle(main_window, qtbot, at_first_progress=i % 2 == 1))
        assert doc.project is before, f"cycle {i} changed the document"
    assert all(args == [False] for args in outcomes)
    assert doc.undo_stack.count() == steps
    assert main_window.state.previews == {}
    assert not main_window.generation.is_running()
    # The controller waits for each job's thread before it reports done: none may be left running.
    assert threads_running(main_window, service) == []
    # And the machinery still works afterwards: a real run lands as one undo step.
    if engine != "stress-endless":
        job = plan_segment(doc.project, 0)
        with qtbot.waitSignal(main_window.generation.done, timeout=60_000) as done:
            main_window.generation.start(job, doc.project, "after stress")
        assert done.args == [True] and doc.undo_stack.count() == steps + 1


def test_closing_the_window_during_a_job_exits_cleanly(qtbot, tmp_path, data_dir) -> None:
    from PySide6.QtCore import QSettings
    from reliability_helpers import small_disc_project

    from ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(small_disc_project(engine="stress-endless"), None, settings)
    window.quiet = True
    qtbot.addWidget(window)
    window.show()
    before = window.document.project
    window.state.set_frame(2)
    with qtbot.waitSignal(window.generation.progress, timeout=30_000):
        window.actions_["generate"].trigger()
    assert window.generation.is_running()
    threads = [t for t in window.findChildren(QThread) if t.isRunning()]
    assert threads
    assert window.close()  # cancels the endless job and waits for its thread
    assert [t.objectName() for t in threads if t.isRunning()] == []
    assert not window.generation.is_running()
    assert window.document.project is before
