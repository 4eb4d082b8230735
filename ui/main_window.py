"""The main window: canvas in the centre, timeline below, segment settings and timing on the side."""

from __future__ import annotations

import atexit
import math
import weakref
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from inbetweener.errors import UserError
from inbetweener.jobs import plan_segment
from inbetweener.model.commands import (
    CommandError,
    InsertFrames,
    RemoveFrames,
    RemoveKeyframe,
    SetFrameStatus,
    SetPaths,
)
from inbetweener.model.lookup import next_key_frame, shown_at
from inbetweener.model.project import FrameStatus, Project
from ui.canvas import CanvasView
from ui.document import Document
from ui.file_actions import FileActions
from ui.frame_cache import FrameCache
from ui.playback import Player
from ui.segment_panel import SegmentPanel, engine_problem
from ui.state import EditorState, segment_for_frame
from ui.timeline import TimelineWidget
from ui.worker import FramePrefetcher, GenerationController, summarise


def _shutdown_later(ref: weakref.ref) -> None:
    prefetcher = ref()
    if prefetcher is not None:
        try:
            prefetcher.shutdown()
        except RuntimeError:  # the Qt object is already gone
            pass


class MainWindow(QMainWindow):
    """Keyboard-first editor window; every edit goes through the document's undo stack."""

    def __init__(self, project: Project | None = None, path: Path | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("inbetweener", "inbetweener")
        self.quiet = False  # screenshot / test mode: errors go to the status bar only
        self.document = Document(project, path, self)
        self.state = EditorState(self)
        self.cache = FrameCache()
        self.prefetcher = FramePrefetcher(self.cache.thumb_height, self)
        # A script that exits without closing the window must still stop the thread first.
        atexit.register(_shutdown_later, weakref.ref(self.prefetcher))
        self.player = Player(self.document, self.state, self)
        self.generation = GenerationController(self.document, self.state, self)
        self.canvas = CanvasView(self.document, self.state, self.cache)
        self.timeline = TimelineWidget(self.document, self.state, self.cache)
        self.canvas.prefetcher = self.timeline.prefetcher = self.prefetcher
        self.canvas.progressive = True
        self.panel = SegmentPanel(self.document, self.state)
        self.files = FileActions(self)
        self._regenerating: tuple[int, str | None] | None = None  # (frame, its image before) during Regenerate
        self._timing = None  # built right after the window first shows: pyqtgraph costs ~0.5-1 s to import
        self._build_layout()
        self._build_status_bar()
        self._build_actions()
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self._update_title()
        self._update_frame_info()
        self._install_autosave()
        self._keep_a_current_path()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._timing is None:  # after the first paint, so the window appears at once
            QTimer.singleShot(50, self._ensure_timing)

    @property
    def timing(self):
        """The timing curve editor (ui.timing_editor.TimingEditor), made on first use."""
        return self._ensure_timing()

    def _ensure_timing(self):
        if self._timing is None:
            from ui.timing_editor import TimingEditor

            self._timing = TimingEditor(self.document, self.state)
            self._timing.message.connect(self.report_error)
            self.timing_dock.setWidget(self._timing)
        return self._timing

    # -- layout ----------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.timeline)
        self.setCentralWidget(centre)
        side = QScrollArea()
        side.setWidgetResizable(True)
        side.setWidget(self.panel)
        side.setMinimumWidth(300)
        segment_dock = QDockWidget("Segment", self)
        segment_dock.setObjectName("segmentDock")
        segment_dock.setWidget(side)
        timing_dock = QDockWidget("Timing", self)
        timing_dock.setObjectName("timingDock")
        timing_dock.setWidget(QLabel("Loading the timing editor…"))
        self.timing_dock = timing_dock
        for dock in (segment_dock, timing_dock):
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.docks = (segment_dock, timing_dock)
        self.resizeDocks([segment_dock, timing_dock], [340, 340], Qt.Orientation.Horizontal)
        self.resizeDocks([segment_dock, timing_dock], [470, 300], Qt.Orientation.Vertical)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.frame_info = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop generating (Esc); nothing it made is kept")
        self.cancel_button.clicked.connect(self.generation.cancel)
        # Offered when the last job followed path ends placed off their match (GenerationController.offer).
        self.follow_button = QPushButton("Move path ends")
        self.follow_button.setToolTip("Move the path ends onto their match in key B, where the frames "
                                      "followed them (one undo step)")
        self.follow_button.clicked.connect(self.move_path_ends)
        bar.addPermanentWidget(self.frame_info)
        bar.addPermanentWidget(self.follow_button)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()
        self.follow_button.hide()

    def _build_actions(self) -> None:
        from ui.window_actions import build_actions

        build_actions(self)

    def _connect(self) -> None:
        self.prefetcher.ready.connect(self._on_prefetched)
        self.prefetcher.failed.connect(self._on_prefetch_failed)
        self.document.changed.connect(self._update_frame_info)
        self.document.cleanChanged.connect(self._update_title)
        self.document.pathChanged.connect(self._update_title)
        self.document.pathChanged.connect(self.files.remember_current)
        self.state.frameChanged.connect(self._update_frame_info)
        self.state.frameChanged.connect(self._keep_a_current_path)
        self.document.changed.connect(self._keep_a_current_path)
        self.document.changed.connect(self._drop_stale_offer)
        self.canvas.message.connect(self.show_message)
        self.timeline.message.connect(self.show_message)
        self.canvas.playToggleRequested.connect(self.player.toggle)
        self.player.playingChanged.connect(self._hint_when_playing_holds)
        self.canvas.addModeChanged.connect(self.actions_["add_path"].setChecked)
        self.panel.message.connect(self.report_error)
        self.panel.editingDone.connect(self.canvas.setFocus)
        self.panel.addPathRequested.connect(lambda: self.actions_["add_path"].trigger())
        self.panel.deletePathRequested.connect(self.delete_path)
        self.panel.autopilotRequested.connect(self.autopilot)
        self.generation.started.connect(self._job_started)
        self.generation.progress.connect(self._job_progress)
        self.generation.failed.connect(self.report_error)
        self.generation.done.connect(self._job_done)

    def _install_autosave(self) -> None:
        """Autosave and crash recovery (ui/autosave.py, written separately), when it is installed."""
        try:
            from ui import autosave
        except ImportError:
            self.autosaver = None
            return
        self.autosaver = autosave.Autosaver(self.document, self)
        self.autosaver.failed.connect(self.show_message)

    def offer_recovery(self) -> None:
        """After a crash: offer the recovery copy it left (interactive start only)."""
        if self.autosaver is None:
            return
        from ui import autosave

        found = autosave.offer_recovery(self)
        if found is not None:
            try:
                autosave.restore_into(self.document, found, self.autosaver)
            except UserError as exc:
                self.report_error(str(exc))

    def _on_prefetch_failed(self, image_id: str, message: str) -> None:
        """A frame that cannot be decoded (a damaged drawing): one line in the status bar, once."""
        self.canvas.frame_failed(image_id, message)  # says it through canvas.message -> status bar
        self.timeline.viewport().update()

    def _on_prefetched(self, image_id: str, size: object, is_thumbnail: bool, image: object) -> None:
        """A frame decoded ahead of the playhead: into the cache, repaint if it is on screen."""
        if is_thumbnail:
            self.cache.put_thumbnail(image_id, image)  # type: ignore[arg-type]
            self.timeline.viewport().update()
        else:
            if self.cache.get(image_id, size) is None:  # type: ignore[arg-type]
                self.cache.put(image_id, size, image)  # type: ignore[arg-type]
            self.canvas.frame_arrived(image_id, size)  # type: ignore[arg-type]

    # -- status ----------------------------------------------------------------------------------
    def show_message(self, text: str, seconds: float = 8) -> None:
        self.statusBar().showMessage(text, int(1000 * seconds))

    def report_error(self, text: str) -> None:
        """One line in the status bar and, unless quiet, a message box; never a traceback."""
        self.statusBar().showMessage(text, 15000)
        if not self.quiet:
            QMessageBox.warning(self, "inbetweener", text)

    def _update_title(self, *_: object) -> None:
        dirty = "" if self.document.is_clean() else "*"
        self.setWindowTitle(f"{self.document.display_name()}{dirty} — inbetweener")

    def _update_frame_info(self, *_: object) -> None:
        project, f = self.document.project, self.state.frame
        if not project.keyframes and not project.cells:
            # "Frame 1 / 0" told a new user nothing; say how to begin instead.
            self.frame_info.setText("Empty project · import your drawings as keys (Ctrl+I) or drop them here")
            return
        if f >= project.length:  # the spare cells after the end, where a key can be dropped
            self.frame_info.setText(f"Frame {f + 1} · after the last frame ({project.length})")
            return
        shown = shown_at(project, f)
        seg = project.segment_at(f)
        if seg is not None and shown.hold:
            what = "not generated"  # an in-between still showing key A is not a hold the animator made
        else:
            what = "hold" if shown.hold else (shown.status.value if shown.status else "empty")
            if seg is not None and not shown.hold and self.timeline.is_stale(f):
                what += " · out of date (made for older settings)"
        where = f" · in-between {f - seg.start.frame} of {seg.count}" if seg else ""
        self.frame_info.setText(f"Frame {f + 1} / {project.length}{where} · {what}")

    def _keep_a_current_path(self, *_: object) -> None:
        """On a segment with paths one of them is always current, so the timing editor has a curve."""
        seg = segment_for_frame(self.document.project, self.state.frame)
        if seg is not None and seg.settings.paths and self.state.selected_path is None:
            self.state.select_path(0)

    def _hint_when_playing_holds(self, playing: bool) -> None:
        """Playing keys with no in-betweens looks like a frozen picture that jumps; say why (first start)."""
        project = self.document.project
        if not playing or project.cells or not project.segments:
            return
        shortcut = self.actions_["generate"].shortcut().toString()
        self.show_message(f"No in-betweens yet, so playback holds each key: put the playhead in a segment "
                          f"and press Generate segment ({shortcut}).")

    # -- navigation ------------------------------------------------------------------------------
    def step_frame(self, delta: int) -> None:
        self.player.pause()
        last = max(0, self.document.project.length - 1)
        self.state.set_frame(min(last, max(0, self.state.frame + delta)))

    def step_key(self, direction: int) -> None:
        self.player.pause()
        f = next_key_frame(self.document.project, self.state.frame, direction)
        if f is not None:
            self.state.set_frame(f)

    def flip(self) -> None:
        """Show the previous and next frame briefly and come back (reviewing motion, as in Krita)."""
        f = self.state.frame
        last = self.document.project.length - 1
        seq = [g for g in (f - 1, f + 1) if 0 <= g <= last] + [f]
        interval = max(80, round(1000 / self.document.project.fps))
        for i, g in enumerate(seq, start=1):
            QTimer.singleShot(interval * i, lambda g=g: self.state.set_frame(g))

    # -- edits -----------------------------------------------------------------------------------
    def push(self, command) -> bool:
        try:
            self.document.push(command)
            return True
        except (CommandError, UserError) as exc:
            self.report_error(str(exc))
            return False

    def push_many(self, commands, label: str) -> bool:
        try:
            self.document.push_many(commands, label)
            return True
        except (CommandError, UserError) as exc:
            self.report_error(str(exc))
            return False

    def insert_frame(self) -> None:
        self.push(InsertFrames(self.state.frame, 1))

    def remove_frame(self) -> None:
        if self.document.project.key_at(self.state.frame) is not None:
            # The core's "remove the key first" named no way to do it; name the action.
            shortcut = self.actions_["remove_key"].shortcut().toString()
            self.show_message(f"This frame is a key: use Timeline ▸ Remove key ({shortcut}) to remove it.")
            return
        self.push(RemoveFrames(self.state.frame, 1))

    def remove_key(self) -> None:
        """Delete the key at the playhead; its two segments merge (one undo step)."""
        f = self.state.frame
        if self.document.project.key_at(f) is None:
            self.show_message("There is no key on this frame: go to one with Alt+, or Alt+. first.")
            return
        # The command also drops the frames generated for the two segments around the key.
        if self.push(RemoveKeyframe(f)):
            self.show_message(f"Removed the key at frame {f + 1} (Ctrl+Z brings it back).")

    def delete_path(self) -> None:
        if not self.canvas.delete_selected():
            self.show_message("Select a path first (click it on the canvas or in the list).")

    def set_status(self, status: FrameStatus) -> None:
        f = self.state.frame
        if f not in self.document.project.cells:
            self.show_message("Only generated in-betweens can be accepted, locked or unlocked.")
            return
        if self.document.project.cells[f].status == status:
            # A step that changes nothing made Ctrl+Z look dead and marked a saved file modified.
            word = "unlocked" if status == FrameStatus.GENERATED else status.value
            self.show_message(f"Frame {f + 1} is already {word}.")
            return
        self.push(SetFrameStatus((f,), status, label=f"{status.value.capitalize()} frame"))

    def accept_segment(self) -> None:
        seg = segment_for_frame(self.document.project, self.state.frame)
        if seg is None:
            return
        cells = self.document.project.cells
        frames = tuple(f for f in seg.frames if f in cells and cells[f].status == FrameStatus.GENERATED)
        if frames:
            self.push(SetFrameStatus(frames, FrameStatus.ACCEPTED, label="Accept segment"))

    def autopilot(self) -> None:
        seg = segment_for_frame(self.document.project, self.state.frame)
        if seg is None:
            self.report_error("Autopilot needs a segment: put the playhead between two keys.")
            return
        project = self.document.project
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from inbetweener.match import propose_paths

            proposal = propose_paths(project.key_image(seg.start), project.key_image(seg.end), max_paths=8)
        except (ImportError, UserError, ValueError) as exc:
            self.report_error(str(exc) if isinstance(exc, UserError) else
                              f"Autopilot is not available ({exc}); draw paths by hand with Add path.")
            return
        finally:
            QApplication.restoreOverrideCursor()
        if not proposal.paths and proposal.followed:  # "Autopilot: no path needed; the motion already follows..."
            self.show_message(f"A{proposal.summary()[1:]}; add a path by hand where it goes wrong.")
            return
        if not proposal.paths:
            self.report_error("Autopilot found no reliable matches between these keys; add paths by hand.")
            return
        # Asked again, it finds the same matches: those already there and not moved since (within
        # 2 px at both ends) are not added twice. (One dragged further away is proposed again.)
        new = tuple(p for p in proposal.paths if not any(
            math.dist(p.start, q.start) <= 2.0 and math.dist(p.end, q.end) <= 2.0 for q in seg.settings.paths))
        if not new:
            self.show_message("Autopilot found no matches beyond the paths already there.")
            return
        self.push(SetPaths(seg.index, seg.settings.paths + new, label="Autopilot paths"))
        followed = (f" (the motion already follows {proposal.followed} other match"
                    f"{'' if proposal.followed == 1 else 'es'})") if proposal.followed else ""
        self.show_message(f"Autopilot proposed {len(new)} path{'s' if len(new) > 1 else ''}{followed}: "
                          "drag them to adjust.")

    def move_path_ends(self) -> None:
        """Put the paths the last job followed (ends moved onto their match) into the document."""
        offer = self.generation.offer
        self._show_offer(False)
        # (An offer goes as soon as the segment's paths change: see _drop_stale_offer.)
        command = offer.command(self.document.project) if offer is not None else None
        if command is None:
            self.show_message("No path end to move: the last generated frames followed every path as drawn.")
            return
        if self.push(command):
            count = len(offer.paths)
            self.show_message(f"Moved {count} path end{'s' if count > 1 else ''} onto the match in key B "
                              "(Ctrl+Z puts them back); generate the segment again for frames made from them.")

    def _drop_stale_offer(self) -> None:
        """The offer goes once the segment's paths change (an edit, an undo, another file)."""
        offer = self.generation.offer
        if offer is not None and offer.command(self.document.project) is None:
            self._show_offer(False)

    def _show_offer(self, shown: bool) -> None:
        if not shown:
            self.generation.offer = None
        self.follow_button.setVisible(shown)
        self.actions_["move_ends"].setEnabled(shown)
        offer = self.generation.offer
        self.canvas.show_followed(offer.segment if offer else None, dict(offer.paths) if offer else {})

    # -- generation ------------------------------------------------------------------------------
    def generate_segment(self) -> None:
        self._generate(frames=None)

    def regenerate_frame(self) -> None:
        f = self.state.frame
        if self.document.project.segment_at(f) is None:
            self.show_message("Regenerate works on in-between frames; go to a frame between two keys.")
            return
        self._generate(frames=[f])

    def _generate(self, frames: list[int] | None) -> None:
        if self.generation.is_running():
            self.show_message("A job is already running; wait for it or cancel it (Esc).")
            return
        project = self.document.project
        seg = segment_for_frame(project, self.state.frame)
        if seg is None:
            self.report_error("There is no segment here: put the playhead between two keys.")
            return
        reason = engine_problem(seg.settings.engine, seg.settings.options_dict)
        if reason:
            self.report_error(reason)
            return
        try:
            job = plan_segment(project, seg.index, frames)
        except UserError as exc:
            self.report_error(str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.report_error(summarise(exc))
            return
        if not job.frames:
            if frames:  # one frame asked for: "every in-between here" did not say which or what to do
                self.show_message(f"Frame {frames[0] + 1} is locked; unlock it (U) to regenerate it.")
            else:
                self.show_message("Nothing to generate: every in-between here is locked.")
            return
        label = "Generate segment" if frames is None else f"Regenerate frame {frames[0] + 1}"
        cell = project.cells.get(frames[0]) if frames else None
        self._regenerating = (frames[0], cell.image_id if cell is not None else None) if frames else None
        self.generation.start(job, project, label)

    def stop_generation(self) -> None:
        """Cancel a running job and wait for it (before the document is replaced); nothing it made lands."""
        if self.generation.is_running():
            self.generation.shutdown()
            self._job_done(False)

    def _job_started(self, label: str) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.actions_["cancel"].setEnabled(True)
        for key in ("generate", "regenerate"):
            self.actions_[key].setEnabled(False)
        self._show_offer(False)
        self.show_message(f"{label}…")

    def _job_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * fraction))
        if message:
            self.statusBar().showMessage(message)

    def _job_done(self, applied: bool) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.actions_["cancel"].setEnabled(False)
        for key in ("generate", "regenerate"):
            self.actions_[key].setEnabled(True)
        regenerated, self._regenerating = self._regenerating, None
        cell = self.document.project.cells.get(regenerated[0]) if regenerated else None
        if applied and regenerated and cell is not None and cell.image_id == regenerated[1]:
            # Engines are deterministic: pressing Regenerate with nothing changed looked like a dead button.
            self.show_message(f"Frame {regenerated[0] + 1} came out the same: nothing that shapes it changed; "
                              "move its path or dot, change the timing or the seed, then regenerate.")
        elif applied:
            # What the engine made of the drawings (a stroke it grows in rather than moves, say) is
            # said here too: progress text flashes by while a short job runs.
            found = "".join(f" {note[0].upper()}{note[1:]}." for note in self.generation.notes)
            if self.generation.offer is not None:
                shortcut = self.actions_["move_ends"].shortcut().toString()
                found += f" Move path ends ({shortcut}) puts them there."
            self.show_message(f"Frames generated: review them, then accept (A) or lock (L).{found}",
                              seconds=20 if found else 8)
        elif not self.statusBar().currentMessage().startswith(("Generation failed", "The ")):
            self.show_message("Generation stopped; the document is unchanged.")
        self._show_offer(applied and self.generation.offer is not None)

    # -- drag and drop, closing ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.files.open_or_import(paths)
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.files.maybe_save():
            event.ignore()
            return
        self.player.pause()
        self.generation.shutdown()
        self.prefetcher.shutdown()
        if self.autosaver is not None:
            self.autosaver.discard_on_clean_exit()
        event.accept()
