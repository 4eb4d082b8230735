#!/usr/bin/env python3
"""Photographic content with known in-betweens: a camera pan with an object moving across it.

A stand-in for live action, which the shared bench lacks: scikit-image's sample photographs (the
astronaut as the scene, the cat as a pasted object, both real photos) where the camera pans
3 px right and 1 px down a frame and the object moves 8 px right and 2 px up a frame over it,
lightly blurred as a lens would. Keys are frames 0 and k, the true in-betweens the frames
between, for gaps k = 2, 4, 8 (so the motion between keys grows with the gap, as in footage).
Reports PSNR per gap for the flow engine (no paths), shared/bench's naive DIS flow and crossfade,
same run, and the flow engine's seconds per frame.

Needs scikit-image (the dev extra) for the photographs.

Usage: python bench/pan.py [--gaps 2,4,8]
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

W, H = 512, 384
PAN = (3, 1)        # px per frame, the scene moving past the camera
OBJECT = (8, -2)    # px per frame, the object over the scene
OBJECT_SIZE = (150, 100)


def _photos() -> tuple[np.ndarray, np.ndarray]:
    try:
        from skimage import data
    except ImportError:
        raise SystemExit("bench/pan.py needs scikit-image: pip install -e '.[dev]'") from None
    scene = cv2.resize(data.astronaut(), (900, 700), interpolation=cv2.INTER_AREA)
    thing = cv2.resize(data.chelsea(), OBJECT_SIZE, interpolation=cv2.INTER_AREA)
    return scene, thing


def frame(scene: np.ndarray, thing: np.ndarray, j: int) -> np.ndarray:
    """Frame j of the shot (RGB)."""
    x0, y0 = 40 + PAN[0] * j, 30 + PAN[1] * j
    out = scene[y0:y0 + H, x0:x0 + W].copy()
    ox, oy = 60 + OBJECT[0] * j, 200 + OBJECT[1] * j
    out[oy:oy + OBJECT_SIZE[1], ox:ox + OBJECT_SIZE[0]] = thing
    return cv2.GaussianBlur(out, (0, 0), 0.6)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gaps", default="2,4,8", help="comma list of key gaps k")
    args = ap.parse_args()
    from inbetweener.allocator import keep_freed_memory

    keep_freed_memory()  # the engine runs in this process as it does in the inbetweener program
    scene, thing = _photos()
    methods = ("flow engine", "naive DIS", "crossfade")
    rows, seconds, frames_made = [], 0.0, 0
    for k in (int(v) for v in args.gaps.split(",")):
        a, b = frame(scene, thing, 0), frame(scene, thing, k)
        truth = [frame(scene, thing, j) for j in range(1, k)]
        t0 = time.perf_counter()
        ours = engine_frames(a, b, tuple(j / k for j in range(1, k)), [])
        seconds += time.perf_counter() - t0
        frames_made += k - 1
        made = {"flow engine": ours, "naive DIS": naive_dis(a, b, k),
                "crossfade": shared_baseline("gen_crossfade", a, b, k)}
        rows.append((k, [np.mean([psnr(f, t) for f, t in zip(made[m], truth, strict=True)]) for m in methods]))
    print(f"Photographic pan, {W}x{H}: camera pans {PAN} px a frame, object moves {OBJECT}; PSNR dB per gap\n")
    print("| gap | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    for k, values in rows:
        print(f"| {k} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    print(f"\nflow engine: {seconds / max(1, frames_made):.3f} s per frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
