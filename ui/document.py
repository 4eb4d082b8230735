"""The open document: the current Project, its file, and an undo stack of core commands.

Widgets never change the project directly: they `push` core commands (inbetweener.model.commands).
Each becomes one QUndoCommand whose redo applies it and whose undo applies the returned inverse.
Consecutive drags of the same point (or timing curve, or path re-drag) merge into one undo step
until `end_drag()` closes the gesture.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from inbetweener.model.commands import (
    Command,
    MovePathPoint,
    ReplacePath,
    SetTiming,
    UpdateSegment,
    apply,
)
from inbetweener.model.project import Project

_MERGE_ID = 4711  # any fixed id: mergeWith itself decides whether two commands belong together


def _merge_key(cmd: Command) -> tuple | None:
    """Which gesture a command belongs to; commands with equal keys in one drag merge."""
    if isinstance(cmd, MovePathPoint):
        return ("point", cmd.segment, cmd.path_index, cmd.point_index)
    if isinstance(cmd, SetTiming):
        return ("timing", cmd.segment, cmd.path_index)
    if isinstance(cmd, ReplacePath):
        return ("path", cmd.segment, cmd.path_index)
    if isinstance(cmd, UpdateSegment) and cmd.spacing is not None and (cmd.engine, cmd.seed, cmd.options) == (None,) * 3:
        return ("spacing", cmd.segment)  # a drag of the spacing curve's handles
    return None


class _CoreCommandAdapter(QUndoCommand):
    """One core command on the Qt undo stack (redo = apply, undo = apply the inverse)."""

    def __init__(self, document: Document, command: Command, new: Project, inverse: Command,
                 drag_serial: int) -> None:
        super().__init__(command.label)
        self._document = document
        self.command = command
        self._prepared: Project | None = new  # the first redo reuses the already computed result
        self._inverse = inverse
        # After an undo, redo puts back the exact objects the undo replaced (a Restore), so redo
        # after undo reproduces the edited project bit for bit.
        self._redo_restore: Command | None = None
        self.merge_key = _merge_key(command)
        self.drag_serial = drag_serial

    def redo(self) -> None:
        if self._prepared is not None:
            new, self._prepared = self._prepared, None
        elif self._redo_restore is not None:
            new, self._inverse = apply(self._document.project, self._redo_restore)
        else:
            new, self._inverse = apply(self._document.project, self.command)
        self._document._replace(new)

    def undo(self) -> None:
        new, self._redo_restore = apply(self._document.project, self._inverse)
        self._document._replace(new)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _CoreCommandAdapter):
            return False
        if other.merge_key != self.merge_key or other.drag_serial != self.drag_serial:
            return False
        # Our inverse already restores the state before the whole gesture; redo replays the latest.
        self.command = other.command
        self._redo_restore = None
        return True


def project_file_name(path: Path) -> Path:
    """`path` with .ibw added if it lacks it ("scene1.final" -> "scene1.final.ibw", never over "scene1.ibw")."""
    return path if path.suffix.lower() == ".ibw" else path.with_name(path.name + ".ibw")


class Document(QObject):
    """Owns the current Project, its path and the undo stack; emits `changed` on every edit."""

    changed = Signal()
    pathChanged = Signal()
    cleanChanged = Signal(bool)

    def __init__(self, project: Project | None = None, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._project = project if project is not None else Project(640, 480)
        self._path: Path | None = Path(path) if path is not None else None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self.cleanChanged)
        self._drag_serial = 0

    # -- state ---------------------------------------------------------------------------------
    @property
    def project(self) -> Project:
        return self._project

    @property
    def path(self) -> Path | None:
        return self._path

    def is_clean(self) -> bool:
        return self.undo_stack.isClean()

    def display_name(self) -> str:
        return self._path.name if self._path is not None else f"{self._project.name} (unsaved)"

    def _replace(self, project: Project) -> None:
        if project is not self._project:
            self._project = project
            self.changed.emit()

    # -- edits ---------------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Apply a core command as one undo step; raises CommandError (nothing changes) if it is nonsense."""
        new, inverse = apply(self._project, command)
        self.undo_stack.push(_CoreCommandAdapter(self, command, new, inverse, self._drag_serial))

    def push_many(self, commands: Iterable[Command], label: str) -> None:
        """Several commands as one undo step (e.g. importing an image sequence as keys); all or nothing."""
        commands = list(commands)
        trial = self._project
        for cmd in commands:  # raises CommandError before anything reaches the stack
            trial, _ = apply(trial, cmd)
        self.undo_stack.beginMacro(label)
        try:
            for cmd in commands:
                self.push(cmd)
        finally:
            self.undo_stack.endMacro()

    def end_drag(self) -> None:
        """Close the current gesture: the next drag starts a new undo step."""
        self._drag_serial += 1

    # -- files ---------------------------------------------------------------------------------
    def new_project(self, width: int = 1280, height: int = 720, fps: float = 24.0,
                    name: str = "untitled") -> None:
        self._reset(Project(width, height, fps, name=name), None)

    def load(self, project: Project, path: Path | None = None) -> None:
        """Replace the document with `project` (a fresh undo history, clean)."""
        self._reset(project, path)

    def open(self, path: str | Path) -> None:
        """Load a project file; raises ProjectFileError and leaves the document as it was on failure."""
        from inbetweener.io.project_file import load_project

        path = Path(path)
        project = load_project(path)
        self._reset(project, path)

    def save(self, path: str | Path | None = None) -> Path:
        """Save atomically to `path` (or the current file); the document becomes clean."""
        from inbetweener.io.project_file import save_project

        target = Path(path) if path is not None else self._path
        if target is None:
            raise ValueError("no file name: use Save As")
        target = project_file_name(target)
        save_project(self._project, target)
        if target != self._path:
            self._path = target
            self.pathChanged.emit()
        self.undo_stack.setClean()
        return target

    def _reset(self, project: Project, path: Path | None) -> None:
        self.undo_stack.clear()
        self._project = project
        old = self._path
        self._path = Path(path) if path is not None else None
        self.undo_stack.setClean()
        self.changed.emit()
        if old != self._path:
            self.pathChanged.emit()
