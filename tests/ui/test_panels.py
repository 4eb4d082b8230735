"""Side panel and window odds and ends: autopilot, engine availability, drops, onion skin."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from inbetweener.engines.base import register_engine
from inbetweener.model.commands import InsertKeyframe, MovePathPoint, apply
from inbetweener.model.images import ImageData
from inbetweener.model.project import Project
from ui import segment_panel


class BrokenEngine:
    name = "needs-a-gpu"
    options = ()

    @classmethod
    def unavailable_reason(cls):
        return "the needs-a-gpu engine needs CUDA; choose the flow engine on this machine"


def textured_keys(w: int = 200, h: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """A random texture shifted 12 px: plenty of features for the autopilot to match."""
    rng = np.random.default_rng(1)
    tex = cv2.resize((rng.random((h // 6, w // 6)) * 255).astype(np.uint8), (w + 12, h), cv2.INTER_NEAREST)
    a = cv2.cvtColor(tex[:, :w], cv2.COLOR_GRAY2RGBA)
    b = cv2.cvtColor(tex[:, 12:], cv2.COLOR_GRAY2RGBA)
    return a, b


def far_keys(w: int = 200, h: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """A textured square that travels 115 px and turns 20 degrees over flat grey: too far for the
    optical flow to follow, so the autopilot's matches are needed."""
    rng = np.random.default_rng(1)
    tex = cv2.resize((rng.random((10, 10)) * 255).astype(np.uint8), (60, 60), interpolation=cv2.INTER_NEAREST)
    a = np.full((h, w), 128, np.uint8)
    b = a.copy()
    a[45:105, 10:70] = tex
    turn = cv2.getRotationMatrix2D((30, 30), 20, 1.0)
    b[40:100, 125:185] = cv2.warpAffine(tex, turn, (60, 60), flags=cv2.INTER_NEAREST, borderValue=128)
    return cv2.cvtColor(a, cv2.COLOR_GRAY2RGBA), cv2.cvtColor(b, cv2.COLOR_GRAY2RGBA)


def _load_segment(window, keys=textured_keys) -> None:
    """A segment of two keys (default: the shifted texture) at frames 1 and 5, the playhead inside it."""
    a, b = keys()
    project = Project(200, 150, 12.0)
    project, _ = apply(project, InsertKeyframe(0, ImageData.from_array(a)))
    project, _ = apply(project, InsertKeyframe(4, ImageData.from_array(b)))
    window.document.load(project)
    window.state.set_frame(2)


def test_autopilot_proposes_editable_paths_as_one_step(window):
    _load_segment(window, far_keys)
    window.actions_["autopilot"].trigger()
    paths = window.document.project.segment(0).settings.paths
    assert 1 <= len(paths) <= 8
    moves = [np.subtract(p.end, p.start) for p in paths]
    assert np.median([m[0] for m in moves]) > 90  # the square travelled 115 px right
    assert window.document.undo_stack.count() == 1
    # Proposals (hints to the engine) until the animator changes them; the list says which.
    assert all(p.proposed for p in paths)
    assert all("(proposed)" in window.panel.paths.item(i).text() for i in range(len(paths)))
    x, y = paths[0].end
    window.document.push(MovePathPoint(0, 0, 3, x + 2.0, y))
    assert not window.document.project.segment(0).settings.paths[0].proposed
    assert "(proposed)" not in window.panel.paths.item(0).text()
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert window.document.project.segment(0).settings.paths == ()


def test_autopilot_adds_no_path_where_the_motion_already_follows_the_matches(window):
    _load_segment(window)  # a texture shifted 12 px: the optical flow follows it all
    window.actions_["autopilot"].trigger()
    assert window.document.project.segment(0).settings.paths == ()
    assert window.document.undo_stack.count() == 0
    assert window.statusBar().currentMessage().startswith("Autopilot: no path needed; the motion already follows all")


def test_unavailable_engine_is_disabled_with_its_reason(window, monkeypatch):
    register_engine("needs-a-gpu", f"{__name__}:BrokenEngine")
    monkeypatch.setattr(segment_panel, "engine_names", lambda: ["crossfade", "needs-a-gpu"])
    segment_panel._engine_cache.pop("needs-a-gpu", None)
    panel = window.panel
    panel.engine.addItem("needs-a-gpu")
    panel.engine.showPopup()
    row = panel.engine.findText("needs-a-gpu")
    item = panel.engine.model().item(row)
    assert not item.isEnabled() and "CUDA" in item.toolTip()
    panel.engine.hidePopup()
    panel.engine.setCurrentIndex(row)
    panel.engine.activated.emit(row)  # chosen anyway (keyboard): refused with the reason
    assert window.document.project.segment(0).settings.engine == "crossfade"
    assert "CUDA" in window.statusBar().currentMessage()


