"""The PySide6 editor: main window, canvas, timeline, timing curves, background generation."""
