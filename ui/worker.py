"""Background generation (DESIGN.md §6): the only place in the app that owns threads.

A `GenerationWorker` runs `jobs.run_job` on an immutable snapshot in a QThread and reports through
signals. `GenerationController` lives on the GUI thread: one job at a time, previews while it runs,
and at the end ONE undoable `PutGeneratedFrames` command, or nothing at all (cancel / failure).
"""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import QObject, QThread, Signal, Slot

from inbetweener.errors import Cancelled, UserError
from inbetweener.jobs import FollowedPaths, JobFrame, SegmentJob, frames_command, run_job
from inbetweener.model.commands import CommandError
from inbetweener.model.images import ImageData
from inbetweener.model.project import MotionPath, Project
from ui.document import Document
from ui.state import EditorState


def summarise(exc: BaseException) -> str:
    """One line for the status bar / message box, never a traceback."""
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    detail = f" ({type(exc).__name__}: {text[:160]})" if text else f" ({type(exc).__name__})"
    return f"Generation failed{detail}; try another engine or report this problem."


class GenerationWorker(QObject):
    """Runs one job's generator in a worker thread; `cancel()` stops it at the next yield."""

    progress = Signal(float, str)
    note = Signal(str, object)  # something the engine made of the drawings (Progress.note, .followed)
    frame = Signal(int, object, object)  # timeline frame, pixels (preview), packed ImageData (document)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, job: SegmentJob) -> None:
        super().__init__()
        self._job = job
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: the loop sees the flag at the engine's next yield."""
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        gen = run_job(self._job)
        try:
            for item in gen:
                if self._cancel.is_set():
                    break
                if isinstance(item, JobFrame):
                    # PNG-encode here, not on the GUI thread at autosave (150 ms a 1080p frame), and
                    # keep the document's frames compressed (a 1080p frame: 0.4 MB, not 8 MB).
                    self.frame.emit(item.frame, item.image, ImageData.from_array(item.image).packed())
                else:
                    self.progress.emit(float(item.fraction), item.message)
                    if item.note:
                        self.note.emit(item.message, item.followed)
        except Cancelled:
            pass
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
            self.failed.emit(summarise(exc))
        finally:
            gen.close()  # cancels the engine at its current yield
            self.finished.emit()