def test_dropping_images_imports_keys(window, tmp_path):
    img = np.full((120, 160, 3), 255, np.uint8)
    cv2.circle(img, (80, 60), 20, (0, 0, 0), -1)
    path = tmp_path / "drop.png"
    cv2.imwrite(str(path), img)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    before = len(window.document.project.keyframes)
    window.dropEvent(event)  # the handler Qt calls on a drop (synthetic drops bypass sendEvent)
    assert event.isAccepted()
    assert len(window.document.project.keyframes) == before + 1, window.statusBar().currentMessage()


def test_dropping_a_project_opens_it(window, tmp_path, project):
    from inbetweener.io.project_file import save_project

    path = tmp_path / "dropped.ibw"
    save_project(project, path)
    window.files.open_or_import([Path(path)])
    assert window.document.path == path


def test_onion_skin_ghosts_the_neighbouring_keys(window):
    canvas = window.canvas
    canvas.progressive = False  # make the ghost layer here rather than on the prefetch thread
    window.state.set_frame(3)
    assert [k[1] for k in canvas.onion_keys()] == [(230, 60, 60), (40, 170, 80)]
    ghost = canvas._onion_image(canvas.onion_keys(), None)
    arr = ghost.convertToFormat(ghost.Format.Format_RGBA8888)
    px = lambda x, y: arr.pixelColor(x, y)  # noqa: E731
    assert px(40, 60).alpha() > 0 and px(40, 60).red() > px(40, 60).green()  # key A's disc: red
    assert px(120, 60).alpha() > 0 and px(120, 60).green() > px(120, 60).red()  # key B's disc: green
    assert px(80, 10).alpha() == 0  # white paper: no ghost
    window.actions_["onion"].trigger()
    assert canvas.onion_keys() == []


def test_onion_count_ghosts_more_keys_fading_with_distance(window):
    doc, canvas = window.document, window.canvas
    canvas.progressive = False
    extra = doc.project.images[doc.project.keyframes[0].image_id]
    doc.push(InsertKeyframe(12, extra))
    window.state.set_frame(2)
    assert len(canvas.onion_keys()) == 2
    window.state.set_onion(count=2)
    keys = canvas.onion_keys()
    assert [k[2] for k in keys] == [1.0, 1.0, 0.5]
    assert canvas._onion_image(keys, None).width() == 160


def test_ghost_layer_is_made_off_the_gui_thread(window, qtbot):
    canvas = window.canvas
    window.state.set_frame(3)
    keys = canvas.onion_keys()
    size = (80, 60)
    assert canvas._onion_image(keys, size) is None  # requested from the prefetcher
    qtbot.waitUntil(lambda: canvas.cache.get(canvas.onion_cache_id(keys), size) is not None, timeout=10000)
    assert canvas._onion_image(keys, size).width() == 80


def test_side_panel_follows_the_playhead_into_another_segment(window, qtbot):
    doc = window.document
    extra = doc.project.images[doc.project.keyframes[0].image_id]
    doc.push(InsertKeyframe(10, extra))
    window.state.set_frame(2)
    qtbot.waitUntil(lambda: window.panel.title.text().startswith("<b>Segment 1</b>"), timeout=3000)
    window.state.set_frame(8)
    qtbot.waitUntil(lambda: window.panel.title.text().startswith("<b>Segment 2</b>"), timeout=3000)
    assert window.panel.count.value() == 3


