"""Edits as small command objects. `apply` runs one and returns the new project and its inverse.

One mechanism serves undo everywhere: the inverse of any command is a `Restore` of the project
fields the command replaced. Because a Project is immutable and shares unchanged parts, that is
cheap, exact, and itself invertible (undo/redo are both `apply`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from inbetweener.model.images import ImageData
from inbetweener.model.project import (
    Cell,
    FrameStatus,
    Keyframe,
    MotionPath,
    Project,
    Segment,
    SegmentSettings,
)
from inbetweener.paths.timing import Timing


class CommandError(ValueError):
    """An edit that does not make sense on this document (the message says why)."""


class Command:
    """Base of all edits; `run` returns the new project and must not mutate the old one."""

    label: str = "Edit"

    def run(self, project: Project) -> Project:  # pragma: no cover - abstract
        raise NotImplementedError


def apply(project: Project, command: Command) -> tuple[Project, Command]:
    """Apply `command`; returns (new project, the command that undoes it)."""
    new = command.run(project)
    changed = {
        f.name: getattr(project, f.name)
        for f in fields(Project)
        if getattr(new, f.name) is not getattr(project, f.name)
    }
    return new, Restore(tuple(changed.items()), label=command.label)


@dataclass(frozen=True)
class Restore(Command):
    """Put back the given project fields (the inverse of every command)."""

    values: tuple[tuple[str, Any], ...]
    label: str = "Restore"

    def run(self, project: Project) -> Project:
        return replace(project, **dict(self.values))


# -- helpers ---------------------------------------------------------------------------------------
def _with_image(images: Mapping[str, ImageData], image: ImageData) -> tuple[dict[str, ImageData], str]:
    image_id = image.content_id()
    out = dict(images)
    out.setdefault(image_id, image)
    return out, image_id


def _check_size(project: Project, image: ImageData) -> None:
    if image.shape != (project.height, project.width):
        raise CommandError(
            f"the image is {image.width}x{image.height} but the canvas is {project.width}x{project.height}; "
            "resize it or import it with a fit option"
        )


def _segment(project: Project, index: int) -> Segment:
    """The segment at `index`, or a CommandError saying it does not exist (not an IndexError)."""
    count = len(project.segment_settings)
    if not 0 <= index < count:
        have = "no segments" if count == 0 else f"only {count} segment{'s' if count != 1 else ''}"
        raise CommandError(f"segment {index + 1} does not exist: the project has {have}")
    return project.segments[index]


def _set_segment(project: Project, index: int, settings: SegmentSettings) -> Project:
    _segment(project, index)  # range check with a clear message
    segs = list(project.segment_settings)
    segs[index] = settings
    return replace(project, segment_settings=tuple(segs))


def _path(project: Project, segment: int, path_index: int) -> MotionPath:
    paths = _segment(project, segment).settings.paths
    if not 0 <= path_index < len(paths):
        raise CommandError(f"path {path_index + 1} does not exist in segment {segment + 1}")
    return paths[path_index]


def _replace_path(project: Project, segment: int, path_index: int, path: MotionPath | None) -> Project:
    _path(project, segment, path_index)
    settings = _segment(project, segment).settings
    paths = list(settings.paths)
    if path is None:
        del paths[path_index]
    else:
        paths[path_index] = path
    return _set_segment(project, segment, replace(settings, paths=tuple(paths)))


def _without_generated(cells: Mapping[int, Cell], lo: int, hi: int) -> dict[int, Cell]:
    """`cells` less the generated frames strictly between `lo` and `hi`.

    Generated frames were made for one segment: its keys, in-between count, paths and timing. An
    edit that changes those (a key inserted, removed or retimed, frames inserted or removed inside
    it) leaves them stale, so they go; undo brings them back. Accepted and locked frames are the
    animator's choice and always stay.
    """
    return {f: c for f, c in cells.items() if not (lo < f < hi and c.status == FrameStatus.GENERATED)}


def _span_around(project: Project, frame: int) -> tuple[int, int] | None:
    """(start key frame, end key frame) of the segment whose span holds `frame` (end key included)."""
    for seg in project.segments:
        if seg.start.frame < frame <= seg.end.frame:
            return seg.start.frame, seg.end.frame
    return None


def _shift(project: Project, at: int, by: int) -> tuple[tuple[Keyframe, ...], dict[int, Cell]]:
    keys = tuple(Keyframe(k.frame + by, k.image_id) if k.frame >= at else k for k in project.keyframes)
    cells = {(f + by if f >= at else f): c for f, c in project.cells.items()}
    return keys, cells


# -- keyframes and the timeline --------------------------------------------------------------------
def _key_at(keys: Sequence[Keyframe], frame: int) -> int:
    """The index of the key at `frame` in `keys`."""
    for i, key in enumerate(keys):
        if key.frame == frame:
            return i
    raise CommandError(f"there is no key at frame {frame + 1}")


@dataclass(frozen=True)
class InsertKeyframe(Command):
    """Place a drawing at a frame; on an existing key it replaces that key's drawing."""

    frame: int
    image: ImageData
    label: str = "Insert key"

    def run(self, project: Project) -> Project:
        if self.frame < 0:
            raise CommandError("a key cannot go before frame 1")
        _check_size(project, self.image)
        images, image_id = _with_image(project.images, self.image)
        keys = list(project.keyframes)
        existing = [i for i, k in enumerate(keys) if k.frame == self.frame]
        cells = {f: c for f, c in project.cells.items() if f != self.frame}
        # The segments on either side of the key change (split, extended, or a new drawing at
        # their end), so what was generated for them is stale.
        before = [k.frame for k in keys if k.frame < self.frame]
        after = [k.frame for k in keys if k.frame > self.frame]
        if not existing or keys[existing[0]].image_id != image_id:
            cells = _without_generated(cells, before[-1] if before else self.frame,
                                       after[0] if after else self.frame)
        settings = list(project.segment_settings)
        if existing:
            keys[existing[0]] = Keyframe(self.frame, image_id)
        else:
            pos = sum(1 for k in keys if k.frame < self.frame)
            keys.insert(pos, Keyframe(self.frame, image_id))
            if len(keys) > 1:
                if 0 < pos < len(keys) - 1:
                    # Splitting a segment: both halves keep its engine settings; its paths ran
                    # between the old keys, so they are dropped (undo brings them back).
                    old = settings[pos - 1]
                    settings[pos - 1 : pos] = [replace(old, paths=()), replace(old, paths=())]
                elif pos == 0:
                    settings.insert(0, replace(settings[0], paths=()) if settings else SegmentSettings())
                else:
                    settings.append(replace(settings[-1], paths=()) if settings else SegmentSettings())
        return replace(project, keyframes=tuple(keys), cells=cells, images=images,
                       segment_settings=tuple(settings), length=max(project.length, self.frame + 1))


