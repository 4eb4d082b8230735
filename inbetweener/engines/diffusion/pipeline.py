"""Keyframe interpolation with Stable Video Diffusion, as numbered stages (diffusers style).

Dual-directional sampling after Wang et al. 2024 ("Generative Inbetweening", Alg. 2), steered by
the animator's paths through an SDEdit start (Meng et al. 2022) from the flow engine's frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from inbetweener.engines.base import Engine, Progress, TweenFrame, TweenRequest
from inbetweener.engines.diffusion import frames as fr
from inbetweener.engines.diffusion.loader import LoadedModel
from inbetweener.engines.diffusion.sampling import (
    iter_dual_euler,
    repeats_per_step,
    sdedit_sigmas,
)
from inbetweener.errors import EngineError

MODES = ("fuse", "rotate", "finetuned")
CLIP_SIZE = 224


@dataclass(frozen=True)
class Settings:
    """Sampling settings, already validated (see engine.py for their meaning)."""

    steps: int = 25
    mode: str = "rotate"
    strength: float = 1.0
    guidance_min: float = 1.0
    guidance_max: float = 3.0
    motion_bucket: int = 127
    fps: int = 7
    noise_aug: float = 0.02
    renoise: int = 1
    renoise_fraction: float = 1.0  # share of the (leading) steps that repeat with re-injected noise
    decode_chunk: int = 4
    num_frames: object = "auto"
    passes: int = 1
    resolution: tuple[int, int] | None = None


@dataclass
class Conditioning:
    """One key as SVD sees it: CLIP image embedding (1, 1, D) and VAE latent (1, 4, h, w)."""

    embeds: torch.Tensor
    latents: torch.Tensor


@contextmanager
def on_device(model: LoadedModel, module):
    """Model CPU offload: a part visits the GPU only while it works."""
    if not model.offload:
        yield module
        return
    module.to(model.device)
    try:
        yield module
    finally:
        module.to("cpu")
        if model.device.type == "cuda":
            torch.cuda.empty_cache()


def image_tensor(rgb: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """RGB uint8 -> (1, 3, h, w) float32 in [-1, 1] at the working size."""
    small = fr.resize(rgb, size)
    return torch.from_numpy(small).permute(2, 0, 1)[None].float() / 127.5 - 1.0


def tensor_to_rgb(images: torch.Tensor) -> list[np.ndarray]:
    """(n, 3, h, w) in [-1, 1] -> RGB uint8 arrays."""
    scaled = ((images.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return [a.permute(1, 2, 0).cpu().numpy() for a in scaled]


def _encode_vae(model: LoadedModel, images: torch.Tensor) -> torch.Tensor:
    """VAE posterior mode; fp16 VAEs marked force_upcast encode in fp32 (as SVD's pipeline does)."""
    vae = model.vae
    upcast = model.dtype == torch.float16 and bool(getattr(vae.config, "force_upcast", False))
    if upcast:
        vae.to(torch.float32)
    try:
        dtype = torch.float32 if upcast else model.dtype
        return vae.encode(images.to(model.device, dtype)).latent_dist.mode().float()
    finally:
        if upcast:
            vae.to(model.dtype)


@torch.inference_mode()
def encode_key(model: LoadedModel, rgb: np.ndarray, size: tuple[int, int], noise_aug: float,
               generator: torch.Generator) -> Conditioning:
    """Stage 3: a key's CLIP embedding and its noise-augmented VAE latent (SVD conditioning)."""
    image = image_tensor(rgb, size)
    # CLIP sees 224x224, antialiased, normalised with the feature extractor's statistics
    clip_in = F.interpolate(image, size=(CLIP_SIZE, CLIP_SIZE), mode="bicubic", antialias=True, align_corners=False)
    clip_in = ((clip_in + 1.0) / 2.0).clamp(0, 1)
    mean = torch.tensor(model.clip_mean).view(1, 3, 1, 1)
    std = torch.tensor(model.clip_std).view(1, 3, 1, 1)
    with on_device(model, model.image_encoder) as encoder:
        embeds = encoder(pixel_values=((clip_in - mean) / std).to(model.device, model.dtype)).image_embeds
    noise = torch.randn(image.shape, generator=generator)
    with on_device(model, model.vae):
        latents = _encode_vae(model, image + noise_aug * noise)
    return Conditioning(embeds.float()[:, None, :], latents)


@torch.inference_mode()
def encode_frames(model: LoadedModel, rgbs: list[np.ndarray], size: tuple[int, int], chunk: int) -> torch.Tensor:
    """Stage 4a: guide frames -> scaled latents (1, F, 4, h, w) for the SDEdit start."""
    parts = []
    with on_device(model, model.vae):
        for start in range(0, len(rgbs), chunk):
            batch = torch.cat([image_tensor(rgb, size) for rgb in rgbs[start:start + chunk]])
            parts.append(_encode_vae(model, batch))
    return torch.cat(parts)[None] * float(model.vae.config.scaling_factor)


class DualDenoiser:
    """`denoise_fwd_bwd(x, sigma) -> (x0_forward, x0_backward)` for SVD (v-prediction, EDM preconditioning).

    Forward: the clip conditioned on key A. Backward: the time-flipped clip conditioned on key B,
    with 180°-rotated temporal attention maps (modes rotate/finetuned); its estimate is flipped back.
    Classifier-free guidance batches [uncond, cond] with zero image embedding and zero image latents,
    with SVD's per-frame guidance ramp (each direction ramps away from its own key); as in SVD, a
    guidance_max of 1 or less turns guidance off and halves the batch.
    """

    def __init__(self, model: LoadedModel, cond_a: Conditioning, cond_b: Conditioning, frames: int,
                 settings: Settings) -> None:
        if settings.mode == "finetuned" and model.maps.backward_weights is None:
            raise EngineError("mode finetuned needs the backward-motion UNet; set backward_unet to its folder "
                              "or use mode rotate")
        self.model = model
        self.mode = settings.mode
        self.passes = settings.passes
        self.frames = frames
        dev = model.device
        self.ramp = torch.linspace(settings.guidance_min, settings.guidance_max, frames, device=dev).view(1, -1, 1, 1, 1)
        self.time_ids = torch.tensor([[settings.fps - 1, settings.motion_bucket, settings.noise_aug]],
                                     device=dev, dtype=model.dtype)
        self.guided = settings.guidance_max > 1.0
        pair = (lambda t: torch.cat([torch.zeros_like(t), t])) if self.guided else (lambda t: t)
        self.embeds = {d: pair(c.embeds).to(dev, model.dtype) for d, c in (("fwd", cond_a), ("bwd", cond_b))}
        self.image_latents = {d: pair(c.latents).to(dev, model.dtype) for d, c in (("fwd", cond_a), ("bwd", cond_b))}

    def _inputs(self, scaled: torch.Tensor, direction: str) -> tuple[torch.Tensor, torch.Tensor]:
        """UNet sample (2 or 1, F, 8, h, w) and embeddings for one direction ([uncond, cond] or [cond])."""
        sample = (torch.cat([scaled, scaled]) if self.guided else scaled).to(self.model.dtype)
        cond = self.image_latents[direction][:, None].expand(-1, self.frames, -1, -1, -1)
        return torch.cat([sample, cond], dim=2), self.embeds[direction]

    def _unet(self, sample: torch.Tensor, embeds: torch.Tensor, sigma: float) -> torch.Tensor:
        batch = sample.shape[0]
        timestep = torch.full((batch,), 0.25 * math.log(sigma), device=self.model.device, dtype=self.model.dtype)
        out = self.model.unet(sample, timestep, encoder_hidden_states=embeds,
                              added_time_ids=self.time_ids.expand(batch, -1), return_dict=False)[0]
        return out.float()

    def _guided(self, v_pair: torch.Tensor) -> torch.Tensor:
        if not self.guided:
            return v_pair
        uncond, cond = v_pair.chunk(2)
        return uncond + self.ramp * (cond - uncond)

    def velocities(self, x: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Guided v-predictions of both directions, the backward one still in backward time."""
        maps = self.model.maps
        scaled = x / math.sqrt(sigma * sigma + 1.0)
        fwd_in, fwd_emb = self._inputs(scaled, "fwd")
        bwd_in, bwd_emb = self._inputs(torch.flip(scaled, dims=(1,)), "bwd")
        use_bwd_weights = self.mode == "finetuned"
        try:
            if self.passes == 1:  # one UNet call: [fwd uncond, fwd cond, bwd uncond, bwd cond]
                maps.set("plain" if self.mode == "fuse" else "split", use_bwd_weights)
                v = self._unet(torch.cat([fwd_in, bwd_in]), torch.cat([fwd_emb, bwd_emb]), sigma)
                v_fwd, v_bwd = v.chunk(2)
            else:  # the reference's two sequential passes: record, then inject rotated maps
                maps.set("plain" if self.mode == "fuse" else "record")
                v_fwd = self._unet(fwd_in, fwd_emb, sigma)
                maps.set("plain" if self.mode == "fuse" else "inject", use_bwd_weights)
                v_bwd = self._unet(bwd_in, bwd_emb, sigma)
        finally:
            maps.set("plain")
        return self._guided(v_fwd), self._guided(v_bwd)

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
        v_fwd, v_bwd = self.velocities(x, sigma)
        c_skip = 1.0 / (sigma * sigma + 1.0)
        c_out = -sigma / math.sqrt(sigma * sigma + 1.0)
        return c_skip * x + c_out * v_fwd, c_skip * x + c_out * torch.flip(v_bwd, dims=(1,))


def decode_chunks(model: LoadedModel, latents: torch.Tensor, chunk: int) -> Iterator[tuple[int, list[np.ndarray]]]:
    """Stage 7: latents (1, F, 4, h, w) -> RGB frames, `chunk` frames per VAE call (temporal decoder)."""
    scale = 1.0 / float(model.vae.config.scaling_factor)
    frames = latents[0]
    with on_device(model, model.vae):
        for start in range(0, frames.shape[0], chunk):
            # inference mode only around the work: a generator must not leave it on for its caller
            with torch.inference_mode():
                part = frames[start:start + chunk].to(model.device, model.dtype) * scale
                rgbs = tensor_to_rgb(model.vae.decode(part, num_frames=part.shape[0], return_dict=False)[0])
                del part
            yield start, rgbs


def generate(model: LoadedModel, request: TweenRequest, settings: Settings,
             helper: Engine | None = None) -> Iterator[Progress | TweenFrame]:
    """Run every stage; yields Progress each step and each in-between as soon as it is decoded."""
    # 1. Frame count, working size and where each requested time comes from.
    count = fr.choose_frame_count(request.times, model.native_frames, settings.num_frames)
    sources = fr.map_times(request.times, count)
    canvas = request.size
    size = settings.resolution or fr.work_size(*canvas)
    multiple = model.pixel_multiple
    if size[0] % multiple or size[1] % multiple:
        size = fr.work_size(*size, multiple=multiple, max_area=size[0] * size[1])
    gen_times = fr.generated_times(count)
    generator = torch.Generator().manual_seed(int(request.seed))
    yield Progress(0.0, f"preparing {count} frames at {size[0]}x{size[1]}")

    # 2. Guide frames along the user's paths (flow engine): the SDEdit start and the alpha of the result.
    opaque = bool((request.key_a[..., 3] == 255).all() and (request.key_b[..., 3] == 255).all())
    need_guides = settings.strength < 1.0 or not opaque
    helper = helper or (fr.helper_engine() if need_guides or any(not s.exact for s in sources) else None)
    interior: dict[int, np.ndarray] = {}
    if need_guides:
        for index, image in fr.iter_helper(helper, request.key_a, request.key_b, gen_times[1:-1], request.paths,
                                           request.seed):
            interior[index] = image
            yield Progress(0.05 * len(interior) / (count - 2), f"guide frame {len(interior)} of {count - 2}")
    guides = [request.key_a] + [interior[i] for i in sorted(interior)] + [request.key_b]
    yield Progress(0.05, "encoding keys")

    # 3. Conditioning from both keys.
    cond_a = encode_key(model, fr.over_white(request.key_a), size, settings.noise_aug, generator)
    cond_b = encode_key(model, fr.over_white(request.key_b), size, settings.noise_aug, generator)

    # 4. Starting latents: pure noise, or the guide frames noised to the strength's sigma.
    sigmas = sdedit_sigmas(settings.steps, settings.strength, model.sigma_min, model.sigma_max)
    factor = model.latent_factor
    shape = (1, count, 4, size[1] // factor, size[0] // factor)
    noise = torch.randn(shape, generator=generator).to(model.device)
    if settings.strength < 1.0:
        guide_latents = encode_frames(model, [fr.over_white(g) for g in guides], size, settings.decode_chunk)
        x = guide_latents.to(model.device) + noise * sigmas[0]
    else:
        x = noise * sigmas[0]

    # 5. Dual-directional denoising, one scheduler (Euler) step per fused prediction.
    denoiser = DualDenoiser(model, cond_a, cond_b, count, settings)
    steps = len(sigmas) - 1
    renoise_steps = int(math.ceil(settings.renoise_fraction * steps))
    total = sum(repeats_per_step(steps, settings.renoise, renoise_steps))
    done = 0
    yield Progress(0.1, f"denoising from sigma {sigmas[0]:.3g}")
    with on_device(model, model.unet):
        for step, _repeat, latents in iter_dual_euler(denoiser, x, sigmas, renoise=settings.renoise,
                                                      renoise_steps=renoise_steps, generator=generator):
            done += 1
            x = latents
            yield Progress(0.1 + 0.8 * done / total, f"denoising: step {step + 1} of {steps}")

    # 6-7. Decode in chunks; keys exact at both ends; alpha from the guides; frames out when ready.
    made: dict[int, np.ndarray] = {0: request.key_a, count - 1: request.key_b}
    pending = list(range(len(sources)))
    for start, rgbs in decode_chunks(model, x, max(1, settings.decode_chunk)):
        for offset, rgb in enumerate(rgbs):
            k = start + offset
            if 0 < k < count - 1:
                alpha = guides[k][..., 3] if need_guides else np.full(rgb.shape[:2], 255, np.uint8)
                made[k] = fr.with_alpha(fr.resize(rgb, canvas), fr.resize(alpha, canvas))
        yield Progress(0.9 + 0.1 * min(start + len(rgbs), count) / count, "decoding frames")
        for index in list(pending):
            source = sources[index]
            if source.lower in made and source.upper in made:
                pending.remove(index)
                yield TweenFrame(index, _frame_for(source, made, gen_times, request, helper))


def _frame_for(source: fr.FrameSource, made: dict[int, np.ndarray], gen_times: list[float],
               request: TweenRequest, helper: Engine | None) -> np.ndarray:
    """A generated frame as is, or the helper's in-between of its two generated neighbours."""
    if source.exact:
        return np.array(made[source.lower])
    assert helper is not None
    t0, t1 = gen_times[source.lower], gen_times[source.upper]
    paths = fr.sub_paths(request.paths, t0, t1)
    return fr.run_helper(helper, made[source.lower], made[source.upper], [source.fraction], paths, request.seed)[0]
