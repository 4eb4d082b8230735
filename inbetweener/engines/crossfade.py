"""Crossfade: a dissolve from key A to key B, eased by its `timing` option.

Useful in its own right (soft transitions) and as the reference every other engine must beat. A
dissolve moves nothing, so it cannot honour motion paths (the one engine exempt from DESIGN's path
contract); it ignores them, and the README says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from inbetweener.engines.base import EngineOption, Progress, TweenFrame, TweenRequest
from inbetweener.errors import EngineError
from inbetweener.paths.timing import PRESET_NAMES, Timing


class CrossfadeEngine:
    name: ClassVar[str] = "crossfade"
    options: ClassVar[tuple[EngineOption, ...]] = (
        EngineOption("timing", "linear", "easing of the dissolve (a preset name)",
                     choices=PRESET_NAMES),
    )

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    def tween(self, request: TweenRequest) -> Iterator[Progress | TweenFrame]:
        raw = request.option("timing", "linear")
        try:
            timing = Timing.parse(raw)
        except (ValueError, TypeError):  # a typo in an option is the user's to fix, not a crash
            raise EngineError(f"option timing={raw!r} is not known; use {', '.join(PRESET_NAMES)} "
                              "or four numbers [x1, y1, x2, y2]") from None
        # Premultiplied mixing so transparent pixels do not bleed their (meaningless) colour.
        a = _premultiply(request.key_a)
        b = _premultiply(request.key_b)
        n = len(request.times)
        for i, t in enumerate(request.times):
            # A dissolve cannot pass its keys: overshoot/anticipation hold at B/A instead of inventing colours.
            w = min(1.0, max(0.0, float(timing.progress(t))))
            mixed = (1.0 - w) * a + w * b
            yield TweenFrame(i, _unpremultiply(mixed))
            yield Progress((i + 1) / max(n, 1), f"frame {i + 1} of {n}")


def _premultiply(rgba: np.ndarray) -> np.ndarray:
    f = rgba.astype(np.float32)
    f[..., :3] *= f[..., 3:4] / 255.0
    return f


def _unpremultiply(f: np.ndarray) -> np.ndarray:
    out = f.copy()
    alpha = out[..., 3:4]
    np.divide(out[..., :3] * 255.0, alpha, out=out[..., :3], where=alpha > 1e-3)
    out[..., :3] = np.where(alpha > 1e-3, out[..., :3], 0.0)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
