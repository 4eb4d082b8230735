"""Pure geometry for path editing on the canvas: hit tests, spacing ticks and the Framer-style re-drag."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain


@dataclass(frozen=True)
class Hit:
    """What is under the cursor: a control point of a path, its position dot, or its curve."""

    path_index: int
    kind: str  # "point" | "dot" | "curve"
    point_index: int = -1


def is_knot(point_index: int) -> bool:
    return point_index % 3 == 0


def hit_test(paths: tuple[MotionPath, ...], x: float, y: float, radius: float,
             selected: int | None, dot_time: float | None) -> Hit | None:
    """The nearest grabbable thing within `radius`: a dot, knot or handle (selected path only), else a curve.

    A dot wins ties; a handle right beside a dot stays reachable (it used to hide under it).
    """
    q = np.array([x, y])
    best: tuple[float, Hit] | None = None
    if dot_time is not None:
        for i, path in enumerate(paths):
            d = float(np.linalg.norm(path.position(dot_time) - q))
            if d <= radius and (best is None or d < best[0]):
                best = (d, Hit(i, "dot"))
    for i, path in enumerate(paths):
        for j, p in enumerate(path.curve.points):
            if not is_knot(j) and i != selected:
                continue  # handles are only grabbable on the selected path
            d = float(np.hypot(p[0] - x, p[1] - y))
            # Strictly nearer only: the dot (checked first) keeps ties.
            if d <= radius and (best is None or d < best[0]):
                best = (d, Hit(i, "point", j))
    if best is not None:
        return best[1]
    for i, path in enumerate(paths):
        pts = path.curve.point_at_fraction(np.linspace(0.0, 1.0, 96))
        if np.min(np.linalg.norm(pts - q, axis=1)) <= radius:
            return Hit(i, "curve")
    return None


def spacing_ticks(path: MotionPath, times: tuple[float, ...], length: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each in-between time, a short segment across the path at its position (the spacing chart)."""
    if not times:
        return []
    t = np.asarray(times)
    s = path.timing.progress(t)
    pos = path.curve.point_at_fraction(s)
    # Not clipped to [0, 1]: past the ends (overshoot, anticipation) the path goes on along its end tangent.
    ahead = path.curve.point_at_fraction(s + 1e-3)
    behind = path.curve.point_at_fraction(s - 1e-3)
    tangent = ahead - behind
    norm = np.linalg.norm(tangent, axis=1, keepdims=True)
    tangent = np.where(norm > 1e-9, tangent / np.maximum(norm, 1e-9), np.array([[1.0, 0.0]]))
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1) * (length / 2)
    return [(p - n, p + n) for p, n in zip(pos, normal, strict=True)]


def split_for_redrag(path: MotionPath, time: float) -> tuple[MotionPath, int] | None:
    """Make sure a knot sits where the point is at `time`; returns the path and that knot's index.

    None when the point is past an end (overshoot, anticipation): no knot can sit there, and how
    far past is the timing's to say, not the curve's.
    """
    s = float(path.timing.progress(time))
    if not 0.0 <= s <= 1.0:
        return None
    chain = path.curve.split_at_fraction(s)
    target = path.curve.point_at_fraction(s)
    knots = [j for j in range(0, len(chain.points), 3)]
    inner = [j for j in knots if 0 < j < len(chain.points) - 1] or knots
    best = min(inner, key=lambda j: float(np.hypot(*(np.asarray(chain.points[j]) - target))))
    return replace(path, curve=chain), best


def redrag(path: MotionPath, knot: int, time: float, x: float, y: float, iterations: int = 8) -> MotionPath:
    """Move `knot` so that the point at `time` lands on (x, y) (Framer-style re-drag of a motion path).

    Moving the knot also changes the arc-length parametrisation, so the knot offset is solved with
    Newton's method on the 2-D map offset -> point at the time's arc fraction (finite-difference Jacobian).
    """
    s = float(path.timing.progress(time))
    target = np.array([x, y], dtype=float)
    base = path.curve

    def where(offset: np.ndarray) -> tuple[BezierChain, np.ndarray]:
        chain = base.translated(knot, float(offset[0]), float(offset[1]))
        return chain, chain.point_at_fraction(s)

    offset = target - np.asarray(base.points[knot])
    chain, point = where(offset)
    for _ in range(iterations):
        err = target - point
        if float(np.hypot(*err)) < 0.01:
            break
        h = 0.5
        jac = np.column_stack([(where(offset + d)[1] - point) / h for d in (np.array([h, 0.0]), np.array([0.0, h]))])
        try:
            step = np.linalg.solve(jac, err)
        except np.linalg.LinAlgError:
            step = err  # singular (degenerate curve): fall back to a plain correction
        if not np.all(np.isfinite(step)):
            break
        offset = offset + step
        chain, point = where(offset)
    return replace(path, curve=chain, proposed=False)  # (a proposal re-dragged is the animator's)
