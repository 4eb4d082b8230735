"""Menus, toolbar and keyboard shortcuts of the main window (every action is also a shortcut)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QSlider

from inbetweener.model.project import FrameStatus


def _action(window, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:
    """One window-wide action with its shortcut(s) and tooltip."""
    act = QAction(text, window)
    if shortcut is not None:
        shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
        act.setShortcuts([QKeySequence(s) for s in shortcuts])
    act.setCheckable(checkable)
    if tip:
        act.setStatusTip(tip)
        act.setToolTip(f"{text} ({act.shortcut().toString()})" if shortcut else text)
    act.triggered.connect(slot)
    window.addAction(act)  # shortcuts work whichever panel has focus
    return act


def build_actions(window) -> None:
    """All actions (window.actions_), menus, the toolbar and the timeline's context menu."""
    undo = window.document.undo_stack.createUndoAction(window, "Undo")
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    redo = window.document.undo_stack.createRedoAction(window, "Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    window.undo_action, window.redo_action = undo, redo
    f = window.files
    a = partial(_action, window)
    window.actions_ = {
        "new": a("&New…", f.new, "Ctrl+N"),
        "open": a("&Open…", f.open_dialog, "Ctrl+O"),
        "save": a("&Save", f.save, "Ctrl+S"),
        "save_as": a("Save &As…", f.save_as, "Ctrl+Shift+S"),
        "import": a("&Import keys…", f.import_dialog, "Ctrl+I", "Import drawings as keys after the last key"),
        "export": a("&Export…", f.export_dialog, "Ctrl+Shift+E", "PNG sequence, GIF or MP4"),
        "quit": a("&Quit", window.close, "Ctrl+Q"),
        "add_path": a("Add &path", window.canvas.set_add_mode, "P",
                      "Click a point on key A, then its match on key B", checkable=True),
        "delete_path": a("&Delete path", window.delete_path, ["Del", "Backspace"]),
        "autopilot": a("A&utopilot paths", window.autopilot, "Ctrl+Shift+P", "Propose paths from the keys"),
        "move_ends": a("&Move path ends onto their match", window.move_path_ends, "Ctrl+Shift+M",
                       "Where the last frames followed path ends placed off their match in key B"),
        "play": a("&Play / pause", window.player.toggle, "Space"),
        "prev_frame": a("Previous frame", lambda: window.step_frame(-1), ","),
        "next_frame": a("Next frame", lambda: window.step_frame(1), "."),
        "prev_key": a("Previous key", lambda: window.step_key(-1), "Alt+,"),
        "next_key": a("Next key", lambda: window.step_key(1), "Alt+."),
        "first": a("First frame", lambda: window.state.set_frame(0), "Home"),
        "last": a("Last frame", lambda: window.state.set_frame(window.document.project.length - 1), "End"),
        "insert_frame": a("&Insert frame (hold)", window.insert_frame, "Ctrl+Shift+Right"),
        "remove_frame": a("&Remove frame", window.remove_frame, "Ctrl+Shift+Left"),
        "remove_key": a("Remove &key", window.remove_key, "Shift+Del", "Delete the key at the playhead"),
        "onion": a("&Onion skin", window.state.set_onion, "O", checkable=True),
        "flip": a("&Flip to neighbours", window.flip, "F", "Flip to the previous and next frame and back"),
        "fit": a("&Fit canvas", window.canvas.fit, "Ctrl+0"),
        "zoom_100": a("Actual &size", lambda: window.canvas.zoom_to(1.0), "Ctrl+1"),
        "generate": a("&Generate segment", window.generate_segment, "Ctrl+G"),
        "regenerate": a("&Regenerate frame", window.regenerate_frame, "Ctrl+Shift+G"),
        "cancel": a("&Cancel generation", window.generation.cancel, "Esc"),
        "accept": a("&Accept frame", lambda: window.set_status(FrameStatus.ACCEPTED), "A"),
        "accept_segment": a("Accept &segment", window.accept_segment, "Shift+A"),
        "lock": a("&Lock frame", lambda: window.set_status(FrameStatus.LOCKED), "L"),
        "unlock": a("&Unlock frame", lambda: window.set_status(FrameStatus.GENERATED), "U"),
    }
    window.actions_["onion"].setChecked(window.state.onion_enabled)
    window.actions_["cancel"].setEnabled(False)
    window.actions_["move_ends"].setEnabled(False)
    window.addAction(undo)
    window.addAction(redo)
    act = window.actions_
    menu = window.menuBar()
    m = menu.addMenu("&File")
    m.addActions([act["new"], act["open"]])
    window.recent_menu = m.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(window.files.fill_recent_menu)
    m.addActions([act["save"], act["save_as"]])
    m.addSeparator()
    m.addActions([act["import"], act["export"]])
    m.addSeparator()
    m.addAction(act["quit"])
    m = menu.addMenu("&Edit")
    m.addActions([undo, redo])
    m.addSeparator()
    m.addActions([act["add_path"], act["delete_path"], act["autopilot"], act["move_ends"]])
    m = menu.addMenu("&Timeline")
    m.addActions([act[k] for k in ("play", "prev_frame", "next_frame", "prev_key", "next_key", "first", "last")])
    modes = m.addMenu("Playback mode")
    group = QActionGroup(window)
    for mode in ("loop", "ping-pong", "once"):
        ma = QAction(mode, window, checkable=True)
        ma.setChecked(mode == window.player.mode)
        ma.triggered.connect(lambda _c=False, md=mode: window.player.set_mode(md))
        group.addAction(ma)
        modes.addAction(ma)
    m.addSeparator()
    m.addActions([act["insert_frame"], act["remove_frame"], act["remove_key"]])
    m = menu.addMenu("&View")
    m.addAction(act["onion"])
    counts = m.addMenu("Onion skin keys")
    count_group = QActionGroup(window)
    for n in (1, 2, 3):
        ca = QAction(f"{n} each side", window, checkable=True)
        ca.setChecked(n == window.state.onion_count)
        ca.triggered.connect(lambda _c=False, k=n: window.state.set_onion(count=k))
        count_group.addAction(ca)
        counts.addAction(ca)
    m.addActions([act["flip"], act["fit"], act["zoom_100"]])
    m = menu.addMenu("&Generate")
    m.addActions([act["generate"], act["regenerate"], act["cancel"]])
    m = menu.addMenu("&Review")
    m.addActions([act["accept"], act["accept_segment"], act["lock"], act["unlock"]])
    tools = window.addToolBar("Tools")
    tools.setObjectName("toolsBar")
    # Short fixed labels on the toolbar; the Edit menu's actions say what will be undone.
    stack = window.document.undo_stack
    tool_undo = QAction("Undo", window)
    tool_undo.triggered.connect(stack.undo)
    tool_undo.setEnabled(stack.canUndo())
    stack.canUndoChanged.connect(tool_undo.setEnabled)
    stack.undoTextChanged.connect(lambda text: tool_undo.setToolTip(f"Undo {text} (Ctrl+Z)"))
    tool_redo = QAction("Redo", window)
    tool_redo.triggered.connect(stack.redo)
    tool_redo.setEnabled(stack.canRedo())
    stack.canRedoChanged.connect(tool_redo.setEnabled)
    stack.redoTextChanged.connect(lambda text: tool_redo.setToolTip(f"Redo {text} (Ctrl+Shift+Z)"))
    tools.addActions([act["open"], act["save"], tool_undo, tool_redo])
    tools.addSeparator()
    tools.addActions([act["add_path"], act["autopilot"]])
    tools.addSeparator()
    tools.addActions([act["play"], act["onion"]])
    window.onion_opacity = QSlider(Qt.Orientation.Horizontal)
    window.onion_opacity.setRange(5, 90)
    window.onion_opacity.setValue(round(window.state.onion_opacity * 100))
    window.onion_opacity.setMaximumWidth(90)
    window.onion_opacity.setToolTip("Onion skin opacity (previous key red, next key green)")
    window.onion_opacity.valueChanged.connect(lambda v: window.state.set_onion(opacity=v / 100))
    tools.addWidget(window.onion_opacity)
    tools.addSeparator()
    tools.addActions([act["generate"], act["regenerate"], act["accept"], act["lock"]])
    window.timeline.context_actions = [act["accept"], act["lock"], act["unlock"], act["regenerate"],
                                     act["insert_frame"], act["remove_frame"], act["remove_key"]]
