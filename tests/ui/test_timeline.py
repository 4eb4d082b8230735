"""Timeline: scrubbing, retiming keys by dragging, holds, keyboard navigation, playback."""

from __future__ import annotations

from mouse_events import drag, send_mouse
from PySide6.QtCore import QPointF, Qt

from inbetweener.model.commands import PutGeneratedFrames, SetFrameStatus
from inbetweener.model.project import FrameStatus
from ui.timeline import RULER_H


def ruler(timeline, frame):
    return QPointF(timeline.cell_center(frame, in_ruler=True))


def track(timeline, frame):
    return QPointF(timeline.cell_center(frame))


def test_click_and_drag_in_the_ruler_scrubs(window):
    tl = window.timeline
    send_mouse(tl.viewport(), "press", ruler(tl, 3))
    assert window.state.frame == 3
    send_mouse(tl.viewport(), "move", ruler(tl, 5))
    send_mouse(tl.viewport(), "release", ruler(tl, 5))
    assert window.state.frame == 5
    assert window.frame_info.text().startswith("Frame 6 / 7")


def test_dragging_a_key_retimes_it_and_changes_the_count(window):
    tl = window.timeline
    doc = window.document
    assert doc.project.segment(0).count == 5
    end = doc.project.keyframes[1].frame
    drag(tl.viewport(), [track(tl, end), track(tl, end + 2), track(tl, end + 3)])
    assert doc.project.keyframes[1].frame == end + 3
    assert doc.project.segment(0).count == 8
    assert window.panel.count.value() == 8
    assert window.state.frame == end + 3
    window.undo_action.trigger()
    assert doc.project.segment(0).count == 5


def test_dropping_a_key_past_its_neighbour_does_nothing(window):
    tl = window.timeline
    doc = window.document
    before = doc.project
    drag(tl.viewport(), [track(tl, 0), track(tl, 6), track(tl, 8)])
    assert doc.project is before


def test_count_spinbox_inserts_and_removes_holds(window):
    doc = window.document
    window.panel.count.setValue(7)
    assert doc.project.segment(0).count == 7
    window.panel.count.setValue(2)
    assert doc.project.segment(0).count == 2
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert doc.project.segment(0).count == 5


def test_keyboard_navigation(window, qtbot):
    state = window.state
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Period)
    qtbot.keyClick(window.timeline, Qt.Key.Key_Period)
    assert state.frame == 2
    qtbot.keyClick(window.timeline, Qt.Key.Key_Comma)
    assert state.frame == 1
    qtbot.keyClick(window.timeline, Qt.Key.Key_Period, Qt.KeyboardModifier.AltModifier)
    assert state.frame == 6
    qtbot.keyClick(window.timeline, Qt.Key.Key_Comma, Qt.KeyboardModifier.AltModifier)
    assert state.frame == 0
    qtbot.keyClick(window.timeline, Qt.Key.Key_End)
    assert state.frame == window.document.project.length - 1
    qtbot.keyClick(window.timeline, Qt.Key.Key_Home)
    assert state.frame == 0
    onion = state.onion_enabled
    qtbot.keyClick(window.timeline, Qt.Key.Key_O)
    assert state.onion_enabled != onion


def test_insert_and_remove_hold_frames(window):
    doc = window.document
    window.state.set_frame(2)
    window.actions_["insert_frame"].trigger()
    assert doc.project.segment(0).count == 6
    window.actions_["remove_frame"].trigger()
    assert doc.project.segment(0).count == 5
    window.state.set_frame(0)
    window.actions_["remove_frame"].trigger()  # a key: refused with a message, nothing changes
    assert doc.project.segment(0).count == 5
    assert "key" in window.statusBar().currentMessage()


def test_playback_loop_and_ping_pong(window, qtbot):
    player, state = window.player, window.state
    last = window.document.project.length - 1
    state.set_frame(last)
    player.set_mode("loop")
    player.step()
    assert state.frame == 0
    player.set_mode("ping-pong")
    state.set_frame(last - 1)
    frames = []
    for _ in range(3):
        player.step()
        frames.append(state.frame)
    assert frames == [last, last - 1, last - 2]
    player.set_mode("once")
    state.set_frame(last)
    player.play()
    qtbot.waitUntil(lambda: not player.playing, timeout=2000)
    assert state.frame == 0 or state.frame == last
    # Real timer: playing advances the playhead at the project fps.
    player.set_mode("loop")
    state.set_frame(0)
    player.play()
    qtbot.waitUntil(lambda: state.frame >= 2, timeout=3000)
    player.pause()
    assert not player.playing


def test_cells_show_state_and_previews(window):
    doc = window.document
    img = doc.project.images[doc.project.keyframes[0].image_id]
    doc.push(PutGeneratedFrames(((1, img), (2, img))))
    doc.push(SetFrameStatus((2,), FrameStatus.LOCKED))
    tl = window.timeline
    tl.viewport().repaint()
    image = tl.viewport().grab().toImage()

    def strip_color(frame):
        r = tl.cell_rect(frame)
        return image.pixelColor(r.x() + 8, r.y() + 40 + 8).name()

    assert strip_color(1) == "#4c8bf5"  # generated
    assert strip_color(2) == "#e5534b"  # locked
    assert strip_color(0) == "#f0b429"  # key
    # A frame arriving from a running job shows as a pending (hatched violet) cell.
    window.state.add_preview(4, img.array())
    tl.viewport().repaint()
    image = tl.viewport().grab().toImage()
    r = tl.cell_rect(4)
    strip = {image.pixelColor(x, r.y() + 40 + 8).name() for x in range(r.x() + 4, r.right() - 4)}
    assert "#b072f0" in strip
    assert RULER_H > 0


def test_retime_label_says_what_a_drop_does(window):
    tl = window.timeline
    assert tl.retime_label(6, 9) == "frame 10 · 8 before"
    assert tl.retime_label(6, 0) == "cannot pass a key"
    assert tl.retime_label(0, 2) == "frame 3 · 3 after"
