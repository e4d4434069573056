"""Long core jobs that run in a child process; Qt-free, so the child never loads Qt.

Why a process and not only a thread: some core steps hold Python's GIL for hundreds of
milliseconds at a time (loading native libraries, building ONNX sessions, compiling), which
would freeze the window even though the work is on another thread. A child process cannot
stall the GUI's event loop. Everything crossing the boundary is JSON text (the project
document, suggestions, export reports): no pickled objects of the user's.

Each job is ``fn(emit, cancel, **kwargs) -> JSON-ready value``; ``emit(stage, fraction)``
reports progress and ``cancel`` is a token with ``is_set()``/``raise_if_set()``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from dataclasses import asdict
from pathlib import Path


class _EventToken:
    """A cancel token over a multiprocessing Event (same methods as CancelToken)."""

    def __init__(self, event):
        self._event = event

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def raise_if_set(self) -> None:
        if self._event.is_set():
            from scorer.errors import Cancelled

            raise Cancelled()


def child_main(job: str, kwargs_json: str, queue, cancel_event) -> None:
    """Entry point of the child process: run ``job`` and put the outcome on ``queue``."""
    os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    cancel = _EventToken(cancel_event)
    last = [0.0]
    lock = threading.Lock()

    def emit(stage: str, fraction: float) -> None:
        now = time.monotonic()
        with lock:
            if fraction < 1.0 and now - last[0] < 0.05:
                return
            last[0] = now
        queue.put(("progress", str(stage), float(fraction)))

    try:
        result = JOBS[job](emit, cancel, **json.loads(kwargs_json))
        queue.put(("result", json.dumps(result)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI
        queue.put(("error", type(exc).__name__, getattr(exc, "message", str(exc)),
                   str(getattr(exc, "path", "") or ""), traceback.format_exc()))


# ----------------------------------------------------------------------------- jobs

def analyze_job(emit, cancel, path: str, project: dict, settings: dict) -> dict:
    """Analyse a clip (scorer.pipeline.analyze) and return the project document."""
    from scorer.pipeline import AnalysisSettings, analyze
    from scorer.project import Project

    result = analyze(path, Project.from_dict(project), AnalysisSettings(**settings),
                     progress=emit, cancel=cancel)
    return result.to_dict()


def suggest_job(emit, cancel, project: dict, project_path: str, n: int, folders: list[str],
                use_default: bool) -> list[dict]:
    """Index the library folders (incrementally) and suggest music for every cue."""
    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.suggest import music_folder, suggest_project
    from scorer.project import Project

    doc = Project.from_dict(project)
    Path(music_folder(project_path)).mkdir(parents=True, exist_ok=True)
    index = LibraryIndex()
    try:
        for folder in folders:
            index.add_folder(folder, progress=emit, cancel=cancel)
        result = suggest_project(doc, project_path, n=n, with_generated=True, progress=emit,
                                 cancel=cancel, index=index, use_default=use_default)
    finally:
        index.close()
    return [asdict(s) for s in result]


def generate_job(emit, cancel, cue: dict, style: str, seed: int, temperature: float,
                 target: str) -> dict:
    """Generate music for one cue, save it as MIDI and score it like a library piece."""
    from scorer.music.generate import generate_for_cue
    from scorer.project import Project
    from ui.core import score_music

    cue_obj = Project.from_dict({"cues": [cue]}).cues[0]
    emit("generate", 0.0)
    score = generate_for_cue(cue_obj, style=style or None, seed=seed, temperature=temperature)
    cancel.raise_if_set()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    score.save(target)
    emit("score", 0.8)
    fit, measured = score_music(cue_obj, target)
    emit("generate", 1.0)
    return {"style": getattr(score, "style", style) or style, "fit": fit, "measured": measured}


def export_job(emit, cancel, project: dict, project_path: str | None, formats: list[str],
               out_dir: str, force: bool, sf2: str | None) -> dict:
    """Export the project (scorer.export.export_project); return the report's fields."""
    from scorer.export import export_project
    from scorer.project import Project

    report = export_project(Project.from_dict(project), project_path, formats, out_dir,
                            force=force, sf2=sf2, progress=emit, cancel=cancel)
    return {"out_dir": str(report.out_dir), "files": [str(f) for f in report.files],
            "notes": list(report.notes), "cues": list(report.cues),
            "skipped_formats": list(report.skipped_formats)}


JOBS = {"analyze": analyze_job, "suggest": suggest_job, "generate": generate_job,
        "export": export_job}
