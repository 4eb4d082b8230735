#!/usr/bin/env python3
"""Quality and speed of the flow engine against classical baselines on ../shared/bench cases.

Runs in one process, same machine, same run: the flow engine (in-process, PNG reading and writing
timed like the baselines), crossfade, naive DIS flow and ffmpeg minterpolate (from shared/bench's
baselines.py), scores everything with shared/bench's score.py, and prints a markdown table with the
targets and the deltas.

Usage: python bench/quality.py [--cases DIR] [--limit N] [--only SUBSTR] [--methods ...] [--option k=v]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_BENCH = REPO.parent / "shared" / "bench"


def import_shared(bench_dir: Path):
    """Import shared/bench's eval_common, score and baselines modules (never copied here)."""
    sys.path.insert(0, str(bench_dir))
    import baselines  # noqa: E402
    import eval_common  # noqa: E402
    import score  # noqa: E402

    return eval_common, score, baselines


def ensure_ffmpeg() -> bool:
    """Put an `ffmpeg` on PATH (system one, else imageio-ffmpeg's binary); False if none."""
    if shutil.which("ffmpeg"):
        return True
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001 - any failure means: no minterpolate baseline
        return False
    link_dir = Path(tempfile.mkdtemp(prefix="ffmpeg_link_"))
    (link_dir / "ffmpeg").symlink_to(exe)
    os.environ["PATH"] = f"{link_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    return True


def read_rgba(path: Path) -> np.ndarray:
    im = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if im.ndim == 2:
        im = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
    if im.shape[2] == 3:
        return cv2.cvtColor(im, cv2.COLOR_BGR2RGBA)
    return cv2.cvtColor(im, cv2.COLOR_BGRA2RGBA)


def gen_flow_engine(options: dict, spacing: str = "linear"):
    """A generator function with the baselines' signature running our engine in-process, its
    in-betweens placed by a segment spacing preset (linear: at j / k, as the truth is scored)."""
    from inbetweener.engines.base import TweenFrame, TweenRequest
    from inbetweener.engines.flow import FlowEngine
    from inbetweener.paths.timing import Timing

    engine = FlowEngine()

    def gen(a_path: Path, b_path: Path, k: int, out_dir: Path) -> None:
        a, b = read_rgba(a_path), read_rgba(b_path)
        times = tuple(float(v) for v in Timing.preset(spacing).progress([j / k for j in range(1, k)]))
        request = TweenRequest(a, b, times, options=options)
        for item in engine.tween(request):
            if isinstance(item, TweenFrame):
                rgb = cv2.cvtColor(item.image, cv2.COLOR_RGBA2BGR)
                cv2.imwrite(str(out_dir / f"gt_{item.index + 1:03d}.png"), rgb,
                            [cv2.IMWRITE_PNG_COMPRESSION, 1])

    return gen


def gen_flow_cli(options: dict, spacing: str = "linear"):
    """A generator function running the installed `inbetweener tween` command once per case, as
    shared/bench's run_predictor.py runs a predictor: each case's time holds a process start
    (Python, numpy, OpenCV imports), as minterpolate's holds ffmpeg's."""
    program = Path(sys.executable).with_name("inbetweener")
    if not program.exists():
        program = Path(shutil.which("inbetweener") or "inbetweener")
    extra = [arg for name, value in options.items() for arg in ("--option", f"{name}={value}")]

    def gen(a_path: Path, b_path: Path, k: int, out_dir: Path) -> None:
        # --start 0: key A is gt_000, the in-betweens gt_001 .. and key B gt_<k>, as scored.
        subprocess.run([str(program), "tween", str(a_path), str(b_path), "--inbetweens", str(k - 1),
                        "--out", str(out_dir), "--name", "gt", "--pad", "3", "--start", "0",
                        "--spacing", spacing, "--quiet", *extra], check=True)

    return gen


def gen_flow_timing_fit(options: dict, steps: int = 33):
    """Diagnostic, not a score: the engine with each in-between's t picked from `steps` even steps
    by PSNR against the true frame. The ceiling a timing curve could reach: how much of the gap is
    timing (the Synfig clips carry their animator's easing) rather than motion."""
    from inbetweener.engines.base import TweenFrame, TweenRequest
    from inbetweener.engines.flow import FlowEngine

    engine = FlowEngine()
    sweep = tuple((i + 0.5) / steps for i in range(steps))

    def gen(a_path: Path, b_path: Path, k: int, out_dir: Path) -> None:
        a, b = read_rgba(a_path), read_rgba(b_path)
        candidates = [cv2.cvtColor(item.image, cv2.COLOR_RGBA2BGR)
                      for item in engine.tween(TweenRequest(a, b, sweep, options=options))
                      if isinstance(item, TweenFrame)]
        for j in range(1, k):
            truth = cv2.imread(str(a_path.parent / f"gt_{j:03d}.png"), cv2.IMREAD_COLOR).astype(np.float32)
            best = min(candidates, key=lambda c: float(np.mean((c.astype(np.float32) - truth) ** 2)))
            cv2.imwrite(str(out_dir / f"gt_{j:03d}.png"), best, [cv2.IMWRITE_PNG_COMPRESSION, 1])

    return gen


