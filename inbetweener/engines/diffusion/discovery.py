"""Find Stable Video Diffusion folders on disk (diffusers layout) without importing torch.

Places searched: an explicit folder (`--model DIR`, option "model"), folders from the settings,
`$INBETWEENER_MODELS` (os.pathsep-separated) and the Hugging Face hub cache
(`models--ORG--NAME/snapshots/<rev>/`). Nothing is downloaded, ever.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from inbetweener.errors import ModelError

ENV_MODELS = "INBETWEENER_MODELS"

# Component folder -> (config file, weight file stems). Weights may be sharded (an index file).
_DIFFUSERS_WEIGHTS = ("diffusion_pytorch_model",)
_COMPONENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "unet": ("config.json", _DIFFUSERS_WEIGHTS),
    "vae": ("config.json", _DIFFUSERS_WEIGHTS),
    "image_encoder": ("config.json", ("model",)),
    "feature_extractor": ("preprocessor_config.json", ()),
    "scheduler": ("scheduler_config.json", ()),
}
SVD_PIPELINE_CLASS = "StableVideoDiffusionPipeline"


@dataclass(frozen=True)
class ModelFolder:
    """A candidate model folder and what it lacks (empty `missing` = ready to load)."""

    path: Path
    name: str
    missing: tuple[str, ...]
    variant: str | None = None  # "fp16" when only the fp16 weight files are present
    fp16_available: bool = False  # every part also ships fp16 files (half the reading for dtype fp16)

    @property
    def complete(self) -> bool:
        return not self.missing


def _safetensors_variants(folder: Path, stems: Sequence[str]) -> set[str | None]:
    """Which weight variants (None = full precision, "fp16") exist as safetensors in a part's folder."""
    found: set[str | None] = set()
    for stem in stems:
        for variant in (None, "fp16"):
            base = stem if variant is None else f"{stem}.{variant}"
            # exists() follows the hub's symlinks into blobs/, so a dangling link counts as missing
            if (folder / f"{base}.safetensors").exists() or (folder / f"{base}.safetensors.index.json").exists():
                found.add(variant)
    return found


def _weights_present(folder: Path, stems: Sequence[str]) -> tuple[bool, str | None, bool]:
    """(safetensors found, variant to use, only pickle found) for one component folder."""
    variants = _safetensors_variants(folder, stems)
    if variants:
        return True, (None if None in variants else "fp16"), False
    pickle_only = any((folder / f"{stem}{v}.bin").exists() or (folder / f"{stem}{v}.bin.index.json").exists()
                      for stem in stems for v in ("", ".fp16"))
    return False, None, pickle_only


def check_folder(path: Path) -> ModelFolder:
    """Inspect one diffusers-format SVD folder and list its missing parts."""
    path = Path(path)
    missing: list[str] = []
    variants: set[str | None] = set()
    fp16_everywhere = True
    if not (path / "model_index.json").is_file():
        missing.append("model_index.json")
    for component, (config, stems) in _COMPONENTS.items():
        folder = path / component
        if not folder.is_dir():
            missing.append(f"{component}/")
            continue
        if not (folder / config).is_file():
            missing.append(f"{component}/{config}")
        if stems:
            found, variant, pickle_only = _weights_present(folder, stems)
            fp16_everywhere = fp16_everywhere and "fp16" in _safetensors_variants(folder, stems)
            if found:
                variants.add(variant)
            elif pickle_only:
                missing.append(f"{component} weights as .safetensors (only pickle .bin files found)")
            else:
                missing.append(f"{component}/{stems[0]}.safetensors")
    variant = "fp16" if variants == {"fp16"} else None
    return ModelFolder(path, _display_name(path), tuple(missing), variant, fp16_everywhere and not missing)


def check_unet_folder(path: Path) -> ModelFolder:
    """Inspect a backward-motion UNet folder (diffusers unet/ layout, or its parent)."""
    path = Path(path)
    if (path / "unet" / "config.json").is_file():
        path = path / "unet"
    missing: list[str] = []
    if not (path / "config.json").is_file():
        missing.append("config.json")
    found, variant, pickle_only = _weights_present(path, _DIFFUSERS_WEIGHTS)
    if not found:
        missing.append("weights as .safetensors (only pickle .bin files found)" if pickle_only
                       else "diffusion_pytorch_model.safetensors")
    return ModelFolder(path, path.name, tuple(missing), variant)


def _display_name(path: Path) -> str:
    """'org/name' for a hub snapshot, else the folder name."""
    parts = path.parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3][len("models--"):].replace("--", "/")
    return path.name


def hub_cache_dirs() -> list[Path]:
    """The Hugging Face hub cache folder(s) in the order huggingface_hub resolves them."""
    if os.environ.get("HF_HUB_CACHE"):
        return [Path(os.environ["HF_HUB_CACHE"]).expanduser()]
    if os.environ.get("HF_HOME"):
        return [Path(os.environ["HF_HOME"]).expanduser() / "hub"]
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return [base / "huggingface" / "hub"]


def _hub_snapshot(repo_dir: Path) -> Path | None:
    """The snapshot refs/main points at, else the newest snapshot folder."""
    snapshots = repo_dir / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = repo_dir / "refs" / "main"
    if ref.is_file():
        rev = ref.read_text(encoding="utf-8").strip()
        if (snapshots / rev).is_dir():
            return snapshots / rev
    revs = [p for p in snapshots.iterdir() if p.is_dir()]
    return max(revs, key=lambda p: p.stat().st_mtime) if revs else None