@dataclass(frozen=True)
class RemoveKeyframe(Command):
    """Remove a key; its two segments merge (the earlier one's settings stay, paths are dropped)."""

    frame: int
    label: str = "Remove key"

    def run(self, project: Project) -> Project:
        keys = list(project.keyframes)
        i = _key_at(keys, self.frame)
        # Generated frames on either side were timed for the old segments, not the merged one.
        lo = keys[i - 1].frame if i > 0 else -1
        hi = keys[i + 1].frame if i + 1 < len(keys) else project.length
        cells = _without_generated(project.cells, lo, hi)
        del keys[i]
        settings = list(project.segment_settings)
        if settings:
            if i == 0:
                del settings[0]
            elif i == len(keys):  # was the last key
                del settings[-1]
            else:
                settings[i - 1 : i + 1] = [replace(settings[i - 1], paths=())]
        return replace(project, keyframes=tuple(keys), segment_settings=tuple(settings), cells=cells)


@dataclass(frozen=True)
class MoveKeyframe(Command):
    """Retime a key between its neighbours; this changes the in-between count of its segments."""

    frame: int
    to: int
    label: str = "Retime key"

    def run(self, project: Project) -> Project:
        keys = list(project.keyframes)
        i = _key_at(keys, self.frame)
        lo = keys[i - 1].frame if i > 0 else -1
        hi = keys[i + 1].frame if i + 1 < len(keys) else None
        if self.to <= lo or (hi is not None and self.to >= hi):
            raise CommandError("a key can only move between its neighbouring keys")
        if self.to == self.frame:
            return project
        keys[i] = Keyframe(self.to, keys[i].image_id)
        # Generated frames of the two touched segments were timed for the old spacing.
        span_lo = lo if lo >= 0 else 0
        span_hi = hi if hi is not None else max(self.frame, self.to) + 1
        cells = {f: c for f, c in _without_generated(project.cells, span_lo, span_hi).items() if f != self.to}
        return replace(project, keyframes=tuple(keys), cells=cells,
                       length=max(project.length, self.to + 1))