def test_diffusion_is_offered_only_once_a_model_is_found(window, monkeypatch, tmp_path):
    pytest.importorskip("diffusers")
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("INBETWEENER_MODELS", str(models))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    panel = window.panel
    if panel.engine.findText("diffusion") < 0:
        panel.engine.addItem("diffusion")
    row = panel.engine.findText("diffusion")
    panel.engine.showPopup()
    item = panel.engine.model().item(row)
    assert not item.isEnabled() and "--model" in item.toolTip()  # says how to add one
    panel.engine.hidePopup()
    panel.engine.setCurrentIndex(row)
    panel.engine.activated.emit(row)
    assert window.document.project.segment(0).settings.engine == "crossfade"

    from inbetweener.engines.diffusion.random_model import save_random_model

    save_random_model(models / "tiny-svd")  # the folder is looked up again: no restart needed
    panel.engine.showPopup()
    assert panel.engine.model().item(row).isEnabled()
    panel.engine.hidePopup()
    panel.engine.setCurrentIndex(row)
    panel.engine.activated.emit(row)
    assert window.document.project.segment(0).settings.engine == "diffusion"


def test_an_edit_for_a_segment_that_is_gone_is_one_sentence_in_the_status_bar(window, qtbot):
    # The panel still addresses a segment the document no longer has (stale state); the command
    # error reaches the status bar as a sentence and nothing escapes or changes.
    from dataclasses import replace

    window.state.set_frame(2)
    qtbot.waitUntil(lambda: window.panel._segment is not None, timeout=3000)
    before = window.document.project
    window.panel._segment = replace(window.panel._segment, index=3)
    window.panel.seed.setValue(window.panel.seed.value() + 5)  # -> UpdateSegment(3, seed=...)
    assert window.document.project is before
    message = window.statusBar().currentMessage()
    assert message == "segment 4 does not exist: the project has only 1 segment"


def test_deleting_a_path_the_segment_no_longer_has_is_a_message_not_a_traceback(window, qtbot):
    window.state.set_frame(2)
    window.state.select_path(0)  # the sample segment has no paths: a stale selection
    before = window.document.project
    assert window.canvas.delete_selected() is False
    assert window.document.project is before
    assert window.statusBar().currentMessage() == "path 1 does not exist in segment 1"


def test_the_spacing_box_sets_the_segments_spacing_undoably(window, qtbot):
    from inbetweener.paths import Timing
    from inbetweener.paths.timing import SPACING_PRESET_NAMES

    panel, doc = window.panel, window.document
    assert tuple(panel.spacing.itemText(i) for i in range(panel.spacing.count())) == SPACING_PRESET_NAMES
    window.state.set_frame(2)
    qtbot.waitUntil(lambda: panel.title.text().startswith("<b>Segment 1</b>"), timeout=3000)
    assert panel.spacing.currentText() == "linear"
    even = doc.project.segment(0).times
    panel.spacing.setCurrentText("ease-out")
    panel.spacing.activated.emit(panel.spacing.currentIndex())
    assert doc.project.segment(0).settings.spacing == Timing.preset("ease-out")
    assert doc.project.segment(0).times[0] > even[0]  # ease-out: the first in-between leaves key A fast
    panel.spacing.setCurrentText("ease-in")
    panel.spacing.activated.emit(panel.spacing.currentIndex())
    doc.undo_stack.undo()  # each choice is an undo step of its own
    assert doc.project.segment(0).settings.spacing == Timing.preset("ease-out")
    doc.undo_stack.undo()
    assert doc.project.segment(0).times == even
    qtbot.waitUntil(lambda: panel.spacing.currentText() == "linear", timeout=3000)


def test_a_custom_spacing_from_a_file_shows_as_custom(window, qtbot):
    from inbetweener.model.commands import UpdateSegment
    from inbetweener.paths import Timing

    panel, doc = window.panel, window.document
    window.state.set_frame(2)
    doc.push(UpdateSegment(0, spacing=Timing(0.3, 0.1, 0.6, 0.9)))
    qtbot.waitUntil(lambda: panel.spacing.currentText() == "custom", timeout=3000)
    doc.push(UpdateSegment(0, spacing=Timing.preset("ease-in")))
    qtbot.waitUntil(lambda: panel.spacing.currentText() == "ease-in", timeout=3000)
    assert panel.spacing.findText("custom") < 0  # offered only while such a segment is shown


def test_autopilot_asked_twice_adds_no_path_twice(window):
    _load_segment(window, far_keys)
    window.actions_["autopilot"].trigger()
    first = window.document.project.segment(0).settings.paths
    window.actions_["autopilot"].trigger()
    assert window.document.project.segment(0).settings.paths == first
    assert window.document.undo_stack.count() == 1  # nothing to undo the second time
    assert "already there" in window.statusBar().currentMessage()