def _is_svd_index(folder: Path) -> bool:
    try:
        data = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("_class_name") == SVD_PIPELINE_CLASS


def _looks_like_svd(folder: Path) -> bool:
    """A folder worth reporting: an SVD model_index, or SVD-like parts (so partial ones show up)."""
    if (folder / "model_index.json").is_file():
        return _is_svd_index(folder)
    return (folder / "unet").is_dir() and ((folder / "vae").is_dir() or (folder / "image_encoder").is_dir())


def _hub_candidates(cache: Path) -> list[Path]:
    if not cache.is_dir():
        return []
    found = []
    for repo_dir in sorted(cache.glob("models--*")):
        snap = _hub_snapshot(repo_dir)
        if snap is None:
            continue
        if _looks_like_svd(snap) or "stable-video-diffusion" in repo_dir.name.lower():
            found.append(snap)
    return found


def _dir_candidates(root: Path) -> list[Path]:
    """The folder itself if it is a model, else its model-like children (one level)."""
    if not root.is_dir():
        return []
    if (root / "model_index.json").is_file() or (root / "unet").is_dir():
        return [root]
    if root.name.startswith("models--"):
        snap = _hub_snapshot(root)
        return [snap] if snap is not None else []
    if (root / "snapshots").is_dir():
        return []
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        if _looks_like_svd(child):
            found.append(child)
        elif child.name.startswith("models--"):
            snap = _hub_snapshot(child)
            if snap is not None and _looks_like_svd(snap):
                found.append(snap)
    if (root / "hub").is_dir():
        found.extend(_hub_candidates(root / "hub"))
    return found


def env_dirs() -> list[Path]:
    raw = os.environ.get(ENV_MODELS, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def search_dirs(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    """Every place searched, in priority order (settings, environment, hub cache)."""
    return [Path(p).expanduser() for p in extra_dirs] + env_dirs() + hub_cache_dirs()


def discover(extra_dirs: Iterable[Path] = ()) -> list[ModelFolder]:
    """All candidate SVD folders found, complete or not, without duplicates."""
    seen: set[Path] = set()
    out: list[ModelFolder] = []
    extra = [Path(p).expanduser() for p in extra_dirs]
    hubs = set(hub_cache_dirs())
    for root in extra + env_dirs() + list(hubs):
        candidates = _hub_candidates(root) if root in hubs else _dir_candidates(root)
        for folder in candidates:
            key = folder.resolve()
            if key not in seen:
                seen.add(key)
                out.append(check_folder(folder))
    return out


def _resolve_named(model: str) -> Path | None:
    """'org/name' (a hub repo id) -> its cached snapshot, if any."""
    if model.count("/") != 1 or Path(model).exists():
        return None
    repo_dir_name = "models--" + model.replace("/", "--")
    for cache in hub_cache_dirs():
        snap = _hub_snapshot(cache / repo_dir_name)
        if snap is not None:
            return snap
    return None


def _describe_missing(folder: ModelFolder) -> str:
    return f"the model folder {folder.path} is incomplete: it lacks {', '.join(folder.missing)}; " \
           "download the whole diffusers-format model (e.g. stabilityai/stable-video-diffusion-img2vid-xt)"


def find_model(model: str | os.PathLike | None = None, extra_dirs: Iterable[Path] = ()) -> ModelFolder:
    """The folder to load: the one named, else the first complete one found; ModelError otherwise."""
    if model:
        named = _resolve_named(str(model))
        path = named if named is not None else Path(model).expanduser()
        if not path.exists():
            raise ModelError(f"the model folder {path} does not exist; pass --model with a folder that "
                             "holds a diffusers-format Stable Video Diffusion model")
        if not path.is_dir():
            raise ModelError(f"{path} is a file, not a model folder; pass the folder that holds model_index.json")
        if path.name.startswith("models--") or (path / "snapshots").is_dir():
            snap = _hub_snapshot(path)
            path = snap if snap is not None else path
        folder = check_folder(path)
        if not folder.complete:
            raise ModelError(_describe_missing(folder))
        return folder
    found = discover(extra_dirs)
    for folder in found:
        if folder.complete:
            return folder
    if found:
        raise ModelError(_describe_missing(found[0]))
    places = ", ".join(str(p) for p in search_dirs(extra_dirs))
    raise ModelError(f"no Stable Video Diffusion model was found (searched {places}); pass --model DIR or "
                     f"list model folders in ${ENV_MODELS}")


def models_report(extra_dirs: Iterable[Path] = ()) -> str:
    """Human-readable list of the models found and what each lacks (for `inbetweener models`)."""
    extra = list(extra_dirs)
    found = discover(extra)
    lines = ["Stable Video Diffusion models (diffusion engine):"]
    if not found:
        lines.append("  none found")
    for folder in found:
        state = "ready" + (" (fp16 weights)" if folder.variant else "") if folder.complete \
            else "missing: " + ", ".join(folder.missing)
        lines.append(f"  {folder.name}  [{state}]  {folder.path}")
    lines.append("Searched: " + ", ".join(str(p) for p in search_dirs(extra)))
    if not any(f.complete for f in found):
        lines.append("To add one: put a diffusers-format Stable Video Diffusion folder (e.g. "
                     "stabilityai/stable-video-diffusion-img2vid-xt) in one of these places, list its parent in "
                     f"${ENV_MODELS}, or pass --model DIR.")
    return "\n".join(lines)
