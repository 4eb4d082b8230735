"""Export dialog: PNG sequence (name, padding, start number), GIF or MP4 into a chosen folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from inbetweener.io.export import MAX_PAD, min_pad

FORMAT_LABELS = {"png": "PNG sequence (alpha kept)", "gif": "Animated GIF", "mp4": "MP4 video (H.264)"}


class ExportDialog(QDialog):
    """Asks where and how to export; `settings()` returns the arguments for io.export.export_project."""

    def __init__(self, name: str, folder: Path, parent: QWidget | None = None, length: int = 0) -> None:
        super().__init__(parent)
        self.length = length  # timeline frames: the Digits minimum follows it and the first number
        # A typed relative folder lands beside the suggested one (the project's folder), never in the
        # folder the program happened to start in.
        self.base = Path(folder).expanduser().parent
        self.setWindowTitle("Export")
        self.format = QComboBox()
        for key, label in FORMAT_LABELS.items():
            self.format.addItem(label, key)
        self.folder = QLineEdit(str(folder))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.name = QLineEdit(name)
        self.pad = QSpinBox()
        self.pad.setRange(1, MAX_PAD)
        self.pad.setValue(4)
        self.start = QSpinBox()
        self.start.setRange(0, 10**6)
        self.start.setValue(1)
        self.start.valueChanged.connect(self._numbering_changed)
        self._numbering_changed()
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("Folder", row)
        form.addRow("Name", self.name)
        form.addRow("Digits", self.pad)
        form.addRow("First number", self.start)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")  # says what pressing it does
        buttons.accepted.connect(self.accept)
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.folder.textChanged.connect(self._folder_changed)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        # Wide enough that a usual folder path shows whole (it was clipped to its last few letters).
        self.folder.setMinimumWidth(self.folder.fontMetrics().averageCharWidth() * 52)

    def _folder_changed(self) -> None:
        """No folder, no export (an empty field wrote the files into the program's start folder)."""
        empty = not self.folder.text().strip()
        self.export_button.setEnabled(not empty)
        self.export_button.setToolTip("Choose a folder to export into" if empty else "")

    def out_dir(self) -> Path:
        """The folder typed or chosen: ~ expanded, a relative one taken from the project's folder."""
        folder = Path(self.folder.text().strip()).expanduser()
        return folder if folder.is_absolute() else self.base / folder

    def _format_changed(self) -> None:
        png = self.format.currentData() == "png"
        self.pad.setEnabled(png)
        self.start.setEnabled(png)

    def _numbering_changed(self) -> None:
        """Too few digits would make the files sort out of order (name_10 before name_9): the Digits
        box never goes below what the frame count and first number need (it rises with them)."""
        self.pad.setMinimum(min(MAX_PAD, max(1, min_pad(self.start.value(), self.length))))

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def settings(self) -> dict:
        return {"out_dir": self.out_dir(), "fmt": self.format.currentData(),
                "name": self.name.text() or None, "pad": self.pad.value(), "start": self.start.value()}