@dataclass(frozen=True)
class InsertFrames(Command):
    """Insert `count` empty frames (holds) before frame `at`; everything from `at` on moves later."""

    at: int
    count: int = 1
    label: str = "Insert frames"

    def run(self, project: Project) -> Project:
        if self.count < 1 or self.at < 0:
            raise CommandError("insert at least one frame, at frame 1 or later")
        # Holds inserted inside a segment (or just before its end key) change its count.
        span = _span_around(project, self.at)
        if span is not None:
            project = replace(project, cells=_without_generated(project.cells, *span))
        keys, cells = _shift(project, self.at, self.count)
        return replace(project, keyframes=keys, cells=cells, length=project.length + self.count)


@dataclass(frozen=True)
class RemoveFrames(Command):
    """Remove frames [at, at + count); keys cannot be removed this way."""

    at: int
    count: int = 1
    label: str = "Remove frames"

    def run(self, project: Project) -> Project:
        end = self.at + self.count
        if self.count < 1 or self.at < 0 or end > project.length:
            raise CommandError("the frames to remove must lie inside the timeline")
        if any(self.at <= k.frame < end for k in project.keyframes):
            raise CommandError("a key lies in those frames; remove the key first")
        cells = {f: c for f, c in project.cells.items() if not self.at <= f < end}
        span = _span_around(project, self.at)  # no key lies in the frames, so one segment at most
        if span is not None:
            cells = _without_generated(cells, *span)
        keys = tuple(Keyframe(k.frame - self.count, k.image_id) if k.frame >= end else k
                     for k in project.keyframes)
        cells = {(f - self.count if f >= end else f): c for f, c in cells.items()}
        return replace(project, keyframes=keys, cells=cells, length=project.length - self.count)


@dataclass(frozen=True)
class SetProjectSettings(Command):
    fps: float | None = None
    length: int | None = None
    name: str | None = None
    label: str = "Project settings"

    def run(self, project: Project) -> Project:
        changes: dict[str, Any] = {}
        if self.fps is not None:
            changes["fps"] = float(self.fps)
        if self.length is not None:
            changes["length"] = int(self.length)
        if self.name is not None:
            changes["name"] = self.name
        if not changes:
            return project
        try:
            return replace(project, **changes)
        except ValueError as exc:  # the Project's own check (fps range) says what is wrong
            raise CommandError(str(exc)) from None


# -- segments and paths ----------------------------------------------------------------------------
@dataclass(frozen=True)
class UpdateSegment(Command):
    """Change a segment's engine, seed, engine options or spacing (None = leave as is)."""

    segment: int
    engine: str | None = None
    seed: int | None = None
    options: tuple[tuple[str, Any], ...] | None = None
    spacing: Timing | None = None
    label: str = "Segment settings"

    def run(self, project: Project) -> Project:
        s = _segment(project, self.segment).settings
        if self.engine is not None:
            s = replace(s, engine=self.engine)
        if self.seed is not None:
            s = replace(s, seed=int(self.seed))
        if self.options is not None:
            s = s.with_options(**dict(self.options))
        if self.spacing is not None:
            try:
                s = replace(s, spacing=self.spacing)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        return _set_segment(project, self.segment, s)


@dataclass(frozen=True)
class AddPath(Command):
    segment: int
    path: MotionPath
    label: str = "Add path"

    def run(self, project: Project) -> Project:
        s = _segment(project, self.segment).settings
        return _set_segment(project, self.segment, replace(s, paths=s.paths + (self.path,)))


