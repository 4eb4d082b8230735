"""Crash recovery: one recovery file per project in the user's data folder, never the user's file.

A recovery file is a normal project file (`<stem>-<hash>.ibw`, written atomically by
`save_project`) plus a small JSON note (`<stem>-<hash>.json`) with the original path and the time.
A running editor holds an OS lock on `<stem>-<hash>.lock`; the OS drops it when the process dies,
so an unlocked recovery file was left by a crash and a locked one belongs to a live window.
The hash comes from the project's resolved path, or from an "untitled-<id>" for unsaved documents,
so each open document has exactly one recovery slot. Qt-free: the editor's autosaver drives it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from inbetweener.errors import ProjectFileError
from inbetweener.model.project import Project

DATA_DIR_ENV = "INBETWEENER_DATA_DIR"
RECOVERY_SUFFIX = ".ibw"
NOTE_SUFFIX = ".json"
LOCK_SUFFIX = ".lock"
# Only names we made count as recovery files: stray temp files of an interrupted write never do.
_SLOT_NAME = re.compile(r"^[A-Za-z0-9_-]{0,40}-[0-9a-f]{16}$")
_NOTE_MAX_BYTES = 64 * 1024
_LATEST_TIME = 32503680000  # the year 3000, in seconds since the epoch


def data_dir() -> Path:
    """The app's per-user data folder (env INBETWEENER_DATA_DIR overrides it, e.g. for tests)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("inbetweener", appauthor=False))


def recovery_dir() -> Path:
    return data_dir() / "recovery"


def new_untitled_id() -> str:
    """A fresh id for a document that has no file yet."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class RecoveryEntry:
    """One recovery file found on disk and what its note says about it."""

    file: Path
    original: Path | None  # None: the document was never saved
    saved_at: float  # seconds since the epoch
    name: str

    @property
    def note(self) -> Path:
        return self.file.with_suffix(NOTE_SUFFIX)

    def describe(self) -> str:
        """One line for a dialog: which document and when it was autosaved."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        where = str(self.original) if self.original else f"unsaved project \"{self.name}\""
        return f"{where} (autosaved {when})"


def _stem_for(original: Path | None) -> str:
    raw = original.stem if original is not None else "untitled"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", raw)[:40]


def slot_for(original: str | Path | None, untitled_id: str | None = None) -> Path:
    """The recovery file for a document: from its resolved path, or its untitled id if unsaved."""
    if original is not None:
        original = Path(original).expanduser().resolve()
        key = "path:" + str(original)
    elif untitled_id:
        key = "untitled:" + untitled_id
    else:
        raise ValueError("an unsaved document needs an untitled id for its recovery slot")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    stem = _stem_for(original if isinstance(original, Path) else None)
    return recovery_dir() / f"{stem}-{digest}{RECOVERY_SUFFIX}"


def _write_note_atomically(note: Path, payload: dict) -> None:
    tmp = note.with_name(f".{note.name}.{os.getpid()}.tmp")
    data = json.dumps(payload, indent=1).encode("utf-8")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, note)


def write_recovery(project: Project, original: str | Path | None, untitled_id: str | None = None) -> Path:
    """Save `project` into its recovery slot (atomically) and return the recovery file's path."""
    from inbetweener.io.project_file import save_project

    target = slot_for(original, untitled_id)
    if original is not None and Path(original).expanduser().resolve() == target.resolve():
        # A project saved inside the recovery folder under our own name: never write over it.
        raise ProjectFileError("the project lives where its recovery copy would go; save it elsewhere")
    target.parent.mkdir(parents=True, exist_ok=True)
    save_project(project, target)
    note = {
        "original": str(Path(original).expanduser().resolve()) if original is not None else None,
        "untitled_id": untitled_id,
        "name": project.name,
        "saved_at": time.time(),
    }
    _write_note_atomically(target.with_suffix(NOTE_SUFFIX), note)
    return target


def _read_note(note: Path, file: Path) -> RecoveryEntry:
    original: Path | None = None
    name = file.stem
    saved_at = file.stat().st_mtime
    with contextlib.suppress(OSError, ValueError, TypeError):
        if note.stat().st_size <= _NOTE_MAX_BYTES:
            data = json.loads(note.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                if isinstance(data.get("original"), str):
                    original = Path(data["original"])
                if isinstance(data.get("name"), str):
                    name = data["name"]
                # A time describe() can show: NaN, infinities and far-off years make localtime() raise.
                if isinstance(data.get("saved_at"), (int, float)) and 0 <= data["saved_at"] < _LATEST_TIME:
                    saved_at = float(data["saved_at"])
    return RecoveryEntry(file, original, saved_at, name)


class SlotLock:
    """An exclusive advisory lock on a recovery slot, held while an editor session owns it."""

    def __init__(self, slot: Path) -> None:
        self.slot = Path(slot)
        self.path = self.slot.with_suffix(LOCK_SUFFIX)
        self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; False if another session (or handle) holds it."""
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - kept open: the open handle is the lock
        try:
            if os.name == "nt":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is None:
            return
        with contextlib.suppress(OSError):
            if os.name == "nt":
                import msvcrt

                self._fh.seek(0)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
        self._fh.close()  # closing drops a flock
        self._fh = None


def is_live(file: Path) -> bool:
    """Whether a running session holds the lock of this recovery file's slot."""
    if not Path(file).with_suffix(LOCK_SUFFIX).exists():
        return False
    probe = SlotLock(Path(file))
    if probe.acquire():
        probe.release()
        return False
    return True


def list_recoveries(include_live: bool = True) -> list[RecoveryEntry]:
    """Recovery files on disk, newest first (a missing or damaged note still lists the file);
    `include_live=False` leaves out those of editor windows that are running right now."""
    folder = recovery_dir()
    if not folder.is_dir():
        return []
    entries = []
    for file in folder.iterdir():
        if file.suffix != RECOVERY_SUFFIX or not _SLOT_NAME.match(file.stem) or not file.is_file():
            continue
        if not include_live and is_live(file):
            continue
        with contextlib.suppress(OSError):
            entries.append(_read_note(file.with_suffix(NOTE_SUFFIX), file))
    entries.sort(key=lambda e: e.saved_at, reverse=True)
    return entries


def restore(entry: RecoveryEntry | str | Path) -> Project:
    """Load a recovery file (a damaged one raises ProjectFileError like any project file)."""
    from inbetweener.io.project_file import load_project

    file = entry.file if isinstance(entry, RecoveryEntry) else Path(entry)
    return load_project(file)


def discard(entry: RecoveryEntry | str | Path) -> None:
    """Delete a recovery file and its note (missing ones are fine)."""
    file = entry.file if isinstance(entry, RecoveryEntry) else Path(entry)
    if file.resolve().parent != recovery_dir().resolve():
        raise ValueError(f"{file} is not a recovery file")  # never delete anything else
    for p in (file, file.with_suffix(NOTE_SUFFIX)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    if not is_live(file):  # a live session's lock file stays with it
        with contextlib.suppress(OSError):
            file.with_suffix(LOCK_SUFFIX).unlink()


def discard_slot(original: str | Path | None, untitled_id: str | None = None) -> None:
    """Delete a document's recovery file, if any (a clean close or a successful save)."""
    discard(slot_for(original, untitled_id))
