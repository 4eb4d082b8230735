"""Kill-during-save harness: a child process saves a large project over an old one and is SIGKILLed
at a random moment; afterwards the file must be the old project or the new one, complete.

Used by tests/reliability/test_kill_save.py (≥ 50 kills) and bench/kill_save.py (≥ 500 kills).
Run as a script it is the fork server: `python killsave.py child new.ibw target.ibw`.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
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


class _ForkServer:
    """A helper process that loads the new project once, then forks one saving child per trial.

    Forking from a loaded process makes a trial cost the save itself, not a Python start-up. The
    server kills its own child (SIGKILL) on request: a child it has not reaped keeps its pid, so
    the signal can never reach another process.
    """

    def __init__(self, fx: Fixture, target: Path) -> None:
        env = dict(os.environ, PYTHONHASHSEED="0")
        self.proc = subprocess.Popen([sys.executable, __file__, CHILD, str(fx.new_file), str(target)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self._expect(b"ready")

    def _send(self, command: bytes) -> None:
        self.proc.stdin.write(command + b"\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def _expect(self, word: bytes) -> list[bytes]:
        line = self.proc.stdout.readline().split()  # type: ignore[union-attr]
        if not line or line[0] != word:
            self.proc.kill()
            raise RuntimeError(f"save server said {line!r}, expected {word!r} (exit {self.proc.wait()})")
        return line

    def start_save(self) -> None:
        """Fork a child that starts saving at once; returns when it has begun."""
        self._send(b"fork")
        self._expect(b"start")

    def finish(self, kill: bool) -> tuple[bool, float | None]:
        """SIGKILL the child (or let it finish); (it had finished by itself, its save seconds)."""
        self._send(b"kill" if kill else b"wait")
        words = self._expect(b"reaped")
        finished = words[2] == b"0"
        return finished, float(words[3]) if finished and len(words) > 3 else None

    def close(self) -> None:
        if self.proc.poll() is None:
            self._send(b"quit")
            self.proc.wait(timeout=30)
        self.proc.stdin.close()  # type: ignore[union-attr]
        self.proc.stdout.close()  # type: ignore[union-attr]


def _median_save_seconds(server: _ForkServer, target: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        server.start_save()
        finished, seconds = server.finish(kill=False)
        if not finished or seconds is None:
            raise RuntimeError("an uninterrupted save did not finish")
        times.append(seconds)
    target.unlink(missing_ok=True)
    return sorted(times)[len(times) // 2]


@dataclass
class KillReport:
    outcomes: Counter = field(default_factory=Counter)  # old / new / other
    finished_before_kill: int = 0  # trials where the save completed before the signal
    stray_temp_files: int = 0
    problems: list[str] = field(default_factory=list)
    save_seconds: float = 0.0
    wall_seconds: float = 0.0


def run_kills(fx: Fixture, trials: int, seed: int, window_factor: float = 1.3) -> KillReport:
    """SIGKILL `trials` saves at seeded random moments; classify what the target holds afterwards."""
    from inbetweener.errors import ProjectFileError
    from inbetweener.io.project_file import load_project

    rng = random.Random(seed)
    target = fx.folder / "work.ibw"
    temp_name = re.compile(r"^\." + re.escape(target.name) + r"\..+\.saving$")
    server = _ForkServer(fx, target)
    report = KillReport(save_seconds=_median_save_seconds(server, target))
    started = time.perf_counter()
    # Kill moments spread over the whole save and a little after it (the rename is near the end).
    window = report.save_seconds * window_factor
    try:
        for trial in range(trials):
            shutil.copyfile(fx.old_file, target)
            delay = rng.uniform(0.0, window)
            server.start_save()
            time.sleep(delay)  # the moment of the crash: this is the experiment, not a wait on a thread
            finished, _ = server.finish(kill=True)
            report.finished_before_kill += finished
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
                window *= 1.5  # a loaded machine saves slower than the timing runs: reach the rename
            for leftover in fx.folder.iterdir():
                if leftover.name in (target.name, fx.old_file.name, fx.new_file.name):
                    continue
                if temp_name.match(leftover.name):
                    report.stray_temp_files += 1
                    leftover.unlink()
                else:
                    report.problems.append(f"unexpected file {leftover.name} after trial {trial}")
    finally:
        server.close()
    report.wall_seconds = time.perf_counter() - started
    return report


def _serve(new_file: str, target: str) -> None:
    """The fork server: load once; per "fork" a child saves; "kill"/"wait" ends it; "quit" stops."""
    import signal as sig

    from inbetweener.io.project_file import load_project, save_project

    project = load_project(new_file)
    for image in project.images.values():
        image.png_bytes()  # loaded images keep their PNG bytes: the save is pure I/O
    os.write(1, b"ready\n")  # os.write, not print: no Python buffer gets copied into children
    for line in sys.stdin.buffer:
        command = line.strip()
        if command == b"quit":
            return
        if command != b"fork":
            continue
        pid = os.fork()
        if pid == 0:
            os.write(1, f"start {os.getpid()}\n".encode())
            t0 = time.perf_counter()
            try:
                save_project(project, target)
            except BaseException:
                os._exit(3)
            with open(target + ".seconds", "w") as fh:  # read by the server for timing runs
                fh.write(f"{time.perf_counter() - t0:.6f}")
            os._exit(0)
        order = sys.stdin.buffer.readline().strip()
        if order == b"kill":
            os.kill(pid, sig.SIGKILL)  # our own unreaped child: its pid cannot have been reused
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        seconds = ""
        if code == 0:
            with open(target + ".seconds") as fh:
                seconds = fh.read()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target + ".seconds")
        os.write(1, f"reaped {pid} {code} {seconds}\n".encode())


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == CHILD:
    _serve(sys.argv[2], sys.argv[3])
