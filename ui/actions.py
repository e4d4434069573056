"""Every action and its shortcut, declared in one place.

The main window builds its menus from :data:`MENUS` and connects each action ``name`` to its
method ``act_<name>``; undo and redo come from the QUndoStack and are listed here too so the
shortcuts are all in one table.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


@dataclass(frozen=True)
class ActionSpec:
    """An action: its name (``act_<name>`` handles it), menu text, shortcuts, tip."""

    name: str
    text: str
    shortcuts: tuple[str | QKeySequence.StandardKey, ...] = ()
    tip: str = ""
    checkable: bool = False


_S = QKeySequence.StandardKey

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open Video or Project…", (_S.Open,), "Open a video to analyse, "
               "or a saved Scorer project"),
    ActionSpec("save", "&Save Project", (_S.Save,), "Save the project"),
    ActionSpec("save_as", "Save Project &As…", (_S.SaveAs,), "Save the project under a name"),
    ActionSpec("export", "&Export…", ("Ctrl+E",), "Export MIDI, audio, cue sheet, timeline"),
    ActionSpec("cancel", "&Cancel Running Work", ("Esc",), "Stop the analysis or export"),
    ActionSpec("quit", "&Quit", (_S.Quit,), "Quit Scorer"),
    ActionSpec("undo", "&Undo", (_S.Undo,)),
    ActionSpec("redo", "&Redo", (_S.Redo,)),
    ActionSpec("settings", "&Preferences…", (_S.Preferences, "Ctrl+,"), "Content type, "
               "modality weights, SoundFont, library folders"),
    ActionSpec("play_pause", "&Play/Pause", ("Space",), "Play or pause"),
    ActionSpec("shuttle_back", "Shuttle &Backward", ("J",), "Play backward; press again "
               "for faster"),
    ActionSpec("shuttle_stop", "Shuttle &Stop", ("K",), "Stop"),
    ActionSpec("shuttle_forward", "Shuttle &Forward", ("L",), "Play forward; press again "
               "for faster"),
    ActionSpec("step_back", "Step Frame Back", ("Left",), "One frame back"),
    ActionSpec("step_forward", "Step Frame Forward", ("Right",), "One frame forward"),
    ActionSpec("zoom_in", "Zoom &In", (_S.ZoomIn, "="), "Zoom the timeline in"),
    ActionSpec("zoom_out", "Zoom &Out", (_S.ZoomOut,), "Zoom the timeline out"),
    ActionSpec("zoom_fit", "Zoom to &Fit", ("Ctrl+0", "Shift+Z"), "Show the whole clip"),
    # a larger viewer: F full screen as in Resolve/Premiere; Esc leaves it
    ActionSpec("viewer_full_screen", "&Full Screen Viewer", ("F",),
               "The picture full screen (F again or Esc: back)"),
    ActionSpec("viewer_detach", "Viewer in Own &Window", ("Shift+F",),
               "The picture in a window of its own (e.g. on a second display)",
               checkable=True),
    ActionSpec("reset_lanes", "Reset &Lanes", (), "Every timeline lane expanded, at its "
               "default height"),
    ActionSpec("audition", "&Audition Selected Suggestion", ("Ctrl+Space",),
               "Play the picture from the cue's start with this music"),
    ActionSpec("stop_audition", "S&top Audition", ("Shift+Space",)),
    ActionSpec("ab_compare", "A/&B Compare", ("Ctrl+Shift+B",),
               "While auditioning: hear the selected suggestion against the playing one; "
               "again: switch back (playback does not stop)"),
    ActionSpec("loop_cue", "Loo&p Cue", ("Ctrl+/",), "Audition the cue round and round",
               checkable=True),
    ActionSpec("more_music", "More Music", ("Alt+=",), "Audition balance towards the music"),
    ActionSpec("more_dialogue", "More Dialogue", ("Alt+-",),
               "Audition balance towards the dialogue"),
    ActionSpec("lock_choice", "&Lock Choice", ("Ctrl+L",), "Choose this music for the cue"),
    ActionSpec("regenerate", "&Regenerate", ("Ctrl+R",), "Generate new music for the cue"),
    ActionSpec("find_music", "&Find Music for All Cues", ("Ctrl+Shift+F",),
               "Search the library and generate music for every unlocked cue"),
    ActionSpec("find_music_selected", "Find Music for &Selected Cue", ("Ctrl+F",),
               "Search the library and generate music for the selected cue"),
    ActionSpec("reanalyse", "&Re-analyse", ("Ctrl+Shift+R",), "Analyse the clip again with "
               "the current preferences (locked cues are kept)"),
    # marks and navigation: Premiere/Resolve keys (Up/Down edit points, Shift+Up/Down markers)
    ActionSpec("add_marker", "Add &Marker", ("M",), "Drop a marker at the playhead"),
    ActionSpec("delete_marker", "&Delete Marker", ("Ctrl+Alt+M",),
               "Delete the marker nearest the playhead"),
    ActionSpec("mark_in", "Mark &In", ("I",), "Set the in point at the playhead"),
    ActionSpec("mark_out", "Mark &Out", ("O",), "Set the out point at the playhead"),
    ActionSpec("clear_in_out", "&Clear In and Out", ("Ctrl+Shift+X",)),
    ActionSpec("go_in", "Go to In Point", ("Shift+I",)),
    ActionSpec("go_out", "Go to Out Point", ("Shift+O",)),
    ActionSpec("go_to", "&Go To Time…", ("Ctrl+G",), "Type a timecode, MM:SS or seconds"),
    ActionSpec("prev_edit", "Previous &Edit Point", ("Up",), "The previous cut or cue edge"),
    ActionSpec("next_edit", "&Next Edit Point", ("Down",), "The next cut or cue edge"),
    ActionSpec("prev_marker", "Previous Marker", ("Shift+Up",)),
    ActionSpec("next_marker", "Next Marker", ("Shift+Down",)),
    ActionSpec("prev_cue", "Previous Cue", ("PgUp",), "The start of the previous cue"),
    ActionSpec("next_cue", "Next Cue", ("PgDown",), "The start of the next cue"),
    # the plan's own edits
    ActionSpec("add_cue", "&Add Cue in Gap", ("Ctrl+Shift+N",),
               "Add a cue filling the gap at the playhead"),
    ActionSpec("split_cue", "&Split Cue at Playhead", ("Ctrl+K", "Ctrl+B"),
               "Cut the cue under the playhead in two"),
    ActionSpec("merge_cue", "&Merge with Next Cue", ("Ctrl+J",)),
    ActionSpec("delete_cue", "&Delete Cue", ("Del", "Backspace"), "Delete the selected cue"),
    ActionSpec("rename_cue", "&Rename Cue…", ("F2",), "Renumber or title the selected cue"),
    ActionSpec("add_hit", "Add &Hit Point at Playhead", ("H",),
               "A hit the cue's tempo is fitted to"),
    ActionSpec("delete_hit", "Delete Hit Point at Playhead", ("Shift+H",),
               "Delete the selected cue's hit nearest the playhead"),
    ActionSpec("reset_hits", "Reset Hit Points to the Cuts"),
    ActionSpec("crossfade", "Cross&fade into Next Cue", ("Ctrl+Shift+D",),
               "Let the selected cue's music fade out under the next cue's (again: remove)"),
    ActionSpec("show_library", "Music &Library", ("Ctrl+Shift+L",),
               "Find music yourself: search the library by words, mood, tempo, key and "
               "instruments; drag a piece onto a cue", checkable=True),
    ActionSpec("edit_shortcuts", "Edit &Keyboard Shortcuts…", ("Ctrl+Alt+K",),
               "Change the keys of any command"),
    ActionSpec("shortcuts_help", "&Keyboard Shortcuts", ("F1",), "Every command and its keys"),
    ActionSpec("clear_recent", "&Clear Recent Files"),
    ActionSpec("about", "&About Scorer"),
)

MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("open", "-recent", "-", "save", "save_as", "-", "export", "-", "cancel", "-",
               "quit")),
    ("&Edit", ("undo", "redo", "-", "settings", "edit_shortcuts")),
    ("&Playback", ("play_pause", "-", "shuttle_back", "shuttle_stop", "shuttle_forward", "-",
                   "step_back", "step_forward")),
    ("Mar&k", ("add_marker", "delete_marker", "-", "mark_in", "mark_out", "clear_in_out",
               "go_in", "go_out", "-", "go_to", "-", "prev_edit", "next_edit", "prev_marker",
               "next_marker", "prev_cue", "next_cue")),
    ("&View", ("zoom_in", "zoom_out", "zoom_fit", "-", "viewer_full_screen", "viewer_detach",
               "-", "reset_lanes")),
    ("&Cue", ("add_cue", "split_cue", "merge_cue", "delete_cue", "rename_cue", "-", "add_hit",
              "delete_hit", "reset_hits", "-", "crossfade")),
    ("&Analysis", ("reanalyse",)),
    ("&Music", ("audition", "stop_audition", "ab_compare", "loop_cue", "more_music",
                "more_dialogue", "-", "lock_choice", "regenerate", "-",
                "find_music_selected", "find_music", "-", "show_library")),
    ("&Help", ("shortcuts_help", "-", "about")),
)


def build_actions(parent) -> dict[str, QAction]:
    """Create every action (except undo/redo, which the undo stack makes) under ``parent``."""
    actions: dict[str, QAction] = {}
    for spec in ACTIONS:
        if spec.name in ("undo", "redo"):
            continue
        action = QAction(spec.text, parent)
        action.setObjectName(f"action_{spec.name}")
        keys = [QKeySequence(k) for k in spec.shortcuts]
        if keys:
            action.setShortcuts(keys)
        # window-wide shortcuts, so Space works whichever child has focus
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.setCheckable(spec.checkable)
        actions[spec.name] = action
    return actions


def spec(name: str) -> ActionSpec:
    """Return the declaration of an action."""
    for item in ACTIONS:
        if item.name == name:
            return item
    raise KeyError(name)