class GenerationController(QObject):
    """Starts jobs, shows their frames as previews, and lands the result as one undo step."""

    started = Signal(str)
    progress = Signal(float, str)
    failed = Signal(str)
    # True when the frames went into the document, False when cancelled / failed / stale.
    done = Signal(bool)

    def __init__(self, document: Document, state: EditorState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self._state = state
        self._thread: QThread | None = None
        self._worker: GenerationWorker | None = None
        self._job: SegmentJob | None = None
        self._snapshot: Project | None = None
        self._frames: list[JobFrame] = []
        self._label = ""
        # What the engine made of the drawings (Progress.note), kept for the message when it is done.
        self.notes: list[str] = []
        self._followed: dict[int, MotionPath] = {}
        # The paths the last job that landed followed in place of its segment's, until the next job.
        self.offer: FollowedPaths | None = None
        self._cancelled = False
        self._failure: str | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, job: SegmentJob, snapshot: Project, label: str = "Generate frames") -> bool:
        """Run `job` (planned from `snapshot`); False if a job is already running."""
        if self._thread is not None:
            return False
        self._job, self._snapshot, self._label = job, snapshot, label
        self._frames, self._cancelled, self._failure = [], False, None
        self.notes, self._followed, self.offer = [], {}, None
        thread = QThread(self)
        thread.setObjectName("inbetweener-generation")
        worker = GenerationWorker(job)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.note.connect(self._on_note)
        worker.frame.connect(self._on_frame)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self._thread, self._worker = thread, worker
        self.started.emit(label)
        thread.start()
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._cancelled = True
            self._worker.cancel()

    def shutdown(self) -> None:
        """Cancel any job and wait for its thread (app closing); nothing reaches the document."""
        if self._thread is None:
            return
        self.cancel()
        thread = self._thread
        thread.quit()
        thread.wait()
        self._cleanup()

    # -- slots on the GUI thread -------------------------------------------------------------------
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.emit(fraction, message)

    def _on_note(self, text: str, followed: object) -> None:
        self.notes.append(text)
        self._followed.update(followed)  # type: ignore[call-overload]

    def _on_frame(self, frame: int, pixels: object, packed: object) -> None:
        if self._cancelled:
            return
        self._frames.append(JobFrame(frame, packed))  # type: ignore[arg-type]
        self._state.add_preview(frame, pixels)  # type: ignore[arg-type]

    def _on_failed(self, message: str) -> None:
        self._failure = message

    def _on_finished(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        applied = False
        if self._failure is not None:
            self.failed.emit(self._failure)
        elif not self._cancelled and self._frames:
            if self._still_valid():
                try:
                    self._document.push(frames_command(self._frames, label=self._label,
                                                       fingerprint=self._job.fingerprint))
                    applied = True
                    if self._followed:
                        self.offer = FollowedPaths(self._job.segment,
                                                   self._snapshot.segment(self._job.segment).settings.paths,
                                                   tuple(sorted(self._followed.items())))
                except CommandError as exc:  # the document refuses them: say why, change nothing
                    self.failed.emit(str(exc))
            else:
                self.failed.emit("The segment's keys changed while generating; generate it again.")
        self._cleanup()
        self.done.emit(applied)

    def _still_valid(self) -> bool:
        """The frames were made for the snapshot's keys; drop them if those keys moved or changed."""
        assert self._job is not None and self._snapshot is not None
        project = self._document.project
        try:
            old = self._snapshot.segment(self._job.segment)
            new = project.segment(self._job.segment)
        except IndexError:
            return False
        return old.start == new.start and old.end == new.end

    def _cleanup(self) -> None:
        self._state.clear_previews()
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread = self._worker = None
        self._job = self._snapshot = None
        self._frames = []


class _PrefetchQueue:
    """Requests shared by the prefetch threads: newest frame requests replace older ones."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.pending: list[tuple[str, object, object, bool]] = []
        self.stopped = False

    def submit(self, items: list, replace_frames: bool) -> None:
        with self.cond:
            if replace_frames:  # the playhead moved: older frame requests are stale (keep ghosts, thumbs)
                self.pending = [p for p in self.pending if p[3] or p[0].startswith("onion:")]
            known = {(p[0], p[2], p[3]) for p in self.pending}
            self.pending.extend(i for i in items if (i[0], i[2], i[3]) not in known)
            self.cond.notify_all()

    def submit_first(self, item: tuple[str, object, object, bool]) -> None:
        with self.cond:
            if not any(p[0] == item[0] and p[2] == item[2] for p in self.pending):
                self.pending.insert(0, item)
            self.cond.notify_all()

    def take(self) -> tuple[str, object, object, bool] | None:
        """The next job (frames before thumbnails), or None once stopped."""
        with self.cond:
            while not self.pending and not self.stopped:
                self.cond.wait()
            if self.stopped:
                return None
            frames = [i for i, p in enumerate(self.pending) if not p[3]]
            return self.pending.pop(frames[0] if frames else 0)

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.pending = []
            self.cond.notify_all()


class _PrefetchLoop(QObject):
    """Runs in one prefetch thread: decodes and resamples, hands finished QImages back."""

    ready = Signal(str, object, bool, object)  # image_id, size, is_thumbnail, QImage
    failed = Signal(str, str)  # image_id, one sentence for the status bar

    def __init__(self, queue: _PrefetchQueue, thumb_height: int) -> None:
        super().__init__()
        self._queue = queue
        self._thumb_height = thumb_height

    @Slot()
    def run(self) -> None:
        from ui.frame_cache import display_image, onion_image, thumbnail_size

        while (job := self._queue.take()) is not None:
            image_id, data, size, is_thumb = job
            try:
                if is_thumb:
                    size = thumbnail_size(data, self._thumb_height)  # type: ignore[arg-type]
                if image_id.startswith("onion:"):
                    layers, opacity = data  # type: ignore[misc]
                    image = onion_image(layers, size, opacity)  # type: ignore[arg-type]
                else:
                    image = display_image(data, size)  # type: ignore[arg-type]
            except UserError as exc:  # a drawing stored damaged: its own sentence says what to do
                self.failed.emit(image_id, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - a thread must not die; the animator gets one line
                self.failed.emit(image_id, f"A frame could not be shown ({type(exc).__name__}); "
                                           "report this problem.")
                continue
            self.ready.emit(image_id, None if is_thumb else size, is_thumb, image)


class FramePrefetcher(QObject):
    """Decodes frames near the playhead (and timeline thumbnails) on background threads.

    PNG decoding and resampling release the GIL (OpenCV), so a few threads really run in parallel.
    """

    ready = Signal(str, object, bool, object)
    failed = Signal(str, str)  # image_id (or an onion layer's id), why it cannot be shown

    def __init__(self, thumb_height: int = 40, parent: QObject | None = None, threads: int | None = None) -> None:
        super().__init__(parent)
        count = threads or max(1, min(3, (os.cpu_count() or 2) - 1))
        self._queue = _PrefetchQueue()
        self._threads: list[QThread] = []
        self._loops: list[_PrefetchLoop] = []
        for i in range(count):
            thread = QThread(self)
            thread.setObjectName(f"inbetweener-prefetch-{i}")
            loop = _PrefetchLoop(self._queue, thumb_height)
            loop.moveToThread(thread)
            thread.started.connect(loop.run)
            loop.ready.connect(self.ready)
            loop.failed.connect(self.failed)
            self._threads.append(thread)
            self._loops.append(loop)
            thread.start()

    def request(self, items: list) -> None:
        """Frames (image_id, ImageData, size) wanted next; replaces earlier frame requests."""
        self._queue.submit([(i, d, s, False) for i, d, s in items], replace_frames=True)

    def request_onion(self, cache_id: str, layers: list, size: object, opacity: float) -> None:
        """The onion-skin layer for the current keys (first in line: it is on screen now)."""
        self._queue.submit_first((cache_id, (layers, opacity), size, False))

    def request_thumbnails(self, items: list) -> None:
        """Thumbnails (image_id, ImageData) for the visible timeline cells."""
        self._queue.submit([(i, d, None, True) for i, d in items], replace_frames=False)

    def shutdown(self) -> None:
        self._queue.stop()
        for thread in self._threads:
            thread.quit()
            thread.wait()
