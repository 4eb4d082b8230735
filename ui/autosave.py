"""Autosave and crash recovery in the editor (the file work lives in inbetweener/io/recovery.py).

`Autosaver` writes the open document's recovery file on a timer when it changed since the last
autosave; saving the document or a clean exit removes it. At start, `offer_recovery` asks whether
to restore what a crash left behind. Writing happens on the GUI thread: a Project is immutable and
its images keep their PNG bytes, so an autosave is a zip write (tens of ms for the samples).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from inbetweener.errors import UserError
from inbetweener.io import recovery
from ui.document import Document


class Autosaver(QObject):
    """Every `interval_ms`, writes the document's recovery file if it changed since the last one."""

    saved = Signal(str)  # the recovery file written
    failed = Signal(str)  # one line: why the autosave could not be written

    def __init__(self, document: Document, parent: QObject | None = None, interval_ms: int = 60_000) -> None:
        super().__init__(parent)
        self._document = document
        self._untitled_id = recovery.new_untitled_id()
        self._dirty = False
        self._restoring = False  # while a recovery file is loaded, its own slot must not be discarded
        self._slots: set[Path] = set()  # recovery files this session wrote (one per path it had)
        self.last_seconds = 0.0  # how long the last autosave took (shown in tests / benches)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.autosave_now)
        document.changed.connect(self._on_changed)
        document.cleanChanged.connect(self._on_clean_changed)
        self._timer.start()

    @property
    def interval_ms(self) -> int:
        return self._timer.interval()

    def _on_changed(self) -> None:
        self._dirty = True

    def _on_clean_changed(self, clean: bool) -> None:
        if clean and not self._restoring:  # saved, or undone back to what is on disk
            self._dirty = False
            self.discard()

    def _slot(self) -> Path:
        return recovery.slot_for(self._document.path, self._untitled_id)

    def autosave_now(self) -> Path | None:
        """Write the recovery file now if there is unsaved work; returns it (None: nothing to do)."""
        if not self._dirty or self._document.is_clean():
            return None
        project = self._document.project  # immutable: this snapshot cannot change under us
        started = time.perf_counter()
        try:
            slot = recovery.write_recovery(project, self._document.path, self._untitled_id)
        except (UserError, OSError) as exc:
            self.failed.emit(f"Autosave failed ({exc}); save your work with Ctrl+S.")
            return None
        self.last_seconds = time.perf_counter() - started
        self._dirty = self._document.project is not project
        # Saved under a new name since the last autosave: the old slot is stale.
        for stale in self._slots - {slot}:
            recovery.discard(stale)
        self._slots = {slot}
        self.saved.emit(str(slot))
        return slot

    def adopt(self, recovery_file: Path) -> None:
        """Take over a restored recovery file: write the document's own slot now, then drop the old
        file once the new copy exists (until then the old one is the only copy on disk)."""
        self._slots.add(Path(recovery_file))
        self._dirty = True
        self.autosave_now()

    def discard(self) -> None:
        """Remove every recovery file this session wrote or adopted."""
        for slot in self._slots | {self._slot()}:
            try:
                recovery.discard(slot)
            except (OSError, ValueError):
                pass
        self._slots = set()

    def discard_on_clean_exit(self) -> None:
        """The app is closing normally (the user saved or chose to discard): no recovery needed."""
        self._timer.stop()
        self.discard()


def offer_recovery(parent: QWidget | None = None) -> Path | None:
    """At start: if a crash left recovery files, ask whether to restore the newest; returns its file.

    Declining keeps the files for the next start; "Discard" removes them all.
    """
    entries = recovery.list_recoveries()
    if not entries:
        return None
    newest = entries[0]
    others = f"\n\n{len(entries) - 1} older recovery file(s) are kept." if len(entries) > 1 else ""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Recover unsaved work")
    box.setText("inbetweener did not close normally last time. Restore the unsaved work?")
    box.setInformativeText(newest.describe() + others)
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.exec()
    clicked = box.clickedButton()
    if clicked is restore:
        return newest.file
    if clicked is discard:
        for entry in entries:
            recovery.discard(entry)
    return None


def restore_into(document: Document, recovery_file: Path, autosaver: Autosaver | None = None) -> None:
    """Load a recovery file into the document as unsaved changes to its original file (if any)."""
    entry = next((e for e in recovery.list_recoveries() if e.file == Path(recovery_file)), None)
    project = recovery.restore(recovery_file)  # ProjectFileError if damaged: the file stays
    original = entry.original if entry is not None else None
    if autosaver is not None:
        autosaver._restoring = True
    try:
        document.load(project, original)
        # Not clean: the restored work is not in the user's file yet, so closing asks to save it.
        document.undo_stack.resetClean()
    finally:
        if autosaver is not None:
            autosaver._restoring = False
    if autosaver is not None:
        autosaver.adopt(Path(recovery_file))
