"""The document: keyframes on a timeline, segments between them, motion paths, generated frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import numpy as np

from inbetweener.model.images import ImageData
from inbetweener.paths.bezier import BezierChain, Point
from inbetweener.paths.timing import LINEAR, Timing

DEFAULT_ENGINE = "flow"


class FrameStatus(str, Enum):
    """What a timeline frame holds; generated frames may be overwritten, locked ones never."""

    KEY = "key"
    GENERATED = "generated"
    ACCEPTED = "accepted"
    LOCKED = "locked"


@dataclass(frozen=True)
class Keyframe:
    """A user drawing placed at a timeline frame (0-based)."""

    frame: int
    image_id: str


@dataclass(frozen=True)
class Cell:
    """An in-between frame's image, its review status and what it was generated from.

    `fingerprint` is the segment's input fingerprint when the frame was generated
    (inbetweener.model.fingerprint); None means unknown (older files, frames put by hand).
    """

    image_id: str
    status: FrameStatus = FrameStatus.GENERATED
    fingerprint: str | None = None


@dataclass(frozen=True)
class MotionPath:
    """A Bézier chain from a point on key A to the matching point on key B, with its timing curve.

    `proposed`: the autopilot proposed it and the animator has not changed it since. The engines
    take it as a hint: it does not hold back a shape the animator's own paths carry (a straight
    match on a turning figure's head would pin the head along its chord). Moving a point of it or
    changing its timing makes it the animator's (the model's commands clear the flag)."""

    curve: BezierChain
    timing: Timing = LINEAR
    name: str = ""
    proposed: bool = False

    @classmethod
    def straight(cls, start: Point, end: Point, timing: Timing = LINEAR, name: str = "",
                 proposed: bool = False) -> MotionPath:
        return cls(BezierChain.line(start, end), timing, name, proposed)

    @property
    def start(self) -> Point:
        return self.curve.start

    @property
    def end(self) -> Point:
        return self.curve.end

    def position(self, t: float | np.ndarray) -> np.ndarray:
        """Where the point is at normalised time t: arc-length fraction timing(t) along the curve."""
        return self.curve.point_at_fraction(self.timing.progress(t))


@dataclass(frozen=True)
class SegmentSettings:
    """What the animator set for the span between two keys."""

    engine: str = DEFAULT_ENGINE
    seed: int = 0
    options: tuple[tuple[str, Any], ...] = ()
    paths: tuple[MotionPath, ...] = ()
    # The segment's spacing chart: where its in-betweens fall in time between the keys (ease-in:
    # bunched near key A, the move slow out of it). Paths' own timings apply on top, at those times.
    spacing: Timing = LINEAR

    def __post_init__(self) -> None:
        if not self.spacing.stays_between_ends:
            raise ValueError("a segment's spacing must keep its in-betweens between the keys: its "
                             "curve's y handles must lie between 0 and 1 (use a path's timing to overshoot)")

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)

    @property
    def options_dict(self) -> dict[str, Any]:
        return dict(self.options)

    def with_options(self, **values: Any) -> SegmentSettings:
        merged = dict(self.options)
        merged.update(values)
        return replace(self, options=tuple(sorted(merged.items())))


@dataclass(frozen=True)
class Segment:
    """The span between two consecutive keys (a view built from the project, not stored)."""

    index: int
    start: Keyframe
    end: Keyframe
    settings: SegmentSettings

    @property
    def frames(self) -> range:
        """The in-between frames, exclusive of both keys."""
        return range(self.start.frame + 1, self.end.frame)

    @property
    def count(self) -> int:
        return self.end.frame - self.start.frame - 1

    @property
    def times(self) -> tuple[float, ...]:
        """Normalised time of each in-between: j / (count + 1) through the segment's spacing."""
        return self._spaced(self.frames)

    def time_of(self, frame: int) -> float:
        """The normalised time (0 at key A, 1 at key B) the in-between at `frame` is made for."""
        return self._spaced((frame,))[0]

    def _spaced(self, frames: Sequence[int]) -> tuple[float, ...]:
        """The times of `frames`: their even share of the way through the spacing (all at once:
        the curve is solved by bisection, and the editor asks for every tick while dragging)."""
        span = self.end.frame - self.start.frame
        even = [(f - self.start.frame) / span for f in frames]
        if self.settings.spacing == LINEAR:
            return tuple(even)
        return tuple(float(v) for v in self.settings.spacing.progress(np.asarray(even, np.float64)))


@dataclass(frozen=True)
class Project:
    """The whole document; immutable: edits are commands that return a new Project."""

    width: int
    height: int
    fps: float = 24.0
    keyframes: tuple[Keyframe, ...] = ()
    # One entry per segment, aligned with keyframes[i] .. keyframes[i + 1].
    segment_settings: tuple[SegmentSettings, ...] = ()
    # In-between frames only (keys live in `keyframes`).
    cells: Mapping[int, Cell] = field(default_factory=dict)
    images: Mapping[str, ImageData] = field(default_factory=dict)
    # Timeline length in frames; never shorter than the last key.
    length: int = 0
    name: str = "untitled"

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"canvas size must be positive, got {self.width}x{self.height}")
        if not (0 < self.fps <= 1000):
            raise ValueError(f"fps must be between 0 and 1000, got {self.fps}")
        frames = [k.frame for k in self.keyframes]
        if frames != sorted(set(frames)) or (frames and frames[0] < 0):
            raise ValueError("keyframes must be at distinct, increasing, non-negative frames")
        if len(self.segment_settings) != max(0, len(self.keyframes) - 1):
            raise ValueError("there must be one segment settings entry per pair of consecutive keys")
        if self.keyframes and self.length < frames[-1] + 1:
            object.__setattr__(self, "length", frames[-1] + 1)

    # -- views ---------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return self.length

    @property
    def segments(self) -> tuple[Segment, ...]:
        k = self.keyframes
        return tuple(Segment(i, k[i], k[i + 1], s) for i, s in enumerate(self.segment_settings))

    def segment(self, index: int) -> Segment:
        if not 0 <= index < len(self.segment_settings):
            raise IndexError(f"segment {index + 1} does not exist (the project has {len(self.segment_settings)})")
        return self.segments[index]

    def segment_at(self, frame: int) -> Segment | None:
        """The segment whose span contains `frame` (keys excluded), if any."""
        for seg in self.segments:
            if seg.start.frame < frame < seg.end.frame:
                return seg
        return None

    def key_at(self, frame: int) -> Keyframe | None:
        for k in self.keyframes:
            if k.frame == frame:
                return k
        return None

    def image(self, image_id: str) -> np.ndarray:
        return self.images[image_id].array()

    def key_image(self, key: Keyframe) -> np.ndarray:
        return self.image(key.image_id)
