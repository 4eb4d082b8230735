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
app.processEvents()
w.repaint()  # the first complete paint of the window
print(time.time(), 'torch' in sys.modules, 'diffusers' in sys.modules)
"""


def start_up(runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds from launch to painted window, and the CPU seconds the child used."""
    import resource

    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", START_CODE], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=True)
        stamp, torch_loaded, diffusers_loaded = out.stdout.split()[-3:]
        if torch_loaded != "False" or diffusers_loaded != "False":
            raise SystemExit("torch or diffusers was imported at start-up")
        times.append(float(stamp) - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return times, cpu


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


CPU_MS: list[float] = []  # GUI-thread CPU time of each change (what it costs, whatever the load)


def _change(app, window, frame: int) -> float:
    """One frame change as the user sees it: the playhead moves, the damaged parts repaint."""
    t0, c0 = time.perf_counter(), time.thread_time()
    window.state.set_frame(frame)
    app.processEvents()  # paints the canvas and the two timeline cells that changed
    CPU_MS.append((time.thread_time() - c0) * 1000)
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
        CPU_MS.clear()
        for f in range(frames):
            start = time.perf_counter()
            times.append(_change(app, window, f))
            _idle(app, start + 1.0 / fps)
        results[label] = times
        results[label + ", GUI-thread CPU"] = list(CPU_MS)
    # Random jumps with an empty cache: nothing can be prefetched (decode + resample on the spot).
    window.cache.clear()
    order = list(range(frames))
    random.Random(0).shuffle(order)
    CPU_MS.clear()
    jumps, sharp = [], []
    for f in order[: min(12, frames)]:
        t0 = time.perf_counter()
        jumps.append(_change(app, window, f))
        while not window.canvas.is_sharp():  # a stand-in shows until the decoded frame arrives
            app.processEvents()
            time.sleep(0.001)
        sharp.append((time.perf_counter() - t0) * 1000)
    results["random jumps, empty cache"] = jumps
    results["random jumps, empty cache, GUI-thread CPU"] = list(CPU_MS)
    results["random jumps, empty cache: until the sharp frame is up"] = sharp
    results["cache MB"] = [window.cache.bytes_used / 2**20]
    window.close()
    return results


def long_project_memory(frames: int, width: int, height: int) -> tuple[float, float, float]:
    """Scrub every frame of a long project once; (peak RSS MB, UI cache MB, worst change ms).

    The PNG bytes are shared between frames (distinct ImageData objects, so every frame is decoded
    and cached on its own): this measures what the editor itself holds, not the file's bytes.
    """
    import resource

    from PySide6.QtWidgets import QApplication

    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Cell, Keyframe, Project, SegmentSettings
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    small = make_project(6, width, height)
    pngs = [img.png_bytes() for img in small.images.values()]
    images, keys, cells = {}, [], {}
    for f in range(frames):
        image_id = f"long{f}"
        images[image_id] = ImageData.from_png(pngs[f % len(pngs)], (height, width))
        if f % 12 == 0 or f == frames - 1:
            keys.append(Keyframe(f, image_id))
        else:
            cells[f] = Cell(image_id)
    settings = tuple(SegmentSettings(engine="crossfade") for _ in range(len(keys) - 1))
    project = Project(width, height, 24.0, tuple(keys), settings, cells, images, frames, "long")
    window = MainWindow(project)
    window.quiet = True
    window.resize(1600, 1000)
    window.show()
    worst = 0.0
    for f in range(frames):
        worst = max(worst, _change(app, window, f))
    cache_mb = window.cache.bytes_used / 2**20
    window.close()
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, cache_mb, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--start-runs", type=int, default=3)
    parser.add_argument("--fps", type=float, default=24.0, help="scrub speed")
    parser.add_argument("--long", type=int, default=0, help="also scrub a project this long and report peak RSS")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    starts, cpu = start_up(args.start_runs)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    print(f"start to window: median {statistics.median(starts):.2f} s, best {min(starts):.2f} s wall, "
          f"CPU {statistics.median(cpu):.2f} s (to exit) ({args.start_runs} runs; target <= 1.5 s); torch not imported")
    res = scrub(args.frames, w, h, args.fps)
    print(f"pixmap cache after the run: {res.pop('cache MB')[0]:.0f} MB")
    for label, times in res.items():
        times_sorted = sorted(times)
        p95 = times_sorted[int(0.95 * (len(times_sorted) - 1))]
        print(f"{label} ({w}x{h}): median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
              f"max {max(times):.1f} ms per frame change ({len(times)} frames; target <= 16 ms)")
    if args.long:
        rss, cache_mb, worst = long_project_memory(args.long, w, h)
        print(f"{args.long}-frame {w}x{h} project scrubbed end to end: peak RSS {rss:.0f} MB "
              f"(target < 1536 MB), frame cache {cache_mb:.0f} MB, worst frame change {worst:.0f} ms")


if __name__ == "__main__":
    main()

