"""Autosave and crash recovery in the editor (the file work lives in inbetweener/io/recovery.py).

`Autosaver` writes the open document's recovery file on a timer when it changed since the last
autosave; saving the document or a clean exit removes it. At start, `offer_recovery` asks whether
to restore what a crash left behind.

No thread of its own (ui/worker.py owns threads): a Project is immutable and its images keep their
PNG bytes once encoded, so the only slow part is encoding freshly generated frames. The timed
autosave spreads that over event-loop turns (a few ms each), then writes the zip (tens of ms).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from inbetweener.errors import UserError
from inbetweener.io import recovery
from inbetweener.model.project import Project
from ui.document import Document

# Longest stretch the timed autosave spends encoding images before it lets the GUI breathe.
STEP_BUDGET_S = 0.02


def _used_image_ids(project: Project) -> list[str]:
    used = {k.image_id for k in project.keyframes} | {c.image_id for c in project.cells.values()}
    return sorted(used)


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
        self._lock: recovery.SlotLock | None = None  # marks our slot as a live session's, not a crash's
        self.last_seconds = 0.0  # how long the last autosave took (shown in tests / benches)
        self.longest_step_seconds = 0.0  # longest single GUI-thread stretch of the timed autosave
        self.steps_taken = 0  # event-loop turns the timed autosaves have used (for tests)
        self._pending: tuple[Project, Iterator[str]] | None = None  # a timed autosave in progress
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._begin)
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

    def _needed(self) -> bool:
        return self._dirty and not self._document.is_clean()

    def _begin(self) -> None:
        """Timer tick: snapshot the document and encode its new images a little per event-loop turn."""
        if self._pending is not None or not self._needed():
            return
        project = self._document.project  # immutable: this snapshot cannot change under us
        self._pending = (project, iter(_used_image_ids(project)))
        self._step()

    def _step(self) -> None:
        if self._pending is None:  # discarded meanwhile
            return
        project, todo = self._pending
        self.steps_taken += 1
        started = time.perf_counter()
        for image_id in todo:
            project.images[image_id].png_bytes()  # cached in the image: the write reuses it
            if time.perf_counter() - started > STEP_BUDGET_S:
                self.longest_step_seconds = max(self.longest_step_seconds, time.perf_counter() - started)
                QTimer.singleShot(0, self._step)
                return
        self._pending = None
        if self._needed():  # not saved by the user while we were encoding
            self._write(project)
        self.longest_step_seconds = max(self.longest_step_seconds, time.perf_counter() - started)

    def autosave_now(self) -> Path | None:
        """Write the recovery file now if there is unsaved work; returns it (None: nothing to do)."""
        if not self._needed():
            return None
        return self._write(self._document.project)

    def _write(self, project: Project) -> Path | None:
        started = time.perf_counter()
        try:
            slot = recovery.write_recovery(project, self._document.path, self._untitled_id)
        except (UserError, OSError) as exc:
            self.failed.emit(f"Autosave failed ({exc}); save your work with Ctrl+S.")
            return None
        self.last_seconds = time.perf_counter() - started
        self._dirty = self._document.project is not project
        if self._lock is None or self._lock.slot != slot:
            if self._lock is not None:
                self._lock.release()
            self._lock = recovery.SlotLock(slot)
            self._lock.acquire()
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
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        for slot in self._slots | {self._slot()}:
            try:
                recovery.discard(slot)
            except (OSError, ValueError):
                pass
        self._slots = set()

    def discard_on_clean_exit(self) -> None:
        """The app is closing normally (the user saved or chose to discard): no recovery needed."""
        self._timer.stop()
        self._pending = None
        self.discard()


def offer_recovery(parent: QWidget | None = None) -> Path | None:
    """At start: if a crash left recovery files, ask whether to restore the newest; returns its file.

    Declining keeps the files for the next start; "Discard" removes them all.
    """
    entries = recovery.list_recoveries(include_live=False)  # not those of windows still open
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
