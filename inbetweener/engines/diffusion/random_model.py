"""Random-weight SVD models built from configs: tiny ones for tests, full-size ones for the benchmark.

The full-size values are those published in the diffusers configs of
stabilityai/stable-video-diffusion-img2vid(-xt); nothing is downloaded and no weights are real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_SPATIO_DOWN = ("CrossAttnDownBlockSpatioTemporal",) * 3 + ("DownBlockSpatioTemporal",)
_SPATIO_UP = ("UpBlockSpatioTemporal",) + ("CrossAttnUpBlockSpatioTemporal",) * 3

CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    # ~9 MB: UNet (32, 64), a 4-block temporal VAE (latent factor 8), CLIP at 224 px / patch 32
    "tiny": {
        "unet": dict(block_out_channels=(32, 64), layers_per_block=1, sample_size=8, in_channels=8, out_channels=4,
                     down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
                     up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
                     cross_attention_dim=32, num_attention_heads=(2, 4), projection_class_embeddings_input_dim=24,
                     addition_time_embed_dim=8, num_frames=7),
        "vae": dict(block_out_channels=(32, 32, 32, 32), layers_per_block=1, latent_channels=4,
                    down_block_types=("DownEncoderBlock2D",) * 4, in_channels=3, out_channels=3),
        "clip": dict(hidden_size=32, intermediate_size=37, projection_dim=32, num_hidden_layers=2,
                     num_attention_heads=4, image_size=224, patch_size=32, hidden_act="gelu"),
    },
    "svd": {
        "unet": dict(block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, sample_size=96, in_channels=8,
                     out_channels=4, down_block_types=_SPATIO_DOWN, up_block_types=_SPATIO_UP,
                     cross_attention_dim=1024, num_attention_heads=(5, 10, 20, 20),
                     projection_class_embeddings_input_dim=768, addition_time_embed_dim=256, num_frames=14),
        "vae": dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4,
                    down_block_types=("DownEncoderBlock2D",) * 4, in_channels=3, out_channels=3,
                    sample_size=768, scaling_factor=0.18215, force_upcast=True),
        "clip": dict(hidden_size=1280, intermediate_size=5120, projection_dim=1024, num_hidden_layers=32,
                     num_attention_heads=16, image_size=224, patch_size=14, hidden_act="gelu"),
    },
}
CONFIGS["svd-xt"] = {k: dict(v) for k, v in CONFIGS["svd"].items()}
CONFIGS["svd-xt"]["unet"]["num_frames"] = 25

SCHEDULER_CONFIG = {
    "_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "interpolation_type": "linear", "num_train_timesteps": 1000,
    "prediction_type": "v_prediction", "sigma_max": 700.0, "sigma_min": 0.002, "steps_offset": 1,
    "timestep_spacing": "leading", "timestep_type": "continuous", "use_karras_sigmas": True,
}
FEATURE_EXTRACTOR_CONFIG = {
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True,
    "do_normalize": True, "do_rescale": True, "do_resize": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
    "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 224},
}
MODEL_INDEX = {
    "_class_name": "StableVideoDiffusionPipeline", "_diffusers_version": "0.24.0",
    "feature_extractor": ["transformers", "CLIPImageProcessor"],
    "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
    "scheduler": ["diffusers", "EulerDiscreteScheduler"],
    "unet": ["diffusers", "UNetSpatioTemporalConditionModel"],
    "vae": ["diffusers", "AutoencoderKLTemporalDecoder"],
}


def build_parts(size: str = "tiny", seed: int = 0):
    """(unet, vae, image_encoder) with random weights from the named config."""
    import torch
    from diffusers import AutoencoderKLTemporalDecoder, UNetSpatioTemporalConditionModel
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    config = CONFIGS[size]
    torch.manual_seed(seed)
    unet = UNetSpatioTemporalConditionModel(**config["unet"])
    vae = AutoencoderKLTemporalDecoder(**config["vae"])
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(**config["clip"]))
    return unet, vae, encoder


def perturb_backward_vo(unet, scale: float = 0.5, seed: int = 1) -> None:
    """Change only the temporal self-attention V/O weights, as backward-motion fine-tuning does."""
    import torch

    from inbetweener.engines.diffusion.attention import temporal_layers

    gen = torch.Generator().manual_seed(seed)
    modules = dict(unet.named_modules())
    with torch.no_grad():
        for layer in temporal_layers(unet):
            attn = modules[layer]
            for param in (attn.to_v.weight, attn.to_out[0].weight):
                param.add_(torch.randn(param.shape, generator=gen) * scale * param.abs().mean())


def save_random_model(dest: Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a complete diffusers-format SVD folder with random weights (safetensors) to `dest`."""
    dest = Path(dest)
    unet, vae, encoder = build_parts(size, seed)
    unet.save_pretrained(dest / "unet", safe_serialization=True)
    vae.save_pretrained(dest / "vae", safe_serialization=True)
    encoder.save_pretrained(dest / "image_encoder", safe_serialization=True)
    for name, data, file in (("scheduler", SCHEDULER_CONFIG, "scheduler_config.json"),
                             ("feature_extractor", FEATURE_EXTRACTOR_CONFIG, "preprocessor_config.json")):
        (dest / name).mkdir(parents=True, exist_ok=True)
        (dest / name / file).write_text(json.dumps(data, indent=2), encoding="utf-8")
    (dest / "model_index.json").write_text(json.dumps(MODEL_INDEX, indent=2), encoding="utf-8")
    return dest


def save_backward_unet(dest: Path, size: str = "tiny", seed: int = 0, scale: float = 0.5) -> Path:
    """A backward-motion UNet folder: the same random UNet with only temporal V/O weights changed."""
    unet, _, _ = build_parts(size, seed)
    perturb_backward_vo(unet, scale=scale)
    unet.save_pretrained(Path(dest) / "unet", safe_serialization=True)
    return Path(dest) / "unet"
