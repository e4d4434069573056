"""Production details remembered between projects: who composes, publishes and files.

A composer scoring a series types their name, society, IPI number and publisher once: every
export stores the cue sheet's production-level fields (:data:`REMEMBERED`) in
``production.json`` in the user's config folder (``SCORER_CONFIG_DIR`` overrides), and the next
project's cue sheet takes them wherever it leaves them empty. Episode-level fields (titles,
numbers, air dates, ISAN) are never carried over.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

REMEMBERED = ("production_company", "country", "broadcaster", "composer", "composer_society",
              "composer_ipi", "publisher", "publisher_society", "publisher_ipi", "performer",
              "prepared_by")
FILE_NAME = "production.json"


def config_path() -> Path:
    """Return the settings file (``SCORER_CONFIG_DIR`` or platformdirs' user config folder)."""
    from platformdirs import user_config_dir

    folder = os.environ.get("SCORER_CONFIG_DIR") or user_config_dir("scorer")
    return Path(folder) / FILE_NAME


def load() -> dict:
    """Return the remembered details ({} when none, or when the file is unreadable)."""
    path = config_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable production details %s (%s)", path, exc)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in REMEMBERED and v not in (None, "")}


def remember(cue_sheet: dict) -> bool:
    """Store the production-level fields a cue sheet gives; return True if the file changed.

    A field the cue sheet leaves empty keeps its remembered value. Failing to write is logged,
    not raised: the export itself has succeeded.
    """
    old = load()
    new = dict(old)
    for key in REMEMBERED:
        value = (cue_sheet or {}).get(key)
        if value not in (None, ""):
            new[key] = str(value)
    if new == old:
        return False
    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(new, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not remember the production details in %s (%s)", path, exc)
        return False
    return True
