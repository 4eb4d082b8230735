"""Samplers as small pure functions (k-diffusion style): a sigma schedule, then Euler steps.

The model contract is `denoise(x, sigma) -> x0`; the dual-directional sampler's is
`denoise_fwd_bwd(x, sigma) -> (x0_forward, x0_backward)` with the backward estimate already
flipped back into forward time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

DualDenoiser = Callable[[torch.Tensor, float], tuple[torch.Tensor, torch.Tensor]]
Denoiser = Callable[[torch.Tensor, float], torch.Tensor]


def karras_sigmas(steps: int, sigma_min: float = 0.002, sigma_max: float = 700.0, rho: float = 7.0) -> list[float]:
    """Noise levels of Karras et al. 2022 (EDM, eq. 5), as SVD's Euler scheduler uses them, ending in 0."""
    if steps < 1:
        raise ValueError("steps must be at least 1")
    if steps == 1:
        return [float(sigma_max), 0.0]
    lo, hi = sigma_min ** (1 / rho), sigma_max ** (1 / rho)
    sigmas = [(hi + i / (steps - 1) * (lo - hi)) ** rho for i in range(steps)]
    return sigmas + [0.0]


def strength_sigma(strength: float, beta_start: float = 0.00085, beta_end: float = 0.012,
                   train_steps: int = 1000) -> float:
    """Noise level of image-to-image `strength` (SDEdit, Meng et al. 2022): the EDM sigma of training
    step strength*T on SVD's scaled-linear beta schedule, so 0.5 means what it means in SD img2img."""
    betas = [(beta_start ** 0.5 + i / (train_steps - 1) * (beta_end ** 0.5 - beta_start ** 0.5)) ** 2
             for i in range(train_steps)]
    t = min(train_steps - 1, max(0, int(round(float(strength) * train_steps))))
    alpha_bar = 1.0
    for beta in betas[:t + 1]:
        alpha_bar *= 1.0 - beta
    return math.sqrt((1.0 - alpha_bar) / alpha_bar)


def sdedit_sigmas(steps: int, strength: float, sigma_min: float = 0.002, sigma_max: float = 700.0) -> list[float]:
    """The schedule of an SDEdit start (Meng et al. 2022) at `strength`: Karras steps from its sigma down,
    steps x strength of them (as image-to-image does); strength 1 = the full schedule from pure noise."""
    if strength >= 1.0:
        return karras_sigmas(steps, sigma_min, sigma_max)
    start = min(strength_sigma(strength), sigma_max)
    return karras_sigmas(max(1, round(steps * float(strength))), sigma_min, max(start, sigma_min * 1.01))


def renoise_sigma(sigma: float, sigma_next: float) -> float:
    """Noise that takes a sample from level sigma_next back up to sigma: sqrt(sigma^2 - sigma_next^2)."""
    return math.sqrt(max(sigma * sigma - sigma_next * sigma_next, 0.0))


def euler_step(x: torch.Tensor, x0: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    """One Euler step of the probability-flow ODE dx/dsigma = (x - x0) / sigma (Karras et al. 2022, Alg. 1)."""
    derivative = (x - x0) / sigma
    return x + derivative * (sigma_next - sigma)


def iter_euler(denoise: Denoiser, x: torch.Tensor, sigmas: list[float]) -> Iterator[tuple[int, torch.Tensor]]:
    """Plain Euler sampling, yielding (step index, x) after every step so callers may stop between steps."""
    for i in range(len(sigmas) - 1):
        x = euler_step(x, denoise(x, sigmas[i]), sigmas[i], sigmas[i + 1])
        yield i, x


def sample_euler(denoise: Denoiser, x: torch.Tensor, sigmas: list[float], *,
                 callback: Callable[[int, torch.Tensor], None] | None = None) -> torch.Tensor:
    """Euler sampling to the end of the schedule (Karras et al. 2022)."""
    for i, x_next in iter_euler(denoise, x, sigmas):
        if callback is not None:
            callback(i, x_next)
        x = x_next
    return x


def fuse(x0_forward: torch.Tensor, x0_backward: torch.Tensor) -> torch.Tensor:
    """The paper's fuse(): a plain average of the forward and (flipped back) backward estimates."""
    return (x0_forward + x0_backward) * 0.5


def repeats_per_step(steps: int, renoise: int, renoise_steps: int | None = None) -> list[int]:
    """How many times each step runs: `renoise` for the first `renoise_steps` steps (all if None), then 1."""
    leading = steps if renoise_steps is None else max(0, min(steps, int(renoise_steps)))
    return [max(1, int(renoise)) if i < leading else 1 for i in range(steps)]


def iter_dual_euler(denoise_fwd_bwd: DualDenoiser, x: torch.Tensor, sigmas: list[float], *,
                    renoise: int = 1, renoise_steps: int | None = None, generator: torch.Generator | None = None
                    ) -> Iterator[tuple[int, int, torch.Tensor]]:
    """Dual-directional sampling (Wang et al. 2024, "Generative Inbetweening", Alg. 2), step by step.

    Each step fuses the forward and backward estimates and takes ONE Euler step with the fused
    estimate; with `renoise` = R > 1 the step is repeated R times, re-injecting noise of
    sqrt(sigma_t^2 - sigma_{t-1}^2) between repeats (the paper's per-step recurrence, after TRF),
    in the first `renoise_steps` steps only when given (the coarse steps, where layout is decided).
    Yields (step, repeat, x) after every Euler step.
    """
    plan = repeats_per_step(len(sigmas) - 1, renoise, renoise_steps)
    for i in range(len(sigmas) - 1):
        sigma, sigma_next = sigmas[i], sigmas[i + 1]
        repeats = plan[i]
        for r in range(repeats):
            x0_forward, x0_backward = denoise_fwd_bwd(x, sigma)
            x = euler_step(x, fuse(x0_forward, x0_backward), sigma, sigma_next)
            del x0_forward, x0_backward
            if r < repeats - 1:
                noise = torch.randn(x.shape, generator=generator, dtype=torch.float32).to(x.device, x.dtype)
                x = x + noise * renoise_sigma(sigma, sigma_next)
            yield i, r, x


def sample_dual_euler(denoise_fwd_bwd: DualDenoiser, x: torch.Tensor, sigmas: list[float], *,
                      callback: Callable[[int, int, torch.Tensor], None] | None = None, renoise: int = 1,
                      renoise_steps: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dual-directional Euler sampling to the end (Wang et al. 2024, Alg. 2); see `iter_dual_euler`."""
    for i, r, x_next in iter_dual_euler(denoise_fwd_bwd, x, sigmas, renoise=renoise, renoise_steps=renoise_steps,
                                        generator=generator):
        if callback is not None:
            callback(i, r, x_next)
        x = x_next
    return x
