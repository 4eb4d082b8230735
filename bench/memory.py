#!/usr/bin/env python3
"""Peak memory of the flow engine on a 1080p segment (default 23 in-betweens), frames streamed out.

Runs the request in this process the way the editor's worker does (each frame handed on and dropped),
then reports the peak resident set size (getrusage ru_maxrss) and the time per frame.
Target: under 1.5 GB.

Usage: python bench/memory.py [--size 1920x1080] [--frames 23] [--paths]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import cv2
import numpy as np

from inbetweener.engines.base import TweenFrame, TweenRequest
from inbetweener.engines.flow import FlowEngine
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain, CubicBezier
from inbetweener.paths.timing import Timing


def keys(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured background and a textured character-sized block that moves and turns."""
    rng = np.random.default_rng(0)
    small = rng.integers(40, 220, (h // 24, w // 24, 3), dtype=np.uint8)
    bg = cv2.GaussianBlur(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), 3)
    sprite = cv2.resize(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8), (h // 4, h // 4),
                        interpolation=cv2.INTER_NEAREST)
    a, b = bg.copy(), bg.copy()
    s = sprite.shape[0]
    a[h // 2: h // 2 + s, w // 5: w // 5 + s] = sprite
    b[h // 3: h // 3 + s, w // 2: w // 2 + s] = np.rot90(sprite)
    alpha = np.full((h, w, 1), 255, np.uint8)
    return np.dstack([a, alpha]), np.dstack([b, alpha])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--frames", type=int, default=23)
    ap.add_argument("--paths", action="store_true", help="add a curved, eased path")
    args = ap.parse_args()
    from inbetweener.allocator import keep_freed_memory

    keep_freed_memory()  # the engine runs in this process as it does in the inbetweener program
    w, h = (int(v) for v in args.size.split("x"))
    a, b = keys(w, h)
    paths = ()
    if args.paths:
        s = h // 8
        start, end = (w / 5 + s, h / 2 + s), (w / 2 + s, h / 3 + s)
        curve = BezierChain.from_segments([CubicBezier(start, (start[0], 0.1 * h), (end[0], 0.05 * h), end)])
        paths = (MotionPath(curve, Timing.preset("ease-in-out")),)
    times = tuple(j / (args.frames + 1) for j in range(1, args.frames + 1))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    count = 0
    for item in FlowEngine().tween(TweenRequest(a, b, times, paths=paths)):
        if isinstance(item, TweenFrame):
            count += 1  # handed on and dropped, as the worker does
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {w}x{h} | {count} in-betweens | paths: {len(paths)} | peak RSS {peak:.0f} MB "
          f"(before the request {base:.0f} MB) | {dt / max(1, count):.3f} s/frame | "
          f"target < 1536 MB: {'met' if peak < 1536 else 'short'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
