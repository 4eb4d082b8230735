"""File menu work for the main window: new, open, save, import keys, export, recent files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox

from inbetweener.errors import UserError
from inbetweener.model.commands import InsertKeyframe
from inbetweener.model.images import ImageData
from inbetweener.model.project import Project
from ui.document import project_file_name

if TYPE_CHECKING:
    from ui.main_window import MainWindow

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp)"
PROJECT_FILTER = "inbetweener projects (*.ibw)"
MAX_RECENT = 10
MAX_CANVAS = 8192  # pixels per side of a new project (8K); bigger is almost surely a typo
DEFAULT_KEY_SPACING = 6  # frames from one imported key to the next (5 in-betweens)


class FileActions(QObject):
    """Dialogs and file I/O; every failure becomes one line for the user."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.key_spacing = DEFAULT_KEY_SPACING
        # The canvas size typed in New: the first import keeps it instead of taking the key's size.
        self.chosen_canvas: tuple[int, int] | None = None

    @property
    def document(self):
        return self.window.document

    # -- saving ----------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or clean)."""
        if self.document.is_clean() or self.window.quiet:
            return True
        answer = QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to {self.document.display_name()}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        start = str(self.document.path or Path.home() / f"{self.document.project.name}.ibw")
        name, _ = QFileDialog.getSaveFileName(self.window, "Save project", start, PROJECT_FILTER)
        if not name:
            return False
        target = project_file_name(Path(name))
        if target != Path(name) and target.exists():
            # The dialog asked about the name typed, not the .ibw file that would be replaced.
            answer = QMessageBox.question(self.window, "Replace project",
                                          f"{target.name} already exists. Replace it?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        return self.save_to(target)

    def save_to(self, path: Path) -> bool:
        try:
            saved = self.document.save(path)
        except UserError as exc:
            self.window.report_error(str(exc))
            return False
        except OSError as exc:
            self.window.report_error(f"Could not save {path.name} ({exc.strerror or exc}); choose another folder.")
            return False
        self.window.show_message(f"Saved {saved}")
        return True

    # -- opening ---------------------------------------------------------------------------------
    def new(self) -> None:
        if not self.maybe_save():
            return
        size, ok = QInputDialog.getText(
            self.window, "New project",
            "Canvas size, e.g. 1920x1080 (keys of another size are fitted into it);\n"
            "leave it empty to take the size of the first key you import:")
        if not ok:
            return
        if not size.strip():
            self.window.stop_generation()
            self.document.new_project()
            self.chosen_canvas = None
            self.window.state.set_frame(0)
            self.window.show_message("New project: import your keys (Ctrl+I) or drop them on the window.")
            return
        try:
            w, h = (int(v) for v in size.lower().replace(" ", "").replace("×", "x").split("x"))
        except ValueError:
            self.window.report_error(f"“{size}” is not a canvas size; write it as WIDTHxHEIGHT, e.g. 1920x1080.")
            return
        if not (1 <= w <= MAX_CANVAS and 1 <= h <= MAX_CANVAS):
            # A typo like 19200x10800 would make every fitted key gigabytes and exhaust memory.
            self.window.report_error(f"{w}x{h} is not a usable canvas; choose a width and height from 1 to "
                                     f"{MAX_CANVAS} pixels.")
            return
        self.window.stop_generation()
        self.document.new_project(w, h)
        self.chosen_canvas = (w, h)
        self.window.state.set_frame(0)
        self.window.show_message(f"New {w}x{h} project: import your keys (Ctrl+I) or drop them on the window.")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        name, _ = QFileDialog.getOpenFileName(self.window, "Open project", str(self._folder()), PROJECT_FILTER)
        if name:
            self.open_path(Path(name), ask=False)

    def open_path(self, path: Path, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        from inbetweener.io.project_file import load_project

        try:
            project = load_project(path)
        except UserError as exc:
            self.window.report_error(str(exc))
            return False
        except OSError as exc:
            self.window.report_error(f"Could not open {path.name} ({exc.strerror or exc}); check the file.")
            return False
        # A job still running on the old project must not land its frames in (or complain about) this one.
        self.window.stop_generation()
        self.document.load(project, path)
        self.window.cache.clear()
        self.window.state.set_frame(0)
        self.remember(path)
        return True

    def open_or_import(self, paths: list[Path]) -> None:
        """Dropped files: a project opens, images become keys."""
        projects = [p for p in paths if p.suffix.lower() == ".ibw"]
        if projects:
            self.open_path(projects[0])
            return
        images = sorted(p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            self.import_keys(images)
        else:
            self.window.report_error("Drop .ibw projects or images (PNG, JPEG…) here.")

    # -- importing -------------------------------------------------------------------------------
    def import_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self.window, "Import keys", str(self._folder()), IMAGE_FILTER)
        if names:
            self.import_keys(sorted(Path(n) for n in names))

    def import_keys(self, paths: list[Path], fit: str | None = "contain") -> bool:
        """Images become keys after the last key (one undo step); an empty project takes the first one's size."""
        from inbetweener.io.images import fit_image, load_image

        project = self.document.project
        try:
            images = [load_image(p) for p in paths]
        except UserError as exc:
            self.window.report_error(str(exc))
            return False
        fresh = not project.keyframes and not project.cells
        fresh = fresh and self.chosen_canvas != (project.width, project.height)
        h, w = images[0].shape[:2]
        if fresh and (w, h) != (project.width, project.height):
            name = project.name if project.name != "untitled" else paths[0].stem
            self.document.load(Project(w, h, project.fps, name=name), self.document.path)
            self.window.cache.clear()
        canvas = (self.document.project.width, self.document.project.height)
        # Keys of another size are fitted, and the animator is told (a silent letterbox looked like a bug).
        fitted = [f"{p.name} ({img.shape[1]}x{img.shape[0]})" for p, img in zip(paths, images, strict=True)
                  if (img.shape[1], img.shape[0]) != canvas]
        if fitted and fit is None:
            self.window.report_error(f"{fitted[0]} does not match the {canvas[0]}x{canvas[1]} canvas; "
                                     "resize it to the canvas size and import it again.")
            return False
        images = [img if (img.shape[1], img.shape[0]) == canvas else fit_image(img, canvas, fit or "contain")
                  for img in images]
        keys = self.document.project.keyframes
        first = keys[-1].frame + self.key_spacing if keys else 0
        commands = [InsertKeyframe(first + i * self.key_spacing, ImageData.from_array(img))
                    for i, img in enumerate(images)]
        label = "Import key" if len(commands) == 1 else f"Import {len(commands)} keys"
        if not self.window.push_many(commands, label):
            return False  # the window already said why
        self.window.state.set_frame(first)
        note = ""
        if fitted:
            how = {"contain": "letterboxed", "cover": "cropped", "stretch": "stretched"}.get(fit or "", fit)
            note = (f" {', '.join(fitted[:3])}{' …' if len(fitted) > 3 else ''} did not match the "
                    f"{canvas[0]}x{canvas[1]} canvas and {'was' if len(fitted) == 1 else 'were'} {how} to fit.")
        self.window.show_message(f"Imported {len(commands)} key(s) from frame {first + 1}.{note}")
        return True

    # -- exporting -------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        from ui.export_dialog import ExportDialog

        project = self.document.project
        dialog = ExportDialog(project.name, self._folder() / f"{project.name}-export", self.window,
                              length=project.length)
        if dialog.exec():
            self.export(**dialog.settings())

    def export(self, out_dir: Path, fmt: str = "png", name: str | None = None, pad: int = 4,
               start: int = 1) -> list[Path]:
        from inbetweener.io.export import export_project

        clean = False
        if fmt == "png":
            ready = self._png_ready(out_dir, name, pad, start)
            if ready is None:
                return []  # refused (already said why) or cancelled: nothing written, nothing removed
            clean = ready
        bar = self.window.progress
        bar.setValue(0)
        bar.show()

        def progress(done: int, total: int) -> None:
            bar.setValue(int(1000 * done / max(total, 1)))
            QApplication.processEvents()  # keep the window painting during a long export

        try:
            files = export_project(self.document.project, out_dir, fmt, name, pad, start, progress,
                                   clean=clean)
        except UserError as exc:
            self.window.report_error(str(exc))
            return []
        except OSError as exc:
            self.window.report_error(f"Export failed ({exc.strerror or exc}); choose another folder.")
            return []
        finally:
            # The bar is shared with a generation that may still be running: it keeps its bar.
            bar.setVisible(self.window.generation.is_running())
        project = self.document.project
        missing = sum(1 for seg in project.segments for f in seg.frames if f not in project.cells)
        # An export of keys only looks like a broken export; say why it does not move.
        what = "1 in-between" if missing == 1 else f"{missing} in-betweens"
        note = f"; {what} not generated yet went out as holds (Generate segment, Ctrl+G)" if missing else ""
        self.window.show_message(f"Exported {len(files)} file(s) to {out_dir}{note}")
        return files

    def _png_ready(self, out_dir: Path, name: str | None, pad: int, start: int) -> bool | None:
        """Before a PNG sequence: None when it must not go ahead (the numbering cannot sort, or older
        frames it would not overwrite are in the folder and the animator cancelled); else whether to
        remove those older frames after writing (`clean`)."""
        from inbetweener.io.export import min_pad, sanitize_name, sequence_leftovers

        project = self.document.project
        need = min_pad(start, project.length)
        if pad < need:
            # io refuses it too, but its sentence names the command line's --pad; here the box is Digits.
            last = start + max(project.length, 1) - 1
            self.window.report_error(f"Frame numbers {start} to {last} need {need} digits to sort in order; "
                                     f"set Digits to {need} or more.")
            return None
        stem = sanitize_name(name if name is not None else project.name)
        try:
            leftovers = sequence_leftovers(out_dir, stem, pad, range(start, start + project.length), clean=True)
        except UserError as exc:
            self.window.report_error(str(exc))
            return None
        except OSError as exc:
            self.window.report_error(f"Cannot read the folder {out_dir} ({exc.strerror or exc}); "
                                     "choose another folder.")
            return None
        if not leftovers:
            return False
        if not self.ask_remove_leftovers(Path(out_dir), leftovers):
            self.window.show_message("Export cancelled; nothing was written or removed.")
            return None
        return True

    def ask_remove_leftovers(self, folder: Path, leftovers: list[Path]) -> bool:
        """Ask whether to remove older frames of this sequence that the export would not overwrite;
        True for Remove. Cancel (also Escape and the default) exports nothing."""
        n = len(leftovers)
        names = leftovers[0].name if n == 1 else f"{leftovers[0].name} … {leftovers[-1].name}"
        frames = "1 older frame" if n == 1 else f"{n} older frames"
        box = QMessageBox(QMessageBox.Icon.Question, "Older frames in the folder",
                          f"{folder} already holds {frames} named {names} from an earlier export, which this "
                          f"export would not overwrite. Remove {'it' if n == 1 else 'them'} after exporting?",
                          QMessageBox.StandardButton.NoButton, self.window)
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setInformativeText("Cancel exports nothing and leaves the folder as it is.")
        box.exec()
        return box.clickedButton() is remove

    # -- recent files ----------------------------------------------------------------------------
    def recent(self) -> list[str]:
        value = self.window.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def remember(self, path: Path) -> None:
        entry = str(Path(path).resolve())
        files = [entry] + [f for f in self.recent() if f != entry]
        self.window.settings.setValue("recentFiles", files[:MAX_RECENT])

    def remember_current(self) -> None:
        if self.document.path is not None:
            self.remember(self.document.path)

    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        files = [f for f in self.recent() if Path(f).exists()]
        if not files:
            menu.addAction("(none)").setEnabled(False)
        for f in files:
            menu.addAction(Path(f).name, lambda f=f: self.open_path(Path(f))).setToolTip(f)

    def _folder(self) -> Path:
        return self.document.path.parent if self.document.path is not None else Path.home()
