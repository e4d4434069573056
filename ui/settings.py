"""Preferences in one typed registry with defaults and versioned migrations (Picard options.py).

Every preference is declared once in :data:`OPTIONS` with its type, default and title; the
settings dialog and the code read the same declaration. Values live in QSettings (an INI file
under ``SCORER_SETTINGS_DIR`` when that is set, e.g. by tests). ``MIGRATIONS`` lifts stored
preferences of an older ``settings_version`` step by step.

Window state (geometry, splitters, recent files) is kept apart in :class:`WindowState`, in a
different file, so resetting preferences never loses the layout and vice versa.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

SETTINGS_VERSION = 2
RECENT_FILES_MAX = 10

CONTENT_TYPES = ("drama", "documentary", "interview", "action", "comedy", "horror")
MODALITIES = ("faces", "lighting", "motion", "prosody", "voice", "words")


@dataclass(frozen=True)
class Option:
    """One preference.

    Attributes:
        key: QSettings key ("section/name").
        type: bool, int, float, str, list (of str) or dict (stored as JSON).
        default: Value when nothing is stored.
        title: Label shown in the settings dialog.
        choices: Allowed values for a str option (a combo box), if any.
    """

    key: str
    type: type
    default: Any
    title: str
    choices: tuple[str, ...] = ()


OPTIONS: dict[str, Option] = {o.key: o for o in (
    Option("analysis/content_type", str, "drama", "Content type (fusion preset)", CONTENT_TYPES),
    Option("analysis/sample_fps", float, 4.0, "Analysis frames per second"),
    Option("analysis/transcriber", str, "auto", "Speech transcription",
           ("auto", "whisper", "pocketsphinx", "none")),
    # modality -> weight; empty means "use the content type's preset"
    Option("fusion/weights", dict, {}, "Modality weights"),
    Option("audio/soundfont", str, "", "SoundFont (.sf2) for rendering; empty = built-in GM"),
    Option("library/folders", list, [], "Music library folders"),
    Option("library/use_default", bool, True, "Include the bundled library (music21 corpus)"),
    Option("music/style", str, "", "Default melody style; empty = chosen per cue"),
    Option("music/suggestions", int, 5, "Suggestions per cue"),
    Option("audition/original_gain_db", float, 0.0,
           "Original sound level during audition (dB; 0 = unchanged)"),
    Option("project/autosave_seconds", int, 60, "Autosave every (seconds)"),
    Option("timeline/thumbnail_fps", float, 1.0, "Thumbnails per second"),
    # lane name -> {"collapsed": bool, "height": pixels}; set on the timeline itself
    Option("timeline/lanes", dict, {}, "Timeline lanes (collapsed, heights)"),
    # action name -> its keys (portable text), only where they differ from the defaults
    Option("shortcuts/custom", dict, {}, "Keyboard shortcuts changed from the defaults"),
)}


def _migrate_1_to_2(qs: QSettings) -> None:
    """Version 1 kept one "fusion/preset" key; it became "analysis/content_type"."""
    if qs.contains("fusion/preset"):
        qs.setValue("analysis/content_type", qs.value("fusion/preset"))
        qs.remove("fusion/preset")


MIGRATIONS: dict[int, Callable[[QSettings], None]] = {1: _migrate_1_to_2}


def _settings_file(name: str) -> QSettings:
    folder = os.environ.get("SCORER_SETTINGS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(folder) / f"{name}.ini"), QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Scorer", name)


def _decode(option: Option, raw: Any) -> Any:
    """Turn what QSettings returns (often strings in INI files) into the option's type."""
    try:
        if option.type is bool:
            return raw in (True, "true", "1", 1) if not isinstance(raw, bool) else raw
        if option.type in (int, float):
            return option.type(raw)
        if option.type in (dict, list):
            value = json.loads(raw) if isinstance(raw, str) else raw
            return value if isinstance(value, option.type) else option.default
        value = str(raw)
        if option.choices and value not in option.choices:
            return option.default
        return value
    except (TypeError, ValueError):
        return option.default


class Settings:
    """The preference registry over QSettings; ``settings[key]`` reads typed values."""

    def __init__(self, qsettings: QSettings | None = None):
        self._qs = qsettings or _settings_file("preferences")
        self._listeners: list[Callable[[str, Any], None]] = []
        self._migrate()

    def _migrate(self) -> None:
        version = int(self._qs.value("settings_version", SETTINGS_VERSION if not
                                     self._qs.allKeys() else 1))
        while version < SETTINGS_VERSION:
            MIGRATIONS[version](self._qs)
            version += 1
        self._qs.setValue("settings_version", SETTINGS_VERSION)

    def __getitem__(self, key: str) -> Any:
        option = OPTIONS[key]
        if not self._qs.contains(key):
            default = option.default
            return type(default)(default) if isinstance(default, list | dict) else default
        return _decode(option, self._qs.value(key))

    def __setitem__(self, key: str, value: Any) -> None:
        option = OPTIONS[key]
        stored = json.dumps(value) if option.type in (dict, list) else option.type(value)
        self._qs.setValue(key, stored)
        self._qs.sync()
        for listener in list(self._listeners):
            listener(key, value)

    def snapshot(self) -> dict[str, Any]:
        """Return every preference's current value."""
        return {key: self[key] for key in OPTIONS}

    def apply(self, values: dict[str, Any]) -> None:
        """Set several preferences (only the ones that differ)."""
        for key, value in values.items():
            if self[key] != value:
                self[key] = value

    def reset(self, key: str) -> None:
        """Forget a stored value, so the default applies."""
        self._qs.remove(key)

    def subscribe(self, listener: Callable[[str, Any], None]) -> None:
        """Call ``listener(key, value)`` after every change."""
        self._listeners.append(listener)


class WindowState:
    """Window geometry, splitter positions and recent files: kept apart from preferences."""

    def __init__(self, qsettings: QSettings | None = None):
        self._qs = qsettings or _settings_file("window-state")

    def save_bytes(self, key: str, data: QByteArray) -> None:
        self._qs.setValue(key, data)

    def load_bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key)
        return value if isinstance(value, QByteArray) else None

    def recent_files(self) -> list[str]:
        """Recent files, newest first, at most :data:`RECENT_FILES_MAX`."""
        raw = self._qs.value("recent_files", "[]")
        try:
            files = json.loads(raw) if isinstance(raw, str) else list(raw or [])
        except ValueError:
            files = []
        return [str(f) for f in files][:RECENT_FILES_MAX]

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put a file first in the recent list (capped) and return the list."""
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        files = files[:RECENT_FILES_MAX]
        self._qs.setValue("recent_files", json.dumps(files))
        self._qs.sync()
        return files

    def remove_recent_file(self, path: str | Path) -> list[str]:
        """Drop a file from the recent list (it failed to open) and return the list."""
        path = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != path]
        self._qs.setValue("recent_files", json.dumps(files))
        self._qs.sync()
        return files

    def clear_recent_files(self) -> None:
        self._qs.setValue("recent_files", "[]")
        self._qs.sync()

    def sync(self) -> None:
        self._qs.sync()
