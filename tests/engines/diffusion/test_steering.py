"""Path steering: the user's paths move the generated in-betweens their way (SDEdit start from guides)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
cv2 = pytest.importorskip("cv2")

from inbetweener.engines.base import Progress, TweenFrame, TweenRequest  # noqa: E402
from inbetweener.engines.diffusion.pipeline import Settings, generate  # noqa: E402
from inbetweener.model.project import MotionPath  # noqa: E402
from inbetweener.paths.bezier import BezierChain, CubicBezier  # noqa: E402

SIZE = 128
START, END = (24.0, 64.0), (104.0, 64.0)


class PathPainter:
    """A stand-in guide engine: paints the disc exactly where the first path says (no flow involved)."""

    name: ClassVar[str] = "painter"
    options: ClassVar[tuple] = ()

    def tween(self, request: TweenRequest) -> Iterator[Progress | TweenFrame]:
        for i, t in enumerate(request.times):
            x, y = request.paths[0].position(t)
            yield TweenFrame(i, disc_at(x, y))


def disc_at(x: float, y: float) -> np.ndarray:
    image = np.full((SIZE, SIZE, 4), 255, np.uint8)
    cv2.circle(image, (int(round(x)), int(round(y))), 12, (20, 40, 200, 255), -1)
    return image


def arc(bend_y: float) -> MotionPath:
    return MotionPath(BezierChain.from_segments([CubicBezier(START, (40.0, bend_y), (88.0, bend_y), END)]))


def middle_frame(model, path: MotionPath, helper) -> np.ndarray:
    request = TweenRequest(disc_at(*START), disc_at(*END), (0.5,), paths=(path,), seed=11)
    settings = Settings(steps=4, strength=0.3, mode="rotate", num_frames=3)
    frames = [i for i in generate(model, request, settings, helper=helper) if isinstance(i, TweenFrame)]
    return frames[0].image[..., :3].astype(np.float32)


def visible_change(image: np.ndarray, reference: np.ndarray, threshold: float = 8.0) -> np.ndarray:
    """Per-pixel change summed over RGB, ignoring rounding-level changes: the random model's attention
    spreads +-1 flicker everywhere, while what the guides move shows as larger changes."""
    diff = np.abs(image - reference).sum(-1)
    return np.where(diff > threshold, diff, 0.0)


def band_energy(diff: np.ndarray, centre_y: float) -> float:
    rows = slice(int(centre_y) - 16, int(centre_y) + 16)
    return float(diff[rows].sum())


@pytest.mark.parametrize("helper_kind", ["painter", "flow"])
def test_paths_move_the_result_their_way(tiny_model, helper_kind):
    if helper_kind == "flow":
        from inbetweener.engines.base import get_engine
        from inbetweener.errors import EngineError

        try:
            helper = get_engine("flow")
        except EngineError:
            pytest.skip("flow engine not available")
    else:
        helper = PathPainter()
    up, straight, down = arc(5.0), arc(64.0), arc(123.0)
    mid_up = up.position(0.5)[1]
    mid_down = down.position(0.5)[1]
    assert mid_up < 30 and mid_down > 98  # the arcs really bend away from the straight line
    image_up = middle_frame(tiny_model, up, helper)
    image_straight = middle_frame(tiny_model, straight, helper)
    image_down = middle_frame(tiny_model, down, helper)
    diff_up = visible_change(image_up, image_straight)
    diff_down = visible_change(image_down, image_straight)
    # Bending the path up changes the picture up there, not at the bottom, and vice versa.
    assert band_energy(diff_up, mid_up) > 3 * band_energy(diff_up, mid_down)
    assert band_energy(diff_down, mid_down) > 3 * band_energy(diff_down, mid_up)
    # The vertical centroid of what changed follows the bend.
    rows = np.arange(SIZE, dtype=np.float32)
    centroid_up = float((diff_up.sum(1) * rows).sum() / diff_up.sum())
    centroid_down = float((diff_down.sum(1) * rows).sum() / diff_down.sum())
    assert centroid_up < 64 - 5 and centroid_down > 64 + 5


def test_pure_generation_ignores_the_guides(tiny_model):
    """strength 1.0 starts from noise alone, so the paths (through the guides) change nothing."""
    request = TweenRequest(disc_at(*START), disc_at(*END), (0.5,), paths=(arc(5.0),), seed=3)
    other = TweenRequest(disc_at(*START), disc_at(*END), (0.5,), paths=(arc(123.0),), seed=3)
    settings = Settings(steps=2, strength=1.0, mode="fuse", num_frames=3)
    one = [i.image for i in generate(tiny_model, request, settings, helper=PathPainter()) if isinstance(i, TweenFrame)]
    two = [i.image for i in generate(tiny_model, other, settings, helper=PathPainter()) if isinstance(i, TweenFrame)]
    assert np.array_equal(one[0], two[0])
