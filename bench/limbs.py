#!/usr/bin/env python3
"""Line-art limbs: does a stick figure's swinging arm and lifted leg stay whole and in place?

The bundled figure (`resources/samples/figure_*.png`, drawn by `scripts/make_samples.py`) raises
its arm about 125 degrees and lifts a knee while it steps sideways. Its true in-betweens are the
script's drawing at pose t, so every miss is the engine's. Methods: the flow engine with the
sample's paths on each moving joint (`figure_paths.json`: shoulder, elbow, hand, hip, knee, ankle,
toe), with the autopilot's paths and without paths, and shared/bench's naive DIS flow and crossfade
(same run).
Reports PSNR against the true frames, ink IoU (pixels darker than 40% in both the frame and the
truth, over those in either: 1 = every stroke where it belongs, nothing elsewhere), and the share
of the swinging limbs drawn: points every 2 px along the true arm and leg, counted where the frame
has ink within 2 px (1 = the limbs whole and in place; a faded or misplaced limb scores low).

Usage: python bench/limbs.py [--frames N] [--save DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import make_samples  # noqa: E402  (scripts/make_samples.py: draws the figure at any pose)
from paths import engine_frames, naive_dis, psnr, shared_baseline  # noqa: E402  (bench/paths.py)

from inbetweener.io.paths_json import load_paths  # noqa: E402
from inbetweener.match import propose_paths  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "resources" / "samples"


def _ink(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY) < 0.6 * 255


def _limbs_drawn(frame: np.ndarray, joints: dict) -> float:
    """Share of points along the true arm and leg with ink within 2 px in the frame."""
    ink = cv2.dilate(_ink(frame).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    hits = []
    for limb in (("shoulder", "elbow", "hand"), ("hip", "knee", "ankle", "toe")):
        for p, q in zip(limb[:-1], limb[1:], strict=True):
            p, q = np.array(joints[p]), np.array(joints[q])
            for u in np.linspace(0.0, 1.0, max(2, int(np.hypot(*(q - p)) / 2))):
                x, y = np.rint(p + u * (q - p)).astype(int)
                hits.append(bool(ink[y, x]))
    return float(np.mean(hits))


def _opaque(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=7, help="in-betweens (t = j/(N+1))")
    ap.add_argument("--save", type=Path, help="write each method's frames here as PNG")
    args = ap.parse_args()
    k = args.frames + 1
    times = tuple(j / k for j in range(1, k))
    a, b = make_samples.figure(0.0)[..., :3], make_samples.figure(1.0)[..., :3]
    truth = [make_samples.figure(t)[..., :3] for t in times]
    joints = load_paths(SAMPLES / "figure_paths.json")
    runs = {
        "flow + joint paths": lambda: engine_frames(a, b, times, joints),
        "flow, no paths": lambda: engine_frames(a, b, times, []),
        "flow + autopilot paths": lambda: engine_frames(a, b, times, propose_paths(_opaque(a), _opaque(b)).paths),
        "naive DIS": lambda: naive_dis(a, b, k),
        "crossfade": lambda: shared_baseline("gen_crossfade", a, b, k),
    }
    print(f"Line-art limbs: the bundled figure, {args.frames} in-betweens against its true poses\n")
    print("| method | PSNR dB | ink IoU | limbs drawn | s per frame |")
    print("|---|---:|---:|---:|---:|")
    for name, run in runs.items():
        start = time.perf_counter()
        frames = run()
        seconds = (time.perf_counter() - start) / len(times)
        score = np.mean([psnr(f, g) for f, g in zip(frames, truth, strict=True)])
        ious = []
        for f, g in zip(frames, truth, strict=True):
            made, want = _ink(f), _ink(g)
            ious.append((made & want).sum() / max((made | want).sum(), 1))
        drawn = np.mean([_limbs_drawn(f, make_samples.figure_joints(t)) for f, t in zip(frames, times, strict=True)])
        print(f"| {name} | {score:.2f} | {np.mean(ious):.3f} | {drawn:.2f} | {seconds:.2f} |")
        if args.save:
            out = args.save / name.replace(" ", "_").replace(",", "").replace("+", "with")
            out.mkdir(parents=True, exist_ok=True)
            for j, f in enumerate(frames, 1):
                cv2.imwrite(str(out / f"frame_{j:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
