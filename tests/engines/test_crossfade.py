"""The crossfade engine: a dissolve whose easing comes from the `timing` option."""

from __future__ import annotations

import numpy as np
import pytest

from inbetweener.engines.base import TweenFrame, TweenRequest
from inbetweener.engines.crossfade import CrossfadeEngine
from inbetweener.errors import EngineError


def _request(**options) -> TweenRequest:
    a = np.zeros((4, 5, 4), np.uint8)
    a[..., 3] = 255
    b = np.full((4, 5, 4), 255, np.uint8)
    return TweenRequest(a, b, (0.25, 0.5), options=options)


def test_linear_dissolve_mixes_by_time() -> None:
    frames = [f for f in CrossfadeEngine().tween(_request()) if isinstance(f, TweenFrame)]
    assert [int(f.image[0, 0, 0]) for f in frames] == [64, 128]


@pytest.mark.parametrize("timing", ["bouncy", 5, [0.1, 0.2]])
def test_bad_timing_option_is_an_engine_error_not_a_crash(timing) -> None:
    with pytest.raises(EngineError, match="timing"):
        list(CrossfadeEngine().tween(_request(timing=timing)))


def test_every_timing_preset_is_an_option_and_overshoot_holds_at_key_b() -> None:
    from inbetweener.paths.timing import PRESET_NAMES

    (option,) = CrossfadeEngine.options
    assert option.choices == PRESET_NAMES and "overshoot" in PRESET_NAMES and "anticipate" in PRESET_NAMES
    request = TweenRequest(_request().key_a, _request().key_b, (0.2, 0.6), options={"timing": "overshoot"})
    frames = [f.image for f in CrossfadeEngine().tween(request) if isinstance(f, TweenFrame)]
    assert int(frames[1][0, 0, 0]) == 255 and int(frames[0][0, 0, 0]) > 64  # past B: held at B, not beyond
    request = TweenRequest(_request().key_a, _request().key_b, (0.2,), options={"timing": "anticipate"})
    (frame,) = [f.image for f in CrossfadeEngine().tween(request) if isinstance(f, TweenFrame)]
    assert int(frame[0, 0, 0]) == 0 and int(frame[0, 0, 3]) == 255  # before A: held at A
