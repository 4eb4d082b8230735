"""Which image shows at each frame: table-driven, holds and blanks included."""

from __future__ import annotations

import numpy as np
import pytest

from inbetweener.model import (
    FrameStatus,
    ImageData,
    InsertFrames,
    InsertKeyframe,
    MoveKeyframe,
    Project,
    PutGeneratedFrames,
    RemoveKeyframe,
    SetFrameStatus,
    SetProjectSettings,
    apply,
    next_key_frame,
    shown_at,
    status_at,
)

W, H = 4, 3
K, G, A, L = FrameStatus.KEY, FrameStatus.GENERATED, FrameStatus.ACCEPTED, FrameStatus.LOCKED


def img(v: int) -> ImageData:
    a = np.zeros((H, W, 4), np.uint8)
    a[..., 0] = v
    a[..., 3] = 255
    return ImageData.from_array(a)


def project() -> Project:
    """Keys at frames 2 (value 20) and 6 (value 60); 3 generated (30); 4 locked (40); length 9."""
    p = Project(W, H)
    p, _ = apply(p, InsertKeyframe(2, img(20)))
    p, _ = apply(p, InsertKeyframe(6, img(60)))
    p, _ = apply(p, PutGeneratedFrames(((3, img(30)), (4, img(40)))))
    p, _ = apply(p, SetFrameStatus((4,), L))
    p, _ = apply(p, SetProjectSettings(length=9))
    return p


def table(p: Project) -> list[tuple[int | None, FrameStatus | None, bool]]:
    """(red value shown, status, is hold) for frames -1 .. length."""
    out = []
    for f in range(-1, p.length + 1):
        s = shown_at(p, f)
        value = None if s.image_id is None else int(p.image(s.image_id)[0, 0, 0])
        out.append((value, s.status, s.hold))
    return out


N = (None, None, False)

CASES = {
    "base": ([], [N, N, N, (20, K, False), (30, G, False), (40, L, False), (40, None, True),
                  (60, K, False), (60, None, True), (60, None, True), N]),
    # Retiming key 6 -> 7: the generated frame 3 is dropped (now a hold of key 2), locked 4 stays.
    "retime": ([MoveKeyframe(6, 7)],
               [N, N, N, (20, K, False), (20, None, True), (40, L, False), (40, None, True),
                (40, None, True), (60, K, False), (60, None, True), N]),
    # Two empty frames inserted before frame 3 push everything from 3 on two frames later; the
    # generated frame 3 was timed for the shorter segment and goes (a hold of key 2), locked 4 stays.
    "insert frames": ([InsertFrames(3, 2)],
                      [N, N, N, (20, K, False), (20, None, True), (20, None, True), (20, None, True),
                       (40, L, False), (40, None, True), (60, K, False), (60, None, True),
                       (60, None, True), N]),
    # Without the first key its generated in-between goes; the frames before the locked one are blank.
    "remove first key": ([RemoveKeyframe(2)],
                         [N, N, N, N, N, (40, L, False), (40, None, True), (60, K, False),
                          (60, None, True), (60, None, True), N]),
    "accept": ([SetFrameStatus((3,), A)],
               [N, N, N, (20, K, False), (30, A, False), (40, L, False), (40, None, True),
                (60, K, False), (60, None, True), (60, None, True), N]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_frame_lookup_table(name: str) -> None:
    commands, expected = CASES[name]
    p = project()
    for c in commands:
        p, _ = apply(p, c)
    assert table(p) == expected


def test_status_at_and_next_key() -> None:
    p = project()
    assert [status_at(p, f) for f in range(9)] == [None, None, K, G, L, None, K, None, None]
    assert next_key_frame(p, 0, +1) == 2 and next_key_frame(p, 2, +1) == 6 and next_key_frame(p, 6, +1) is None
    assert next_key_frame(p, 5, -1) == 2 and next_key_frame(p, 2, -1) is None


def test_empty_project_shows_nothing() -> None:
    p = Project(W, H)
    assert p.length == 0 and shown_at(p, 0).image_id is None