def run(method: str, gen, cases: list, root: Path, score) -> dict:
    out_root = root / method
    total_s, total_f = 0.0, 0
    for c in cases:
        od = out_root / c["name"]
        od.mkdir(parents=True)
        t0 = time.perf_counter()
        gen(c["dir"] / "a.png", c["dir"] / "b.png", c["k"], od)
        dt = time.perf_counter() - t0
        (od / "timing.json").write_text(json.dumps(dict(seconds=dt, frames=c["k"] - 1)))
        total_s += dt
        total_f += c["k"] - 1
    print(f"{method}: {len(cases)} cases, {total_f} frames, {total_s / max(1, total_f):.3f} s/frame",
          file=sys.stderr, flush=True)
    rows = [score.score_case(c, out_root) for c in cases]
    for c, row in zip(cases, rows, strict=True):
        row["edges"] = edge_energy_ratio(c, out_root / c["name"])
    return dict(summary=score.summarize(rows), cases=rows)


def _edge_energy(path: Path) -> float:
    grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    return float((cv2.Sobel(grey, cv2.CV_32F, 1, 0) ** 2 + cv2.Sobel(grey, cv2.CV_32F, 0, 1) ** 2).sum())


def edge_energy_ratio(case: dict, pred_dir: Path) -> float:
    """How crisp a case's frames are: their squared grey gradient (Sobel), summed over the frames,
    over the truth's. 1: edges as strong as the truth's. Blur, and a ghost's two half-strength
    edges, lower it (PSNR can reward both, as a hedge); fragments and noise raise it."""
    made = sum(_edge_energy(pred_dir / f"gt_{j:03d}.png") for j in range(1, case["k"]))
    truth = sum(_edge_energy(case["dir"] / f"gt_{j:03d}.png") for j in range(1, case["k"]))
    return made / max(truth, 1e-9)


def _get(res: dict, group: str, key: str | None, metric: str) -> float:
    s = res["summary"][group] if key is None else res["summary"][group].get(key, {})
    return s.get(metric, float("nan"))


