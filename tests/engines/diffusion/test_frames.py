"""Canvas <-> model frames: working sizes, white compositing and back, time mapping (no torch)."""

from __future__ import annotations

import numpy as np
import pytest

from inbetweener.engines.diffusion.frames import (
    choose_frame_count,
    map_times,
    over_white,
    parse_resolution,
    sub_paths,
    with_alpha,
    work_size,
)
from inbetweener.errors import EngineError
from inbetweener.model.project import MotionPath
from inbetweener.paths.bezier import BezierChain, CubicBezier


@pytest.mark.parametrize("canvas, expected", [
    ((1920, 1080), (1024, 576)),   # SVD's own size for 16:9
    ((1024, 576), (1024, 576)),
    ((96, 64), (128, 64)),          # small canvases round to the nearest multiple, at least 64
    ((30, 20), (64, 64)),
    ((1080, 1920), (576, 1024)),   # portrait keeps its aspect
])
def test_work_size(canvas, expected):
    assert work_size(*canvas) == expected
    w, h = work_size(*canvas)
    assert w % 64 == 0 and h % 64 == 0 and w * h <= max(1024 * 576, 64 * 64)


def test_parse_resolution():
    assert parse_resolution("auto") is None
    assert parse_resolution("1000x570") == (1024, 576)
    with pytest.raises(EngineError):
        parse_resolution("32x32")


def test_white_compositing_round_trip():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rgba[..., 3] < 40, 0, rgba[..., 3])
    back = with_alpha(over_white(rgba), rgba[..., 3])
    solid = rgba[..., 3] >= 200
    assert np.abs(back[solid].astype(int) - rgba[solid].astype(int)).max() <= 2
    assert np.array_equal(back[..., 3], rgba[..., 3])
    assert (back[rgba[..., 3] == 0][:, :3] == 0).all()


def test_map_times():
    sources = map_times([0.0, 1 / 6, 0.5, 0.55, 1.0], 7)
    assert [(s.lower, s.upper) for s in sources] == [(0, 0), (1, 1), (3, 3), (3, 4), (6, 6)]
    assert sources[3].fraction == pytest.approx(0.3)
    assert map_times([0.999], 3)[0].upper == 2


def test_choose_frame_count():
    assert choose_frame_count([0.5], 25, "auto") == 25
    assert choose_frame_count([0.5], 14, 9) == 9
    with pytest.raises(EngineError):
        choose_frame_count([0.5], 14, 2)
    with pytest.raises(EngineError):
        choose_frame_count([0.5], 14, "lots")


def test_sub_paths_follow_the_curve_and_timing():
    path = MotionPath(BezierChain.from_segments([CubicBezier((0.0, 0.0), (0.0, 50.0), (100.0, 50.0), (100.0, 0.0))]))
    piece = sub_paths([path], 0.25, 0.5)[0]
    assert np.allclose(piece.start, path.position(0.25)) and np.allclose(piece.end, path.position(0.5))
