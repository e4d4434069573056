"""Score many clips: analyse, suggest music and export each, locally or on Ray.

Every clip gets its own folder in the output folder (``OUT/NAME/``) holding its project
(``NAME.scorer.json``), its music (``NAME_music/``), its exports (``export/``) and a small
state file (``.batch.json``) that lists the steps finished. Running the same batch again skips
a clip whose steps are all finished and finishes a half-done one: a step that is listed is not
run again, and an interrupted analysis resumes from its autosave (the same recovery that
``scorer analyze --resume`` uses). Every file is written atomically and the state file last,
so an interrupted clip never looks done.

Locally (the default) clips run one after another in this process. With Ray, one task per
clip goes to a pool of worker actors, each of which opens the ONNX sessions once and keeps
them for every clip it runs. A worker that dies costs only its clip, which is retried once on
a fresh worker. The run ends with a report (``batch-report.json`` and ``.csv``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scorer.errors import Cancelled, InputError, ScorerError
from scorer.project import atomic_write_bytes

log = logging.getLogger(__name__)

STEPS = ("analyze", "suggest", "export")
VIDEO_EXT = {
    ".mp4",
    ".mov",
    ".mkv",
    ".m4v",
    ".avi",
    ".webm",
    ".mxf",
    ".mts",
    ".mpg",
    ".mpeg",
    ".ts",
    ".wmv",
    ".flv",
}
STATE_NAME = ".batch.json"
REPORT_NAME = "batch-report"
MAX_ATTEMPTS = 2  # a clip whose worker died is tried once more
CANCEL_GRACE_S = 60.0  # after a cancel, how long running clips get to stop at their next check

Event = Callable[[str, "ClipResult | str", dict], None]


@dataclass
class BatchOptions:
    """What every clip of a batch runs with (plain data: it travels to Ray workers)."""

    content_type: str = "drama"
    sample_fps: float = 4.0
    transcriber: str = "auto"
    formats: str = "all"
    suggestions: int = 5
    with_generated: bool = True
    index: str = ""  # library file; the user's library when empty
    use_default_library: bool = True
    stop_after: str = "export"  # last step to run: analyze, suggest or export

    def steps(self) -> list[str]:
        """Return the steps this batch runs, in order."""
        if self.stop_after not in STEPS:
            raise ScorerError(f"unknown step {self.stop_after!r}; choose from " + ", ".join(STEPS))
        return list(STEPS[: STEPS.index(self.stop_after) + 1])


@dataclass
class ClipResult:
    """What happened to one clip."""

    clip: str
    name: str
    folder: str
    status: str = "pending"  # done, skipped (done before), failed, cancelled, not started
    cues: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per step run this time
    total_s: float = 0.0
    attempts: int = 0
    worker: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    """The whole batch: one result per clip, in input order."""

    out: str
    clips: list[ClipResult]
    workers: int = 1
    mode: str = "local"
    wall_s: float = 0.0
    cancelled: bool = False

    def counts(self) -> dict[str, int]:
        """Return how many clips ended in each status."""
        out: dict[str, int] = {}
        for clip in self.clips:
            out[clip.status] = out.get(clip.status, 0) + 1
        return out

    def text(self) -> str:
        """Return the report as a table for people."""
        lines = [f"{'clip':28} {'status':11} {'cues':>4} {'time':>8} {'tries':>5}  folder"]
        for c in self.clips:
            lines.append(
                f"{c.name[:28]:28} {c.status:11} {c.cues:4d} {c.total_s:7.1f}s "
                f"{c.attempts:5d}  {c.folder}"
            )
            if c.error:
                lines.append(f"    {c.error}")
        summary = ", ".join(f"{n} {status}" for status, n in self.counts().items())
        lines.append(
            f"{len(self.clips)} clips in {self.wall_s:.1f} s ({self.mode}, "
            f"{self.workers} worker{'s' if self.workers != 1 else ''}): {summary}"
            + ("; cancelled" if self.cancelled else "")
        )
        return "\n".join(lines)

    def write(self, out: str | Path) -> list[Path]:
        """Write ``batch-report.json`` and ``batch-report.csv`` into ``out`` (atomically)."""
        out = Path(out)
        doc = {
            "out": self.out,
            "workers": self.workers,
            "mode": self.mode,
            "wall_s": round(self.wall_s, 3),
            "cancelled": self.cancelled,
            "counts": self.counts(),
            "clips": [asdict(c) for c in self.clips],
        }
        json_path = out / f"{REPORT_NAME}.json"
        atomic_write_bytes(json_path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(
            [
                "clip",
                "name",
                "status",
                "cues",
                "total_s",
                *(f"{s}_s" for s in STEPS),
                "attempts",
                "worker",
                "folder",
                "error",
            ]
        )
        for c in self.clips:
            writer.writerow(
                [
                    c.clip,
                    c.name,
                    c.status,
                    c.cues,
                    f"{c.total_s:.3f}",
                    *(f"{c.seconds[s]:.3f}" if s in c.seconds else "" for s in STEPS),
                    c.attempts,
                    c.worker,
                    c.folder,
                    c.error,
                ]
            )
        csv_path = out / f"{REPORT_NAME}.csv"
        atomic_write_bytes(csv_path, buf.getvalue().encode("utf-8"))
        return [json_path, csv_path]


# ------------------------------------------------------------------ which clips


def collect_clips(source: str | Path, exclude: str | Path | None = None) -> list[Path]:
    """Return the clips of a folder (video files, recursively, sorted) or of a list file.

    Files under ``exclude`` (the batch's output folder, whose MP4 previews are video files
    too) are left out of a folder.

    A list file is text with one path per line (relative paths are read from the list's
    folder; blank lines and lines starting with ``#`` are ignored). Missing files are kept:
    the batch reports them as failed, so one bad line does not stop a night's batch.

    Raises:
        InputError: If ``source`` does not exist, is not text, or names no clip.
    """
    source = Path(source).expanduser()
    if source.is_dir():
        skip = Path(exclude).expanduser().resolve() if exclude else None
        clips = sorted(
            p
            for p in source.rglob("*")
            if p.is_file()
            and p.suffix.lower() in VIDEO_EXT
            and not p.name.startswith(".")
            and (skip is None or not p.resolve().is_relative_to(skip))
        )
        if not clips:
            raise InputError(
                "no video files in this folder (looked for " + ", ".join(sorted(VIDEO_EXT)) + ")",
                source,
            )
        return clips
    if not source.is_file():
        raise InputError("not found: give a folder of clips or a text file listing them", source)
    if source.suffix.lower() in VIDEO_EXT:
        return [source]
    try:
        text = source.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"cannot read the clip list as text ({exc})", source) from exc
    clips = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        path = Path(line).expanduser()
        clips.append(path if path.is_absolute() else source.parent / path)
    if not clips:
        raise InputError("the clip list names no clip", source)
    return clips


def clip_names(clips: Iterable[Path]) -> list[str]:
    """Return one folder name per clip: its stem, made unique with ``-2``, ``-3``..."""
    from scorer.export.common import safe_name

    names, seen = [], set()
    for clip in clips:
        base = safe_name(clip.stem, "clip")
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name.lower())
        names.append(name)
    return names


# ------------------------------------------------------------------ one clip


def read_state(folder: Path) -> dict:
    """Return a clip folder's state (steps done, seconds, cues); empty when none or unreadable."""
    try:
        state = json.loads((folder / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(folder: Path, state: dict) -> None:
    atomic_write_bytes(folder / STATE_NAME, (json.dumps(state, indent=2) + "\n").encode())


def is_finished(folder: Path, clip: Path, steps: list[str]) -> bool:
    """Return True when a clip folder holds every step of ``steps`` for this clip."""
    state = read_state(folder)
    return state.get("clip") == str(clip) and set(steps) <= set(state.get("done", []))


def run_clip(
    clip: str | Path,
    folder: str | Path,
    options: BatchOptions,
    progress: Callable[[str, float], None] | None = None,
    cancel=None,
) -> ClipResult:
    """Analyse, suggest and export one clip into ``folder``, skipping the steps already done.

    Never raises for a bad clip: a ScorerError (or any other failure) becomes status "failed"
    with its reason; a cancel becomes "cancelled" (the steps finished stay finished, and an
    interrupted analysis keeps its autosave for the next run).
    """
    from scorer.pipeline import CancelToken

    clip, folder = Path(clip), Path(folder)
    cancel = cancel or CancelToken()
    result = ClipResult(clip=str(clip), name=folder.name, folder=str(folder), attempts=1)
    started = time.monotonic()
    try:
        steps = options.steps()
        state = read_state(folder)
        if state.get("clip") != str(clip):
            state = {"clip": str(clip), "done": [], "seconds": {}, "cues": 0}
        if set(steps) <= set(state["done"]):
            result.status, result.cues = "skipped", int(state.get("cues", 0))
            return result
        if not clip.is_file():
            raise InputError("clip not found", clip)
        folder.mkdir(parents=True, exist_ok=True)
        project_path = folder / f"{folder.name}.scorer.json"
        for step in steps:
            if step in state["done"]:
                continue
            cancel.raise_if_set()
            t = time.monotonic()
            cues, notes = _STEP_RUNNERS[step](clip, project_path, options, progress, cancel)
            result.seconds[step] = round(time.monotonic() - t, 3)
            result.notes += notes
            state["done"].append(step)
            state["seconds"][step] = result.seconds[step]
            state["cues"] = cues
            _write_state(folder, state)
        result.status, result.cues = "done", int(state["cues"])
    except Cancelled:
        result.status = "cancelled"
    except ScorerError as exc:
        result.status, result.error = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - one clip's bug must not end the batch
        log.debug("clip %s failed:\n%s", clip, traceback.format_exc())
        result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        result.total_s = round(time.monotonic() - started, 3)
    return result


def _step_analyze(clip, project_path, options, progress, cancel):
    from scorer import project as project_io
    from scorer.pipeline import AnalysisSettings, analyze

    project = None
    recovered = project_io.recovery_candidate(project_path)
    if recovered is not None:  # an interrupted run's autosave: finish it
        project = project_io.load(recovered)
    settings = AnalysisSettings(
        content_type=options.content_type,
        sample_fps=options.sample_fps,
        transcriber=options.transcriber,
    )
    project = analyze(
        clip,
        project=project,
        settings=settings,
        progress=progress,
        cancel=cancel,
        on_stage_done=lambda stage, p: project_io.autosave(p, project_path),
    )
    project_io.save(project, project_path)
    notes = [f"resumed from {recovered.name}"] if recovered is not None else []
    return len(project.cues), notes


def _step_suggest(clip, project_path, options, progress, cancel):
    from scorer import project as project_io
    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.suggest import suggest_project

    project = project_io.load(project_path)
    if not project.cues:
        return 0, ["no cues: nothing to suggest"]
    with LibraryIndex(options.index or None) as index:
        # the driver indexed the default library before the batch; workers only read
        suggest_project(
            project,
            project_path,
            n=options.suggestions,
            with_generated=options.with_generated,
            progress=progress,
            cancel=cancel,
            index=index,
            use_default=False,
        )
    project_io.save(project, project_path)
    return len(project.cues), []


def _step_export(clip, project_path, options, progress, cancel):
    from scorer import project as project_io
    from scorer.export import export_project

    project = project_io.load(project_path)
    if not project.cues:
        return 0, ["no cues: nothing to export"]
    # force: a half-finished export of an interrupted run was never committed, and a
    # finished one is rewritten identically
    report = export_project(
        project,
        project_path,
        options.formats,
        project_path.parent / "export",
        force=True,
        progress=progress,
        cancel=cancel,
    )
    return len(project.cues), list(report.notes)


_STEP_RUNNERS = {"analyze": _step_analyze, "suggest": _step_suggest, "export": _step_export}


# ------------------------------------------------------------------ the batch


def run_batch(
    clips: list[Path],
    out: str | Path,
    options: BatchOptions | None = None,
    workers: int = 1,
    address: str | None = None,
    use_ray: bool | None = None,
    progress: Callable[[str, float], None] | None = None,
    cancel=None,
    on_event: Event | None = None,
) -> BatchReport:
    """Run every clip and write the report into ``out``.

    Args:
        clips: The clips (see :func:`collect_clips`).
        out: Output folder (created if missing).
        options: What each clip runs with.
        workers: Clips at a time (Ray CPUs for a local Ray).
        address: A Ray cluster to join (``ray://host:10001`` or ``auto``); implies Ray.
        use_ray: Force Ray on (True) or off (False); by default Ray is used when
            ``workers`` > 1 or ``address`` is given.
        progress: ``progress(stage, fraction)``; "batch" is the share of clips finished.
        cancel: A CancelToken: running clips stop at their next check, finished outputs stay.
        on_event: ``on_event(kind, result_or_name, info)`` with kind "started" (info has the
            worker's ``pid`` under Ray), "finished" or "retry".

    Returns:
        The report (also written as ``batch-report.json`` / ``.csv`` in ``out``).

    Raises:
        ScorerError: If Ray is asked for and not installed, or ``out`` cannot be made.
    """
    from scorer.pipeline import CancelToken

    options = options or BatchOptions()
    options.steps()  # check stop_after before any work
    cancel = cancel or CancelToken()
    out = Path(out).expanduser().resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScorerError(f"cannot create the output folder ({exc.strerror})", out) from exc
    use_ray = (workers > 1 or bool(address)) if use_ray is None else use_ray
    if use_ray:
        from scorer.ray_support import require_ray

        require_ray()
    clips = [Path(c).expanduser().absolute() for c in clips]
    results = [
        ClipResult(clip=str(c), name=n, folder=str(out / n), status="not started")
        for c, n in zip(clips, clip_names(clips), strict=True)
    ]
    if "suggest" in options.steps() and options.use_default_library:
        _ensure_default_library(options, progress, cancel)
    started = time.monotonic()
    report = BatchReport(
        out=str(out),
        clips=results,
        workers=max(1, workers),
        mode=("ray " + address if address else "ray local") if use_ray else "local",
    )
    emit = on_event or (lambda kind, what, info: None)
    try:
        if use_ray:
            _run_ray(results, options, workers, address, progress, cancel, emit)
        else:
            _run_local(results, options, progress, cancel, emit)
    finally:
        report.wall_s = time.monotonic() - started
        report.cancelled = cancel.is_set()
        report.write(out)
    return report


def _ensure_default_library(options: BatchOptions, progress, cancel) -> None:
    # one writer: the driver indexes the music21 default library (first use) before any
    # worker opens the index to read it
    from scorer.music.library.index import LibraryIndex

    with LibraryIndex(options.index or None) as index:
        index.ensure_default(progress, cancel)


def _run_local(
    results: list[ClipResult], options: BatchOptions, progress, cancel, emit: Event
) -> None:
    say = progress or (lambda stage, fraction: None)
    for i, slot in enumerate(results):
        if cancel.is_set():
            break
        say("batch", i / len(results))
        emit("started", slot.name, {"pid": os.getpid()})
        result = run_clip(slot.clip, slot.folder, options, progress=progress, cancel=cancel)
        result.worker = f"local:{os.getpid()}"
        results[i] = result
        emit("finished", result, {})
    say("batch", sum(r.status not in ("not started",) for r in results) / len(results))


class _ClipWorker:
    """A Ray actor that runs clips; its ONNX sessions are opened once, in ``__init__``."""

    def __init__(self, options: BatchOptions):
        from scorer.pipeline import CancelToken

        self.options = options
        self.cancel_token = CancelToken()
        self.warm = _open_sessions()

    def pid(self) -> int:
        return os.getpid()

    def cancel(self) -> None:
        self.cancel_token.set()

    def run(self, clip: str, folder: str) -> ClipResult:
        result = run_clip(clip, folder, self.options, cancel=self.cancel_token)
        result.worker = f"{os.uname().nodename}:{os.getpid()}"
        return result


def _open_sessions() -> list[str]:
    """Open every shipped or built model's session once (kept for the life of the process)."""
    from scorer.errors import ModelError
    from scorer.models import available, session

    opened = []
    for row in available():
        if row["status"] != "ok":
            continue
        try:
            session(row["name"])
            opened.append(row["name"])
        except ModelError as exc:  # a model that will not open fails the clips that need it
            log.warning("model %s not opened: %s", row["name"], exc)
    return opened


def _run_ray(
    results: list[ClipResult],
    options: BatchOptions,
    workers: int,
    address,
    progress,
    cancel,
    emit: Event,
) -> None:
    from scorer.ray_support import ray_session

    say = progress or (lambda stage, fraction: None)
    with ray_session(num_cpus=max(1, workers), address=address) as ray:
        # two threads per actor: one runs a clip, the other takes cancel() while it does
        actor_cls = ray.remote(num_cpus=1, max_restarts=0, max_concurrency=2)(_ClipWorker)
        n_actors = max(1, min(workers, len(results)))
        if address:
            n_actors = max(1, min(len(results), int(ray.cluster_resources().get("CPU", 1))))
        actors = [actor_cls.remote(options) for _ in range(n_actors)]
        queue = list(range(len(results)))
        attempts = [0] * len(results)
        running: dict = {}  # ref -> (index, actor)
        idle = list(actors)
        finished = 0
        cancel_sent_at = None

        def submit(actor, i: int) -> None:
            attempts[i] += 1
            ref = actor.run.remote(results[i].clip, results[i].folder)
            running[ref] = (i, actor)
            try:
                pid = ray.get(actor.pid.remote(), timeout=60)
            except Exception:  # noqa: BLE001 - the actor may already be gone
                pid = None
            emit("started", results[i].name, {"pid": pid, "attempt": attempts[i]})

        try:
            while queue or running:
                if cancel.is_set() and cancel_sent_at is None:
                    cancel_sent_at = time.monotonic()
                    queue.clear()
                    for _, actor in running.values():
                        actor.cancel.remote()
                if cancel_sent_at is not None and not running:
                    break
                if (
                    cancel_sent_at is not None
                    and time.monotonic() - cancel_sent_at > CANCEL_GRACE_S
                ):
                    for i, actor in running.values():
                        ray.kill(actor)
                        results[i].status = "cancelled"
                        results[i].error = "did not stop in time after cancel; stopped"
                    break
                while queue and idle:
                    submit(idle.pop(), queue.pop(0))
                if not running:
                    continue
                ready, _ = ray.wait(list(running), num_returns=1, timeout=0.25)
                for ref in ready:
                    i, actor = running.pop(ref)
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayActorError as exc:
                        # the worker process died (killed, out of memory): a fresh one takes
                        # this clip once more; the others are not touched
                        reason = str(exc).strip().splitlines()[0][:200]
                        if attempts[i] < MAX_ATTEMPTS and cancel_sent_at is None:
                            log.warning("worker died on %s; retrying once", results[i].clip)
                            emit("retry", results[i].name, {"reason": reason})
                            queue.insert(0, i)
                        else:
                            results[i].status = "failed"
                            results[i].attempts = attempts[i]
                            results[i].error = f"the worker died ({reason})"
                            finished += 1
                        idle.append(actor_cls.remote(options))
                        continue
                    except ray.exceptions.RayError as exc:
                        result = ClipResult(
                            clip=results[i].clip,
                            name=results[i].name,
                            folder=results[i].folder,
                            status="failed",
                            error=f"{type(exc).__name__}: {exc}"[:500],
                        )
                    result.attempts = attempts[i]
                    if attempts[i] > 1:
                        result.notes.append("retried after its first worker died")
                    results[i] = result
                    finished += 1
                    idle.append(actor)
                    emit("finished", result, {})
                    say("batch", finished / len(results))
        finally:
            for actor in actors + idle:
                try:
                    ray.kill(actor)
                except Exception:  # noqa: BLE001 - already dead
                    pass
