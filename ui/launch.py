"""The installed `inbetweener` program: the core command line with the editor as its `gui` command.

The core (inbetweener/cli.py) never imports Qt; this entry point hands it the editor to open.
Qt loads only when the editor actually opens, so `inbetweener tween ...` and `--help` stay light.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from inbetweener.errors import UserError


def open_editor(project: Path | None, screenshot: Path | None, frame: int | None) -> int:
    """Open the editor (on `project`); with `screenshot`, save one at `frame` (0-based) and quit."""
    if importlib.util.find_spec("PySide6") is None:
        raise UserError("PySide6 is missing, so the editor cannot open; install it with: pip install PySide6-Essentials")
    from ui.app import run_gui

    return int(run_gui(project, screenshot, frame) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """`inbetweener [command ...]`: the editor when run without a command or with a project file."""
    from inbetweener.cli import main as cli_main

    return cli_main(argv, open_editor=open_editor)
