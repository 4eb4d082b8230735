"""The sample project and a tiny harness so every panel can open on its own (`python -m ui.timeline`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from inbetweener.model.commands import AddPath, InsertKeyframe, apply
from inbetweener.model.images import ImageData
from inbetweener.model.project import MotionPath, Project
from inbetweener.paths.bezier import BezierChain
from inbetweener.paths.timing import Timing

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "resources" / "samples" / "ball.ibw"


def drawn_ball_project(width: int = 480, height: int = 270, spacing: int = 8) -> Project:
    """A ball that arcs from the left to the right of the canvas: three keys, one path per segment."""
    import cv2

    def key(cx: int, cy: int, squash: float) -> ImageData:
        img = np.full((height, width, 4), 255, np.uint8)
        cv2.line(img, (0, int(height * 0.9)), (width, int(height * 0.9)), (90, 90, 90, 255), 2)
        r = height // 12
        axes = (int(r * squash), int(r / squash))
        cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, (220, 60, 40, 255), -1, cv2.LINE_AA)
        cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, (30, 30, 30, 255), 2, cv2.LINE_AA)
        return ImageData.from_array(img)

    ground = int(height * 0.9) - height // 12
    a = (width // 8, height // 4)
    b = (width // 2, ground)
    c = (width * 7 // 8, height // 4)
    project = Project(width, height, 24.0, name="ball")
    for frame, (x, y), squash in ((0, a, 1.0), (spacing, b, 1.3), (2 * spacing, c, 1.0)):
        project, _ = apply(project, InsertKeyframe(frame, key(x, y, squash)))
    # Arcs: the ball falls along a curve into the ground, then rises out of it.
    fall = BezierChain(((a[0], a[1]), (a[0] + width * 0.18, a[1]), (b[0] - width * 0.08, b[1] - height * 0.35), b))
    rise = BezierChain((b, (b[0] + width * 0.08, b[1] - height * 0.35), (c[0] - width * 0.18, c[1]), c))
    project, _ = apply(project, AddPath(0, MotionPath(fall, Timing.preset("ease-in"), "ball")))
    project, _ = apply(project, AddPath(1, MotionPath(rise, Timing.preset("ease-out"), "ball")))
    return project


def sample_project() -> Project:
    """The bundled sample if it is there and readable, else the drawn ball."""
    if SAMPLE_PATH.is_file():
        try:
            from inbetweener.io.project_file import load_project

            return load_project(SAMPLE_PATH)
        except Exception:  # noqa: BLE001 - a broken sample must not stop the editor
            pass
    return drawn_ball_project()


def preview_widget(factory: Callable, frame: int = 4) -> None:
    """Show one panel on the sample project in its own window (for developing a widget alone)."""
    from PySide6.QtWidgets import QApplication

    from ui.document import Document
    from ui.state import EditorState

    app = QApplication.instance() or QApplication(sys.argv)
    document = Document(sample_project())
    state = EditorState()
    state.set_frame(frame)
    widget = factory(document, state)
    widget.resize(900, 500)
    widget.show()
    sys.exit(app.exec())
