"""Long fuzz run of the project loader: ≥ 10,000 hostile or broken files, seeded and repeatable.

    .venv/bin/python bench/fuzz_project.py [--cases 10000] [--seed 0]

Reports cases/s, outcomes by mutator and by error kind, the slowest case, and every case that
raised anything but ProjectFileError, wrote a file, took over 5 s or gave a multi-line message.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reliability"))

import fuzzcases as fc  # noqa: E402


def error_kind(message: str) -> str:
    """A short label for a ProjectFileError message: its wording with names and numbers removed."""
    text = re.sub(r"^case\.ibw:? ?", "", message)
    text = re.sub(r"\S*images/\S*", "_", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|\d+(\.\d+)?", "_", text)
    return " ".join(text.split()[:7])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    # OpenCV's own warnings about broken PNGs would flood the report (they go to fd 2).
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    names = sorted(fc.MUTATORS)
    by_mutator: dict[str, Counter] = defaultdict(Counter)
    kinds: Counter = Counter()
    bugs: list[str] = []
    slowest = (0.0, "")
    fc.base()
    fc._deflated_zeros(fc.BOMB_BYTES)
    started = time.perf_counter()
    load_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="fuzz-project-") as tmp:
        folder = Path(tmp) / "case"
        folder.mkdir()
        for case in range(args.cases):
            name = names[case % len(names)]
            seed = args.seed * 1_000_003 + case
            outcome = fc.load_case(fc.MUTATORS[name](random.Random(seed)), folder)
            load_seconds += outcome.seconds
            by_mutator[name][outcome.kind] += 1
            if outcome.kind == "ProjectFileError":
                kinds[error_kind(outcome.message)] += 1
            elif outcome.kind == "loaded":
                kinds["(loaded: a harmless mutation)"] += 1
            if outcome.seconds > slowest[0]:
                slowest = (outcome.seconds, f"{name} seed {seed}")
            bad = (outcome.kind not in ("loaded", "ProjectFileError") or outcome.wrote_outside
                   or outcome.seconds > 5 or "\n" in outcome.message or len(outcome.message) > 400)
            if bad:
                bugs.append(f"{name} seed {seed}: {outcome}")
    wall = time.perf_counter() - started
    print(f"cases: {args.cases} in {wall:.1f}s = {args.cases / wall:.0f} cases/s "
          f"(loader alone {args.cases / max(load_seconds, 1e-9):.0f} cases/s)")
    print(f"slowest case: {slowest[0] * 1000:.1f} ms ({slowest[1]})")
    print("outcomes by mutator:")
    for name in names:
        print(f"  {name:15s} " + ", ".join(f"{k}={v}" for k, v in sorted(by_mutator[name].items())))
    print("outcomes by error kind:")
    for kind, count in kinds.most_common():
        print(f"  {count:6d}  {kind}")
    print(f"bugs (other exceptions, writes, hangs, multi-line messages): {len(bugs)}")
    for line in bugs[:30]:
        print("  BUG:", line)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
