"""The Qt binding must not leak or drop references: PySide6 6.12.0 on CPython 3.11 decrefs None on
every void call, and a long editing session then dies with "deallocating None"."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter


def test_void_qt_calls_keep_the_refcount_of_none():
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    rect = QRect(0, 0, 4, 4)
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.setPen(QColor("red"))
        painter.fillRect(rect, QColor("blue"))
        rect.setX(1)
    painter.end()
    # A healthy binding leaves it where it was (give or take a few unrelated references).
    assert abs(sys.getrefcount(None) - before) < 500, "this PySide6 build drops references to None; use another version"
