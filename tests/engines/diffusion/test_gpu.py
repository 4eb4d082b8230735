"""The same checks on CUDA (skipped cleanly without a GPU): fp16 end to end, batched == two-pass."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from inbetweener.engines.base import TweenFrame, TweenRequest  # noqa: E402
from inbetweener.engines.diffusion import DiffusionEngine  # noqa: E402

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("mode", ["fuse", "rotate", "finetuned"])
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_cuda_end_to_end(tiny_model_dir, tiny_backward_dir, make_keys, mode, dtype):
    a, b = make_keys(96, 64)
    options = dict(model=str(tiny_model_dir), device="cuda", dtype=dtype, steps=3, mode=mode,
                   backward_unet=str(tiny_backward_dir), decode_chunk=2)
    request = TweenRequest(a, b, tuple(i / 6 for i in range(1, 6)), seed=1, options=options)
    frames = {i.index: i.image for i in DiffusionEngine().tween(request) if isinstance(i, TweenFrame)}
    assert sorted(frames) == [0, 1, 2, 3, 4]
    assert all(f.shape == (64, 96, 4) and f.dtype == np.uint8 for f in frames.values())
    again = {i.index: i.image for i in DiffusionEngine().tween(request) if isinstance(i, TweenFrame)}
    # same seed, same result (GPU kernels may round differently run to run, by a level at most)
    assert all(np.abs(frames[k].astype(int) - again[k].astype(int)).max() <= 2 for k in frames)


def test_cuda_batched_equals_two_pass(tiny_model_dir, tiny_backward_dir):
    from inbetweener.engines.diffusion.discovery import find_model
    from inbetweener.engines.diffusion.loader import load_model
    from inbetweener.engines.diffusion.pipeline import Conditioning, DualDenoiser, Settings

    model = load_model(find_model(tiny_model_dir), torch.device("cuda"), torch.float32,
                       backward_unet=tiny_backward_dir)
    gen = torch.Generator().manual_seed(0)
    dim = model.unet.config.cross_attention_dim
    conds = [Conditioning(torch.randn(1, 1, dim, generator=gen), torch.randn(1, 4, 8, 8, generator=gen))
             for _ in range(2)]
    x = torch.randn(1, 5, 4, 8, 8, generator=gen).cuda()
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False  # compare true fp32
    try:
        with torch.inference_mode():
            for mode in ("rotate", "finetuned"):
                one = DualDenoiser(model, *conds, 5, Settings(mode=mode, passes=1))(x, 1.3)
                two = DualDenoiser(model, *conds, 5, Settings(mode=mode, passes=2))(x, 1.3)
                for p, q in zip(one, two, strict=True):
                    assert torch.allclose(p, q, atol=1e-4), (p - q).abs().max()
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_cuda_offload_runs(tiny_model_dir, make_keys):
    a, b = make_keys(64, 64)
    options = dict(model=str(tiny_model_dir), device="cuda", steps=2, offload="model", strength=1.0)
    frames = [i for i in DiffusionEngine().tween(TweenRequest(a, b, (0.5,), options=options))
              if isinstance(i, TweenFrame)]
    assert len(frames) == 1 and frames[0].image.shape == (64, 64, 4)
