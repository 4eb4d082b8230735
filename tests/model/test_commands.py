"""Every command is undone exactly by the inverse `apply` returns; segments split and merge; locked
frames are never overwritten."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest
from model_builders import ARC, H, W, img

from inbetweener.model import (
    AddPath,
    ClearFrames,
    CommandError,
    FrameStatus,
    ImageData,
    InsertFrames,
    InsertKeyframe,
    MotionPath,
    MoveKeyframe,
    MovePathPoint,
    Project,
    PutGeneratedFrames,
    RemoveFrames,
    RemoveKeyframe,
    RemovePath,
    ReplacePath,
    SetFrameStatus,
    SetPaths,
    SetProjectSettings,
    SetTiming,
    UpdateSegment,
    apply,
)
from inbetweener.paths import Timing

LINE = MotionPath.straight((1, 1), (6, 4))


def base() -> Project:
    """Keys at 0, 4, 10; segment 0 has two paths; frames 1 (generated), 2 (locked), 6 (accepted)."""
    p = Project(W, H, fps=24, name="shot")
    for f, v in ((0, 10), (4, 40), (10, 100)):
        p, _ = apply(p, InsertKeyframe(f, img(v)))
    p, _ = apply(p, SetPaths(0, (ARC, LINE)))
    p, _ = apply(p, UpdateSegment(1, engine="crossfade", seed=3, options=(("timing", "ease-out"),)))
    p, _ = apply(p, PutGeneratedFrames(((1, img(11)), (2, img(12)), (6, img(60)))))
    p, _ = apply(p, SetFrameStatus((2,), FrameStatus.LOCKED))
    p, _ = apply(p, SetFrameStatus((6,), FrameStatus.ACCEPTED))
    return p


COMMANDS = {
    "insert key mid-segment": InsertKeyframe(7, img(70)),
    "replace a key drawing": InsertKeyframe(0, img(1)),
    "insert key after last": InsertKeyframe(14, img(140)),
    "remove first key": RemoveKeyframe(0),
    "remove middle key": RemoveKeyframe(4),
    "remove last key": RemoveKeyframe(10),
    "retime key": MoveKeyframe(4, 7),
    "insert frames": InsertFrames(3, 2),
    "remove frames": RemoveFrames(7, 2),
    "project settings": SetProjectSettings(fps=12, length=20, name="renamed"),
    "update segment": UpdateSegment(0, engine="diffusion", seed=9, options=(("steps", 4),)),
    "add path": AddPath(1, LINE),
    "set paths": SetPaths(1, (ARC,)),
    "remove path": RemovePath(0, 0),
    "replace path": ReplacePath(0, 1, ARC),
    "move path point": MovePathPoint(0, 0, 3, 9.0, 2.0),
    "set timing": SetTiming(0, 1, Timing(0.2, 0.1, 0.3, 0.9)),
    "put frames": PutGeneratedFrames(((3, img(13)), (7, img(77)))),
    "lock frames": SetFrameStatus((1, 6), FrameStatus.LOCKED),
    "clear frames": ClearFrames((1, 2, 6)),
    "clear frames forced": ClearFrames((1, 2, 6), force=True),
}


def same(a: Project, b: Project) -> bool:
    return all(getattr(a, f.name) == getattr(b, f.name) for f in fields(Project))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_inverse_restores_exactly_and_redo_works(name: str) -> None:
    before = base()
    after, inverse = apply(before, COMMANDS[name])
    assert not same(after, before), "the command should change something"
    undone, redo = apply(after, inverse)
    assert same(undone, before)
    redone, _ = apply(undone, redo)
    assert same(redone, after)


def test_insert_key_splits_segment_and_drops_its_paths() -> None:
    p, _ = apply(base(), InsertKeyframe(2, img(22)))  # inside segment 0 (0..4); frame 2 was locked
    assert [k.frame for k in p.keyframes] == [0, 2, 4, 10]
    assert len(p.segments) == 3
    assert p.segments[0].settings.paths == () and p.segments[1].settings.paths == ()
    assert p.segments[2].settings.engine == "crossfade"
    assert 2 not in p.cells  # a key now lives there


def test_insert_key_at_ends_adds_segments() -> None:
    p, _ = apply(base(), InsertKeyframe(15, img(150)))
    assert len(p.segments) == 3 and p.segments[2].count == 4 and p.length == 16
    assert p.segments[2].settings.engine == "crossfade" and p.segments[2].settings.paths == ()


def test_remove_middle_key_merges_segments() -> None:
    p, _ = apply(base(), RemoveKeyframe(4))
    assert len(p.segments) == 1
    seg = p.segments[0]
    assert (seg.start.frame, seg.end.frame, seg.count) == (0, 10, 9)
    assert seg.settings.paths == () and seg.settings.engine == base().segments[0].settings.engine
    # Generated frames were timed for the old segments and go (as when retiming); the locked and
    # accepted ones are the animator's and stay as frames of the merged segment.
    assert sorted(p.cells) == [2, 6]


def test_remove_first_key_drops_the_generated_frames_left_outside_any_segment() -> None:
    p, _ = apply(base(), RemoveKeyframe(0))
    assert [s.start.frame for s in p.segments] == [4] and sorted(p.cells) == [2, 6]


def test_retime_changes_counts_and_drops_only_generated_frames() -> None:
    p, _ = apply(base(), MoveKeyframe(4, 7))
    assert [s.count for s in p.segments] == [6, 2]
    assert 1 not in p.cells                                   # generated, timed for the old spacing
    assert p.cells[2].status == FrameStatus.LOCKED            # locked stays
    assert p.cells[6].status == FrameStatus.ACCEPTED          # accepted stays
    assert p.segments[0].times == tuple(j / 7 for j in range(1, 7))


def test_put_generated_never_overwrites_keys_or_locked() -> None:
    p0 = base()
    locked_id = p0.cells[2].image_id
    key_id = p0.keyframes[1].image_id
    p, _ = apply(p0, PutGeneratedFrames(((2, img(200)), (4, img(201)), (3, img(202)), (6, img(203)))))
    assert p.cells[2].image_id == locked_id and p.cells[2].status == FrameStatus.LOCKED
    assert p.keyframes[1].image_id == key_id and 4 not in p.cells
    assert p.cells[3].status == FrameStatus.GENERATED
    assert p.cells[6].status == FrameStatus.GENERATED  # accepted frames may be regenerated


def test_clear_keeps_locked_unless_forced() -> None:
    p, _ = apply(base(), ClearFrames((1, 2)))
    assert sorted(p.cells) == [2, 6]
    p, _ = apply(base(), ClearFrames((1, 2), force=True))
    assert sorted(p.cells) == [6]


@pytest.mark.parametrize("edit", [MovePathPoint(0, 0, 3, 9.0, 2.0), SetTiming(0, 0, Timing.preset("ease-in"))])
def test_an_autopilot_proposal_the_animator_moves_or_retimes_becomes_theirs(edit) -> None:
    proposal = replace(base().segments[0].settings.paths[0], proposed=True)
    p, _ = apply(base(), SetPaths(0, (proposal,)))
    assert p.segments[0].settings.paths[0].proposed
    p, undo = apply(p, edit)
    assert not p.segments[0].settings.paths[0].proposed
    assert apply(p, undo)[0].segments[0].settings.paths[0].proposed


def test_move_path_point_moves_knot_with_its_handle() -> None:
    p, _ = apply(base(), MovePathPoint(0, 0, 3, 9.0, 2.0))
    pts = p.segments[0].settings.paths[0].curve.points
    assert pts[3] == (9.0, 2.0) and pts[2] == (7.0, -1.0)


@pytest.mark.parametrize("command", [
    RemoveKeyframe(5),
    MoveKeyframe(4, 10),
    MoveKeyframe(4, 0),
    MoveKeyframe(3, 5),
    RemoveFrames(3, 2),          # frame 4 is a key
    RemoveFrames(9, 5),          # past the end
    InsertFrames(2, 0),
    InsertKeyframe(-1, img(1)),
    RemovePath(0, 5),
    SetTiming(1, 0, Timing()),   # segment 1 has no paths
    MovePathPoint(0, 0, 9, 0, 0),
    SetFrameStatus((1,), FrameStatus.KEY),
])
def test_nonsense_edits_raise_command_error(command) -> None:
    with pytest.raises(CommandError):
        apply(base(), command)


def test_wrong_size_image_refused() -> None:
    small = ImageData.from_array(np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(CommandError, match="canvas"):
        apply(base(), InsertKeyframe(12, small))
    with pytest.raises(CommandError):
        apply(base(), PutGeneratedFrames(((3, small),)))


@pytest.mark.parametrize("command", [
    UpdateSegment(2, seed=1),
    UpdateSegment(-1, engine="crossfade"),
    AddPath(2, LINE),
    SetPaths(5, ()),
    RemovePath(2, 0),
    ReplacePath(3, 0, ARC),
    MovePathPoint(2, 0, 0, 1.0, 1.0),
    SetTiming(7, 0, Timing()),
])
def test_missing_segment_is_one_command_error_sentence_with_one_based_number(command) -> None:
    with pytest.raises(CommandError) as caught:
        apply(base(), command)
    assert not isinstance(caught.value, IndexError)
    text = str(caught.value)
    assert f"segment {command.segment + 1} does not exist" in text and "2 segments" in text
    assert "\n" not in text and text.count(". ") == 0


def test_missing_segment_in_an_empty_project_says_there_are_none() -> None:
    with pytest.raises(CommandError, match="segment 1 does not exist: the project has no segments"):
        apply(Project(W, H), UpdateSegment(0, seed=1))


def test_impossible_project_settings_are_a_command_error() -> None:
    with pytest.raises(CommandError, match="fps"):
        apply(base(), SetProjectSettings(fps=0))


# -- generated frames go stale with their segment --------------------------------------------------
def stale_base() -> Project:
    """base() plus generated frames 3 (segment 0) and 8 (segment 1): each segment has every status."""
    p, _ = apply(base(), PutGeneratedFrames(((3, img(13)), (8, img(80)))))
    return p


def statuses(p: Project) -> dict[int, FrameStatus]:
    return {f: c.status for f, c in p.cells.items()}


G, A, L = FrameStatus.GENERATED, FrameStatus.ACCEPTED, FrameStatus.LOCKED


@pytest.mark.parametrize(("command", "expected"), [
    # Splitting segment 0 (0..4) at 3: its generated frame 1 goes; segment 1 is untouched.
    (InsertKeyframe(3, img(33)), {2: L, 6: A, 8: G}),
    # Splitting segment 1 (4..10) at 7: its generated frame 8 goes; locked 2 / accepted 6 stay.
    (InsertKeyframe(7, img(70)), {1: G, 2: L, 3: G, 6: A}),
    # A new drawing on key 4 changes both segments it ends and starts.
    (InsertKeyframe(4, img(44)), {2: L, 6: A}),
    # A key after the last one makes a new segment; nothing was generated for it, nothing else changes.
    (InsertKeyframe(14, img(140)), {1: G, 2: L, 3: G, 6: A, 8: G}),
    # Holds inside segment 0 (shifted by 2 afterwards): its generated frames go, segment 1's move along.
    (InsertFrames(3, 2), {2: L, 8: A, 10: G}),
    # Inserting before key 4 lengthens segment 0, not segment 1.
    (InsertFrames(4, 1), {2: L, 7: A, 9: G}),
    # Before the first key / after the last: no segment changes, everything shifts or stays.
    (InsertFrames(0, 1), {2: G, 3: L, 4: G, 7: A, 9: G}),
    (InsertFrames(11, 3), {1: G, 2: L, 3: G, 6: A, 8: G}),
    # Removing frame 5 shortens segment 1: its generated 8 goes, accepted 6 moves to 5; segment 0 untouched.
    (RemoveFrames(5, 1), {1: G, 2: L, 3: G, 5: A}),
    (RemoveFrames(1, 1), {1: L, 5: A, 7: G}),
    # The commands that already did this, through the same helper.
    (RemoveKeyframe(4), {2: L, 6: A}),
    (MoveKeyframe(4, 5), {2: L, 6: A}),
])
def test_edits_that_change_a_segment_drop_only_its_generated_frames(command, expected) -> None:
    before = stale_base()
    after, inverse = apply(before, command)
    assert statuses(after) == expected
    undone, _ = apply(after, inverse)
    assert same(undone, before) and undone.cells == before.cells


def test_replacing_a_key_with_the_same_drawing_keeps_generated_frames() -> None:
    before = stale_base()
    after, _ = apply(before, InsertKeyframe(4, img(40)))
    assert after.cells == before.cells
