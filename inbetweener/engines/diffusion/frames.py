"""Canvas <-> model frames: working size, compositing, and mapping requested times to generated frames."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from inbetweener.engines.base import Engine, TweenFrame, TweenRequest, get_engine
from inbetweener.errors import EngineError
from inbetweener.model.project import MotionPath

SVD_AREA = 1024 * 576  # the resolution SVD was trained at
TIME_TOLERANCE = 1e-4  # a requested time this close to a generated frame's time uses that frame


def work_size(width: int, height: int, multiple: int = 64, max_area: int = SVD_AREA) -> tuple[int, int]:
    """A model-friendly (width, height): same aspect, area at most `max_area`, multiples of `multiple`."""
    scale = min(1.0, math.sqrt(max_area / float(width * height)))
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    return w, h


def parse_resolution(value: object) -> tuple[int, int] | None:
    """'auto' -> None; 'WxH' -> (W, H) rounded to multiples of 64."""
    if value in (None, "", "auto"):
        return None
    try:
        w, h = (int(v) for v in str(value).lower().split("x"))
    except ValueError:
        raise EngineError(f"resolution {value!r} is not WIDTHxHEIGHT; write e.g. 1024x576 or auto") from None
    if w < 64 or h < 64:
        raise EngineError(f"resolution {value!r} is too small; use at least 64x64")
    return work_size(w, h, max_area=w * h)


def over_white(rgba: np.ndarray) -> np.ndarray:
    """RGB uint8 of an RGBA image composited over white paper (what the model sees)."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = rgba[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def with_alpha(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Undo the white compositing: RGBA uint8 whose colour over white gives `rgb` (alpha 0..255)."""
    a = alpha.astype(np.float32)[..., None] / 255.0
    colour = rgb.astype(np.float32)
    safe = np.where(a > 1e-3, a, 1.0)
    colour = np.where(a > 1e-3, (colour - 255.0 * (1.0 - a)) / safe, 0.0)
    out = np.concatenate([np.clip(colour + 0.5, 0, 255), alpha.astype(np.float32)[..., None]], axis=-1)
    return out.astype(np.uint8)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (width, height): area averaging when shrinking, cubic when growing."""
    if (image.shape[1], image.shape[0]) == size:
        return image
    shrink = size[0] * size[1] < image.shape[0] * image.shape[1]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def generated_times(count: int) -> list[float]:
    return [k / (count - 1) for k in range(count)]


@dataclass(frozen=True)
class FrameSource:
    """Where a requested time comes from: one generated frame, or a mix of two neighbours at `fraction`."""

    lower: int
    upper: int
    fraction: float

    @property
    def exact(self) -> bool:
        return self.lower == self.upper


def map_times(times: Sequence[float], count: int) -> list[FrameSource]:
    """For each requested time, the generated frame(s) of a `count`-frame clip spanning [0, 1] it needs."""
    sources = []
    for t in times:
        u = float(t) * (count - 1)
        nearest = int(round(u))
        if abs(u - nearest) <= TIME_TOLERANCE * (count - 1):
            sources.append(FrameSource(nearest, nearest, 0.0))
        else:
            lower = min(int(math.floor(u)), count - 2)
            sources.append(FrameSource(lower, lower + 1, u - lower))
    return sources


def choose_frame_count(times: Sequence[float], native: int, requested: object) -> int:
    """The clip length: an explicit number, else the model's native length (14 or 25)."""
    if requested not in (None, "", "auto"):
        try:
            count = int(requested)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise EngineError(f"num_frames {requested!r} is not a number; use auto, 14 or 25") from None
        if count < 3:
            raise EngineError("num_frames must be at least 3 (two keys and one in-between)")
        return count
    return max(3, int(native))


def helper_engine() -> Engine:
    """The flow engine (path-guided warps); the crossfade only when flow cannot run here."""
    try:
        return get_engine("flow")
    except EngineError:
        return get_engine("crossfade")


def sub_paths(paths: Sequence[MotionPath], t0: float, t1: float) -> tuple[MotionPath, ...]:
    """The paths' stretch between two times, as straight pieces (neighbouring frames are close)."""
    out = []
    for path in paths:
        p0 = tuple(float(v) for v in path.position(t0))
        p1 = tuple(float(v) for v in path.position(t1))
        out.append(MotionPath.straight(p0, p1, name=path.name))  # type: ignore[arg-type]
    return tuple(out)


def iter_helper(engine: Engine, key_a: np.ndarray, key_b: np.ndarray, times: Sequence[float],
                paths: Sequence[MotionPath], seed: int) -> Iterator[tuple[int, np.ndarray]]:
    """The helper engine's frames at `times` (RGBA, canvas size) as (index, image), as they come."""
    if not times:
        return
    request = TweenRequest(key_a=key_a, key_b=key_b, times=tuple(times), paths=tuple(paths), seed=seed)
    seen: set[int] = set()
    gen = engine.tween(request)
    try:
        for item in gen:
            if isinstance(item, TweenFrame):
                seen.add(item.index)
                yield item.index, item.image
    finally:
        gen.close()
    if len(seen) != len(times):
        raise EngineError(f"the {engine.name} engine returned {len(seen)} of {len(times)} guide frames")


def run_helper(engine: Engine, key_a: np.ndarray, key_b: np.ndarray, times: Sequence[float],
               paths: Sequence[MotionPath], seed: int) -> list[np.ndarray]:
    """Frames of the helper engine at `times` (RGBA, canvas size), in order."""
    frames = dict(iter_helper(engine, key_a, key_b, times, paths, seed))
    return [frames[i] for i in range(len(times))]