@dataclass(frozen=True)
class SetPaths(Command):
    """Replace all paths of a segment (autopilot, paths-file import)."""

    segment: int
    paths: tuple[MotionPath, ...]
    label: str = "Set paths"

    def run(self, project: Project) -> Project:
        s = _segment(project, self.segment).settings
        return _set_segment(project, self.segment, replace(s, paths=tuple(self.paths)))


@dataclass(frozen=True)
class RemovePath(Command):
    segment: int
    path_index: int
    label: str = "Delete path"

    def run(self, project: Project) -> Project:
        return _replace_path(project, self.segment, self.path_index, None)


@dataclass(frozen=True)
class ReplacePath(Command):
    """Put a whole new curve/timing for one path (re-drag through a point, import)."""

    segment: int
    path_index: int
    path: MotionPath
    label: str = "Edit path"

    def run(self, project: Project) -> Project:
        return _replace_path(project, self.segment, self.path_index, self.path)


@dataclass(frozen=True)
class MovePathPoint(Command):
    """Move one control point of a path to (x, y); a knot carries its handles along."""

    segment: int
    path_index: int
    point_index: int
    x: float
    y: float
    label: str = "Move path point"

    def run(self, project: Project) -> Project:
        path = _path(project, self.segment, self.path_index)
        pts = path.curve.points
        if not 0 <= self.point_index < len(pts):
            raise CommandError(f"path point {self.point_index} does not exist")
        ox, oy = pts[self.point_index]
        curve = path.curve.translated(self.point_index, self.x - ox, self.y - oy)
        # (a proposal moved by the animator is theirs)
        return _replace_path(project, self.segment, self.path_index, replace(path, curve=curve, proposed=False))


@dataclass(frozen=True)
class SetTiming(Command):
    segment: int
    path_index: int
    timing: Timing
    label: str = "Set timing"

    def run(self, project: Project) -> Project:
        path = _path(project, self.segment, self.path_index)
        return _replace_path(project, self.segment, self.path_index,
                             replace(path, timing=self.timing, proposed=False))


# -- generated frames and review -------------------------------------------------------------------
@dataclass(frozen=True)
class PutGeneratedFrames(Command):
    """Store engine results; keys and locked frames are never overwritten.

    `fingerprint` is the input fingerprint of the segment snapshot the frames were made from
    (jobs.plan_segment); each new cell records it, so a later edit of the segment shows them as stale.
    """

    frames: tuple[tuple[int, ImageData], ...]
    label: str = "Generate frames"
    fingerprint: str | None = None

    def run(self, project: Project) -> Project:
        images = dict(project.images)
        cells = dict(project.cells)
        key_frames = {k.frame for k in project.keyframes}
        for frame, image in self.frames:
            if frame in key_frames or frame < 0:
                continue
            old = cells.get(frame)
            if old is not None and old.status == FrameStatus.LOCKED:
                continue
            _check_size(project, image)
            image_id = image.content_id()
            images.setdefault(image_id, image)
            cells[frame] = Cell(image_id, FrameStatus.GENERATED, self.fingerprint)
        return replace(project, images=images, cells=cells,
                       length=max([project.length] + [f + 1 for f, _ in self.frames]))


@dataclass(frozen=True)
class SetFrameStatus(Command):
    """Accept, lock or unlock (back to generated) in-between frames; keys are untouched."""

    frames: tuple[int, ...]
    status: FrameStatus
    label: str = "Set frame status"

    def run(self, project: Project) -> Project:
        if self.status == FrameStatus.KEY:
            raise CommandError("use Insert key to make a key")
        cells = dict(project.cells)
        for f in self.frames:
            if f in cells:
                # The fingerprint stays: a frame unlocked back to generated is stale again if it was.
                cells[f] = replace(cells[f], status=self.status)
        return replace(project, cells=cells)


@dataclass(frozen=True)
class ClearFrames(Command):
    """Remove in-between frames (they become holds); locked frames stay unless `force`."""

    frames: tuple[int, ...]
    force: bool = False
    label: str = "Clear frames"

    def run(self, project: Project) -> Project:
        drop = set(self.frames)
        cells = {f: c for f, c in project.cells.items()
                 if f not in drop or (c.status == FrameStatus.LOCKED and not self.force)}
        return replace(project, cells=cells)
