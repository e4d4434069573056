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


def worker_main(job_requests, queue, cancel_event) -> None:
    """Entry point of a worker process: run jobs from ``job_requests`` until None arrives.

    The worker runs at a lower CPU priority than the window, so that on a busy machine the
    event loop is scheduled first.
    """
    os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    try:
        os.nice(5)
    except (AttributeError, OSError):
        pass
    import multiprocessing
    import queue as queue_mod

    import scorer.pipeline  # noqa: F401 - the common imports, paid once per worker

    parent = multiprocessing.parent_process()
    while True:
        try:
            request = job_requests.get(timeout=1.0)
        except queue_mod.Empty:
            if parent is not None and not parent.is_alive():
                return  # the window's process died: do not linger as an orphan
            continue
        if request is None:
            return
        job, payload = request
        run_job(job, payload, queue, cancel_event)


def run_job(job: str, kwargs_json: str, queue, cancel_event) -> None:
    """Run one job and put its progress and outcome on ``queue``."""
    from scorer.pipeline import CancelToken

    cancel = CancelToken(cancel_event)
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
                use_default: bool, numbers: list[str] | None = None) -> dict:
    """Index the library folders (incrementally) and suggest music for the cues.

    Returns:
        {"numbers": the cues re-suggested, "suggestions": their suggestions}.
    """
    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.suggest import suggest_project
    from scorer.project import Project

    doc = Project.from_dict(project)
    index = LibraryIndex()
    try:
        for folder in folders:
            index.add_folder(folder, progress=emit, cancel=cancel)
        result = suggest_project(doc, project_path, n=n, with_generated=True, progress=emit,
                                 cancel=cancel, index=index, use_default=use_default,
                                 numbers=numbers)
    finally:
        index.close()
    done = [c.number for c in doc.cues if not c.locked and (numbers is None or c.number in numbers)]
    return {"numbers": done, "suggestions": [asdict(s) for s in result if s.cue in done]}


def generate_job(emit, cancel, cue: dict, style: str, seed: int, temperature: float,
                 palette: str, folder: str, seed_melody: str = "") -> dict:
    """Generate music for one cue (scorer.music.library.suggest.generated_suggestion)."""
    from scorer.music.library.suggest import generated_suggestion
    from scorer.project import Project

    cue_obj = Project.from_dict({"cues": [cue]}).cues[0]
    emit("generate", 0.0)
    suggestion = generated_suggestion(cue_obj, folder, style=style, seed=seed,
                                      temperature=temperature, palette=palette, cancel=cancel,
                                      seed_melody=seed_melody)
    emit("generate", 1.0)
    return asdict(suggestion)


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


def audition_job(emit, cancel, path: str, start: float, end: float, ducking: list,
                 sf2: str | None, out_dir: str) -> str:
    """Render (or decode) a suggestion fitted to its cue into a WAV for audition."""
    from scorer.export.preview import write_cue_preview

    emit("render", 0.0)
    wav = write_cue_preview(path, start, end, [tuple(r) for r in ducking], out_dir, sr=SR,
                            sf2=sf2, cancel=cancel)
    emit("render", 1.0)
    return str(wav)


def _library(folders: list[str], use_default: bool, emit, cancel, refresh: bool):
    """The user's library index, brought up to date with the folders when ``refresh``."""
    from scorer.music.library.index import LibraryIndex

    index = LibraryIndex()
    try:
        if refresh:
            if use_default:
                index.ensure_default(emit, cancel)
            for folder in folders:
                index.add_folder(folder, progress=emit, cancel=cancel)
    except BaseException:
        index.close()
        raise
    return index


def library_search_job(emit, cancel, query: dict, folders: list[str], use_default: bool,
                       refresh: bool = True) -> dict:
    """Search the library (scorer.music.library.browse); index the folders first if asked.

    Returns:
        {"rows": the hits as JSON-ready rows, "total": pieces in the library}.
    """
    from scorer.music.library.browse import BrowseQuery, browse

    index = _library(folders, use_default, emit, cancel, refresh)
    try:
        emit("search", 0.0)
        hits = browse(index, BrowseQuery.from_dict(query))
        emit("search", 1.0)
        return {"rows": [h.row() for h in hits], "total": len(index)}
    finally:
        index.close()


def library_use_job(emit, cancel, cue: dict, entry: int, folder: str) -> dict:
    """Adapt a library piece to a cue as a suggestion (suggest.suggestion_for_entry)."""
    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.suggest import suggestion_for_entry
    from scorer.project import Project

    cue_obj = Project.from_dict({"cues": [cue]}).cues[0]
    emit("adapt", 0.0)
    with LibraryIndex() as index:
        suggestion = suggestion_for_entry(cue_obj, entry, index, folder)
    cancel.raise_if_set()
    emit("adapt", 1.0)
    return asdict(suggestion)


def library_preview_job(emit, cancel, entry: int, seconds: float, sf2: str | None,
                        out_dir: str) -> str:
    """Render the opening of a library piece, as it is, into a WAV (the audition's renderer)."""
    from scorer.errors import ScorerError
    from scorer.export.preview import write_cue_preview
    from scorer.music.library.browse import playable_file
    from scorer.music.library.index import LibraryIndex

    emit("render", 0.0)
    with LibraryIndex() as index:
        found = index.get([entry])
    if not found:
        raise ScorerError(f"piece {entry} is not in the music library (search again)")
    source = playable_file(found[0], out_dir)
    length = max(1.0, min(float(seconds), found[0].duration or seconds))
    wav = write_cue_preview(source, 0.0, length, [], out_dir, sr=SR, sf2=sf2, cancel=cancel)
    emit("render", 1.0)
    return str(wav)


JOBS = {"analyze": analyze_job, "suggest": suggest_job, "generate": generate_job,
        "export": export_job, "audition": audition_job, "library_search": library_search_job,
        "library_use": library_use_job, "library_preview": library_preview_job}

SR = 44100  # audition sample rate
