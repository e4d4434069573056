"""Lazy access to the optional parts of the core, with a message when one is missing.

The GUI keeps working while a piece of the core is absent (an older install, a module not
built yet): the feature is disabled and the status line says why, instead of crashing.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from types import ModuleType

log = logging.getLogger(__name__)

FEATURES: dict[str, tuple[str, str]] = {
    # feature -> (module, what the user loses without it)
    "fusion": ("scorer.affect.fusion", "no fused emotion curve"),
    "cues": ("scorer.affect.cues", "no cue planning"),
    "suggest": ("scorer.music.library.suggest", "no library suggestions"),
    "generate": ("scorer.music.generate", "no generated music"),
    "render": ("scorer.music.render", "no audition of MIDI music"),
    "mixdown": ("scorer.export.mixdown", "audition without fades or ducking"),
    "export": ("scorer.export", "no export"),
}

DEFAULT_FORMATS = ("midi", "wav", "mp4", "cuesheet", "otio", "edl", "fcp7", "srt")


def module(feature: str) -> ModuleType | None:
    """Import the module behind a feature, or return None when it is not available."""
    name = FEATURES[feature][0]
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        log.info("%s unavailable: %s", name, exc)
        return None


def available(feature: str) -> bool:
    """Return True if the feature's module is installed.

    Only looks the module up (no import): heavy core modules are imported in the worker
    processes, never on the GUI thread.
    """
    name = FEATURES[feature][0]
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_message(feature: str) -> str:
    """A status-line sentence for a missing feature."""
    name, loss = FEATURES[feature]
    return f"{name} is not installed: {loss}"


def content_types() -> tuple[str, ...]:
    """Content-type presets the fusion knows (falls back to the UI's own list)."""
    mod = module("fusion")
    presets = getattr(mod, "PRESETS", None) if mod else None
    if presets:
        return tuple(presets)
    from ui.settings import CONTENT_TYPES

    return CONTENT_TYPES


def modalities() -> tuple[str, ...]:
    mod = module("fusion")
    names = getattr(mod, "MODALITIES", None) if mod else None
    if names:
        return tuple(names)
    from ui.settings import MODALITIES

    return MODALITIES


def export_formats() -> tuple[str, ...]:
    """Export formats the export package offers."""
    mod = module("export")
    formats = getattr(mod, "FORMATS", None) if mod else None
    if formats:
        return tuple(formats)
    return DEFAULT_FORMATS


def styles() -> tuple[str, ...]:
    """Melody styles the generator offers ("" = chosen from the cue)."""
    mod = module("generate")
    names: tuple[str, ...] = ()
    if mod is not None and hasattr(mod, "available_styles"):
        try:
            names = tuple(mod.available_styles())
        except Exception as exc:  # noqa: BLE001 - a broken model install disables styles only
            log.warning("cannot list melody styles: %s", exc)
    return ("",) + names


def instrument_palettes() -> dict[str, dict[str, int]]:
    """Named instrument palettes (role -> GM program) from the cue planner."""
    mod = module("cues")
    return dict(getattr(mod, "INSTRUMENTATION", {}) or {}) if mod else {}
