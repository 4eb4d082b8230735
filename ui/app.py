"""Start the editor: `run_gui(project, screenshot, frame)` (the CLI's `inbetweener gui`)."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

from inbetweener.errors import UserError


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"Something went wrong ({type(exc).__name__}: {text[:200]}); save your work and report this."


def _install_excepthook(quiet: bool) -> None:
    """Uncaught errors become one line (a message box in the app), never a traceback for the user."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        message = _one_line(exc)
        if os.environ.get("INBETWEENER_DEBUG"):
            traceback.print_exception(kind, exc, tb)
        print(f"inbetweener: {message}", file=sys.stderr)
        if not quiet:
            from PySide6.QtWidgets import QApplication, QMessageBox

            if QApplication.instance() is not None:
                QMessageBox.critical(None, "inbetweener", message)

    sys.excepthook = hook


def _needs_offscreen() -> bool:
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


XCB_PACKAGES = ("libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
                "libxkbcommon-x11-0")


def missing_system_library() -> str | None:
    """One sentence when Qt's X11 plugin would abort for a missing system library (Qt cannot recover).

    Loading the plugin ourselves first turns Qt's abort into an error that names the library.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb") != "xcb":
        return None
    if not os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    import ctypes
    import ctypes.util

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    missing = None
    if plugin.exists():
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            import re

            found = re.search(r"([\w.+-]+\.so[\w.]*): cannot open", str(exc))
            missing = found.group(1) if found else "a library Qt's X11 plugin needs"
    if missing is None and ctypes.util.find_library("xcb-cursor") is None:
        missing = "libxcb-cursor.so.0"
    if missing is None:
        return None
    return (f"the editor cannot open a window: the system library {missing} is missing; install Qt's X11 "
            f"libraries (Debian/Ubuntu: sudo apt install {XCB_PACKAGES})")


def make_window(project_path: Path | None = None):
    """The main window on a project file, or on the bundled sample when none is given."""
    from ui.main_window import MainWindow
    from ui.preview import sample_project

    if project_path is None:
        return MainWindow(sample_project())
    from inbetweener.io.project_file import load_project

    project_path = Path(project_path)
    window = MainWindow(load_project(project_path), project_path)
    window.files.remember(project_path)
    return window


def render_screenshot(window, out: Path) -> None:
    """Paint the window after everything loaded (events processed until painted, no sleeps)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    window.show()
    window.timing  # noqa: B018 - build the lazily made timing editor now, so it is in the picture
    window.canvas.progressive = False  # decode the frame now: the picture must show it sharp
    window.panel.refresh(force=True)  # side panels follow the playhead after it settles: now
    window.timing.refresh()
    for _ in range(5):  # layout, docks, fit-to-view and thumbnails settle within a few turns
        app.processEvents()
    # Thumbnails come from the prefetch thread; make the visible ones here so the picture is complete.
    project = window.document.project
    timeline = window.timeline
    for f in range(timeline.frame_at(0), timeline.frame_at(timeline.viewport().width()) + 1):
        image_id = project.key_at(f).image_id if project.key_at(f) else (
            project.cells[f].image_id if f in project.cells else None)
        if image_id is not None and window.cache.thumbnail(image_id) is None:
            window.cache.make_thumbnail(image_id, project.images[image_id])
    window.repaint()
    app.processEvents()
    image = window.grab()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise UserError(f"could not write the screenshot {out}; check the folder exists and is writable")


def run_gui(project: Path | None, screenshot: Path | None = None, frame: int | None = None) -> int:
    """Open the editor (frame is 0-based); with `screenshot`, render the window to a PNG and exit 0."""
    if screenshot is not None and _needs_offscreen():
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    problem = missing_system_library()
    if problem is not None:
        raise UserError(problem)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("inbetweener")
    app.setOrganizationName("inbetweener")
    _install_excepthook(quiet=screenshot is not None)
    try:
        window = make_window(project)
    except UserError as exc:
        if screenshot is not None:
            raise
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(None, "inbetweener", str(exc))
        window = make_window(None)
    if frame is not None:
        window.state.set_frame(max(0, min(int(frame), window.document.project.length - 1)))
    if screenshot is not None:
        window.quiet = True
        window.resize(1280, 800)
        render_screenshot(window, Path(screenshot))
        window.close()
        return 0
    window.show()
    window.offer_recovery()
    return int(app.exec())


def main() -> int:
    from inbetweener.allocator import keep_freed_memory

    keep_freed_memory()  # as the inbetweener program does (see inbetweener/allocator.py)
    args = sys.argv[1:]
    return run_gui(Path(args[0]) if args else None)


if __name__ == "__main__":
    sys.exit(main())
