"""Generated frames remember what they were made from; edits of their segment make them stale, not gone."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest
from model_builders import ARC, H, W, img

from inbetweener.jobs import generate_segment, plan_segment
from inbetweener.model import (
    AddPath,
    FrameStatus,
    InsertFrames,
    InsertKeyframe,
    Keyframe,
    MotionPath,
    MovePathPoint,
    Project,
    PutGeneratedFrames,
    ReplacePath,
    SetFrameStatus,
    SetPaths,
    SetTiming,
    UpdateSegment,
    all_stale_frames,
    apply,
    segment_fingerprint,
    stale_frames,
)
from inbetweener.paths import BezierChain, Timing


def shot() -> Project:
    """Keys at 0, 4, 8 (three in-betweens each); segment 0 has a path; both segments generated."""
    p = Project(W, H, fps=24, name="shot")
    for f, v in ((0, 10), (4, 40), (8, 80)):
        p, _ = apply(p, InsertKeyframe(f, img(v)))
    p, _ = apply(p, SetPaths(0, (ARC,)))
    for i in (0, 1):
        p, _ = apply(p, UpdateSegment(i, engine="crossfade"))
        p, _ = apply(p, generate_segment(p, i))
    return p


def fp(p: Project, i: int = 0) -> str:
    return segment_fingerprint(p.segment(i))


def test_fingerprint_is_short_hex_and_the_same_in_another_process():
    p = shot()
    here = fp(p)
    assert len(here) == 16 and int(here, 16) >= 0
    assert fp(shot()) == here
    # Python's hash() of strings differs per process; the fingerprint must not.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_fingerprint as t; "
            "print(t.fp(t.shot()))")
    out = subprocess.run([sys.executable, "-c", code, __file__.rsplit("/", 1)[0]], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == here


EDITS = {
    "path point moved": MovePathPoint(0, 0, 1, 2.0, -4.0),
    "timing changed": SetTiming(0, 0, Timing.preset("ease-out")),
    "path added": AddPath(0, MotionPath.straight((1, 1), (6, 4))),
    "engine option changed": UpdateSegment(0, options=(("timing", "ease-out"),)),
    "seed changed": UpdateSegment(0, seed=7),
    "engine changed": UpdateSegment(0, engine="flow"),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_an_edit_of_the_segment_changes_its_fingerprint_and_makes_its_frames_stale(edit):
    p0 = shot()
    assert stale_frames(p0, 0) == () and all_stale_frames(p0) == frozenset()
    p1, undo = apply(p0, edit)
    assert fp(p1) != fp(p0)
    assert fp(p1, 1) == fp(p0, 1)  # the other segment is untouched
    assert stale_frames(p1, 0) == (1, 2, 3)  # kept (no work lost), but out of date
    assert stale_frames(p1, 1) == ()
    assert {f: c.image_id for f, c in p1.cells.items()} == {f: c.image_id for f, c in p0.cells.items()}
    p2, _ = apply(p1, undo)
    assert p2.cells == p0.cells and stale_frames(p2, 0) == ()


def test_replacing_a_key_drawing_changes_both_neighbouring_fingerprints_only():
    p0 = shot()
    p1, _ = apply(p0, InsertKeyframe(8, img(99)))
    assert fp(p1, 0) == fp(p0, 0)
    assert fp(p1, 1) != fp(p0, 1)
    p2, _ = apply(p0, InsertKeyframe(4, img(99)))
    assert fp(p2, 0) != fp(p0, 0) and fp(p2, 1) != fp(p0, 1)


def test_an_edit_of_another_segment_leaves_this_one_current():
    p0 = shot()
    p1, _ = apply(p0, UpdateSegment(1, seed=5))
    assert fp(p1, 0) == fp(p0, 0)
    assert stale_frames(p1, 0) == () and stale_frames(p1, 1) == (5, 6, 7)


def test_the_count_counts_but_not_where_the_segment_sits():
    p0 = shot()
    shifted, _ = apply(p0, InsertFrames(0, 3))  # holds before the first key: everything moves later
    assert fp(shifted, 0) == fp(p0, 0) and stale_frames(shifted, 0) == ()
    longer = Project(W, H, keyframes=(p0.keyframes[0], Keyframe(5, p0.keyframes[1].image_id)),
                     segment_settings=p0.segment_settings[:1], images=p0.images)
    assert fp(longer) != fp(p0)


def test_a_proposal_made_the_animators_is_an_edit():
    # (the engine weighs a proposal differently: its frames are stale once it is the animator's)
    p0 = shot()
    path = p0.segment(0).settings.paths[0]
    proposed, _ = apply(p0, ReplacePath(0, 0, replace(path, proposed=True)))
    assert fp(proposed) != fp(p0)
    assert fp(apply(proposed, ReplacePath(0, 0, path))[0]) == fp(p0)


def test_renaming_a_path_or_a_save_sized_float_wobble_is_not_an_edit():
    p0 = shot()
    renamed = MotionPath(ARC.curve, ARC.timing, "another name")
    p1, _ = apply(p0, SetPaths(0, (renamed,)))
    assert fp(p1) == fp(p0)
    wobble = MotionPath(BezierChain(tuple((x + 1e-9, y - 1e-9) for x, y in ARC.curve.points)), ARC.timing, "arc")
    p2, _ = apply(p0, SetPaths(0, (wobble,)))
    assert fp(p2) == fp(p0)


def test_regenerating_makes_the_frames_current_again():
    p, _ = apply(shot(), MovePathPoint(0, 0, 1, 2.0, -4.0))
    assert stale_frames(p, 0) == (1, 2, 3)
    p, _ = apply(p, generate_segment(p, 0))
    assert stale_frames(p, 0) == ()
    assert {p.cells[f].fingerprint for f in (1, 2, 3)} == {fp(p)}


def test_regenerating_one_frame_clears_only_that_one():
    p, _ = apply(shot(), UpdateSegment(0, seed=4))
    p, _ = apply(p, generate_segment(p, 0, frames=[2]))
    assert stale_frames(p, 0) == (1, 3)


def test_accepted_and_locked_frames_are_never_stale_and_unlocking_brings_it_back():
    p, _ = apply(shot(), SetFrameStatus((1,), FrameStatus.ACCEPTED))
    p, _ = apply(p, SetFrameStatus((2,), FrameStatus.LOCKED))
    p, _ = apply(p, UpdateSegment(0, seed=4))
    assert stale_frames(p, 0) == (3,)
    # The fingerprint survives a status change: back to generated, it is stale again.
    p, _ = apply(p, SetFrameStatus((1, 2), FrameStatus.GENERATED))
    assert stale_frames(p, 0) == (1, 2, 3)


def test_frames_without_a_fingerprint_are_unknown_not_stale():
    p = Project(W, H)
    p, _ = apply(p, InsertKeyframe(0, img(1)))
    p, _ = apply(p, InsertKeyframe(3, img(2)))
    p, _ = apply(p, PutGeneratedFrames(((1, img(5)),)))
    assert p.cells[1].fingerprint is None
    p, _ = apply(p, UpdateSegment(0, seed=9))
    assert stale_frames(p, 0) == ()


def test_a_job_records_the_inputs_it_ran_with_overrides_included():
    p = shot()
    assert plan_segment(p, 0).fingerprint == fp(p)
    # render --engine / --steps: the frames were not made from what the segment says.
    assert plan_segment(p, 0, engine="flow").fingerprint != fp(p)
    assert plan_segment(p, 0, options={"timing": "ease-out"}).fingerprint != fp(p)
    assert plan_segment(p, 0, options={}).fingerprint == fp(p)
