"""Long kill-during-save run: SIGKILL a child saving a large project ≥ 500 times and count outcomes.

    .venv/bin/python bench/kill_save.py [--trials 500] [--frames 40] [--side 512] [--seed 1]

After every kill the target must load as the complete old project or the complete new one; the
report gives old / new / other counts (other must be 0), stray temp files and the time per trial.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import killsave  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--side", type=int, default=512)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", type=float, default=1.6, help="kill window as a multiple of one save")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kill-save-") as tmp:
        t0 = time.perf_counter()
        fx = killsave.make_fixture(Path(tmp), args.frames, args.side)
        size_mb = fx.old_file.stat().st_size / 1e6
        print(f"fixture: {args.frames} frames {args.side}x{args.side}, {size_mb:.1f} MB, "
              f"made in {time.perf_counter() - t0:.1f}s")
        report = killsave.run_kills(fx, args.trials, args.seed, args.window)
    n = sum(report.outcomes.values())
    print(f"one uninterrupted save: {report.save_seconds * 1000:.0f} ms")
    print(f"trials: {n} in {report.wall_seconds:.1f}s ({report.wall_seconds / max(n, 1) * 1000:.0f} ms each)")
    print(f"outcomes: old={report.outcomes['old']} new={report.outcomes['new']} other={report.outcomes['other']}")
    print(f"saves that had finished before the signal: {report.finished_before_kill}")
    print(f"stray temp files left by killed saves (never read as the project): {report.stray_temp_files}")
    for line in report.problems:
        print("PROBLEM:", line)
    return 0 if report.outcomes["other"] == 0 and not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
