"""fill_occluded: which pixels' flow is trusted, and what the others get (flowlib/splat.py)."""

import cv2
import numpy as np

from inbetweener.engines.flowlib.fields import pixel_grid
from inbetweener.engines.flowlib.splat import HOLE, fill_holes, fill_occluded, splat_displacement


def _scene():
    """Flat sky (static) with a textured patch moving 12 px right; a slab of the sky got a made-up
    sideways motion that nevertheless passed the consistency check (the aperture problem)."""
    h, w = 80, 120
    rng = np.random.default_rng(3)
    colour = np.full((h, w, 3), (150.0, 190.0, 240.0), np.float32)
    colour[20:50, 70:100] = rng.uniform(0, 255, (30, 30, 3))
    flow = np.zeros((h, w, 2), np.float32)
    flow[20:50, 70:100, 0] = 12.0
    flow[30:60, 10:40, 0] = -15.0  # the slid slab of sky
    consistency = np.ones((h, w), np.float32)
    return flow, consistency, colour


def test_flat_paint_that_slid_takes_its_neighbours_motion():
    flow, consistency, colour = _scene()
    out = fill_occluded(flow, consistency, colour)
    assert np.abs(out[30:60, 10:40]).max() < 1.0  # the sky is static again


def test_textured_motion_and_static_flat_paint_are_kept():
    flow, consistency, colour = _scene()
    out = fill_occluded(flow, consistency, colour)
    np.testing.assert_array_equal(out[22:48, 72:98], flow[22:48, 72:98])  # texture: evidence
    np.testing.assert_array_equal(out[65:, :], flow[65:, :])  # static sky stays as it was


def test_flat_paint_that_moves_as_its_matched_region_keeps_its_motion():
    # A flat shape whose flow follows its matched paint region's own map is not sliding: its
    # motion must survive (filled from its outline, a squashing shape lost its squash).
    flow, consistency, colour = _scene()
    matched = np.zeros(flow.shape[:2], bool)
    matched[30:60, 10:40] = True
    out = fill_occluded(flow, consistency, colour, matched=matched)
    np.testing.assert_array_equal(out[30:60, 10:40], flow[30:60, 10:40])


def test_a_crack_in_a_stretched_surface_counts_as_nothing_landed():
    # A block over static ground: its left half moves 10 px, its right half 13 px, so 3 columns
    # (40..42) open between them that no block pixel lands on. The ground's own pixels land there (they do
    # not move): without crack finding they count as seen, and the ground shows through the block.
    h, w = 24, 80
    gx, gy = pixel_grid(h, w)
    motion = np.zeros((h, w, 2), np.float32)
    motion[:, 20:30, 0] = 10.0
    motion[:, 30:40, 0] = 13.0
    weight = np.where(motion[..., 0] > 0, 1000.0, 1.0).astype(np.float32)  # the block is in front
    disp, count = splat_displacement(motion, weight, gx, gy)
    rows = slice(4, -4)
    assert np.all(count[rows, 40:43] < HOLE)  # the crack
    assert np.all(count[rows, 30:40] >= HOLE) and np.all(count[rows, 43:53] >= HOLE)  # the block
    assert np.all(count[rows, 53:58] >= HOLE)  # ground just beyond the block's far edge: not a crack
    np.testing.assert_allclose(disp[rows, 35, 0], -10.0)  # a block pixel, traced back to its source


def test_what_a_splat_carries_past_the_frame_edge_lands_nowhere_and_half_past_lands_half():
    h, w = 6, 10
    gx, gy = pixel_grid(h, w)
    motion = np.zeros((h, w, 2), np.float32)
    motion[:, 8:, 0] = 30.0      # far off the right edge
    motion[:, 0, 0] = -0.5       # half a pixel off the left edge: half of it lands on column 0
    motion[0, 5, 1] = np.nan     # a broken motion lands nowhere (and breaks nothing)
    disp, count = splat_displacement(motion, np.ones((h, w), np.float32), gx, gy)
    np.testing.assert_allclose(count[1:, 0], 0.5)   # the other half fell off the frame
    np.testing.assert_allclose(count[1:, 8:], 0.0)  # nothing comes in for what left
    assert count[0, 5] == 0.0 and np.isfinite(disp).all()
    np.testing.assert_allclose(disp[1:, 2:8, 0], 0.0)


def _fill_holes_over_whole_frame(field, weight, known):
    """fill_holes as defined: box sums over the whole frame at radii 1, 4, 16, ..."""
    holes = weight < HOLE
    source = (~holes).astype(np.float32) * known
    out = field.astype(np.float32)
    out[holes] = 0.0
    weighted = out * source[..., None]
    radius = 1
    while holes.any() and radius < 2 * max(weight.shape):
        den = cv2.blur(source, (2 * radius + 1,) * 2)
        num = np.dstack([cv2.blur(np.ascontiguousarray(weighted[..., c]), (2 * radius + 1,) * 2)
                         for c in range(field.shape[2])])
        fill = holes & (den > 1e-3)
        out[fill] = weighted[fill] = num[fill] / den[fill][:, None]
        source[fill] = 1.0
        holes &= ~fill
        radius *= 4
    return out


def test_fill_holes_sums_over_the_holes_reach_only_yet_matches_the_whole_frame():
    # Holes in one corner and a strip by the opposite edge, some sources weighed next to nothing
    # (they need the wide radii), five channels (summed four at a time): every filled value is the
    # one the whole-frame sums give.
    rng = np.random.default_rng(5)
    h, w = 90, 130
    field = rng.uniform(-20, 20, (h, w, 5)).astype(np.float32)
    weight = np.ones((h, w), np.float32)
    weight[:25, :30] = 0.0
    weight[60:, 124:] = 0.0
    weight[40:44, 50:90] = 0.0
    known = np.where(rng.random((h, w)) < 0.5, 1e-5, 1.0).astype(np.float32)
    expected = _fill_holes_over_whole_frame(field, weight, known)
    np.testing.assert_allclose(fill_holes(field, weight, known), expected, rtol=1e-5, atol=1e-4)
    assert not np.allclose(expected[:25, :30], 0.0)  # the holes were filled, from afar too


def test_an_occluded_pixel_does_not_take_a_far_shapes_motion():
    # Grass blades where a ball will land: hidden in the other key, untrusted, with only still
    # sky round them. The one fast surface in the frame is a dark shape far off: its motion is
    # no neighbouring surface's, so the blades stay where they are (given the shape's motion,
    # the frames moved them off and painted sky in their place).
    h, w = 200, 400
    rng = np.random.default_rng(8)
    colour = np.full((h, w, 3), (200.0, 225.0, 245.0), np.float32)
    colour[20:60, 10:50] = rng.uniform(20, 90, (40, 40, 3))  # the far shape
    colour[140:160, 240:243] = (40.0, 110.0, 50.0)  # a blade
    flow = np.zeros((h, w, 2), np.float32)
    flow[20:60, 10:50] = (300.0, 130.0)
    consistency = np.ones((h, w), np.float32)
    consistency[130:170, 220:265] = 0.0  # where the ball will cover it
    out = fill_occluded(flow, consistency, colour)
    assert np.abs(out[140:160, 240:243]).max() < 1.0
    assert np.abs(out[20:60, 10:50] - (300.0, 130.0)).max() < 1e-3  # the shape keeps its own
