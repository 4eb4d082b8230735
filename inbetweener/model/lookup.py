"""Which image the timeline shows at a frame (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

from inbetweener.model.project import FrameStatus, Project


@dataclass(frozen=True)
class Shown:
    """What frame f shows: an image id (None = blank), its status, and whether it is a hold."""

    image_id: str | None
    status: FrameStatus | None
    hold: bool = False


def shown_at(project: Project, frame: int) -> Shown:
    """A key or in-between at `frame` shows itself; an empty frame holds the last drawing before it."""
    if frame < 0 or frame >= project.length:
        return Shown(None, None)
    key = project.key_at(frame)
    if key is not None:
        return Shown(key.image_id, FrameStatus.KEY)
    cell = project.cells.get(frame)
    if cell is not None:
        return Shown(cell.image_id, cell.status)
    best_frame, best_id = -1, None
    for k in project.keyframes:
        if best_frame < k.frame < frame:
            best_frame, best_id = k.frame, k.image_id
    for f, c in project.cells.items():
        if best_frame < f < frame:
            best_frame, best_id = f, c.image_id
    if best_id is None:
        return Shown(None, None)
    return Shown(best_id, None, hold=True)


def status_at(project: Project, frame: int) -> FrameStatus | None:
    """The frame's own status (None for holds and blanks)."""
    s = shown_at(project, frame)
    return None if s.hold else s.status


def next_key_frame(project: Project, frame: int, direction: int) -> int | None:
    """The frame of the nearest key strictly after (direction > 0) or before (< 0) `frame`."""
    frames = [k.frame for k in project.keyframes]
    if direction > 0:
        after = [f for f in frames if f > frame]
        return min(after) if after else None
    before = [f for f in frames if f < frame]
    return max(before) if before else None
