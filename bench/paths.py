#!/usr/bin/env python3
"""Path adherence: does the sprite sit where the animator's path says, frame by frame?

Synthetic cases with known ground truth: a textured sprite (colour variant) or a small ink drawing
(line-art variant) travels along a strongly curved cubic arc with easing, over a textured (or
sketched) background. For each generated frame the sprite is found by template matching and its
distance to path.position(t) is measured. Methods: the flow engine with the path, the same with the
path's end dropped 4 px right and 4 px down of the sprite's match in key B (as a hand placing it
might; still measured from the exact path), the path without the engine's autopilot (on by
default: its straight matches beside the arc must not pull the sprite off it), the flow engine
without the path (path-blind), and the naive DIS baseline of shared/bench.

Usage: python bench/paths.py [--frames N] [--size WxH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from inbetweener.engines.base import TweenFrame, TweenRequest
from inbetweener.engines.flow import FlowEngine
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain, CubicBezier
from inbetweener.paths.timing import Timing

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"
SPRITE = 40


def colour_sprite(rng: np.random.Generator) -> np.ndarray:
    small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    return cv2.resize(small, (SPRITE, SPRITE), interpolation=cv2.INTER_NEAREST)


def ink_sprite(rng: np.random.Generator) -> np.ndarray:
    img = np.full((SPRITE, SPRITE, 3), 255, np.uint8)
    cv2.circle(img, (20, 20), 14, (0, 0, 0), 2, cv2.LINE_AA)
    for _ in range(3):
        p, q = rng.integers(6, 34, 2), rng.integers(6, 34, 2)
        cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), (0, 0, 0), 2, cv2.LINE_AA)
    return img


def background(kind: str, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "colour":
        small = rng.integers(60, 200, (h // 16, w // 16, 3), dtype=np.uint8)
        return cv2.GaussianBlur(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), 2)
    img = np.full((h, w, 3), 255, np.uint8)
    for _ in range(12):  # still scenery strokes: a house of lines the sprite passes over
        p, q = rng.integers(0, [w, h], 2), rng.integers(0, [w, h], 2)
        cv2.line(img, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), (0, 0, 0), 1, cv2.LINE_AA)
    return img


def place(canvas: np.ndarray, sprite: np.ndarray, centre, ink: bool) -> np.ndarray:
    out = canvas.copy()
    x0, y0 = int(round(centre[0])) - SPRITE // 2, int(round(centre[1])) - SPRITE // 2
    region = out[y0:y0 + SPRITE, x0:x0 + SPRITE]
    out[y0:y0 + SPRITE, x0:x0 + SPRITE] = np.minimum(region, sprite) if ink else sprite
    return out


def arcs(w: int, h: int) -> list[MotionPath]:
    """Strongly curved arcs (bulge ~ half the chord or more) with different easings."""
    def arc(p0, p1, p2, p3, timing):
        return MotionPath(BezierChain.from_segments([CubicBezier(p0, p1, p2, p3)]), Timing.parse(timing))
    return [
        arc((0.15 * w, 0.8 * h), (0.2 * w, 0.05 * h), (0.8 * w, 0.05 * h), (0.85 * w, 0.8 * h), "ease-in-out"),
        arc((0.2 * w, 0.25 * h), (0.9 * w, 0.1 * h), (0.9 * w, 0.9 * h), (0.25 * w, 0.75 * h), "ease-in"),
        arc((0.8 * w, 0.8 * h), (0.1 * w, 0.9 * h), (0.3 * w, 0.1 * h), (0.75 * w, 0.2 * h), "ease-out"),
        arc((0.12 * w, 0.5 * h), (0.4 * w, -0.2 * h), (0.6 * w, 1.2 * h), (0.88 * w, 0.5 * h), [0.7, 0.0, 0.3, 1.0]),
    ]


def end_moved(path: MotionPath, dx: float, dy: float) -> MotionPath:
    """The path with its end (and the last segment's second handle) moved by (dx, dy)."""
    *first, last = path.curve.segments
    moved = CubicBezier(last.p0, last.p1, (last.p2[0] + dx, last.p2[1] + dy), (last.p3[0] + dx, last.p3[1] + dy))
    return MotionPath(BezierChain.from_segments([*first, moved]), path.timing, path.name)


def locate(frame_rgb: np.ndarray, sprite: np.ndarray) -> np.ndarray:
    res = cv2.matchTemplate(frame_rgb, sprite, cv2.TM_SQDIFF)
    _, _, (mx, my), _ = cv2.minMaxLoc(res)
    return np.array([mx + SPRITE / 2, my + SPRITE / 2], float)


def shared_baseline(generator: str, a_rgb: np.ndarray, b_rgb: np.ndarray, k: int) -> list[np.ndarray]:
    """The k-1 in-betweens of one of shared/bench's baselines (`gen_flow`, `gen_crossfade`, ...),
    run through its own file interface."""
    sys.path.insert(0, str(SHARED_BENCH))
    import baselines  # noqa: E402

    with tempfile.TemporaryDirectory() as td:
        tdp = Path(td)
        cv2.imwrite(str(tdp / "a.png"), cv2.cvtColor(a_rgb, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(tdp / "b.png"), cv2.cvtColor(b_rgb, cv2.COLOR_RGB2BGR))
        out = tdp / "out"
        out.mkdir()
        getattr(baselines, generator)(tdp / "a.png", tdp / "b.png", k, out)
        return [cv2.cvtColor(cv2.imread(str(out / f"gt_{j:03d}.png")), cv2.COLOR_BGR2RGB) for j in range(1, k)]


def psnr(x: np.ndarray, y: np.ndarray) -> float:
    """PSNR in dB, capped at 60 as shared/bench's score.py caps it (identical frames)."""
    mse = float(np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2))
    return min(60.0, 10.0 * float(np.log10(255.0 ** 2 / max(mse, 1e-10))))


def naive_dis(a_rgb: np.ndarray, b_rgb: np.ndarray, k: int) -> list[np.ndarray]:
    """shared/bench's naive DIS flow baseline."""
    return shared_baseline("gen_flow", a_rgb, b_rgb, k)


def engine_frames(a_rgb, b_rgb, times, paths, options: dict | None = None) -> list[np.ndarray]:
    alpha = np.full(a_rgb.shape[:2] + (1,), 255, np.uint8)
    request = TweenRequest(np.dstack([a_rgb, alpha]), np.dstack([b_rgb, alpha]), times, paths=tuple(paths),
                           options=options or {})
    frames = {f.index: f.image[..., :3] for f in FlowEngine().tween(request) if isinstance(f, TweenFrame)}
    return [frames[i] for i in range(len(times))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=7, help="in-betweens per case (t = j/(N+1))")
    ap.add_argument("--size", default="512x384")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    k = args.frames + 1
    times = tuple(j / k for j in range(1, k))
    methods = ("flow + path", "flow + path, its end 4 px off", "flow + path, no autopilot", "flow, path-blind",
               "naive DIS")
    dist: dict[tuple[str, str], list[float]] = {}
    for variant in ("colour", "line art"):
        ink = variant == "line art"
        for n, path in enumerate(arcs(w, h)):
            rng = np.random.default_rng(100 + n)
            sprite = ink_sprite(rng) if ink else colour_sprite(rng)
            bg = background("line" if ink else "colour", w, h, rng)
            a, b = place(bg, sprite, path.start, ink), place(bg, sprite, path.end, ink)
            runs = {
                methods[0]: engine_frames(a, b, times, [path]),
                methods[1]: engine_frames(a, b, times, [end_moved(path, 4.0, 4.0)]),
                methods[2]: engine_frames(a, b, times, [path], {"autopilot": False}),
                methods[3]: engine_frames(a, b, times, []),
                methods[4]: naive_dis(a, b, k),
            }
            for method, frames in runs.items():
                for t, frame in zip(times, frames, strict=True):
                    want = np.asarray(path.position(t), float).reshape(2)
                    dist.setdefault((variant, method), []).append(float(np.hypot(*(locate(frame, sprite) - want))))
    print(f"Path adherence, {w}x{h}, {len(arcs(w, h))} arcs x {args.frames} in-betweens per variant "
          f"(px from path.position(t); target median <= 2, p90 <= 5):\n")
    print("| variant | method | median px | p90 px | max px | target |")
    print("|---|---|---:|---:|---:|---|")
    for (variant, method), d in dist.items():
        med, p90 = float(np.median(d)), float(np.percentile(d, 90))
        target = ("met" if med <= 2 and p90 <= 5 else "short") if method == methods[0] else ""
        print(f"| {variant} | {method} | {med:.2f} | {p90:.2f} | {max(d):.2f} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
