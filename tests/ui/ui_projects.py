"""Small projects for the editor tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import numpy as np
from ball_on_grass import ball_on_grass

from inbetweener.model.commands import InsertKeyframe, SetPaths, UpdateSegment, apply
from inbetweener.model.images import ImageData
from inbetweener.model.project import MotionPath, Project


def disc_image(w: int, h: int, cx: int, cy: int, r: int = 12) -> ImageData:
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.full((h, w, 4), 255, np.uint8)
    inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    img[inside] = (30, 40, 200, 255)
    return ImageData.from_array(img)


def make_project(engine: str = "crossfade", count: int = 5) -> Project:
    """160x120: a disc moving from (40, 60) to (120, 60), `count` in-betweens, one segment."""
    project = Project(160, 120, 12.0, name="discs")
    project, _ = apply(project, InsertKeyframe(0, disc_image(160, 120, 40, 60)))
    project, _ = apply(project, InsertKeyframe(count + 1, disc_image(160, 120, 120, 60)))
    project, _ = apply(project, UpdateSegment(0, engine=engine))
    return project


def ball_project(end: tuple[float, float], count: int = 3) -> Project:
    """160x120: the ball flying from (40, 60) to (120, 60) on the flow engine, its path ending at `end`."""
    project = Project(160, 120, 12.0, name="ball")
    project, _ = apply(project, InsertKeyframe(0, ImageData.from_array(ball_on_grass(40, 60))))
    project, _ = apply(project, InsertKeyframe(count + 1, ImageData.from_array(ball_on_grass(120, 60))))
    project, _ = apply(project, UpdateSegment(0, engine="flow"))
    project, _ = apply(project, SetPaths(0, (MotionPath.straight((40.0, 60.0), end, name="ball"),)))
    return project
