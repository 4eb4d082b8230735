"""Run an engine on an immutable snapshot of one segment (DESIGN.md §6).

`run_segment` is a generator: it yields Progress and JobFrame (timeline frame + image) as the
engine makes them. Nothing touches the document here: the caller collects the frames and applies
one `PutGeneratedFrames` command at the end, so a cancelled job leaves no trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from inbetweener.engines.base import Progress, TweenFrame, TweenRequest, get_engine
from inbetweener.errors import EngineError
from inbetweener.model.commands import PutGeneratedFrames, SetPaths
from inbetweener.model.fingerprint import segment_fingerprint
from inbetweener.model.images import ImageData
from inbetweener.model.project import FrameStatus, MotionPath, Project


@dataclass(frozen=True)
class JobFrame:
    """One generated frame at its timeline position."""

    frame: int
    image: np.ndarray | ImageData  # pixels from the engine, or already packed (the editor's worker)


@dataclass(frozen=True)
class SegmentJob:
    """Everything an engine needs, copied out of the document when the job starts."""

    segment: int
    engine: str
    frames: tuple[int, ...]
    request: TweenRequest
    # The inputs the frames are made from (engine and options as run, overrides included); the
    # frames record it, so they read as out of date once the segment's settings differ.
    fingerprint: str | None = None


@dataclass(frozen=True)
class FollowedPaths:
    """Paths a finished job's engine followed in place of the segment's (Progress.followed: ends
    placed off their match, followed to it), for the animator to keep (the editor's Move path
    ends, render --move-path-ends)."""

    segment: int
    before: tuple[MotionPath, ...]  # the segment's paths the job was made from
    paths: tuple[tuple[int, MotionPath], ...]  # (index into `before`, the path followed)

    def command(self, project: Project) -> SetPaths | None:
        """The one edit that puts them into `project`; None once the segment's paths have changed
        (the engine's answer was for the paths as they were)."""
        try:
            current = project.segment(self.segment).settings.paths
        except IndexError:
            return None
        if current != self.before:
            return None
        paths = list(current)
        for i, path in self.paths:
            paths[i] = path
        count = len(self.paths)
        return SetPaths(self.segment, tuple(paths), label=f"Move path end{'s' if count > 1 else ''} onto the match")


def plan_segment(project: Project, segment: int, frames: Iterable[int] | None = None,
                 engine: str | None = None, options: dict | None = None) -> SegmentJob:
    """Snapshot a segment for generation: all of its non-locked in-betweens, or just `frames`."""
    seg = project.segment(segment)
    wanted = list(seg.frames) if frames is None else sorted(set(frames))
    outside = [f for f in wanted if f not in seg.frames]
    if outside:
        raise EngineError(f"frame {outside[0] + 1} is not an in-between of segment {segment + 1}")
    locked = {f for f, c in project.cells.items() if c.status == FrameStatus.LOCKED}
    todo = tuple(f for f in wanted if f not in locked)
    merged = dict(seg.settings.options)
    merged.update(options or {})
    request = TweenRequest(
        key_a=project.key_image(seg.start),
        key_b=project.key_image(seg.end),
        times=tuple(seg.time_of(f) for f in todo),
        paths=seg.settings.paths,
        seed=seg.settings.seed,
        options=merged,
    )
    engine_name = engine or seg.settings.engine
    as_run = replace(seg, settings=replace(seg.settings, engine=engine_name, options=tuple(sorted(merged.items()))))
    return SegmentJob(segment, engine_name, todo, request, segment_fingerprint(as_run))


def run_job(job: SegmentJob) -> Iterator[Progress | JobFrame]:
    """Run the job's engine; closing this generator cancels it at the engine's next yield."""
    if not job.frames:
        yield Progress(1.0, "nothing to generate (every in-between is locked)")
        return
    engine = get_engine(job.engine)
    gen = engine.tween(job.request)
    try:
        for item in gen:
            if isinstance(item, TweenFrame):
                expected = (job.request.key_a.shape[0], job.request.key_a.shape[1], 4)
                if item.image.shape != expected or item.image.dtype != np.uint8:
                    raise EngineError(f"the {job.engine} engine returned a frame of the wrong size or type")
                yield JobFrame(job.frames[item.index], item.image)
            else:
                yield item
    finally:
        gen.close()


def frames_command(frames: Iterable[JobFrame], label: str = "Generate frames",
                   fingerprint: str | None = None) -> PutGeneratedFrames:
    """The one undoable command that puts a finished job's frames into the document.

    `fingerprint` is the job's (SegmentJob.fingerprint): what the frames were made from.
    """
    return PutGeneratedFrames(tuple((f.frame, f.image if isinstance(f.image, ImageData) else ImageData.from_array(f.image))
                                    for f in frames), label=label, fingerprint=fingerprint)


def generate_segment(project: Project, segment: int, engine: str | None = None,
                     frames: Iterable[int] | None = None, options: dict | None = None,
                     on_progress=None) -> PutGeneratedFrames:
    """Run a whole segment to completion (CLI / scripts); returns the command to apply."""
    job = plan_segment(project, segment, frames, engine, options)
    done: list[JobFrame] = []
    for item in run_job(job):
        if isinstance(item, JobFrame):
            done.append(item)
        elif on_progress is not None:
            on_progress(item)
    return frames_command(done, fingerprint=job.fingerprint)
