"""Sigma schedules and Euler steps agree with SVD's scheduler; the dual sampler's bookkeeping."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from inbetweener.engines.diffusion.random_model import SCHEDULER_CONFIG  # noqa: E402
from inbetweener.engines.diffusion.sampling import (  # noqa: E402
    euler_step,
    karras_sigmas,
    renoise_sigma,
    repeats_per_step,
    sample_dual_euler,
    sample_euler,
    sdedit_sigmas,
    strength_sigma,
)


def test_karras_schedule_matches_svd_scheduler():
    from diffusers import EulerDiscreteScheduler

    scheduler = EulerDiscreteScheduler.from_config(SCHEDULER_CONFIG)
    for steps in (1, 4, 25):
        scheduler.set_timesteps(steps)
        ours = torch.tensor(karras_sigmas(steps, 0.002, 700.0), dtype=torch.float64)
        assert torch.allclose(ours, scheduler.sigmas.double(), rtol=1e-5), steps
        assert torch.allclose(0.25 * ours[:-1].log(), scheduler.timesteps.double(), atol=1e-4)


def test_euler_step_matches_scheduler_step_with_v_prediction():
    from diffusers import EulerDiscreteScheduler

    scheduler = EulerDiscreteScheduler.from_config(SCHEDULER_CONFIG)
    scheduler.set_timesteps(5)
    x = torch.randn(1, 3, 4, 8, 8, generator=torch.Generator().manual_seed(0)) * 700
    v = torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    sigmas = karras_sigmas(5)
    s, s_next = sigmas[0], sigmas[1]
    x0 = x / (s * s + 1) + v * (-s / (s * s + 1) ** 0.5)
    ours = euler_step(x, x0, s, s_next)
    theirs = scheduler.step(v, scheduler.timesteps[0], x).prev_sample
    assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-3)


def test_strength_sets_the_starting_noise_like_img2img():
    from diffusers import EulerDiscreteScheduler

    scheduler = EulerDiscreteScheduler.from_config(SCHEDULER_CONFIG)
    train_sigmas = ((1 - scheduler.alphas_cumprod) / scheduler.alphas_cumprod) ** 0.5
    for strength in (0.1, 0.5, 0.8):
        assert strength_sigma(strength) == pytest.approx(float(train_sigmas[int(strength * 1000)]), rel=1e-3)
    assert strength_sigma(0.5) == pytest.approx(1.62, abs=0.01)
    schedule = sdedit_sigmas(10, 0.5)
    assert len(schedule) == 5 + 1 and schedule[0] == pytest.approx(strength_sigma(0.5)) and schedule[-1] == 0.0
    assert sdedit_sigmas(10, 1.0) == karras_sigmas(10)  # pure generation: the whole schedule
    assert len(sdedit_sigmas(10, 0.05)) == 2  # at least one step
    starts = [sdedit_sigmas(20, s)[0] for s in (0.2, 0.4, 0.6, 0.8, 1.0)]
    assert starts == sorted(starts)


def test_dual_sampler_with_equal_directions_is_plain_euler():
    target = torch.full((1, 3, 2, 2, 2), 0.25)

    def denoise(x, sigma):
        return target + 0.1 * x / (1 + sigma)

    x = torch.randn(1, 3, 2, 2, 2, generator=torch.Generator().manual_seed(0)) * 80
    sigmas = karras_sigmas(6, sigma_max=80.0)
    plain = sample_euler(denoise, x, sigmas)
    dual = sample_dual_euler(lambda x, s: (denoise(x, s), denoise(x, s)), x, sigmas)
    assert torch.allclose(plain, dual)


def test_dual_sampler_fuses_by_averaging_and_renoises():
    calls = []

    def denoise(x, sigma):
        calls.append(sigma)
        return torch.zeros_like(x), torch.full_like(x, 2.0)  # fused estimate is 1.0

    x = torch.zeros(1, 2, 1, 1, 1)
    out = sample_dual_euler(denoise, x, [3.0, 0.0])
    assert torch.allclose(out, torch.ones_like(out))  # one Euler step to sigma 0 lands on the fused x0
    steps = []
    sample_dual_euler(denoise, x, [3.0, 1.0, 0.0], renoise=3, generator=torch.Generator().manual_seed(0),
                      callback=lambda i, r, x: steps.append((i, r)))
    assert steps == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert calls.count(3.0) == 1 + 3 and calls.count(1.0) == 3
    assert renoise_sigma(3.0, 1.0) == pytest.approx(8 ** 0.5)
    steps.clear()
    sample_dual_euler(denoise, x, [3.0, 2.0, 1.0, 0.0], renoise=2, renoise_steps=1,
                      callback=lambda i, r, x: steps.append((i, r)))
    assert steps == [(0, 0), (0, 1), (1, 0), (2, 0)]  # only the first (coarsest) step repeats
    assert repeats_per_step(4, 5, 2) == [5, 5, 1, 1] and repeats_per_step(3, 5, None) == [5, 5, 5]
