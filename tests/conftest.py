"""Shared fixtures. Qt tests run offscreen; core tests never need Qt."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rgba(h: int, w: int, color=(255, 255, 255, 255)) -> np.ndarray:
    img = np.empty((h, w, 4), np.uint8)
    img[:] = color
    return img


@pytest.fixture
def disc_keys() -> tuple[np.ndarray, np.ndarray]:
    """Two 96x64 keys: a dark disc on white that moves 30 px right."""
    import cv2

    a = rgba(64, 96)
    b = rgba(64, 96)
    cv2.circle(a, (25, 32), 10, (20, 40, 200, 255), -1)
    cv2.circle(b, (55, 32), 10, (20, 40, 200, 255), -1)
    return a, b


@pytest.fixture(scope="session")
def make_samples() -> ModuleType:
    """scripts/make_samples.py as a module: the script that draws the bundled samples."""
    path = Path(__file__).resolve().parents[1] / "scripts" / "make_samples.py"
    spec = importlib.util.spec_from_file_location("make_samples", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
