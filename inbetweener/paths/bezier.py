"""Cubic Bézier curves and chains: evaluate, derivative, split, arc-length parametrisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

Point = tuple[float, float]

# Samples per cubic for the arc-length table; error in position << 0.01 px for curves of canvas size.
_ARC_SAMPLES = 512


@dataclass(frozen=True)
class CubicBezier:
    """One cubic segment p0 -> p3 with control points p1, p2 (canvas pixels, x right, y down)."""

    p0: Point
    p1: Point
    p2: Point
    p3: Point

    @property
    def control(self) -> np.ndarray:
        return np.array([self.p0, self.p1, self.p2, self.p3], dtype=np.float64)

    def evaluate(self, u: float | np.ndarray) -> np.ndarray:
        """Point(s) at curve parameter u in [0, 1]; shape (2,) or (n, 2)."""
        u_arr = np.asarray(u, dtype=np.float64)
        uu = u_arr[..., None]
        c = self.control
        w = 1.0 - uu
        return (w**3) * c[0] + 3 * (w**2) * uu * c[1] + 3 * w * (uu**2) * c[2] + (uu**3) * c[3]

    def derivative(self, u: float | np.ndarray) -> np.ndarray:
        """First derivative d/du at u; shape (2,) or (n, 2)."""
        u_arr = np.asarray(u, dtype=np.float64)
        uu = u_arr[..., None]
        c = self.control
        w = 1.0 - uu
        return 3 * (w**2) * (c[1] - c[0]) + 6 * w * uu * (c[2] - c[1]) + 3 * (uu**2) * (c[3] - c[2])

    def split(self, u: float) -> tuple[CubicBezier, CubicBezier]:
        """De Casteljau split at u into two cubics that trace the same curve."""
        c = self.control
        a = c[:-1] + (c[1:] - c[:-1]) * u
        b = a[:-1] + (a[1:] - a[:-1]) * u
        m = b[0] + (b[1] - b[0]) * u
        left = CubicBezier(_pt(c[0]), _pt(a[0]), _pt(b[0]), _pt(m))
        right = CubicBezier(_pt(m), _pt(b[1]), _pt(a[2]), _pt(c[3]))
        return left, right

    @staticmethod
    def line(p0: Point, p3: Point) -> CubicBezier:
        """A straight segment with handles at thirds (uniform speed in u)."""
        a, b = np.asarray(p0, float), np.asarray(p3, float)
        return CubicBezier(_pt(a), _pt(a + (b - a) / 3), _pt(a + 2 * (b - a) / 3), _pt(b))


@dataclass(frozen=True)
class BezierChain:
    """Cubic segments joined end to end: points are p0, (c1, c2, p1), (c1, c2, p2), ... (3n+1 points)."""

    points: tuple[Point, ...]

    def __post_init__(self) -> None:
        pts = tuple((float(x), float(y)) for x, y in self.points)
        if len(pts) < 4 or (len(pts) - 1) % 3:
            raise ValueError(f"a Bézier chain needs 3n+1 points (n >= 1), got {len(pts)}")
        if not all(np.isfinite(v) for p in pts for v in p):
            raise ValueError("Bézier points must be finite numbers")
        object.__setattr__(self, "points", pts)

    @classmethod
    def from_segments(cls, segments: Sequence[CubicBezier]) -> BezierChain:
        pts: list[Point] = [segments[0].p0]
        for s in segments:
            pts.extend([s.p1, s.p2, s.p3])
        return cls(tuple(pts))

    @property
    def segments(self) -> tuple[CubicBezier, ...]:
        p = self.points
        return tuple(CubicBezier(p[i], p[i + 1], p[i + 2], p[i + 3]) for i in range(0, len(p) - 1, 3))

    @property
    def start(self) -> Point:
        return self.points[0]

    @property
    def end(self) -> Point:
        return self.points[-1]

    @cached_property
    def _arc_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative arc length at chain parameters v in [0, n] (segment i covers [i, i+1])."""
        vs, pts = [], []
        for i, seg in enumerate(self.segments):
            u = np.linspace(0.0, 1.0, _ARC_SAMPLES + 1)
            if i:
                u = u[1:]
            vs.append(i + u)
            pts.append(seg.evaluate(u))
        v = np.concatenate(vs)
        p = np.concatenate(pts)
        lengths = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
        return v, lengths

    @property
    def length(self) -> float:
        return float(self._arc_table[1][-1])

    def evaluate(self, v: float | np.ndarray) -> np.ndarray:
        """Point(s) at chain parameter v in [0, n_segments]."""
        segs = self.segments
        v_arr = np.clip(np.asarray(v, dtype=np.float64), 0.0, len(segs))
        idx = np.minimum(v_arr.astype(int), len(segs) - 1)
        u = v_arr - idx
        if v_arr.ndim == 0:
            return segs[int(idx)].evaluate(float(u))
        out = np.empty(v_arr.shape + (2,))
        for i, seg in enumerate(segs):
            m = idx == i
            if np.any(m):
                out[m] = seg.evaluate(u[m])
        return out

    def parameter_at_fraction(self, s: float | np.ndarray) -> np.ndarray:
        """Chain parameter v where the arc length from the start is s * total length."""
        v, lengths = self._arc_table
        s_arr = np.clip(np.asarray(s, dtype=np.float64), 0.0, 1.0)
        if lengths[-1] <= 1e-12:  # degenerate (a point): parameter follows s
            return s_arr * (len(self.segments))
        return np.interp(s_arr * lengths[-1], lengths, v)

    def point_at_fraction(self, s: float | np.ndarray) -> np.ndarray:
        """Point at fraction s of the arc length (exact at both ends).

        Past the ends (an overshooting or anticipating timing) the point goes on in a straight line
        along the end tangent (before the start: back along the start tangent), the extra arc length
        (s - 1) * length (or -s * length) away, so speed and direction stay continuous.
        """
        s_arr = np.asarray(s, dtype=np.float64)
        p = self.evaluate(self.parameter_at_fraction(s_arr))
        # Pin the ends exactly: the table interpolation must never move a key's own point.
        length = self.length
        before = np.asarray(self.start) + self._start_direction * (s_arr * length)[..., None]
        after = np.asarray(self.end) + self._end_direction * ((s_arr - 1.0) * length)[..., None]
        p = np.where((s_arr <= 0.0)[..., None], before, p)
        return np.where((s_arr >= 1.0)[..., None], after, p)

    @cached_property
    def _start_direction(self) -> np.ndarray:
        """Unit tangent leaving the start (zero for a chain that is a single point)."""
        return _direction(self.points[0], self.points[1:])

    @cached_property
    def _end_direction(self) -> np.ndarray:
        """Unit tangent arriving at the end (zero for a chain that is a single point)."""
        return -_direction(self.points[-1], self.points[-2::-1])

    def split_at_fraction(self, s: float) -> BezierChain:
        """Insert a knot at arc-length fraction s without changing the curve's shape."""
        v = float(self.parameter_at_fraction(s))
        segs = list(self.segments)
        i = min(int(v), len(segs) - 1)
        u = v - i
        if u <= 1e-9 or u >= 1 - 1e-9:
            return self
        left, right = segs[i].split(u)
        return BezierChain.from_segments(segs[:i] + [left, right] + segs[i + 1 :])

    def translated(self, index: int, dx: float, dy: float) -> BezierChain:
        """Move point `index`; moving a knot carries its two handles along, as in drawing programs."""
        pts = [list(p) for p in self.points]
        moved = [index]
        if index % 3 == 0:
            moved += [j for j in (index - 1, index + 1) if 0 <= j < len(pts)]
        for j in moved:
            pts[j][0] += dx
            pts[j][1] += dy
        return BezierChain(tuple((p[0], p[1]) for p in pts))

    @staticmethod
    def line(p0: Point, p3: Point) -> BezierChain:
        return BezierChain.from_segments([CubicBezier.line(p0, p3)])


def _direction(knot: Point, others: Sequence[Point]) -> np.ndarray:
    """Unit vector from `knot` to the first of `others` that differs from it: a cubic's tangent at
    an end (p1 - p0, or p2 - p0 when p1 sits on p0, and so on)."""
    k = np.asarray(knot, dtype=np.float64)
    for q in others:
        d = np.asarray(q, dtype=np.float64) - k
        n = float(np.hypot(d[0], d[1]))
        if n > 1e-9:
            return d / n
    return np.zeros(2)


def _pt(a: np.ndarray) -> Point:
    return (float(a[0]), float(a[1]))
