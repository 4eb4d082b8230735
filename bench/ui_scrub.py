"""Editor speed: start-to-window time and scrubbing cost per frame change at 1080p.

    .venv/bin/python bench/ui_scrub.py [--frames 48] [--size 1920x1080]

Scrubbing: a project of PNG-backed frames (as loaded from a file) is scrubbed frame by frame with
the canvas and timeline repainted synchronously; reported cold (first visit: PNG decode + upload)
and warm (pixmap cache hit). Start-up: a fresh interpreter opens the sample project and paints the
window; torch must not be imported. Run by hand; never a timed test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START_CODE = r"""
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from ui.app import make_window
w = make_window(None)
w.show()
while not w.isExposed() if hasattr(w, 'isExposed') else False:
    app.processEvents()
app.processEvents()
w.repaint()
print(time.time(), 'torch' in sys.modules, 'diffusers' in sys.modules)
"""


def start_up(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", START_CODE], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=True)
        stamp, torch_loaded, diffusers_loaded = out.stdout.split()[-3:]
        if torch_loaded != "False" or diffusers_loaded != "False":
            raise SystemExit("torch or diffusers was imported at start-up")
        times.append(float(stamp) - t0)
    return times


def make_project(frames: int, width: int, height: int):
    """Keys every 6 frames, generated frames between them, all PNG-backed like a loaded file."""
    import cv2
    import numpy as np

    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Cell, Keyframe, Project, SegmentSettings

    # A drawn background (the sample's, upscaled: flat colours and lines, like real animation).
    sample = cv2.imread(str(ROOT / "resources" / "samples" / "ball_a.png"), cv2.IMREAD_COLOR)
    base = cv2.cvtColor(cv2.resize(sample, (width, height), interpolation=cv2.INTER_CUBIC), cv2.COLOR_BGR2RGB)
    images, keys, cells = {}, [], {}
    for f in range(frames):
        img = np.dstack([base, np.full((height, width), 255, np.uint8)]).copy()
        cv2.circle(img, (100 + f * (width - 200) // frames, height // 2), height // 10, (200, 40, 30, 255), -1)
        data = ImageData.from_png(ImageData.from_array(img).png_bytes(), (height, width))
        image_id = f"img{f}"
        images[image_id] = data
        if f % 6 == 0 or f == frames - 1:
            keys.append(Keyframe(f, image_id))
        else:
            cells[f] = Cell(image_id)
    settings = tuple(SegmentSettings(engine="crossfade") for _ in range(len(keys) - 1))
    return Project(width, height, 24.0, tuple(keys), settings, cells, images, frames, "bench")


def _change(app, window, frame: int) -> float:
    """One frame change as the user sees it: the playhead moves, the damaged parts repaint."""
    t0 = time.perf_counter()
    window.state.set_frame(frame)
    app.processEvents()  # paints the canvas and the two timeline cells that changed
    return (time.perf_counter() - t0) * 1000


def _idle(app, until: float) -> None:
    """Let the event loop run (prefetched frames arrive) until `until` (perf_counter seconds)."""
    while time.perf_counter() < until:
        app.processEvents()
        time.sleep(0.001)


def scrub(frames: int, width: int, height: int, fps: float) -> dict[str, list[float]]:
    import random

    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    project = make_project(frames, width, height)
    window = MainWindow(project)
    window.quiet = True
    window.resize(1600, 1000)
    window.show()
    _idle(app, time.perf_counter() + 0.5)
    results: dict[str, list[float]] = {}
    # A scrub at `fps` frames per second: the prefetcher decodes ahead between changes.
    for label in (f"scrub at {fps:g} frames/s, first visit", "scrub again (cached)"):
        times = []
        for f in range(frames):
            start = time.perf_counter()
            times.append(_change(app, window, f))
            _idle(app, start + 1.0 / fps)
        results[label] = times
    # Random jumps with an empty cache: nothing can be prefetched (decode + resample on the spot).
    window.cache.clear()
    order = list(range(frames))
    random.Random(0).shuffle(order)
    results["random jumps, empty cache"] = [_change(app, window, f) for f in order[: min(12, frames)]]
    results["cache MB"] = [window.cache.bytes_used / 2**20]
    window.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--start-runs", type=int, default=3)
    parser.add_argument("--fps", type=float, default=24.0, help="scrub speed")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    starts = start_up(args.start_runs)
    print(f"start to window: median {statistics.median(starts):.2f} s, best {min(starts):.2f} s "
          f"({args.start_runs} runs; target <= 1.5 s); torch not imported")
    res = scrub(args.frames, w, h, args.fps)
    print(f"pixmap cache after the run: {res.pop('cache MB')[0]:.0f} MB")
    for label, times in res.items():
        times_sorted = sorted(times)
        p95 = times_sorted[int(0.95 * (len(times_sorted) - 1))]
        print(f"{label} ({w}x{h}): median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
              f"max {max(times):.1f} ms per frame change ({len(times)} frames; target <= 16 ms)")


if __name__ == "__main__":
    main()
