"""Play / pause at the project fps with loop, ping-pong or play-once (a QTimer on the GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ui.document import Document
from ui.state import EditorState

MODES = ("loop", "ping-pong", "once")


class Player(QObject):
    """Steps the editor's current frame through the timeline (or the current segment)."""

    playingChanged = Signal(bool)

    def __init__(self, document: Document, state: EditorState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.state = state
        self.mode = "loop"
        self.range: tuple[int, int] | None = None  # inclusive frame range; None = whole timeline
        self._direction = 1
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.step)
        document.changed.connect(self._sync_interval)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def bounds(self) -> tuple[int, int]:
        last = max(0, self.document.project.length - 1)
        if self.range is None:
            return 0, last
        lo, hi = self.range
        return max(0, min(lo, last)), max(0, min(hi, last))

    def _sync_interval(self) -> None:
        self._timer.setInterval(max(1, round(1000.0 / self.document.project.fps)))

    def play(self) -> None:
        if self.playing:
            return
        lo, hi = self.bounds()
        if self.mode == "once" and self.state.frame >= hi:
            self.state.set_frame(lo)
        self._direction = 1
        self._sync_interval()
        self._timer.start()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playingChanged.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown playback mode {mode!r}")
        self.mode = mode

    def step(self) -> None:
        """Advance one frame in the current direction, wrapping per the mode."""
        lo, hi = self.bounds()
        f = self.state.frame
        if not lo <= f <= hi:
            self.state.set_frame(lo)
            return
        nxt = f + self._direction
        if nxt > hi or nxt < lo:
            if self.mode == "loop":
                nxt = lo
            elif self.mode == "ping-pong":
                self._direction = -self._direction
                nxt = f + self._direction
                nxt = max(lo, min(hi, nxt))
            else:
                self.pause()
                return
        self.state.set_frame(nxt)
