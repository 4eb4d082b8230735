"""Timing curves: time t in [0, 1] -> progress s in [0, 1] along a path (a spacing chart as a curve).

Curves are CSS-style cubic-bezier(x1, y1, x2, y2) with fixed ends (0, 0) and (1, 1); the presets use
the CSS definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PRESETS: dict[str, tuple[float, float, float, float]] = {
    "linear": (0.0, 0.0, 1.0, 1.0),
    "ease-in": (0.42, 0.0, 1.0, 1.0),
    "ease-out": (0.0, 0.0, 0.58, 1.0),
    "ease-in-out": (0.42, 0.0, 0.58, 1.0),
}


@dataclass(frozen=True)
class Timing:
    """cubic-bezier(x1, y1, x2, y2); all four in [0, 1], which keeps s(t) single-valued and monotone."""

    x1: float = 0.0
    y1: float = 0.0
    x2: float = 1.0
    y2: float = 1.0

    def __post_init__(self) -> None:
        for name in ("x1", "y1", "x2", "y2"):
            v = float(getattr(self, name))
            if not np.isfinite(v) or not 0.0 <= v <= 1.0:
                raise ValueError(f"timing handle {name}={v} must be between 0 and 1")
            object.__setattr__(self, name, v)

    @classmethod
    def preset(cls, name: str) -> Timing:
        try:
            return cls(*PRESETS[name])
        except KeyError:
            raise ValueError(
                f"unknown timing preset {name!r}; use one of {', '.join(PRESETS)} or [x1, y1, x2, y2]"
            ) from None

    @classmethod
    def parse(cls, value: str | Sequence[float]) -> Timing:
        """A preset name or four numbers [x1, y1, x2, y2] (the paths-file and CLI form)."""
        if isinstance(value, str):
            return cls.preset(value)
        vals = list(value)
        if len(vals) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            raise ValueError(f"a timing curve needs four numbers [x1, y1, x2, y2], got {value!r}")
        return cls(*vals)

    @property
    def handles(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    @property
    def name(self) -> str | None:
        """The preset this curve equals, if any."""
        for n, h in PRESETS.items():
            if np.allclose(h, self.handles, atol=1e-9):
                return n
        return None

    def to_json(self) -> str | list[float]:
        return self.name or list(self.handles)

    def progress(self, t: float | np.ndarray) -> np.ndarray:
        """Progress s for time t (both in [0, 1]); exact at the ends."""
        t_arr = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
        u = self._solve_u(t_arr)
        s = _bez1(u, self.y1, self.y2)
        s = np.where(t_arr <= 0.0, 0.0, np.where(t_arr >= 1.0, 1.0, s))
        return np.clip(s, 0.0, 1.0)

    def _solve_u(self, t: np.ndarray) -> np.ndarray:
        """Invert x(u) = t: x is monotone for x1, x2 in [0, 1], so bisection always converges."""
        lo = np.zeros_like(t)
        hi = np.ones_like(t)
        for _ in range(60):  # 2^-60: far below float rounding of t
            mid = 0.5 * (lo + hi)
            below = _bez1(mid, self.x1, self.x2) < t
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)


def _bez1(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """1-D cubic Bézier with control values 0, a, b, 1."""
    w = 1.0 - u
    return 3 * w * w * u * a + 3 * w * u * u * b + u**3


LINEAR = Timing()
