"""Finding model folders: explicit, environment, hub cache; missing parts named; no torch needed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from inbetweener.engines.diffusion import discovery
from inbetweener.engines.diffusion.discovery import check_folder, find_model, models_report
from inbetweener.errors import ModelError

PARTS = {
    "model_index.json": json.dumps({"_class_name": "StableVideoDiffusionPipeline"}),
    "unet/config.json": "{}", "unet/diffusion_pytorch_model.safetensors": "x",
    "vae/config.json": "{}", "vae/diffusion_pytorch_model.safetensors": "x",
    "image_encoder/config.json": "{}", "image_encoder/model.safetensors": "x",
    "feature_extractor/preprocessor_config.json": "{}",
    "scheduler/scheduler_config.json": "{}",
}


def make_folder(root: Path, skip: tuple[str, ...] = (), rename: dict[str, str] | None = None) -> Path:
    for rel, text in PARTS.items():
        if rel in skip:
            continue
        rel = (rename or {}).get(rel, rel)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No real caches leak in: the hub cache and model list point into tmp_path."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv(discovery.ENV_MODELS, raising=False)


def test_complete_folder_is_ready(tmp_path):
    folder = check_folder(make_folder(tmp_path / "svd"))
    assert folder.complete and folder.variant is None


def test_fp16_only_weights_are_a_variant(tmp_path):
    rename = {"unet/diffusion_pytorch_model.safetensors": "unet/diffusion_pytorch_model.fp16.safetensors",
              "vae/diffusion_pytorch_model.safetensors": "vae/diffusion_pytorch_model.fp16.safetensors",
              "image_encoder/model.safetensors": "image_encoder/model.fp16.safetensors"}
    folder = check_folder(make_folder(tmp_path / "svd", rename=rename))
    assert folder.complete and folder.variant == "fp16" and folder.fp16_available


def test_both_precisions_prefer_full_but_know_fp16(tmp_path):
    root = make_folder(tmp_path / "svd")
    for part, stem in (("unet", "diffusion_pytorch_model"), ("vae", "diffusion_pytorch_model"),
                       ("image_encoder", "model")):
        (root / part / f"{stem}.fp16.safetensors").write_text("x")
    folder = check_folder(root)
    assert folder.variant is None and folder.fp16_available
    (root / "vae" / "diffusion_pytorch_model.fp16.safetensors").unlink()
    assert not check_folder(root).fp16_available


def test_partial_folder_names_every_missing_part(tmp_path):
    root = make_folder(tmp_path / "svd", skip=("vae/diffusion_pytorch_model.safetensors", "scheduler/scheduler_config.json",
                                               "image_encoder/config.json", "image_encoder/model.safetensors"))
    with pytest.raises(ModelError) as err:
        find_model(root)
    message = str(err.value)
    assert "vae/diffusion_pytorch_model.safetensors" in message
    assert "scheduler/" in message and "image_encoder/" in message  # whole parts absent
    assert "unet" not in message.split("lacks")[1]
    assert "\n" not in message


def test_part_without_config_or_weights(tmp_path):
    root = make_folder(tmp_path / "svd", skip=("unet/config.json", "image_encoder/model.safetensors"))
    assert check_folder(root).missing == ("unet/config.json", "image_encoder/model.safetensors")


def test_pickle_only_weights_are_refused(tmp_path):
    root = make_folder(tmp_path / "svd", rename={"unet/diffusion_pytorch_model.safetensors":
                                                 "unet/diffusion_pytorch_model.bin"})
    with pytest.raises(ModelError, match="pickle"):
        find_model(root)


def test_missing_folder_and_nothing_found(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        find_model(tmp_path / "nowhere")
    with pytest.raises(ModelError, match="no Stable Video Diffusion model was found") as err:
        find_model(None)
    assert str(tmp_path / "hub") in str(err.value)


def hub_repo(cache: Path, repo: str, files: dict[str, str], rev: str = "abc123") -> Path:
    """Build a hub-cache tree as huggingface_hub does: blobs, snapshot symlinks, refs/main."""
    repo_dir = cache / ("models--" + repo.replace("/", "--"))
    snap = repo_dir / "snapshots" / rev
    for i, (rel, text) in enumerate(files.items()):
        blob = repo_dir / "blobs" / f"blob{i}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_text(text)
        (snap / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, (snap / rel).parent), snap / rel)
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / "main").write_text(rev)
    return snap


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_hub_cache_discovery_with_symlinks(tmp_path):
    snap = hub_repo(tmp_path / "hub", "stabilityai/stable-video-diffusion-img2vid-xt", PARTS)
    found = find_model(None)
    assert found.path == snap and found.name == "stabilityai/stable-video-diffusion-img2vid-xt"
    assert find_model("stabilityai/stable-video-diffusion-img2vid-xt").path == snap  # by hub id
    # the repo folder itself resolves to its snapshot
    assert find_model(snap.parent.parent).path == snap


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_hub_cache_dangling_blob_counts_as_missing(tmp_path):
    snap = hub_repo(tmp_path / "hub", "stabilityai/stable-video-diffusion-img2vid", PARTS)
    blob = (snap / "unet" / "diffusion_pytorch_model.safetensors").resolve()
    blob.unlink()  # an interrupted download leaves the link without its blob
    with pytest.raises(ModelError, match="unet/diffusion_pytorch_model.safetensors"):
        find_model(None)


def test_hf_home_layout(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hfhome"))
    assert discovery.hub_cache_dirs() == [tmp_path / "hfhome" / "hub"]


def test_env_list_and_settings_dirs(tmp_path, monkeypatch):
    make_folder(tmp_path / "a" / "broken", skip=("unet/config.json",))
    good = make_folder(tmp_path / "b" / "svd-xt")
    monkeypatch.setenv(discovery.ENV_MODELS, os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")]))
    assert find_model(None).path == good  # the first complete one wins over a broken one
    extra = make_folder(tmp_path / "settings" / "mine")
    assert find_model(None, [tmp_path / "settings"]).path == extra  # settings come first


def test_models_report_lists_found_and_missing(tmp_path, monkeypatch):
    make_folder(tmp_path / "m" / "good")
    make_folder(tmp_path / "m" / "half", skip=("vae/config.json", "model_index.json"))
    monkeypatch.setenv(discovery.ENV_MODELS, str(tmp_path / "m"))
    report = models_report([])
    good_line = next(line for line in report.splitlines() if "good" in line)
    half_line = next(line for line in report.splitlines() if "half" in line)
    assert "[ready]" in good_line
    assert "missing" in half_line and "vae/config.json" in half_line and "model_index.json" in half_line
    assert "Searched:" in report


def test_models_report_when_empty(tmp_path):
    report = models_report([tmp_path / "empty"])
    assert "none found" in report and str(tmp_path / "empty") in report


def test_discovery_does_not_import_torch():
    import subprocess

    code = ("import sys; from inbetweener.engines.diffusion import DiffusionEngine, models_report; "
            "DiffusionEngine.unavailable_reason(); models_report([]); "
            "DiffusionEngine.model_problem(); print('torch' in sys.modules, 'diffusers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_model_problem_for_the_editor(tmp_path):
    from inbetweener.engines.diffusion import DiffusionEngine

    assert "no Stable Video Diffusion model was found" in DiffusionEngine.model_problem()
    make_folder(tmp_path / "settings" / "svd")
    assert DiffusionEngine.model_problem(None, [tmp_path / "settings"]) is None  # a settings folder
    assert DiffusionEngine.model_problem(str(tmp_path / "settings" / "svd")) is None
    assert "does not exist" in DiffusionEngine.model_problem(str(tmp_path / "gone"))