def report(results: dict) -> str:
    methods = list(results)
    ours = results["flow-engine"]["summary"]
    lines = ["| group | cases | " + " | ".join(methods) + " | Δ vs DIS (target ≥ +1.5) |",
             "|---|---:|" + "---:|" * (len(methods) + 1)]
    groups = [("family", f) for f in ours["family"]] + [("gap", k) for k in ours["gap"]] + \
             [("family_gap", k) for k in sorted(ours["family_gap"])] + [("all", None)]
    for group, key in groups:
        cells = [f"{_get(results[m], group, key, 'psnr'):.2f} / {_get(results[m], group, key, 'ssim'):.3f}"
                 for m in methods]
        delta = ""
        if "dis" in results:
            d = _get(results["flow-engine"], group, key, "psnr") - _get(results["dis"], group, key, "psnr")
            delta = f"{d:+.2f} {'met' if d >= 1.5 else 'short'}"
        cases = (ours[group] if key is None else ours[group][key])["cases"]
        lines.append(f"| {key or 'all'} | {cases} | " + " | ".join(cells) + f" | {delta} |")
    out = ["PSNR dB / SSIM (mean over cases):", "", *lines, ""]
    out.append("Edge energy over the truth's (1 = as crisp; blur and ghosts lower it, fragments raise it):")
    out.append("")
    out.append("| group | " + " | ".join(methods) + " |")
    out.append("|---|" + "---:|" * len(methods))
    for family in [*ours["family"], None]:
        cells = []
        for m in methods:
            ratios = [r["edges"] for r in results[m]["cases"] if family in (None, r["family"])]
            cells.append(f"{np.mean(ratios):.2f}")
        out.append(f"| {family or 'all'} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("| | " + " | ".join(methods) + " |")
    out.append("|---|" + "---:|" * len(methods))
    out.append("| tdiff | " + " | ".join(f"{_get(results[m], 'all', None, 'tdiff'):.3f}" for m in methods) + " |")
    for k in ours["gap"]:
        out.append(f"| s/frame k={k} | " + " | ".join(
            f"{_get(results[m], 'gap', k, 'sec_per_frame'):.4f}" for m in methods) + " |")
    out.append("| s/frame all | " + " | ".join(
        f"{_get(results[m], 'all', None, 'sec_per_frame'):.4f}" for m in methods) + " |")
    out.append("")
    ours_tdiff = _get(results["flow-engine"], "all", None, "tdiff")
    for m in methods:
        if m not in ("flow-engine", "flow-cli", "flow-timing-fit"):  # targets are against the baselines
            other = _get(results[m], "all", None, "tdiff")
            out.append(f"- tdiff vs {m}: {ours_tdiff:.3f} vs {other:.3f} "
                       f"({'met' if ours_tdiff < other else 'short'})")
    if "crossfade" in results and "sketch/k8" in ours["family_gap"]:
        d = _get(results["flow-engine"], "family_gap", "sketch/k8", "psnr") - \
            _get(results["crossfade"], "family_gap", "sketch/k8", "psnr")
        out.append(f"- sketch k=8 vs crossfade: {d:+.2f} dB (target ≥ +2: {'met' if d >= 2 else 'short'})")
    if "minterpolate" in results:
        r = _get(results["flow-engine"], "all", None, "sec_per_frame") / \
            _get(results["minterpolate"], "all", None, "sec_per_frame")
        out.append(f"- s/frame vs minterpolate: {r:.3f}× (target ≤ 0.25: {'met' if r <= 0.25 else 'short'})")
        if "flow-cli" in results:
            r = _get(results["flow-cli"], "all", None, "sec_per_frame") / \
                _get(results["minterpolate"], "all", None, "sec_per_frame")
            out.append(f"- s/frame vs minterpolate, both a process per case: {r:.3f}× "
                       f"(target ≤ 0.25: {'met' if r <= 0.25 else 'short'})")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=Path, default=SHARED_BENCH,
                    help="shared bench folder (holding cases/, score.py, baselines.py)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N cases")
    ap.add_argument("--only", default="", help="only cases whose name contains this")
    ap.add_argument("--methods", default="flow-engine,crossfade,dis,minterpolate",
                    help="comma list; also flow-cli (the installed `inbetweener tween`, a process per "
                         "case, timed as shared/bench's run_predictor.py times a predictor) and "
                         "flow-timing-fit (diagnostic: each frame's t chosen by the true frame, the "
                         "ceiling of a timing curve; reads the answers, not a score)")
    ap.add_argument("--option", action="append", default=[], help="engine option name=value")
    ap.add_argument("--spacing", default="linear", choices=("linear", "ease-in", "ease-out", "ease-in-out"),
                    help="the flow engine's segment spacing (what an animator would set; the truth is "
                         "scored at linear times, so only clips drawn with that easing gain)")
    ap.add_argument("--keep", type=Path, default=None, help="keep predictions in this folder")
    args = ap.parse_args()
    from inbetweener.allocator import keep_freed_memory

    keep_freed_memory()  # the engine runs in this process as it does in the inbetweener program
    bench_dir = args.cases.resolve()
    if (bench_dir / "cases").is_dir() and not (bench_dir / "manifest.json").is_file():
        raise SystemExit(f"{bench_dir} has no manifest.json; point --cases at shared/bench")
    eval_common, score, baselines = import_shared(bench_dir)
    cases = eval_common.list_cases(bench_dir / "cases")
    if args.only:
        cases = [c for c in cases if args.only in c["name"]]
    if args.limit:
        cases = cases[: args.limit]
    options = dict(o.split("=", 1) for o in args.option)
    gens = {"flow-engine": gen_flow_engine(options, args.spacing), "flow-cli": gen_flow_cli(options, args.spacing),
            "flow-timing-fit": gen_flow_timing_fit(options),
            "crossfade": baselines.gen_crossfade,
            "dis": baselines.gen_flow, "minterpolate": baselines.gen_minterpolate}
    methods = [m for m in args.methods.split(",") if m]
    if "minterpolate" in methods and not ensure_ffmpeg():
        print("no ffmpeg found: minterpolate skipped", file=sys.stderr)
        methods.remove("minterpolate")
    root = args.keep or Path(tempfile.mkdtemp(prefix="quality_"))
    if root.exists():
        shutil.rmtree(root)
    cv2.setNumThreads(cv2.getNumThreads())
    results = {m: run(m, gens[m], cases, root, score) for m in methods}
    print(report(results) if "flow-engine" in results else json.dumps(
        {m: r["summary"]["all"] for m, r in results.items()}, indent=1))
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
