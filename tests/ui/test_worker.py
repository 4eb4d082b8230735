"""Generation in the background: frames arrive live, land as one undo step, cancel leaves no trace."""

from __future__ import annotations

import gated_engine
import numpy as np
import pytest

from inbetweener.model.commands import PutGeneratedFrames, SetFrameStatus, UpdateSegment
from inbetweener.model.project import FrameStatus


@pytest.fixture(autouse=True)
def _gate():
    gated_engine.GATE.clear()
    gated_engine.GatedEngine.fail_with = None
    gated_engine.GatedEngine.note = None
    yield
    gated_engine.GATE.set()  # never leave a worker thread waiting


@pytest.mark.parametrize("engine", ["crossfade", "flow"])
def test_generate_segment_fills_the_timeline_as_one_undo_step(window, qtbot, engine):
    doc = window.document
    doc.push(UpdateSegment(0, engine=engine))
    before = doc.project
    steps = doc.undo_stack.count()
    window.state.set_frame(2)
    arrived = []
    window.generation._state.previewsChanged.connect(lambda: arrived.append(len(window.state.previews)))
    with qtbot.waitSignal(window.generation.done, timeout=60000) as done:
        window.actions_["generate"].trigger()
    assert done.args == [True]
    seg = doc.project.segment(0)
    assert set(doc.project.cells) == set(seg.frames)
    assert all(c.status == FrameStatus.GENERATED for c in doc.project.cells.values())
    assert max(arrived) >= 1  # frames were shown as previews while the job ran
    assert window.state.previews == {}
    assert doc.undo_stack.count() == steps + 1
    middle = doc.project.image(doc.project.cells[3].image_id)
    assert not np.array_equal(middle, doc.project.key_image(seg.start))
    # Frames land PNG-packed by the worker thread: nothing left to encode on the GUI thread, and no
    # raw pixels held by the document.
    for cell in doc.project.cells.values():
        data = doc.project.images[cell.image_id]
        assert data._array is None and data._png is not None and data.content_id() == cell.image_id
    window.undo_action.trigger()
    assert doc.project == before


def test_cancel_leaves_the_document_exactly_as_before(window, qtbot):
    doc = window.document
    doc.push(UpdateSegment(0, engine="gated"))
    before = doc.project
    steps = doc.undo_stack.count()
    window.state.set_frame(1)
    window.actions_["generate"].trigger()
    assert window.cancel_button.isVisible()
    qtbot.waitUntil(lambda: 1 in window.state.previews, timeout=10000)
    with qtbot.waitSignal(window.generation.done, timeout=10000) as done:
        window.cancel_button.click()
    assert done.args == [False]
    assert doc.project is before
    assert doc.undo_stack.count() == steps
    assert window.state.previews == {}
    assert not window.cancel_button.isVisible()


def test_what_the_engine_made_of_the_drawings_is_said_when_the_job_is_done(window, qtbot):
    # Progress text flashes by while a short job runs; a note (a stroke drawn growing in rather
    # than moved) is still in the status bar when the frames have landed, and only for its job.
    window.document.push(UpdateSegment(0, engine="gated"))
    gated_engine.GATE.set()
    gated_engine.GatedEngine.note = "line art: 1 stroke only the second key has grows in"
    with qtbot.waitSignal(window.generation.done, timeout=10000) as done:
        window.actions_["generate"].trigger()
    gated_engine.GatedEngine.note = None
    assert done.args == [True]
    assert window.statusBar().currentMessage() == ("Frames generated: review them, then accept (A) or lock (L). "
                                                   "Line art: 1 stroke only the second key has grows in.")
    with qtbot.waitSignal(window.generation.done, timeout=10000):
        window.actions_["generate"].trigger()
    assert window.statusBar().currentMessage() == "Frames generated: review them, then accept (A) or lock (L)."


def test_locked_frames_are_never_overwritten(window, qtbot):
    doc = window.document
    key_b = doc.project.images[doc.project.keyframes[1].image_id]
    doc.push(PutGeneratedFrames(((2, key_b),)))
    doc.push(SetFrameStatus((2,), FrameStatus.LOCKED))
    locked = doc.project.cells[2]
    with qtbot.waitSignal(window.generation.done, timeout=30000):
        window.actions_["generate"].trigger()
    assert doc.project.cells[2] == locked
    assert set(doc.project.cells) == set(doc.project.segment(0).frames)


def test_regenerate_one_frame(window, qtbot):
    doc = window.document
    window.state.set_frame(4)
    with qtbot.waitSignal(window.generation.done, timeout=30000):
        window.actions_["regenerate"].trigger()
    assert set(doc.project.cells) == {4}
    window.actions_["accept"].trigger()
    assert doc.project.cells[4].status == FrameStatus.ACCEPTED
    window.actions_["lock"].trigger()
    assert doc.project.cells[4].status == FrameStatus.LOCKED
    window.actions_["unlock"].trigger()
    assert doc.project.cells[4].status == FrameStatus.GENERATED


def test_a_failure_is_one_line_and_changes_nothing(window, qtbot):
    doc = window.document
    doc.push(UpdateSegment(0, engine="gated"))
    gated_engine.GatedEngine.fail_with = RuntimeError("boom\nsecond line of a traceback")
    before = doc.project
    with qtbot.waitSignal(window.generation.failed, timeout=10000) as failed:
        window.actions_["generate"].trigger()
    qtbot.waitUntil(lambda: not window.generation.is_running(), timeout=10000)
    (message,) = failed.args
    assert "\n" not in message and "boom" in message and "Traceback" not in message
    assert doc.project is before


def test_closing_during_a_job_cancels_and_waits(window, qtbot):
    doc = window.document
    doc.push(UpdateSegment(0, engine="gated"))
    doc.undo_stack.setClean()
    before = doc.project
    window.actions_["generate"].trigger()
    qtbot.waitUntil(lambda: 1 in window.state.previews, timeout=10000)
    thread = window.generation._thread
    assert window.close()
    assert thread is not None and thread.isFinished()
    assert doc.project is before
    assert not window.generation.is_running()


def test_frames_the_document_refuses_are_one_line_not_an_exception(window, qtbot, monkeypatch):
    """If putting the finished frames in fails (a CommandError), the animator reads why; nothing changes."""
    import ui.worker
    from inbetweener.model.commands import CommandError

    def refuse(*args, **kwargs):
        raise CommandError("a generated frame is 10x10 instead of the project's size")

    monkeypatch.setattr(ui.worker, "frames_command", refuse)
    doc = window.document
    doc.push(UpdateSegment(0, engine="crossfade"))
    before = doc.project
    with qtbot.waitSignal(window.generation.failed, timeout=10000) as failed:
        window.actions_["generate"].trigger()
    qtbot.waitUntil(lambda: not window.generation.is_running(), timeout=10000)
    assert failed.args == ["a generated frame is 10x10 instead of the project's size"]
    assert doc.project is before
