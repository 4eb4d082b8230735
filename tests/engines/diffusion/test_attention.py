"""Attention maps: 180° rotation, recording without injection == SDPA, batched == two-pass."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from inbetweener.engines.diffusion.attention import (  # noqa: E402
    TemporalMapProcessor,
    is_temporal_self_attention,
    rotate_maps,
    temporal_layers,
)
from inbetweener.engines.diffusion.pipeline import Conditioning, DualDenoiser, Settings  # noqa: E402


def test_rotation_formula():
    n = 5
    maps = torch.rand(3, 2, n, n)
    rotated = rotate_maps(maps)
    for j in range(n):
        for k in range(n):
            assert torch.equal(rotated[..., n - 1 - j, n - 1 - k], maps[..., j, k])
    assert torch.equal(rotate_maps(rotated), maps)
    # a row-stochastic map stays row-stochastic
    soft = maps.softmax(-1)
    assert torch.allclose(rotate_maps(soft).sum(-1), torch.ones(3, 2, n))


def test_rotation_reverses_a_forward_motion():
    """A map where each frame looks at its predecessor becomes one where it looks at its successor."""
    n = 4
    look_back = torch.zeros(n, n)
    for j in range(n):
        look_back[j, max(j - 1, 0)] = 1.0
    rotated = rotate_maps(look_back)
    for j in range(n):
        assert rotated[j, min(j + 1, n - 1)] == 1.0


def test_processors_only_on_temporal_self_attention(tiny_model):
    from diffusers.models.attention_processor import AttnProcessor2_0

    procs = tiny_model.unet.attn_processors
    mapped = [n for n, p in procs.items() if isinstance(p, TemporalMapProcessor)]
    assert mapped and all(n.endswith("temporal_transformer_blocks.0.attn1.processor") for n in mapped)
    assert all(isinstance(p, AttnProcessor2_0) for n, p in procs.items() if n not in mapped)
    assert not is_temporal_self_attention("down_blocks.0.attentions.0.temporal_transformer_blocks.0.attn2.processor")
    assert len(temporal_layers(tiny_model.unet)) == len(mapped)


def _unet_inputs(model, batch=2, frames=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    cfg = model.unet.config
    sample = torch.randn(batch, frames, cfg.in_channels, 8, 8, generator=gen)
    embeds = torch.randn(batch, 1, cfg.cross_attention_dim, generator=gen)
    time_ids = torch.tensor([[6.0, 127.0, 0.02]]).expand(batch, -1)
    return sample, torch.full((batch,), 0.3), embeds, time_ids


def _run(model, inputs):
    sample, t, embeds, time_ids = inputs
    with torch.inference_mode():
        return model.unet(sample, t, encoder_hidden_states=embeds, added_time_ids=time_ids, return_dict=False)[0]


def test_recording_without_injection_equals_default_processor(tiny_model):
    from diffusers.models.attention_processor import AttnProcessor2_0

    inputs = _unet_inputs(tiny_model)
    tiny_model.maps.set("record")
    recorded = _run(tiny_model, inputs)
    layers = temporal_layers(tiny_model.unet)
    assert set(tiny_model.maps.recorded) == set(layers)
    some = next(iter(tiny_model.maps.recorded.values()))
    assert some.shape[-2:] == (5, 5) and torch.allclose(some.sum(-1), torch.ones(()), atol=1e-5)
    tiny_model.maps.set("plain")
    plain = _run(tiny_model, inputs)
    saved = tiny_model.unet.attn_processors
    try:
        tiny_model.unet.set_attn_processor(AttnProcessor2_0())
        stock = _run(tiny_model, inputs)
    finally:
        tiny_model.unet.set_attn_processor(saved)
    assert torch.allclose(recorded, stock, atol=1e-5), (recorded - stock).abs().max()
    assert torch.allclose(plain, stock, atol=1e-5)


def test_injection_changes_the_output(tiny_model):
    """Injected rotated maps really replace the layer's own maps (not a silent no-op)."""
    inputs = _unet_inputs(tiny_model, seed=1)
    tiny_model.maps.set("record")
    _run(tiny_model, inputs)
    tiny_model.maps.set("inject")
    injected = _run(tiny_model, inputs)
    assert not tiny_model.maps.recorded  # each map freed once used
    tiny_model.maps.set("plain")
    plain = _run(tiny_model, inputs)
    assert (injected - plain).abs().max() > 1e-4


