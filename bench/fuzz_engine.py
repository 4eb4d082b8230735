"""Fuzz run of the flow engine: random key pairs with random paths, times and options, seeded.

    .venv/bin/python bench/fuzz_engine.py [--cases 500] [--seed 0]

Keys are 1 to 200 px a side (thin strips included), opaque or transparent, flat sky, noise or all
ink, with painted shapes that move between the keys (so paths carry shapes, squash and turn);
paths start on a shape, off the canvas, share a point or have no length. A case fails when the
engine raises anything but EngineError, returns a frame of the wrong size or type, or misses
one. Reports failures with the seed to replay them, and the slowest case.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inbetweener.engines.base import TweenFrame, TweenRequest  # noqa: E402
from inbetweener.engines.flow import FlowEngine  # noqa: E402
from inbetweener.errors import EngineError  # noqa: E402
from inbetweener.model.project import MotionPath  # noqa: E402
from inbetweener.paths.bezier import BezierChain, CubicBezier  # noqa: E402
from inbetweener.paths.timing import PRESET_NAMES, Timing  # noqa: E402


def ground(rng: random.Random, h: int, w: int) -> np.ndarray:
    kind = rng.choice(["sky", "noise", "ink", "paper"])
    img = np.empty((h, w, 4), np.uint8)
    if kind == "sky":
        img[..., :3] = np.linspace(120, 230, h).astype(np.uint8)[:, None, None]
    elif kind == "noise":
        img[..., :3] = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (h, w, 3), dtype=np.uint8)
    elif kind == "ink":
        img[..., :3] = 15
    else:
        img[..., :3] = 250
    img[..., 3] = 255
    return img


def shape(img: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], angle: float,
          colour: tuple[int, ...]) -> np.ndarray:
    out = img.copy()
    c = (int(round(centre[0])), int(round(centre[1])))
    a = (max(1, int(round(axes[0]))), max(1, int(round(axes[1]))))
    cv2.ellipse(out, c, a, angle, 0, 360, colour, -1, cv2.LINE_AA)
    cv2.ellipse(out, c, a, angle, 0, 360, (20, 15, 10, 255), max(1, a[1] // 8), cv2.LINE_AA)
    return out


def case(rng: random.Random) -> tuple[TweenRequest, str]:
    h = rng.choice([1, 2, 7, rng.randint(8, 200)])
    w = rng.choice([1, 3, rng.randint(8, 200)])
    back = ground(rng, h, w)
    a, b = back.copy(), back.copy()
    paths = []
    for _ in range(rng.randint(0, 3)):
        start = (rng.uniform(0, w), rng.uniform(0, h))
        end = (rng.uniform(0, w), rng.uniform(0, h))
        size = rng.uniform(1, max(2, min(h, w) / 3))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256), 255)
        squash = rng.uniform(0.6, 1.6)
        a = shape(a, start, (size, size), 0, colour)
        b = shape(b, end, (size * squash, size / squash), rng.uniform(0, 90), colour)
        kind = rng.random()
        if kind < 0.1:
            end = start  # no length
        elif kind < 0.2:
            start = (rng.uniform(-50, w + 50), rng.uniform(-50, h + 50))  # off the canvas, maybe
        bulge = (rng.uniform(-w, w), rng.uniform(-h, h))
        mid1 = (start[0] + bulge[0] / 2, start[1] + bulge[1] / 2)
        mid2 = (end[0] + bulge[0] / 2, end[1] + bulge[1] / 2)
        curve = BezierChain.from_segments([CubicBezier(start, mid1, mid2, end)]) if rng.random() < 0.6 \
            else BezierChain.line(start, end)
        timing = Timing.preset(rng.choice(PRESET_NAMES))
        paths.append(MotionPath(curve, timing, proposed=rng.random() < 0.25))  # (some the autopilot's)
    if paths and rng.random() < 0.15:
        paths.append(MotionPath.straight(paths[0].start, paths[0].end, proposed=rng.random() < 0.5))  # two on one point
    if rng.random() < 0.3:  # transparent keys
        a[..., 3] = np.where(a[..., :3].sum(axis=2) > 600, 0, 255).astype(np.uint8)
        b[..., 3] = np.where(b[..., :3].sum(axis=2) > 600, 0, 255).astype(np.uint8)
    count = rng.randint(1, 6)
    times = tuple(sorted(rng.uniform(0.0, 1.0) for _ in range(count)))
    options = {}
    if rng.random() < 0.3:
        options["line_art"] = rng.choice(["auto", "on", "off"])
    if rng.random() < 0.3:
        options["quality"] = rng.choice(["fast", "medium", "high"])
    if rng.random() < 0.2:
        options["threads"] = rng.choice([1, 2, 3])
    if rng.random() < 0.25:
        options["autopilot"] = False  # (on by default)
    if rng.random() < 0.2:  # the engine works below the keys' size (as on keys over 1024 px)
        options["max_flow_size"] = rng.choice([64, 100, 256])
    what = f"{w}x{h}, {len(paths)} path(s), {count} time(s), {options}"
    return TweenRequest(a, b, times, tuple(paths), rng.randrange(100), options), what


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    failures, slowest = [], (0.0, "")
    start = time.perf_counter()
    for n in range(args.cases):
        seed = args.seed * 1_000_003 + n
        request, what = case(random.Random(seed))
        began = time.perf_counter()
        try:
            frames = [f for f in FlowEngine().tween(request) if isinstance(f, TweenFrame)]
            if sorted(f.index for f in frames) != list(range(len(request.times))):
                failures.append((seed, what, "frames missing"))
            elif any(f.image.shape != request.key_a.shape or f.image.dtype != np.uint8 for f in frames):
                failures.append((seed, what, "a frame of the wrong size or type"))
        except EngineError:
            pass  # a one-sentence refusal is an answer
        except Exception:  # noqa: BLE001 (anything else is what this run is looking for)
            failures.append((seed, what, traceback.format_exc(limit=-3)))
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest = (took, f"seed {seed}: {what}")
    total = time.perf_counter() - start
    print(f"{args.cases} cases in {total:.0f} s; {len(failures)} failure(s); slowest {slowest[0]:.2f} s ({slowest[1]})")
    for seed, what, error in failures:
        print(f"\n--- seed {seed}: {what}\n{error}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
