#!/usr/bin/env python3
"""Longer gaps on real frames: keys 10, 12 and 16 frames apart, cut from ../shared/bench's clips.

The shared bench's cases of one clip touch end to end in places (Big Buck Bunny frames 3-16, 64-77
and 99-118, Synfig 42-55 and 69-81), so their keys and true in-betweens together hold runs of
consecutive frames. Every run long enough gives a case for each longer gap: keys at frames s and
s + k, the true frames between them at a quarter, half and three quarters of the way (or every
frame when k < 4). Motion between keys grows with k, as between an animator's keys; this is the
real footage counterpart of bench/cartoon.py and bench/pan.py's large motions.

Reports mean PSNR per clip and gap for the flow engine, the same without its autopilot (feature
matches), and shared/bench's naive DIS flow and crossfade (same run), with the engine's s/frame.
Diagnostic only: the cases overlap, and they reuse the shared bench's frames, so they are not a
held-out measure.

Usage: python bench/longgap.py [--gaps 10,12,16] [--only bbb]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paths import SHARED_BENCH, engine_frames, psnr, shared_baseline  # noqa: E402  (bench/paths.py)
from quality import read_rgba  # noqa: E402  (bench/quality.py)


def clip_frames(cases: Path) -> dict[tuple[str, int], Path]:
    """Every frame the cases hold, by (clip, frame number): keys and true in-betweens alike."""
    frames: dict[tuple[str, int], Path] = {}
    for case in sorted(cases.iterdir()):
        clip, start, gap = case.name.rsplit("_", 2)
        first, k = int(start), int(gap)
        frames[(clip, first)] = case / "a.png"
        frames[(clip, first + k)] = case / "b.png"
        for j in range(1, k):
            frames[(clip, first + j)] = case / f"gt_{j:03d}.png"
    return frames


def long_cases(frames: dict[tuple[str, int], Path], k: int) -> list[tuple[str, int]]:
    """(clip, first frame) of every run of k + 1 consecutive frames."""
    return [(clip, s) for clip, s in sorted(frames)
            if all((clip, s + j) in frames for j in range(1, k + 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gaps", default="10,12,16", help="comma list of key gaps k")
    ap.add_argument("--only", default="", help="only clips whose name contains this")
    args = ap.parse_args()
    from inbetweener.allocator import keep_freed_memory

    keep_freed_memory()  # the engine runs in this process as it does in the inbetweener program
    frames = clip_frames(SHARED_BENCH / "cases")
    methods = ("flow engine", "flow, no autopilot", "naive DIS", "crossfade")
    scores: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    seconds, made = 0.0, 0
    for k in (int(v) for v in args.gaps.split(",")):
        for clip, s in long_cases(frames, k):
            if args.only not in clip:
                continue
            a, b = read_rgba(frames[(clip, s)])[..., :3], read_rgba(frames[(clip, s + k)])[..., :3]
            wanted = sorted({max(1, round(k * q)) for q in (0.25, 0.5, 0.75)})
            truths = [read_rgba(frames[(clip, s + j)])[..., :3] for j in wanted]
            times = tuple(j / k for j in wanted)
            start = time.perf_counter()
            ours = engine_frames(a, b, times, [])
            seconds += time.perf_counter() - start
            made += len(times)
            # shared/bench's baselines make every in-between of the gap; the ones scored are picked.
            out = {"flow engine": ours, "flow, no autopilot": engine_frames(a, b, times, [], {"autopilot": False}),
                   "naive DIS": [shared_baseline("gen_flow", a, b, k)[j - 1] for j in wanted],
                   "crossfade": [shared_baseline("gen_crossfade", a, b, k)[j - 1] for j in wanted]}
            for method in methods:
                scores[(clip, k)][method].append(float(np.mean([psnr(f, t) for f, t in zip(out[method], truths,
                                                                                               strict=True)])))
    print("Longer gaps cut from ../shared/bench's clips; mean PSNR dB per clip and gap (cases)\n")
    print("| clip | gap | cases | " + " | ".join(methods) + " |")
    print("|---|---|---:|" + "---:|" * len(methods))
    for (clip, k), by_method in sorted(scores.items()):
        count = len(by_method[methods[0]])
        print(f"| {clip} | {k} | {count} | " + " | ".join(f"{np.mean(by_method[m]):.2f}" for m in methods) + " |")
    every = {m: [v for by_method in scores.values() for v in by_method[m]] for m in methods}
    print(f"| all | | {len(every[methods[0]])} | " + " | ".join(f"{np.mean(every[m]):.2f}" for m in methods) + " |")
    print(f"\nflow engine: {seconds / max(1, made):.3f} s per frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
