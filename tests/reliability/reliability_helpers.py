"""Small projects for the reliability tests (a module with a unique name: `conftest` is ambiguous
when several test folders are on sys.path)."""

from __future__ import annotations


def small_disc_project(engine: str = "crossfade", count: int = 5, w: int = 64, h: int = 48):
    """Two keys with a disc that moves, `count` in-betweens, one segment using `engine`."""
    import numpy as np

    from inbetweener.model.commands import InsertKeyframe, UpdateSegment, apply
    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Project

    def disc(cx: int) -> ImageData:
        yy, xx = np.mgrid[0:h, 0:w]
        img = np.full((h, w, 4), 255, np.uint8)
        img[(xx - cx) ** 2 + (yy - h // 2) ** 2 <= 64] = (30, 40, 200, 255)
        return ImageData.from_array(img)

    project = Project(w, h, 12.0, name="discs")
    project, _ = apply(project, InsertKeyframe(0, disc(w // 4)))
    project, _ = apply(project, InsertKeyframe(count + 1, disc(3 * w // 4)))
    project, _ = apply(project, UpdateSegment(0, engine=engine))
    return project
