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
                use_default: bool) -> list[dict]:
    """Index the library folders (incrementally) and suggest music for every cue."""
    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.suggest import suggest_project
    from scorer.project import Project

    doc = Project.from_dict(project)
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


def prepare_music(path: str, cue_start: float, cue_end: float,
                  ducking: list[tuple[float, float]], sf2: str | None, out_dir: Path,
                  cancel=None) -> Path:
    """Render or decode a suggestion, fit it to the cue, duck it, write a WAV; return it.

    Raises:
        ScorerError: If the music cannot be rendered or read (the message names the file).
        RuntimeError: If the core has no renderer.
    """
    import numpy as np
    import soundfile

    from ui import core

    render = core.module("render")
    if render is None or not hasattr(render, "load_music"):
        raise RuntimeError(core.missing_message("render"))
    audio = render.load_music(path, sr=SR, sf2=sf2 or None)
    if cancel is not None:
        cancel.raise_if_set()
    n = max(1, int(round((cue_end - cue_start) * SR)))
    mixdown = core.module("mixdown")
    if mixdown is not None and hasattr(mixdown, "fit_cue"):
        audio = mixdown.fit_cue(audio, n, SR)
        # ducking regions are clip times; the WAV starts at the cue's start
        regions = [(s - cue_start, e - cue_start) for s, e in ducking]
        if regions:
            audio = audio * mixdown.duck_envelope(n, regions, SR)[:, None]
    else:
        audio = np.asarray(audio, dtype=np.float32)[:n]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"audition-{Path(path).stem}-{int(cue_start * 1000)}.wav"
    soundfile.write(str(target), np.asarray(audio, dtype=np.float32), SR, subtype="PCM_16")
    return target


def audition_job(emit, cancel, path: str, start: float, end: float, ducking: list,
                 sf2: str | None, out_dir: str) -> str:
    """Render (or decode) a suggestion fitted to its cue into a WAV for audition."""
    emit("render", 0.0)
    wav = prepare_music(path, start, end, [tuple(r) for r in ducking], sf2, Path(out_dir),
                        cancel)
    emit("render", 1.0)
    return str(wav)


JOBS = {"analyze": analyze_job, "suggest": suggest_job, "generate": generate_job,
        "export": export_job, "audition": audition_job}

SR = 44100  # audition sample rate
