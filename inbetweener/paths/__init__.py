"""Bézier and timing maths for motion paths."""

from inbetweener.paths.bezier import BezierChain, CubicBezier
from inbetweener.paths.timing import PRESETS, Timing

__all__ = ["BezierChain", "CubicBezier", "PRESETS", "Timing"]
