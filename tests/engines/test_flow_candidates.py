"""Bilateral choice among motion candidates at time t (flowlib/candidates.py)."""

import numpy as np

from inbetweener.engines.flowlib.candidates import pick_motion, time_t_candidates
from inbetweener.engines.flowlib.fields import pixel_grid, warp


def _textured(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (h, w, 4), dtype=np.uint8)


def _shifted_pair(shift: int = 6):
    """Key B is key A moved `shift` px to the right; time-t pixels see A at -t*shift, B at +(1-t)*shift."""
    a = _textured(40, 60, 1)
    b = np.roll(a, shift, axis=1)
    flow_ab = np.zeros((40, 60, 2), np.float32)
    flow_ab[..., 0] = shift
    return a, b, flow_ab, -flow_ab


def test_time_t_candidates_all_agree_on_uniform_motion():
    _, _, flow_ab, flow_ba = _shifted_pair()
    for to_a, to_b in time_t_candidates(flow_ab, flow_ba, 0.25):
        np.testing.assert_allclose(to_a[..., 0], -1.5, atol=1e-6)
        np.testing.assert_allclose(to_b[..., 0], 4.5, atol=1e-6)
        np.testing.assert_allclose(to_a[..., 1], 0.0, atol=1e-6)


def test_a_candidate_that_makes_the_keys_agree_replaces_a_wrong_splat():
    a, b, flow_ab, flow_ba = _shifted_pair()
    gx, gy = pixel_grid(40, 60)
    wrong = np.zeros_like(flow_ab)  # "nothing moved": A and B disagree everywhere
    share = np.full((40, 60), 0.9, np.float32)
    to_a, to_b, out_share = pick_motion(a, b, gx, gy, (wrong, wrong, share),
                                        time_t_candidates(flow_ab, flow_ba, 0.5), 0.5)
    inner = (slice(8, -8), slice(12, -12))
    np.testing.assert_allclose(to_a[inner][..., 0], -3.0, atol=1e-6)
    np.testing.assert_allclose(to_b[inner][..., 0], 3.0, atol=1e-6)
    assert np.all(out_share[inner] == 0.5)
    # The keys now agree where the choice was made.
    diff = np.abs(warp(a, to_a, gx, gy).astype(int) - warp(b, to_b, gx, gy).astype(int))
    assert diff[inner].max() == 0


def test_locked_pixels_and_near_ties_keep_the_splatted_motion():
    a, b, flow_ab, flow_ba = _shifted_pair()
    gx, gy = pixel_grid(40, 60)
    wrong = np.zeros_like(flow_ab)
    share = np.full((40, 60), 0.9, np.float32)
    locked = np.zeros((40, 60), bool)
    locked[:, :30] = True
    to_a, _, out_share = pick_motion(a, b, gx, gy, (wrong, wrong, share),
                                     time_t_candidates(flow_ab, flow_ba, 0.5), 0.5, locked)
    assert np.all(to_a[:, :30] == 0.0) and np.all(out_share[:, :30] == np.float32(0.9))
    # A right splat is kept as is (another candidate matching equally well does not win).
    right_a, right_b = time_t_candidates(flow_ab, flow_ba, 0.5)[0]
    kept_a, _, kept_share = pick_motion(a, b, gx, gy, (right_a, right_b, share),
                                        time_t_candidates(flow_ab, flow_ba, 0.5), 0.5)
    assert np.all(kept_share == np.float32(0.9))
    np.testing.assert_array_equal(kept_a, right_a)
