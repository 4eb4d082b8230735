#!/usr/bin/env python3
"""Photographic content with known in-betweens: a camera pan with an object moving across it.

A stand-in for live action, which the shared bench lacks: scikit-image's sample photographs (the
astronaut as the scene, the cat as a pasted object, both real photos) where the camera pans
3 px right and 1 px down a frame and the object moves 8 px right and 2 px up a frame over it,
lightly blurred as a lens would. Keys are frames 0 and k, the true in-betweens the frames
between, for gaps k = 2, 4, 8 (so the motion between keys grows with the gap, as in footage).
A second shot has the object rush: 24 px right and 6 px down a frame, turning 4 degrees a frame
(190 px and 32 degrees between keys 8 frames apart), more than optical flow follows.
Reports PSNR per shot and gap for the flow engine (no paths), the same without its autopilot
(feature matches), shared/bench's naive DIS flow and crossfade, same run, and the flow engine's
seconds per frame.

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
OBJECT_SIZE = (150, 100)
# The shots: the object's motion over the scene (px per frame) and its turn (degrees per frame).
SHOTS = {"drifts": ((8.0, -2.0), 0.0), "rushes": ((24.0, 6.0), 4.0)}


def _photos() -> tuple[np.ndarray, np.ndarray]:
    try:
        from skimage import data
    except ImportError:
        raise SystemExit("bench/pan.py needs scikit-image: pip install -e '.[dev]'") from None
    scene = cv2.resize(data.astronaut(), (900, 700), interpolation=cv2.INTER_AREA)
    thing = cv2.resize(data.chelsea(), OBJECT_SIZE, interpolation=cv2.INTER_AREA)
    return scene, thing


def frame(scene: np.ndarray, thing: np.ndarray, j: int, shot: str = "drifts") -> np.ndarray:
    """Frame j of the shot (RGB)."""
    (dx, dy), turn = SHOTS[shot]
    x0, y0 = 40 + PAN[0] * j, 30 + PAN[1] * j
    out = scene[y0:y0 + H, x0:x0 + W].copy()
    w, h = OBJECT_SIZE
    m = cv2.getRotationMatrix2D((w / 2, h / 2), turn * j, 1.0)
    m[:, 2] += (60 + dx * j, (200 if dy <= 0 else 60) + dy * j)
    inside = cv2.warpAffine(np.full((h, w), 255, np.uint8), m, (W, H)) > 128
    out[inside] = cv2.warpAffine(thing, m, (W, H))[inside]
    return cv2.GaussianBlur(out, (0, 0), 0.6)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gaps", default="2,4,8", help="comma list of key gaps k")
    args = ap.parse_args()
    from inbetweener.allocator import keep_freed_memory

    keep_freed_memory()  # the engine runs in this process as it does in the inbetweener program
    scene, thing = _photos()
    methods = ("flow engine", "flow, no autopilot", "naive DIS", "crossfade")
    rows, seconds, frames_made = [], {m: 0.0 for m in methods[:2]}, 0
    for shot in SHOTS:
        for k in (int(v) for v in args.gaps.split(",")):
            a, b = frame(scene, thing, 0, shot), frame(scene, thing, k, shot)
            truth = [frame(scene, thing, j, shot) for j in range(1, k)]
            times = tuple(j / k for j in range(1, k))
            made = {}
            for method, options in zip(methods[:2], ({}, {"autopilot": False}), strict=True):
                t0 = time.perf_counter()
                made[method] = engine_frames(a, b, times, [], options)
                seconds[method] += time.perf_counter() - t0
            frames_made += k - 1
            made |= {"naive DIS": naive_dis(a, b, k), "crossfade": shared_baseline("gen_crossfade", a, b, k)}
            rows.append((shot, k, [np.mean([psnr(f, t) for f, t in zip(made[m], truth, strict=True)]) for m in methods]))
    print(f"Photographic pan, {W}x{H}: camera pans {PAN} px a frame; the object drifts {SHOTS['drifts'][0]} "
          f"px a frame, or rushes {SHOTS['rushes'][0]} px and turns {SHOTS['rushes'][1]} degrees a frame; "
          "PSNR dB per shot and gap\n")
    print("| shot | gap | " + " | ".join(methods) + " |")
    print("|---|---|" + "---:|" * len(methods))
    for shot, k, values in rows:
        print(f"| {shot} | {k} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    print("\ns per frame: " + ", ".join(f"{m} {seconds[m] / max(1, frames_made):.3f}" for m in methods[:2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
