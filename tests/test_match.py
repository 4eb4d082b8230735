"""Autopilot: reliable correspondences on a known transform, nothing on unrelated images."""

from __future__ import annotations

import cv2
import numpy as np

from inbetweener.match import autopilot_paths


def _texture(seed: int, h: int = 200, w: int = 260) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.dstack([img, np.full((h, w), 255, np.uint8)])


def test_recovers_rotation_and_translation_within_one_and_a_half_pixels():
    a = _texture(1)
    h, w = a.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 8.0, 1.0)
    m[:, 2] += (9.0, -6.0)
    b = cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    paths = autopilot_paths(a, b)
    assert 4 <= len(paths) <= 8
    for p in paths:
        expected = m @ np.array([p.start[0], p.start[1], 1.0])
        assert np.hypot(*(np.array(p.end) - expected)) <= 1.5
        assert p.timing.name == "linear"
        assert np.allclose(p.position(0.5), (np.array(p.start) + np.array(p.end)) / 2)
    starts = np.array([p.start for p in paths])
    gaps = np.linalg.norm(starts[:, None] - starts[None], axis=2) + np.eye(len(paths)) * 1e9
    assert gaps.min() > 10  # well spread, not a cluster


def test_unrelated_noise_gives_nothing():
    rng = np.random.default_rng(3)
    a = np.dstack([rng.integers(0, 256, (160, 200, 3), dtype=np.uint8), np.full((160, 200), 255, np.uint8)])
    b = np.dstack([rng.integers(0, 256, (160, 200, 3), dtype=np.uint8), np.full((160, 200), 255, np.uint8)])
    assert autopilot_paths(a, b) == []
    assert autopilot_paths(_texture(5), _texture(6)) == []


def test_flat_images_and_limits():
    flat = np.full((64, 64, 4), 255, np.uint8)
    assert autopilot_paths(flat, flat) == []
    a = _texture(1)
    assert autopilot_paths(a, a, max_paths=0) == []
    assert len(autopilot_paths(a, a, max_paths=3)) <= 3


def test_repeatable():
    a = _texture(2)
    b = np.roll(a, (5, 12), axis=(0, 1))
    first = autopilot_paths(a, b)
    assert first and first == autopilot_paths(a, b)


def test_two_features_of_a_never_claim_one_of_b(make_samples):
    # The bundled figure's hands are the same little circle. The raised hand in B drew both of
    # A's hands past the ratio test (their arms join them differently), so two paths ended on
    # one point and the left arm was dragged up with the right. B's feature must find A's back.
    a, b = make_samples.figure(0.0), make_samples.figure(1.0)
    paths = autopilot_paths(a, b)
    assert len(paths) >= 3
    ends = np.array([p.end for p in paths])
    starts = np.array([p.start for p in paths])
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            if np.hypot(*(ends[i] - ends[j])) <= 2.0:
                assert np.hypot(*(starts[i] - starts[j])) <= 2.0, (paths[i], paths[j])
