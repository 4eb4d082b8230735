"""Resizing a time-t motion from the engine's work scale to the keys' size (fields.resize_motion), and
motion lengths that do not depend on where an array lies in memory (fields.length), and bilinear reads at
many points in one OpenCV call (fields.read_points)."""

from __future__ import annotations

import numpy as np

from inbetweener.engines.flowlib.fields import length, resize_flow, resize_motion


def _block_motion(h: int = 40, w: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Work scale: a block (columns 20-29) moves 10 px right by time t over still ground. Returns
    the key's forward motion and its inverse, the time-t displacement back to the key."""
    move = np.zeros((h, w, 2), np.float32)
    move[:, 20:30, 0] = 10.0
    to = np.zeros((h, w, 2), np.float32)
    to[:, 30:40, 0] = -10.0  # where the block is at time t (the strip it left shows ground)
    return move, to


def test_where_a_moving_block_meets_still_ground_each_pixel_takes_one_surfaces_motion_not_their_mix():
    move, to = _block_motion()
    out = resize_motion(to, move, 150, 100)  # 2.5 times the work size, as 1080p keys worked at 432p
    mixed = resize_flow(to, 150, 100)
    seam = (mixed[..., 0] < -0.5) & (mixed[..., 0] > -24.5)
    assert seam.any()  # bilinear resizing points between the surfaces (the test can fail)
    assert np.all(np.isin(np.round(out[..., 0], 3), (0.0, -25.0)))
    assert np.all(out[..., 1] == 0.0)
    # Each pixel takes the surface its centre lies on at work scale (the block: 30 <= x < 40).
    work_x = (np.arange(150) + 0.5) / 2.5 - 0.5
    on_block = (work_x >= 29.5) & (work_x < 39.5)
    assert np.array_equal(out[0, :, 0] == -25.0, on_block)


def test_a_smooth_steep_motion_is_resized_bilinearly():
    # A zoom: neighbouring work pixels differ by 1.6 px at the new size, yet no surfaces meet; the
    # mix is exact there and is kept (picking a neighbour's value would step it).
    h, w, k = 30, 40, 0.8
    gy, gx = np.mgrid[:h, :w].astype(np.float32)
    move = np.dstack([k * (gx - 20), k * (gy - 15)]).astype(np.float32)
    to = (-move / (1 + k)).astype(np.float32)  # the fixed point of to = -move(p + to)
    out = resize_motion(to, move, 80, 60)
    assert np.allclose(out, resize_flow(to, 80, 60), atol=1e-3)


def test_at_the_same_size_the_motion_is_unchanged():
    move, to = _block_motion()
    assert np.array_equal(resize_motion(to, move, 60, 40), to)


def test_keys_smaller_than_the_work_scale_take_one_surfaces_motion_too():
    # Small keys are enlarged for the flow: their motion is resized down, reading only some work
    # pixels (with none of a seam's among them on some sizes).
    move, to = _block_motion()
    for width, height in ((24, 16), (25, 17)):
        out = resize_motion(to, move, width, height)
        block = -10.0 * width / 60
        assert np.all(np.isclose(out[..., 0], 0.0, atol=1e-4) | np.isclose(out[..., 0], block, atol=1e-4))
    # At 7 px across the block moves 1.2 px: a mix reads within a pixel of either surface.
    np.testing.assert_array_equal(resize_motion(to, move, 7, 5), resize_flow(to, 7, 5))


def _placed_at(array: np.ndarray, offset: int) -> np.ndarray:
    """A copy of `array` whose data starts `offset` bytes past a 64-byte boundary."""
    buffer = np.empty(array.nbytes + 128, np.uint8)
    start = (-buffer.ctypes.data) % 64 + offset
    placed = buffer[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    placed[...] = array
    return placed


def test_a_motion_length_is_the_same_wherever_the_motion_lies_in_memory():
    # cv2.magnitude's vector and scalar code round differently, so lengths changed in the last
    # bit with the buffer's alignment, and the engine's frames with what the process made before.
    motion = (np.random.default_rng(3).standard_normal((37, 53, 2)) * 20).astype(np.float32)
    lengths = [length(_placed_at(motion, offset)) for offset in range(0, 64, 4)]
    assert all(np.array_equal(lengths[0], other) for other in lengths[1:])
    exact = np.hypot(motion[..., 0].astype(np.float64), motion[..., 1].astype(np.float64))
    assert np.abs(lengths[0] - exact).max() <= 1e-6 * exact.max()


def test_read_points_agrees_with_sample_points_for_any_number_of_points():
    from inbetweener.engines.flowlib.fields import read_points, sample_points

    rng = np.random.default_rng(3)
    image = rng.uniform(0, 255, (40, 60, 3)).astype(np.float32)
    # More points than cv2.remap takes in one row (32767), some off the image (edges replicated).
    points = rng.uniform(-5, 65, (40000, 2)).astype(np.float32)
    seen = read_points(image, points)
    assert seen.shape == (40000, 3)
    exact = sample_points(image.astype(np.float64), points.astype(np.float64))
    # OpenCV reads at a 1/32 px step: at most half a step's slope off (neighbours differ by < 255).
    assert np.abs(seen - exact).max() < 255 / 32
    assert np.abs(seen - exact).mean() < 2.0
    assert read_points(image, np.zeros((0, 2), np.float32)).shape == (0, 3)
