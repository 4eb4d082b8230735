"""Tiny random-weight SVD models, built once per session, saved and loaded like real ones."""

from __future__ import annotations

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    """gpu-marked tests here need CUDA; without it they skip cleanly (torch is imported only if needed)."""
    ours = [item for item in items if "gpu" in item.keywords
            and "engines/diffusion" in str(item.fspath).replace("\\", "/")]
    if not ours:
        return
    try:
        import torch

        if torch.cuda.is_available():
            return
    except ImportError:
        pass
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in ours:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A complete diffusers-format SVD folder with random weights (about 7 MB)."""
    pytest.importorskip("diffusers")
    from inbetweener.engines.diffusion.random_model import save_random_model

    return save_random_model(tmp_path_factory.mktemp("models") / "tiny-svd", "tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_backward_dir(tmp_path_factory):
    """A backward-motion UNet folder for the tiny model (only temporal V/O weights differ)."""
    pytest.importorskip("diffusers")
    from inbetweener.engines.diffusion.random_model import save_backward_unet

    return save_backward_unet(tmp_path_factory.mktemp("backward"), "tiny", seed=0)


@pytest.fixture
def tiny_model(tiny_model_dir, tiny_backward_dir):
    """The tiny model loaded through the real loader on the CPU in fp32, with backward weights (cached)."""
    import torch

    from inbetweener.engines.diffusion.discovery import find_model
    from inbetweener.engines.diffusion.loader import load_model

    torch.set_num_threads(1)
    return load_model(find_model(tiny_model_dir), torch.device("cpu"), torch.float32,
                      backward_unet=tiny_backward_dir)


def disc_pair(width: int = 64, height: int = 64, alpha: bool = False):
    """Two keys: a dark disc that moves right; transparent background when alpha is set."""
    import cv2

    bg = (0, 0, 0, 0) if alpha else (255, 255, 255, 255)
    a = np.empty((height, width, 4), np.uint8)
    a[:] = bg
    b = a.copy()
    r = max(4, height // 8)
    cv2.circle(a, (width // 4, height // 2), r, (20, 40, 200, 255), -1)
    cv2.circle(b, (3 * width // 4, height // 2), r, (20, 40, 200, 255), -1)
    return a, b


@pytest.fixture
def make_keys():
    """disc_pair as a fixture (test modules here are not a package)."""
    return disc_pair
