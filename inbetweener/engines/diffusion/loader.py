"""Load an SVD folder offline (safetensors only) and keep it loaded across jobs."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inbetweener.engines.diffusion.attention import MapState, install_map_processors, temporal_layers
from inbetweener.engines.diffusion.discovery import ModelFolder, check_unet_folder
from inbetweener.errors import EngineError, ModelError

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32}
_BACKWARD_KEYS = ("to_v.weight", "to_v.bias", "to_out.0.weight", "to_out.0.bias")


@dataclass
class LoadedModel:
    """The parts of an SVD pipeline we drive ourselves, on one device in one dtype."""

    folder: Path
    device: torch.device
    dtype: torch.dtype
    unet: Any
    vae: Any
    image_encoder: Any
    maps: MapState
    clip_mean: tuple[float, ...] = CLIP_MEAN
    clip_std: tuple[float, ...] = CLIP_STD
    sigma_min: float = 0.002
    sigma_max: float = 700.0
    offload: bool = False
    backward_unet: Path | None = None

    @property
    def native_frames(self) -> int:
        return int(getattr(self.unet.config, "num_frames", 14))

    @property
    def latent_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def pixel_multiple(self) -> int:
        """Working sizes must be multiples of this: the VAE factor times the UNet's downsampling."""
        return self.latent_factor * 2 ** (len(self.unet.config.block_out_channels) - 1)

    @property
    def storage_device(self) -> torch.device:
        """Where idle parts live: the CPU under model offload, else the compute device."""
        return torch.device("cpu") if self.offload else self.device


def resolve_device(option: str | None) -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA where there is none is a user error."""
    choice = str(option or "auto").lower()  # str(): an option read as JSON may be a number
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise EngineError("device cuda was asked for but no CUDA GPU is available here; use --device cpu "
                          "(slow) or run on a machine with an NVIDIA GPU")
    if choice not in ("cpu",) and not choice.startswith("cuda"):
        raise EngineError(f"unknown device {option!r}; use auto, cuda or cpu")
    return torch.device(choice)


def resolve_dtype(option: str | None, device: torch.device) -> torch.dtype:
    """'auto' = fp16 on CUDA (what SVD ships), fp32 on CPU (half precision is slow or missing there)."""
    choice = str(option or "auto").lower()
    if choice == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    if choice not in _DTYPES:
        raise EngineError(f"unknown dtype {option!r}; use auto, fp16, bf16 or fp32")
    return _DTYPES[choice]


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _load_parts(folder: ModelFolder, dtype: torch.dtype, device: torch.device):
    import diffusers.utils.logging
    import transformers.utils.logging
    from diffusers import AutoencoderKLTemporalDecoder, UNetSpatioTemporalConditionModel
    from transformers import CLIPVisionModelWithProjection

    # our own Progress reports the loading; the libraries' bars would only clutter the terminal
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()

    # the fp16 files, when shipped, halve the reading for an fp16 run
    variant = folder.variant or ("fp16" if dtype == torch.float16 and folder.fp16_available else None)
    common = dict(local_files_only=True, use_safetensors=True, variant=variant)
    unet = UNetSpatioTemporalConditionModel.from_pretrained(folder.path, subfolder="unet", torch_dtype=dtype, **common)
    vae = AutoencoderKLTemporalDecoder.from_pretrained(folder.path, subfolder="vae", torch_dtype=dtype, **common)
    import transformers

    dtype_kw = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
    encoder = CLIPVisionModelWithProjection.from_pretrained(folder.path / "image_encoder", **{dtype_kw: dtype},
                                                           **common)
    for part in (unet, vae, encoder):
        part.requires_grad_(False).eval().to(device)
    return unet, vae, encoder


def load_backward_weights(path: Path, unet, dtype: torch.dtype,
                          device: torch.device) -> dict[str, dict[str, torch.Tensor]]:
    """Temporal self-attention V/O weights of a backward-motion UNet (Wang et al. 2024, Sec. 4.2)."""
    from safetensors.torch import load_file

    folder = check_unet_folder(Path(path))
    if not folder.complete:
        raise ModelError(f"the backward UNet folder {folder.path} lacks {', '.join(folder.missing)}; "
                         "give the diffusers unet/ folder released with the backward-motion weights")
    suffix = f".{folder.variant}" if folder.variant else ""
    index = folder.path / f"diffusion_pytorch_model{suffix}.safetensors.index.json"
    files = sorted(set(_read_json(index).get("weight_map", {}).values())) if index.exists() \
        else [f"diffusion_pytorch_model{suffix}.safetensors"]
    wanted = set(temporal_layers(unet))
    weights: dict[str, dict[str, torch.Tensor]] = {}
    for name in files:
        for key, tensor in load_file(str(folder.path / name)).items():
            for layer in wanted:
                if key.startswith(layer + ".") and key[len(layer) + 1:] in _BACKWARD_KEYS:
                    weights.setdefault(layer, {})[key[len(layer) + 1:]] = tensor.to(device=device, dtype=dtype)
    modules = dict(unet.named_modules())
    for layer in wanted:
        got = weights.get(layer, {})
        if "to_v.weight" not in got or "to_out.0.weight" not in got:
            raise ModelError(f"the backward UNet in {folder.path} has no to_v/to_out weights for {layer}; "
                             "it must be a fine-tuned copy of this model's UNet")
        attn = modules[layer]
        if got["to_v.weight"].shape != attn.to_v.weight.shape or \
                got["to_out.0.weight"].shape != attn.to_out[0].weight.shape:
            raise ModelError(f"the backward UNet in {folder.path} does not match this model's UNet (layer "
                             f"{layer} has other sizes); use the backward weights made for this model")
    return weights


_CACHE: dict[tuple, LoadedModel] = {}
_LOCK = threading.Lock()


def load_model(folder: ModelFolder, device: torch.device, dtype: torch.dtype, offload: bool = False,
               backward_unet: Path | None = None) -> LoadedModel:
    """The model for (folder, device, dtype, offload), loaded once; a different request frees the old one."""
    key = (str(folder.path.resolve()), str(device), str(dtype), offload)
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            _CACHE.clear()  # one model at a time: GPUs rarely hold two SVDs
            if device.type == "cuda":
                torch.cuda.empty_cache()
            storage = torch.device("cpu") if offload else device
            try:
                unet, vae, encoder = _load_parts(folder, dtype, storage)
            except (OSError, ValueError, KeyError) as exc:
                raise ModelError(f"the model in {folder.path} could not be loaded ({_first_line(exc)}); "
                                 "check that the folder holds a complete diffusers-format SVD model") from exc
            extractor = _read_json(folder.path / "feature_extractor" / "preprocessor_config.json")
            scheduler = _read_json(folder.path / "scheduler" / "scheduler_config.json")
            model = LoadedModel(
                folder=folder.path, device=device, dtype=dtype, unet=unet, vae=vae, image_encoder=encoder,
                maps=install_map_processors(unet),
                clip_mean=tuple(extractor.get("image_mean", CLIP_MEAN)),
                clip_std=tuple(extractor.get("image_std", CLIP_STD)),
                sigma_min=float(scheduler.get("sigma_min", 0.002)),
                sigma_max=float(scheduler.get("sigma_max", 700.0)),
                offload=offload,
            )
            _CACHE[key] = model
        want = Path(backward_unet).resolve() if backward_unet else None
        if want != model.backward_unet:
            # small (V/O of the temporal layers only), so they stay on the compute device even under offload
            model.maps.backward_weights = (load_backward_weights(want, model.unet, dtype, model.device)
                                           if want else None)
            model.backward_unet = want
        return model


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
