#!/usr/bin/env python3
"""Flat-painted cartoon figures with known in-betweens: does the figure stay whole and in place?

Synthetic cases drawn here (flat paint, ink outlines, a sky gradient; one over grass): a figure
that travels far while turning, one that grows, an outlined disc crossing the sky, one that falls
and squashes, and a small move for reference. Each true in-between is the figure drawn at the
linearly interpolated centre, angle and scale (or squash), so linear timing is right and every
miss is motion. Reports, per case and method, PSNR against the true frames and the body's paint
IoU (the share of the true body's pixels painted body-colour in the frame, over their union:
1 = whole and in place). Methods: the flow engine on its own (no paths: what it finds by itself),
the flow engine with the path an animator would draw (a straight one from the figure's centre on
key A to its centre on key B: a right path must not make matters worse), and shared/bench's naive
DIS flow and crossfade (same run).

Usage: python bench/cartoon.py [--frames N] [--only SUBSTR] [--save DIR] [--option k=v] [--zoom K]

(`--option max_flow_size=256` has the engine work at half the keys' size, as it does on keys
over 1024 px across: its motion is then resized up to the keys' size.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paths import engine_frames, naive_dis, psnr, shared_baseline  # noqa: E402  (bench/paths.py)

from inbetweener.model.project import MotionPath  # noqa: E402

W, H = 512, 384
K = 1.0  # every size and place drawn times K (--zoom): the same scenes at a larger frame
BODY = (240, 180, 40)    # the same grey level as the sky behind it
HEAD = (250, 210, 170)
INK = (30, 20, 10)
DISC = (200, 30, 30)


def sky(grass: bool = False) -> np.ndarray:
    w, h, top = round(W * K), round(H * K), round(260 * K)
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = img[..., 1] = np.linspace(120, 220, h).astype(np.uint8)[:, None]
    img[..., 2] = 250
    if grass:
        rng = np.random.default_rng(3)
        blades = cv2.GaussianBlur((rng.random((h - top, w)) * 60 + 100).astype(np.uint8), (0, 0), 1.5 * K)
        img[top:] = np.dstack([np.full_like(blades, 30), blades, np.full_like(blades, 30)])
    return img


def _ink(px: float) -> int:
    """A line `px` wide at K = 1, as wide at this zoom."""
    return max(1, round(px * K))


def figure(img: np.ndarray, centre, angle: float, scale: float) -> np.ndarray:
    """Body, head and an arm, flat paint with ink outlines, turned by `angle` and scaled."""
    out = img.copy()
    centre, scale = (centre[0] * K, centre[1] * K), scale * K
    turn = cv2.getRotationMatrix2D((0, 0), angle, scale)

    def at(x: float, y: float) -> tuple[int, int]:
        p = turn @ np.array([x, y, 1.0])
        return round(centre[0] + p[0]), round(centre[1] + p[1])

    axes = (round(36 * scale), round(56 * scale))
    cv2.ellipse(out, at(0, 0), axes, -angle, 0, 360, BODY, -1, cv2.LINE_AA)
    cv2.ellipse(out, at(0, 0), axes, -angle, 0, 360, INK, _ink(3), cv2.LINE_AA)
    cv2.circle(out, at(0, -80), round(26 * scale), HEAD, -1, cv2.LINE_AA)
    cv2.circle(out, at(0, -80), round(26 * scale), INK, _ink(3), cv2.LINE_AA)
    cv2.circle(out, at(10, -86), max(_ink(2), round(4 * scale)), INK, -1, cv2.LINE_AA)
    cv2.line(out, at(30, -20), at(76, -60), INK, max(_ink(3), round(7 * scale)), cv2.LINE_AA)
    return out


def disc(img: np.ndarray, centre, angle: float, scale: float) -> np.ndarray:
    out = img.copy()
    c = (round(centre[0] * K), round(centre[1] * K))
    cv2.circle(out, c, round(40 * scale * K), DISC, -1, cv2.LINE_AA)
    cv2.circle(out, c, round(40 * scale * K), INK, _ink(3), cv2.LINE_AA)
    return out


def squashed_disc(img: np.ndarray, centre, angle: float, squash: float) -> np.ndarray:
    """The outlined disc stretched (1 + squash) times along `angle` and as much thinner across."""
    out = img.copy()
    c = (round(centre[0] * K), round(centre[1] * K))
    axes = (round(40 * K * (1.0 + squash)), round(40 * K / (1.0 + squash)))
    cv2.ellipse(out, c, axes, -angle, 0, 360, DISC, -1, cv2.LINE_AA)
    cv2.ellipse(out, c, axes, -angle, 0, 360, INK, _ink(3), cv2.LINE_AA)
    return out


# name: (drawing, grass, (centre, angle, scale) on key A, (centre, angle, scale) on key B, body colour)
CASES = {
    "figure travels 200 px, turns 30 deg": (figure, False, ((130, 220), 0, 1.0), ((330, 200), 30, 1.0), BODY),
    "figure over grass travels 180 px, turns 10 deg": (figure, True, ((130, 200), 0, 1.0), ((310, 200), 10, 1.0), BODY),
    "figure grows 0.8 -> 1.25": (figure, False, ((256, 230), 0, 0.8), ((256, 210), 0, 1.25), BODY),
    "outlined disc crosses 200 px of sky": (disc, False, ((100, 190), 0, 1.0), ((300, 190), 0, 1.0), DISC),
    "outlined disc falls 150 px, squashes 1.3x wide": (squashed_disc, False, ((150, 110), 0, 0.0),
                                                        ((300, 250), 0, 0.3), DISC),
    "figure steps 40 px": (figure, False, ((230, 220), 0, 1.0), ((270, 220), 0, 1.0), BODY),
}


def at_time(spec_a, spec_b, t: float):
    (ca, aa, sa), (cb, ab, sb) = spec_a, spec_b
    centre = (ca[0] + t * (cb[0] - ca[0]), ca[1] + t * (cb[1] - ca[1]))
    return centre, aa + t * (ab - aa), sa + t * (sb - sa)


def paint_iou(frame: np.ndarray, truth: np.ndarray, colour) -> float:
    def mask(img: np.ndarray) -> np.ndarray:
        return np.abs(img.astype(int) - np.array(colour)).max(axis=2) <= 12

    a, b = mask(frame), mask(truth)
    return float((a & b).sum() / max(1, (a | b).sum()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=7, help="in-betweens per case (t = j/(N+1))")
    ap.add_argument("--only", default="", help="run only the cases whose name contains this")
    ap.add_argument("--save", type=Path, default=None, help="write a contact sheet per case here")
    ap.add_argument("--option", action="append", default=[], help="flow engine option name=value")
    ap.add_argument("--zoom", type=float, default=1.0,
                    help="draw every scene this many times larger (2.5: 1280x960, the engine at 1024 px)")
    args = ap.parse_args()
    global K
    K = args.zoom
    options = dict(o.split("=", 1) for o in args.option)
    k = args.frames + 1
    times = tuple(j / k for j in range(1, k))
    methods = {
        "flow engine": lambda a, b: engine_frames(a, b, times, (), options),
        "flow + centre path": lambda a, b: engine_frames(a, b, times, (MotionPath.straight(*centres),), options),
        "naive DIS": lambda a, b: naive_dis(a, b, k),
        "crossfade": lambda a, b: shared_baseline("gen_crossfade", a, b, k),
    }
    rows, totals = [], {m: [] for m in methods}
    for name, (draw, grass, spec_a, spec_b, colour) in CASES.items():
        if args.only not in name:
            continue
        back = sky(grass)
        centres = tuple((c[0] * K, c[1] * K) for c in (spec_a[0], spec_b[0]))  # the path an animator would draw
        a, b = draw(back, *spec_a), draw(back, *spec_b)
        truths = [draw(back, *at_time(spec_a, spec_b, t)) for t in times]
        cells = []
        sheet = [np.hstack([a] + truths + [b])]
        for method, run in methods.items():
            start = time.perf_counter()
            frames = run(a, b)
            secs = (time.perf_counter() - start) / len(times)
            p = float(np.mean([psnr(f, g) for f, g in zip(frames, truths, strict=True)]))
            iou = float(np.mean([paint_iou(f, g, colour) for f, g in zip(frames, truths, strict=True)]))
            totals[method].append((p, iou, secs))
            cells.append(f"{p:.2f} / {iou:.2f}")
            sheet.append(np.hstack([a] + list(frames) + [b]))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            stem = "".join(c if c.isalnum() else "_" for c in name)
            cv2.imwrite(str(args.save / f"{stem}.png"), cv2.cvtColor(np.vstack(sheet), cv2.COLOR_RGB2BGR))
    said = "".join(f", {o}" for o in args.option)
    print(f"Flat cartoon figures, {round(W * K)}x{round(H * K)}{said}, {args.frames} in-betweens per case; "
          "PSNR dB / body paint IoU (1 = whole and in place):\n")
    print("| case | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    print("\n".join(rows))
    means = [f"{np.mean([x[0] for x in v]):.2f} / {np.mean([x[1] for x in v]):.2f}" for v in totals.values()]
    print("| mean | " + " | ".join(means) + " |")
    print("\ns/frame: " + ", ".join(f"{m} {np.mean([x[2] for x in v]):.3f}" for m, v in totals.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
