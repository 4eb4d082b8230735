"""Kill-during-save harness: a child process saves a large project over an old one and is SIGKILLed
at a random moment; afterwards the file must be the old project or the new one, complete.

Used by tests/reliability/test_kill_save.py (≥ 50 kills) and bench/kill_save.py (≥ 500 kills).
Run as a script it is the child: `python killsave.py CHILD new.ibw target.ibw`.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CHILD = "child"


def noise_project(frames: int, side: int, seed: int, name: str):
    """A project of `frames` keys of RGBA noise (PNG-encoded once, so saving is pure I/O)."""
    from inbetweener.io.png import encode_png_rgba
    from inbetweener.model.images import ImageData
    from inbetweener.model.project import Keyframe, Project, SegmentSettings

    rng = np.random.default_rng(seed)
    images = {}
    keys = []
    for f in range(frames):
        pixels = rng.integers(0, 256, (side, side, 4), dtype=np.uint8)
        img = ImageData.from_png(encode_png_rgba(pixels, compression=0), (side, side))
        image_id = f"{seed:04d}{f:06d}"
        images[image_id] = img
        keys.append(Keyframe(f * 2, image_id))
    settings = tuple(SegmentSettings(seed=seed + i) for i in range(frames - 1))
    return Project(side, side, 24.0, tuple(keys), settings, {}, images, name=name)


def fingerprint(project) -> tuple:
    """Everything that identifies a saved project: the JSON document and every image's bytes."""
    from inbetweener.io.project_file import project_to_json

    doc = project_to_json(project)
    doc.pop("app_version", None)
    pngs = tuple(sorted((i, project.images[i].png_bytes()) for i in doc["images"]))
    return repr(sorted(doc.items(), key=lambda kv: kv[0])), pngs


@dataclass
class Fixture:
    folder: Path
    old_file: Path  # pristine copy of the old project, copied over the target before each trial
    new_file: Path  # what the child loads and saves over the target
    old_print: tuple
    new_print: tuple


def make_fixture(folder: Path, frames: int = 40, side: int = 512) -> Fixture:
    from inbetweener.io.project_file import load_project, save_project

    folder.mkdir(parents=True, exist_ok=True)
    old = noise_project(frames, side, 1, "old")
    new = noise_project(frames, side, 2, "new")
    old_file, new_file = folder / "old-pristine.ibw", folder / "new-source.ibw"
    save_project(old, old_file)
    save_project(new, new_file)
    return Fixture(folder, old_file, new_file, fingerprint(load_project(old_file)), fingerprint(load_project(new_file)))


def _spawn(fx: Fixture, target: Path) -> subprocess.Popen:
    """Start a child that loads the new project, says "ready", and saves when it reads a line."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.Popen([sys.executable, __file__, CHILD, str(fx.new_file), str(target)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)


def _wait_line(proc: subprocess.Popen, expected: bytes) -> None:
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if line.strip() != expected:
        proc.kill()
        raise RuntimeError(f"save child said {line!r}, expected {expected!r} (exit {proc.wait()})")


def time_one_save(fx: Fixture) -> float:
    """Seconds a full save takes in a child (measured by the child itself)."""
    target = fx.folder / "timing.ibw"
    proc = _spawn(fx, target)
    _wait_line(proc, b"ready")
    proc.stdin.write(b"go\n")  # type: ignore[union-attr]
    proc.stdin.flush()  # type: ignore[union-attr]
    _wait_line(proc, b"start")
    line = proc.stdout.readline()  # type: ignore[union-attr]
    proc.wait()
    target.unlink(missing_ok=True)
    return float(line.split()[1])


@dataclass
class KillReport:
    outcomes: Counter = field(default_factory=Counter)  # old / new / other
    finished_before_kill: int = 0  # trials where the save completed before the signal
    stray_temp_files: int = 0
    problems: list[str] = field(default_factory=list)
    save_seconds: float = 0.0
    wall_seconds: float = 0.0


def run_kills(fx: Fixture, trials: int, seed: int, window_factor: float = 1.6) -> KillReport:
    """SIGKILL `trials` saves at seeded random moments; classify what the target holds afterwards."""
    from inbetweener.errors import ProjectFileError
    from inbetweener.io.project_file import load_project

    rng = random.Random(seed)
    report = KillReport(save_seconds=time_one_save(fx))
    started = time.perf_counter()
    target = fx.folder / "work.ibw"
    temp_name = re.compile(r"^\." + re.escape(target.name) + r"\..+\.saving$")
    # Kill moments spread over the whole save and a little after it. A child saves slower while the
    # next one starts up beside it, so the window is wider than one quiet save.
    window = report.save_seconds * window_factor
    nxt = _spawn(fx, target)
    for trial in range(trials):
        proc, nxt = nxt, None
        shutil.copyfile(fx.old_file, target)
        _wait_line(proc, b"ready")
        if trial + 1 < trials:
            nxt = _spawn(fx, target)  # warm up the next child while this one saves
        delay = rng.uniform(0.0, window)
        proc.stdin.write(b"go\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        _wait_line(proc, b"start")
        time.sleep(delay)  # the moment of the crash: this is the experiment, not a wait on a thread
        if proc.poll() is not None:
            report.finished_before_kill += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
        try:
            got = fingerprint(load_project(target))
            kind = "old" if got == fx.old_print else "new" if got == fx.new_print else "other"
        except ProjectFileError as exc:
            kind = "other"
            report.problems.append(f"trial {trial} (kill after {delay:.3f}s): {exc}")
        if kind == "other" and len(report.problems) < 20:
            report.problems.append(f"trial {trial} (kill after {delay:.3f}s): neither old nor new")
        report.outcomes[kind] += 1
        if trial >= trials // 2 and report.outcomes["new"] == 0:
            window *= 1.5  # a loaded machine saves slower than the quiet timing run: reach the rename
        for leftover in fx.folder.iterdir():
            if leftover.name in (target.name, fx.old_file.name, fx.new_file.name):
                continue
            if temp_name.match(leftover.name):
                report.stray_temp_files += 1
                leftover.unlink()
            else:
                report.problems.append(f"unexpected file {leftover.name} after trial {trial}")
    if nxt is not None:
        nxt.kill()
        nxt.wait()
    report.wall_seconds = time.perf_counter() - started
    return report


def _child(new_file: str, target: str) -> None:
    from inbetweener.io.project_file import load_project, save_project

    project = load_project(new_file)
    for image in project.images.values():
        image.png_bytes()  # already bytes: loading keeps PNGs as read
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    sys.stdout.write("start\n")
    sys.stdout.flush()
    t0 = time.perf_counter()
    save_project(project, target)
    sys.stdout.write(f"done {time.perf_counter() - t0:.6f}\n")
    sys.stdout.flush()


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == CHILD:
    _child(sys.argv[2], sys.argv[3])
