"""The diffusion engine: SVD keyframe interpolation on local weights (DESIGN.md §5)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from inbetweener.engines.base import EngineOption, Progress, TweenFrame, TweenRequest
from inbetweener.engines.diffusion import discovery
from inbetweener.errors import EngineError, ModelError

_REQUIRED = ("torch", "diffusers", "transformers", "safetensors")
OOM_MESSAGE = ("the GPU ran out of memory; generate fewer in-betweens (num_frames=14), lower the resolution, "
               "or set offload=model, decode_chunk=1 or dtype=fp16")


class DiffusionEngine:
    """Stable Video Diffusion in-betweens by dual-directional sampling (Wang et al. 2024), path-steered."""

    name: ClassVar[str] = "diffusion"
    options: ClassVar[tuple[EngineOption, ...]] = (
        EngineOption("model", "", "SVD model folder (diffusers format) or hub id; empty = search the usual places"),
        EngineOption("model_dirs", "", "more folders to search for models (separated like PATH)"),
        EngineOption("device", "auto", "where to run", choices=("auto", "cuda", "cpu")),
        EngineOption("dtype", "auto", "number precision (auto = fp16 on CUDA, fp32 on CPU)",
                     choices=("auto", "fp16", "bf16", "fp32")),
        EngineOption("steps", 25, "denoising steps (fewer = faster)", minimum=1, maximum=200),
        EngineOption("mode", "auto", "fuse (average both directions), rotate (180° attention maps), finetuned "
                     "(backward UNet); auto = finetuned when backward_unet is set, else rotate",
                     choices=("auto", "fuse", "rotate", "finetuned")),
        EngineOption("strength", 0.8, "image-to-image strength over the path-guided frames: lower keeps "
                     "the paths and drawings closer (1 = pure generation from noise)", minimum=0.05, maximum=1.0),
        EngineOption("guidance_min", 1.0, "image guidance next to each key", minimum=0.0, maximum=20.0),
        EngineOption("guidance_max", 3.0, "image guidance far from each key", minimum=0.0, maximum=20.0),
        EngineOption("motion_bucket", 127, "SVD's amount of motion", minimum=0, maximum=1023),
        EngineOption("fps", 7, "SVD's frame-rate conditioning", minimum=1, maximum=60),
        EngineOption("noise_aug", 0.02, "noise added to the keys' conditioning", minimum=0.0, maximum=1.0),
        EngineOption("renoise", 1, "repeats per step with noise re-injected (the paper uses 5; slower)",
                     minimum=1, maximum=10),
        EngineOption("renoise_fraction", 0.5, "share of the first steps that repeat (the coarse ones)",
                     minimum=0.0, maximum=1.0),
        EngineOption("decode_chunk", 4, "frames per VAE decode (lower = less GPU memory)", minimum=1, maximum=25),
        EngineOption("offload", "none", "model = keep parts on the CPU until used (small GPUs)",
                     choices=("none", "model")),
        EngineOption("threads", "auto", "CPU threads for torch (auto = 1 on CPU)"),
        EngineOption("num_frames", "auto", "frames SVD generates (auto = the model's own, 14 or 25)"),
        EngineOption("backward_unet", "", "folder of a backward-motion UNet (diffusers unet/ format)"),
        EngineOption("resolution", "auto", "working size WIDTHxHEIGHT (auto = canvas aspect, about 1024x576)"),
        EngineOption("passes", 1, "UNet calls per step: 1 batches both directions, 2 runs them in turn "
                     "(less activation memory)", choices=(1, 2)),
    )

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why the engine cannot run here (missing libraries), without importing them."""
        missing = [name for name in _REQUIRED if importlib.util.find_spec(name) is None]
        if missing:
            return (f"the diffusion engine needs {', '.join(missing)}; install them with "
                    "pip install 'inbetweener[diffusion]'")
        return None

    @classmethod
    def model_problem(cls, model: str | None = None, extra_dirs: list[Path] | tuple[Path, ...] = ()) -> str | None:
        """Why no model can be used (one sentence), or None when one is ready; never imports torch."""
        try:
            discovery.find_model(model or None, extra_dirs)
        except ModelError as exc:
            return str(exc)
        return None

    def tween(self, request: TweenRequest) -> Iterator[Progress | TweenFrame]:
        from inbetweener.engines.diffusion.loader import load_model, resolve_device, resolve_dtype
        from inbetweener.engines.diffusion.pipeline import generate

        settings = self.settings(request)
        if not request.times:
            yield Progress(1.0, "no in-betweens asked for")
            return
        extra = [Path(p) for p in str(request.option("model_dirs", "") or "").split(os.pathsep) if p.strip()]
        folder = discovery.find_model(request.option("model", "") or None, extra)
        device = resolve_device(request.option("device", "auto"))
        dtype = resolve_dtype(request.option("dtype", "auto"), device)
        backward = request.option("backward_unet", "") or None
        if settings.mode == "finetuned" and not backward:
            raise EngineError("mode finetuned needs the backward-motion UNet; set backward_unet to its folder "
                              "or use mode rotate")
        yield Progress(0.0, f"loading {folder.name}")
        import torch

        threads = self._threads(request, device)
        previous_threads = torch.get_num_threads()
        if threads:
            torch.set_num_threads(threads)
        try:
            model = load_model(folder, device, dtype, offload=request.option("offload", "none") == "model",
                               backward_unet=Path(backward) if backward else None)
            yield from generate(model, request, settings)
        except torch.cuda.OutOfMemoryError as exc:
            raise EngineError(OOM_MESSAGE) from exc
        except RuntimeError as exc:
            if "out of memory" in str(exc).lower():
                raise EngineError(OOM_MESSAGE) from exc
            raise
        finally:
            if threads:
                torch.set_num_threads(previous_threads)

    @staticmethod
    def _threads(request: TweenRequest, device) -> int | None:
        raw = request.option("threads", "auto")
        if raw in (None, "", "auto", 0, "0"):
            # one thread is steadiest on a shared CPU; on CUDA the CPU barely works
            return 1 if device.type == "cpu" else None
        return request.number("threads", 1, int, 1, 256)

    @staticmethod
    def settings(request: TweenRequest):
        """Validated sampling settings from the request's options (one sentence per mistake)."""
        from inbetweener.engines.diffusion.frames import parse_resolution
        from inbetweener.engines.diffusion.pipeline import Settings

        mode = request.choice("mode", "auto", ("auto", "fuse", "rotate", "finetuned"))
        if mode == "auto":
            mode = "finetuned" if request.option("backward_unet") else "rotate"
        request.choice("offload", "none", ("none", "model"))
        num_frames = request.option("num_frames", "auto")
        if num_frames not in (None, "", "auto"):
            num_frames = request.number("num_frames", 14, int, 3, 64)
        return Settings(
            steps=request.number("steps", 25, int, 1, 200),
            mode=mode,
            strength=request.number("strength", 0.8, float, 0.05, 1.0),
            guidance_min=request.number("guidance_min", 1.0, float, 0.0, 20.0),
            guidance_max=request.number("guidance_max", 3.0, float, 0.0, 20.0),
            motion_bucket=request.number("motion_bucket", 127, int, 0, 1023),
            fps=request.number("fps", 7, int, 1, 60),
            noise_aug=request.number("noise_aug", 0.02, float, 0.0, 1.0),
            renoise=request.number("renoise", 1, int, 1, 10),
            renoise_fraction=request.number("renoise_fraction", 0.5, float, 0.0, 1.0),
            decode_chunk=request.number("decode_chunk", 4, int, 1, 64),
            num_frames=num_frames,
            passes=request.number("passes", 1, int, 1, 2),
            resolution=parse_resolution(request.option("resolution", "auto")),
        )
