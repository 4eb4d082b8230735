"""Path ends placed off their match: the engine follows them to the match, and the editor offers to
move them there (one undo step), for as long as the segment's paths are the ones it was made from."""

from __future__ import annotations

import math

import gated_engine
import pytest
from ui_projects import ball_project

from inbetweener.model.commands import MovePathPoint, SetPaths, UpdateSegment
from inbetweener.model.project import MotionPath


@pytest.fixture(autouse=True)
def _gate():
    gated_engine.GATE.set()
    gated_engine.GatedEngine.note = None
    gated_engine.GatedEngine.followed = ()
    yield
    gated_engine.GatedEngine.note = None
    gated_engine.GatedEngine.followed = ()


def _generate(window, qtbot) -> None:
    window.state.set_frame(1)
    with qtbot.waitSignal(window.generation.done, timeout=60000) as done:
        window.actions_["generate"].trigger()
    assert done.args == [True]


@pytest.mark.parametrize("project", [ball_project((124.0, 63.0))])
def test_an_end_dropped_off_the_ball_is_offered_onto_the_ball_and_moved_as_one_undo_step(window, qtbot, project):
    # The flow engine followed the path to where the ball lands in key B; the editor shows its
    # note with the way to keep that end, and one click puts the path there.
    doc = window.document
    _generate(window, qtbot)
    assert window.follow_button.isVisible() and window.actions_["move_ends"].isEnabled()
    message = window.statusBar().currentMessage()
    assert "followed to the match: ball (" in message and "Move path ends (Ctrl+Shift+M) puts them there." in message
    # The canvas shows the curve the frames followed, beside the drawn one, on this segment's frames.
    shown = window.canvas.overlay.followed
    assert list(shown) == [0] and math.dist(shown[0].end, (120.0, 60.0)) <= 1.0
    before, steps = doc.project, doc.undo_stack.count()
    window.follow_button.click()
    assert window.canvas.overlay.followed == {}
    moved = doc.project.segment(0).settings.paths[0]
    assert math.dist(moved.end, (120.0, 60.0)) <= 1.0  # the ball's centre in key B (dropped 5 px off)
    assert moved.start == (40.0, 60.0)
    assert doc.undo_stack.count() == steps + 1
    assert not window.follow_button.isVisible() and not window.actions_["move_ends"].isEnabled()
    # The frames were made for the path as it was: they now read as out of date.
    assert all(window.timeline.is_stale(f) for f in doc.project.segment(0).frames)
    window.undo_action.trigger()
    assert doc.project == before
    # Made again from the moved path, the frames follow it as drawn: nothing left to offer.
    window.redo_action.trigger()
    _generate(window, qtbot)
    assert not window.follow_button.isVisible()
    assert "Move path ends" not in window.statusBar().currentMessage()


@pytest.mark.parametrize("project", [ball_project((120.0, 60.0))])
def test_an_end_on_its_match_offers_nothing(window, qtbot, project):
    _generate(window, qtbot)
    assert not window.follow_button.isVisible() and window.generation.offer is None
    window.actions_["move_ends"].trigger()  # (by its shortcut: it is disabled, so nothing happens)
    assert window.document.project.segment(0).settings.paths[0].end == (120.0, 60.0)


def _offer_from_gated_engine(window, qtbot) -> tuple[MotionPath, ...]:
    """Two paths on segment 0; the gated engine says it followed the second one to (118, 61)."""
    doc = window.document
    paths = (MotionPath.straight((40.0, 60.0), (120.0, 60.0), name="ball"),
             MotionPath.straight((30.0, 50.0), (110.0, 52.0), name="tip"))
    doc.push(SetPaths(0, paths))
    doc.push(UpdateSegment(0, engine="gated"))
    gated_engine.GatedEngine.note = "path ends off their match in key B, followed to the match: tip (8.1 px)"
    gated_engine.GatedEngine.followed = ((1, MotionPath.straight((30.0, 50.0), (118.0, 61.0), name="tip")),)
    _generate(window, qtbot)
    assert window.follow_button.isVisible()
    return paths


def test_moving_the_ends_changes_only_the_followed_path(window, qtbot):
    paths = _offer_from_gated_engine(window, qtbot)
    window.actions_["move_ends"].trigger()
    now = window.document.project.segment(0).settings.paths
    assert now[0] == paths[0] and now[1].end == (118.0, 61.0)
    assert window.undo_action.text() == "Undo Move path end onto the match"
    assert window.statusBar().currentMessage().startswith("Moved 1 path end onto the match in key B")


def test_the_offer_goes_once_the_paths_it_was_made_for_change(window, qtbot):
    # The engine's answer was for the paths as they were: after a drag it would move an end the
    # animator has just placed. Undoing the drag does not bring it back (the frames are stale).
    _offer_from_gated_engine(window, qtbot)
    window.document.push(MovePathPoint(0, 0, 3, 121.0, 60.0))
    assert not window.follow_button.isVisible() and window.generation.offer is None
    window.move_path_ends()
    assert window.statusBar().currentMessage().startswith("No path end to move")


def test_a_new_job_withdraws_the_offer_until_it_lands(window, qtbot):
    _offer_from_gated_engine(window, qtbot)
    gated_engine.GATE.clear()
    gated_engine.GatedEngine.followed = ()
    gated_engine.GatedEngine.note = None
    window.actions_["generate"].trigger()
    assert not window.follow_button.isVisible()
    with qtbot.waitSignal(window.generation.done, timeout=10000) as done:
        window.cancel_button.click()
    assert done.args == [False]
    assert not window.follow_button.isVisible() and window.generation.offer is None
