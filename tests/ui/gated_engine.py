"""A test engine that makes one frame, then waits (yielding progress) until the test opens its gate."""

from __future__ import annotations

import threading
from typing import ClassVar

import numpy as np

from inbetweener.engines.base import EngineOption, Progress, TweenFrame, TweenRequest

GATE = threading.Event()


class GatedEngine:
    name: ClassVar[str] = "gated"
    options: ClassVar[tuple[EngineOption, ...]] = ()
    fail_with: ClassVar[BaseException | None] = None
    note: ClassVar[str | None] = None  # said as a Progress note before the first frame
    followed: ClassVar[tuple] = ()  # that note's Progress.followed (paths followed in place of the request's)

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    def tween(self, request: TweenRequest):
        if GatedEngine.fail_with is not None:
            raise GatedEngine.fail_with
        if GatedEngine.note is not None:
            yield Progress(0.0, GatedEngine.note, note=True, followed=GatedEngine.followed)
        for i, t in enumerate(request.times):
            img = np.array(request.key_a if t < 0.5 else request.key_b)
            yield TweenFrame(i, img)
            # Hold after the first frame until the gate opens; progress keeps flowing so the
            # consumer can cancel at the next yield.
            while i == 0 and not GATE.wait(0.005):
                yield Progress(0.0, "waiting for the gate")
            yield Progress((i + 1) / len(request.times), f"frame {i + 1}")


def start_held_generation(window, qtbot) -> None:
    """Close the gate, switch segment 0 to this engine and Generate from frame 1; returns once the
    first frame has arrived and the job is held open (the caller opens GATE when done)."""
    from inbetweener.model.commands import UpdateSegment

    GATE.clear()
    window.document.push(UpdateSegment(0, engine="gated"))
    window.state.set_frame(1)
    window.actions_["generate"].trigger()
    qtbot.waitUntil(lambda: 1 in window.state.previews, timeout=10000)