def _denoiser(model, settings, frames=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    dim = model.unet.config.cross_attention_dim

    def cond():
        return Conditioning(torch.randn(1, 1, dim, generator=gen), torch.randn(1, 4, 8, 8, generator=gen))

    return DualDenoiser(model, cond(), cond(), frames, settings)


@pytest.mark.parametrize("mode", ["fuse", "rotate", "finetuned"])
def test_batched_pass_equals_two_pass_loop(tiny_model, mode):
    frames = 5
    x = torch.randn(1, frames, 4, 8, 8, generator=torch.Generator().manual_seed(3)) * 2.0
    sigma = 1.7
    with torch.inference_mode():
        one = _denoiser(tiny_model, Settings(mode=mode, passes=1), frames)(x, sigma)
        two = _denoiser(tiny_model, Settings(mode=mode, passes=2), frames)(x, sigma)
    for a, b in zip(one, two, strict=True):
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-5), (a - b).abs().max()
    assert tiny_model.maps.mode == "plain" and not tiny_model.maps.recorded


def test_modes_differ(tiny_model):
    """fuse, rotate and finetuned are three different backward predictions."""
    x = torch.randn(1, 5, 4, 8, 8, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        back = {m: _denoiser(tiny_model, Settings(mode=m))(x, 2.0)[1] for m in ("fuse", "rotate", "finetuned")}
    assert (back["fuse"] - back["rotate"]).abs().max() > 1e-4
    assert (back["rotate"] - back["finetuned"]).abs().max() > 1e-4


def test_backward_weights_cover_only_temporal_value_and_output(tiny_model):
    weights = tiny_model.maps.backward_weights
    assert set(weights) == set(temporal_layers(tiny_model.unet))
    modules = dict(tiny_model.unet.named_modules())
    for layer, w in weights.items():
        assert {"to_v.weight", "to_out.0.weight", "to_out.0.bias"} <= set(w)
        assert not torch.equal(w["to_v.weight"], modules[layer].to_v.weight)  # fine-tuned ones differ


def test_guidance_ramp_runs_from_each_key(tiny_model):
    d = DualDenoiser(tiny_model, *[Conditioning(torch.zeros(1, 1, 32), torch.zeros(1, 4, 8, 8))] * 2, 5,
                     Settings(guidance_min=1.0, guidance_max=3.0))
    ramp = d.ramp.flatten().tolist()
    assert ramp[0] == pytest.approx(1.0) and ramp[-1] == pytest.approx(3.0)
    assert all(math.isclose(b - a, 0.5) for a, b in zip(ramp, ramp[1:], strict=False))


@pytest.mark.parametrize("passes", [1, 2])
@pytest.mark.parametrize("guidance_max", [3.0, 1.0])
def test_backward_direction_sees_flipped_time_and_is_flipped_back(tiny_model, monkeypatch, passes, guidance_max):
    """With a UNet that echoes its noisy input (cond) and 0 (uncond), the flips and ramps are visible."""
    frames, sigma = 5, 2.0
    d = _denoiser(tiny_model, Settings(mode="fuse", passes=passes, guidance_min=1.0, guidance_max=guidance_max),
                  frames)
    batches = []

    def echo(sample, embeds, sigma):
        batches.append(sample.shape[0])
        out = sample[:, :, :4].float().clone()
        if d.guided:
            out[0::2] = 0.0  # every [uncond, cond] pair: uncond predicts 0
        return out

    monkeypatch.setattr(d, "_unet", echo)
    x = torch.randn(1, frames, 4, 8, 8, generator=torch.Generator().manual_seed(5))
    x0_fwd, x0_bwd = d(x, sigma)
    scaled = x / math.sqrt(sigma**2 + 1)
    c_skip, c_out = 1 / (sigma**2 + 1), -sigma / math.sqrt(sigma**2 + 1)
    ramp = d.ramp if d.guided else torch.ones_like(d.ramp)
    assert torch.allclose(x0_fwd, c_skip * x + c_out * ramp * scaled, atol=1e-6)
    # the backward pass saw flip(x) and its ramp started at key B; flipped back, the ramp runs the other way
    assert torch.allclose(x0_bwd, c_skip * x + c_out * torch.flip(ramp, dims=(1,)) * scaled, atol=1e-6)
    per_direction = 2 if d.guided else 1
    assert batches == ([2 * per_direction] if passes == 1 else [per_direction, per_direction])
