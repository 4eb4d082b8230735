"""The loader: fp16-only folders, the cache across jobs, backward-UNet checks."""

from __future__ import annotations

import shutil

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from inbetweener.engines.diffusion.discovery import check_folder, find_model  # noqa: E402
from inbetweener.engines.diffusion.loader import clear_cache, load_model  # noqa: E402
from inbetweener.errors import ModelError  # noqa: E402


def test_fp16_only_folder_loads_in_fp32(tiny_model_dir, tmp_path):
    from diffusers import AutoencoderKLTemporalDecoder, UNetSpatioTemporalConditionModel
    from transformers import CLIPVisionModelWithProjection

    root = tmp_path / "fp16-only"
    shutil.copytree(tiny_model_dir, root, ignore=shutil.ignore_patterns("*.safetensors"))
    for part, cls in (("unet", UNetSpatioTemporalConditionModel), ("vae", AutoencoderKLTemporalDecoder)):
        cls.from_pretrained(tiny_model_dir, subfolder=part).half().save_pretrained(root / part, variant="fp16")
    CLIPVisionModelWithProjection.from_pretrained(tiny_model_dir / "image_encoder").half().save_pretrained(
        root / "image_encoder", variant="fp16")
    folder = check_folder(root)
    assert folder.complete and folder.variant == "fp16"
    try:
        model = load_model(folder, torch.device("cpu"), torch.float32)
        assert model.unet.dtype == torch.float32 and model.image_encoder.dtype == torch.float32
    finally:
        clear_cache()


def test_cache_reuses_the_loaded_model(tiny_model_dir):
    folder = find_model(tiny_model_dir)
    first = load_model(folder, torch.device("cpu"), torch.float32)
    assert load_model(folder, torch.device("cpu"), torch.float32) is first
    other = load_model(folder, torch.device("cpu"), torch.bfloat16)
    assert other is not first and other.unet.dtype == torch.bfloat16
    clear_cache()


def test_backward_unet_of_another_model_is_refused(tiny_model_dir, tmp_path):
    from diffusers import UNetSpatioTemporalConditionModel

    from inbetweener.engines.diffusion.random_model import CONFIGS

    config = dict(CONFIGS["tiny"]["unet"], block_out_channels=(32, 96))
    UNetSpatioTemporalConditionModel(**config).save_pretrained(tmp_path / "other" / "unet")
    with pytest.raises(ModelError, match="does not match"):
        load_model(find_model(tiny_model_dir), torch.device("cpu"), torch.float32,
                   backward_unet=tmp_path / "other")
    clear_cache()


def test_broken_weights_get_one_sentence(tiny_model_dir, tmp_path):
    root = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, root)
    (root / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelError, match="could not be loaded"):
        load_model(find_model(root), torch.device("cpu"), torch.float32)
    clear_cache()
