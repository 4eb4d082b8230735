"""Speed and memory of the diffusion engine: seconds per step, per frame, peak memory.

    python bench/diffusion.py --model DIR --resolution 1024x576 --frames 25 --steps 10 --device cuda
    python bench/diffusion.py --random-unet svd-xt --resolution 1024x576 --frames 25 --steps 4 --device cuda
    python bench/diffusion.py --random-unet tiny --resolution 128x64 --frames 7 --steps 2 --device cpu

`--random-unet` builds a random-weight model from the published SVD configs (or the tiny test one);
nothing is downloaded. `--compare` runs the two-pass reference loop as a baseline in the same run
and reports the ratios of the batched single pass to it. Timings on CPU are only a smoke test, and
CPU peak memory is the process's lifetime maximum RSS (so a later run's peak includes earlier ones);
on CUDA the peak is reset before each run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def disc_keys(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    a = np.full((height, width, 4), 255, np.uint8)
    b = a.copy()
    r = max(4, min(width, height) // 8)
    cv2.circle(a, (width // 4, height // 2), r, (20, 40, 200, 255), -1)
    cv2.circle(b, (3 * width // 4, height // 2), r, (20, 40, 200, 255), -1)
    return a, b


def random_model(size: str, device, dtype):
    """A LoadedModel of random weights, built straight on the device (no files)."""
    import torch

    from inbetweener.engines.diffusion.attention import install_map_processors
    from inbetweener.engines.diffusion.loader import LoadedModel
    from inbetweener.engines.diffusion.random_model import build_parts

    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype if dtype != torch.float16 or device.type == "cuda" else torch.float32)
    try:
        with torch.device(device):
            unet, vae, encoder = build_parts(size)
    finally:
        torch.set_default_dtype(previous)
    for part in (unet, vae, encoder):
        part.requires_grad_(False).eval().to(device)
        if next(part.parameters()).dtype != dtype:
            part.to(dtype=dtype)
    return LoadedModel(folder=Path(f"<random {size}>"), device=device, dtype=dtype, unet=unet, vae=vae,
                       image_encoder=encoder, maps=install_map_processors(unet))


def peak_memory(device) -> tuple[str, float]:
    import torch

    if device.type == "cuda":
        return "cuda_max_allocated_gib", torch.cuda.max_memory_allocated(device) / 2**30
    return "cpu_max_rss_gib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


def run_once(model, args, passes: int) -> dict:
    """One generation; times every stage from the engine's own progress reports."""
    import torch

    from inbetweener.engines.base import Progress, TweenFrame, TweenRequest
    from inbetweener.engines.diffusion.frames import parse_resolution
    from inbetweener.engines.diffusion.pipeline import Settings, generate

    size = parse_resolution(args.resolution)
    a, b = disc_keys(*size)
    count = args.frames
    # times on the generated frames and strength 1: no flow work, only SVD is measured
    times = tuple(k / (count - 1) for k in range(1, count - 1))
    settings = Settings(steps=args.steps, mode=args.mode, strength=1.0, renoise=args.renoise,
                        decode_chunk=args.decode_chunk, num_frames=count, passes=passes, resolution=size)
    if model.device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(model.device)
    marks: list[tuple[str, float]] = []
    frames = 0
    start = time.perf_counter()
    for item in generate(model, TweenRequest(a, b, times, seed=0), settings):
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        now = time.perf_counter()
        if isinstance(item, Progress):
            marks.append((item.message, now))
        elif isinstance(item, TweenFrame):
            frames += 1
    total = time.perf_counter() - start
    step_marks = [t for m, t in marks if m.startswith("denoising:")]
    first_step_start = next(t for m, t in marks if m.startswith("denoising from"))
    steps = np.diff([first_step_start] + step_marks).tolist()
    decode = total - (step_marks[-1] - start)
    key, peak = peak_memory(model.device)
    return {
        "passes": passes, "frames_generated": count, "frames_out": frames, "total_s": total,
        "prepare_s": first_step_start - start, "step_s_median": statistics.median(steps),
        "step_s_mean": statistics.fmean(steps), "steps_timed": len(steps), "decode_s": decode,
        "per_frame_s": total / count, key: peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", type=Path, help="a diffusers-format SVD folder")
    src.add_argument("--random-unet", choices=("tiny", "svd", "svd-xt"), help="random weights from a config")
    parser.add_argument("--resolution", default="1024x576", help="working size WxH (multiples of 64)")
    parser.add_argument("--frames", type=int, default=14, help="frames generated (14 or 25 for SVD)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--renoise", type=int, default=1)
    parser.add_argument("--mode", choices=("fuse", "rotate", "finetuned"), default="rotate")
    parser.add_argument("--dtype", default="auto", choices=("auto", "fp16", "bf16", "fp32"))
    parser.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    parser.add_argument("--decode-chunk", type=int, default=4)
    parser.add_argument("--offload", action="store_true", help="model CPU offload")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--passes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--compare", action="store_true", help="also run the two-pass baseline; report ratios")
    parser.add_argument("--warmup", type=int, default=1, help="untimed 1-step runs first (kernel caches, allocator)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)

    import torch

    from inbetweener.engines.diffusion.discovery import find_model
    from inbetweener.engines.diffusion.loader import load_model, resolve_device, resolve_dtype

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    dtype = resolve_dtype(args.dtype, device)
    t0 = time.perf_counter()
    if args.model:
        model = load_model(find_model(args.model), device, dtype, offload=args.offload)
    else:
        model = random_model(args.random_unet, device, dtype)
        model.offload = args.offload
    load_s = time.perf_counter() - t0
    if args.mode == "finetuned" and model.maps.backward_weights is None:
        # stand-in backward weights: the stock V/O copied, so the finetuned path is timed
        from inbetweener.engines.diffusion.attention import temporal_layers

        mods = dict(model.unet.named_modules())
        model.maps.backward_weights = {
            layer: {"to_v.weight": mods[layer].to_v.weight.clone(), "to_out.0.weight": mods[layer].to_out[0].weight.clone(),
                    "to_out.0.bias": mods[layer].to_out[0].bias.clone()} for layer in temporal_layers(model.unet)}
    params = sum(p.numel() for p in model.unet.parameters())
    head = {"model": str(model.folder), "unet_params_m": params / 1e6, "device": str(device),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "dtype": str(dtype).removeprefix("torch."), "resolution": args.resolution, "steps": args.steps,
            "mode": args.mode, "renoise": args.renoise, "decode_chunk": args.decode_chunk, "load_s": load_s}
    for _ in range(args.warmup):
        run_once(model, argparse.Namespace(**{**vars(args), "steps": 1}), args.passes)
    runs = [run_once(model, args, args.passes)]
    if args.compare:
        runs.append(run_once(model, args, 2 if args.passes == 1 else 1))
    result = {**head, "runs": runs}
    if args.compare:
        one = next(r for r in runs if r["passes"] == 1)
        two = next(r for r in runs if r["passes"] == 2)
        mem_key = next(k for k in one if k.endswith("_gib"))
        result["ratio_step_batched_over_two_pass"] = one["step_s_median"] / two["step_s_median"]
        result["ratio_peak_mem_batched_over_two_pass"] = one[mem_key] / max(two[mem_key], 1e-9)
    for run in runs:
        mem_key = next(k for k in run if k.endswith("_gib"))
        print(f"{head['model']} {args.resolution} x{run['frames_generated']} {args.mode} passes={run['passes']} "
              f"{head['dtype']} on {head['gpu'] or device}: {run['step_s_median']:.3f} s/step, "
              f"{run['per_frame_s']:.3f} s/frame, total {run['total_s']:.2f} s, decode {run['decode_s']:.2f} s, "
              f"peak {run[mem_key]:.2f} GiB ({mem_key})")
    if args.compare:
        print(f"batched/two-pass: step time x{result['ratio_step_batched_over_two_pass']:.2f}, "
              f"peak memory x{result['ratio_peak_mem_batched_over_two_pass']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
