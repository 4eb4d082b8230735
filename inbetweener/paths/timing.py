"""Timing curves: time t in [0, 1] -> progress s along a path (a spacing chart as a curve).

Curves are CSS-style cubic-bezier(x1, y1, x2, y2) with fixed ends (0, 0) and (1, 1); the presets use
the CSS definitions, plus the back easings (easings.net "easeInBack" / "easeOutBack") for
anticipation and overshoot, whose progress dips below 0 or passes 1 between the ends.
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
    "anticipate": (0.36, 0.0, 0.66, -0.56),  # ease-in-back: moves back a little before going
    "overshoot": (0.34, 1.56, 0.64, 1.0),  # ease-out-back: flies past the mark and settles back
}
# The one list of preset names; the CLI, paths files, engines and the editor all offer these.
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)

# Time handles stay in [0, 1] so time is monotone; progress handles may leave it for overshoot.
X_RANGE = (0.0, 1.0)
Y_RANGE = (-1.0, 2.0)


@dataclass(frozen=True)
class Timing:
    """cubic-bezier(x1, y1, x2, y2): x1, x2 in [0, 1] keep s(t) single-valued; y1, y2 in [-1, 2] may overshoot."""

    x1: float = 0.0
    y1: float = 0.0
    x2: float = 1.0
    y2: float = 1.0

    def __post_init__(self) -> None:
        for name in ("x1", "y1", "x2", "y2"):
            v = float(getattr(self, name))
            lo, hi = X_RANGE if name[0] == "x" else Y_RANGE
            if not np.isfinite(v) or not lo <= v <= hi:
                raise ValueError(f"timing handle {name}={v} must be between {lo:g} and {hi:g}")
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
    def stays_between_ends(self) -> bool:
        """Progress never leaves [0, 1] (no overshoot or anticipation): what a segment's spacing needs."""
        return 0.0 <= self.y1 <= 1.0 and 0.0 <= self.y2 <= 1.0

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
        """Progress s for time t in [0, 1]: exactly 0 and 1 at the ends, and free between (below 0
        for anticipation, above 1 for overshoot) when a y handle leaves [0, 1]."""
        t_arr = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
        u = self._solve_u(t_arr)
        s = _bez1(u, self.y1, self.y2)
        return np.where(t_arr <= 0.0, 0.0, np.where(t_arr >= 1.0, 1.0, s))

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
# The presets a segment's spacing may take: those that keep its in-betweens between the keys.
SPACING_PRESET_NAMES: tuple[str, ...] = tuple(n for n in PRESET_NAMES if Timing.preset(n).stays_between_ends)
