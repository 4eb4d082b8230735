"""Synthetic mouse events for the editor tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations


def send_mouse(widget, kind: str, pos, button=None, buttons=None) -> None:
    """Deliver one mouse event with explicit button state (QTest's moves lose it)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    types = {"press": QEvent.Type.MouseButtonPress, "move": QEvent.Type.MouseMove,
             "release": QEvent.Type.MouseButtonRelease}
    button = Qt.MouseButton.LeftButton if button is None else button
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == "release" else button
    if kind == "move":
        button = Qt.MouseButton.NoButton
    local = QPointF(pos)
    event = QMouseEvent(types[kind], local, widget.mapToGlobal(local), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget, points, button=None) -> None:
    """Press at the first point, move through the rest, release at the last."""
    send_mouse(widget, "press", points[0], button)
    for p in points[1:]:
        send_mouse(widget, "move", p, None, button)
    send_mouse(widget, "release", points[-1], button)
