"""Run every analyzer over one decode of the clip, with progress and cancel.

Visual analyzers receive frames from a single decode pass: sampled frames at the analysis rate
(``process_frame``) and, for those that ask (``every_frame = True``), every decoded frame at a
small size (shot detection needs every frame). The audio track is decoded once and analysed on
a worker thread while the picture decodes, so the two cores both work. The worker is always
joined (``finally``), so cancelling never leaves a thread behind.

After analysis, fusion and cue planning run on the project.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import numpy as np

from scorer import media
from scorer.errors import Cancelled, ModelError, ScorerError
from scorer.project import Project

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, float], None]

AUDIO_RATE = 16000


class FrameAnalyzer(Protocol):
    """A visual analyzer: takes frames, writes its Track (or shots) into the project.

    Attributes:
        name: Modality name, the key of its Track in ``Project.tracks``.
        every_frame: True to receive every decoded frame via ``process_every_frame``.
    """

    name: str
    every_frame: bool

    def process_frame(self, time: float, image: np.ndarray) -> None:
        """Take one sampled RGB frame (H x W x 3 uint8) at ``time`` seconds."""

    def finish(self, project: Project) -> None:
        """Write results into the project once the decode is over."""


class CancelToken:
    """A thread-safe cancel flag over an Event.

    Args:
        event: The event to watch; a ``multiprocessing`` Event lets another process cancel.
            A new ``threading.Event`` when None.
    """

    def __init__(self, event=None):
        self._event = event if event is not None else threading.Event()

    def set(self) -> None:
        """Ask the running work to stop."""
        self._event.set()

    def is_set(self) -> bool:
        """Return True once cancel was asked for."""
        return self._event.is_set()

    def raise_if_set(self) -> None:
        """Raise Cancelled if cancel was asked for."""
        if self._event.is_set():
            raise Cancelled()


@dataclass
class AnalysisSettings:
    """What the analysis runs with; stored in ``Project.settings["analysis"]``."""

    sample_fps: float = 4.0
    frame_width: int = 480
    every_frame_width: int = 160
    content_type: str = "drama"
    transcriber: str = "auto"
    subtitles: str = ""  # path of an SRT/VTT file to use instead of transcription
    decoder_threads: int = 0
    extra: dict = field(default_factory=dict)


def _visual_analyzers(settings: AnalysisSettings) -> list[FrameAnalyzer]:
    try:
        from scorer.vision import default_analyzers
    except ImportError:
        log.info("no visual analyzers available")
        return []
    return list(default_analyzers(settings))


def _analyze_audio(audio: np.ndarray, sr: int, project: Project, settings: AnalysisSettings,
                   progress: ProgressCallback, cancel: CancelToken) -> None:
    try:
        from scorer.audio import analyze_audio
    except ImportError:
        log.info("no audio analyzers available")
        return
    analyze_audio(audio, sr, project, settings, progress, cancel)


def _analyze_film_music(audio: np.ndarray, sr: int, project: Project,
                        settings: AnalysisSettings, progress: ProgressCallback,
                        cancel: CancelToken) -> None:
    try:
        from scorer.music.film_music import analyze_film_music
    except ImportError:
        log.info("no film-music analyzer available")
        return
    try:
        analyze_film_music(audio, sr, project, settings, progress, cancel)
    except ModelError as exc:  # the rest of the analysis stands without this modality
        log.warning("music in the sound track skipped: %s", exc)


def _post_analysis(project: Project, progress: ProgressCallback, cancel: CancelToken) -> None:
    cancel.raise_if_set()
    try:
        from scorer.affect.fusion import fuse_project
    except ImportError:
        return
    progress("fusion", 0.0)
    fuse_project(project)
    progress("fusion", 1.0)
    cancel.raise_if_set()
    try:
        from scorer.affect.cues import plan_project_cues
    except ImportError:
        return
    progress("cues", 0.0)
    plan_project_cues(project)
    progress("cues", 1.0)


def analyze(path: str | Path, project: Project | None = None,
            settings: AnalysisSettings | None = None,
            progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None,
            on_stage_done: Callable[[str, Project], None] | None = None) -> Project:
    """Analyse a clip: probe, one video decode, one audio decode, fusion, cues.

    Stages already done in ``project`` (listed in ``settings["analysis_done"]``, as an
    autosave left by an interrupted run has them) are not run again, so a crashed analysis
    resumes where it stopped.

    Args:
        path: Video (or audio-only) file.
        project: Project to fill; a new one is made if None.
        settings: Analysis settings; defaults if None.
        progress: Called with (stage, fraction 0..1); stages: "video", "audio", "fusion", "cues".
        cancel: Token; when set, work stops and Cancelled is raised.
        on_stage_done: Called on the calling thread with (stage, project) after "video" and
            "audio" finish, e.g. to autosave.

    Returns:
        The project with media info, shots, tracks, transcript, fusion and cues.

    Raises:
        ScorerError: On unreadable input; Cancelled when cancelled.
    """
    settings = settings or AnalysisSettings()
    cancel = cancel or CancelToken()
    lock = threading.Lock()

    def report(stage: str, fraction: float) -> None:
        if progress is not None:
            with lock:
                progress(stage, min(1.0, max(0.0, fraction)))

    info = media.probe(path)
    project = project or Project(title=Path(path).stem)
    project.media = info
    project.settings.setdefault("analysis", {}).update(
        {k: v for k, v in settings.__dict__.items() if k != "extra"})
    project.settings.setdefault("content_type", settings.content_type)
    duration = float(Fraction(info.duration)) or 1.0

    done = set(project.settings.get("analysis_done", []))

    def mark_done(stage: str) -> None:
        done.add(stage)
        project.settings["analysis_done"] = sorted(done)
        if on_stage_done is not None:
            on_stage_done(stage, project)

    # the audio worker fills its own scratch project, merged on this thread, so nothing
    # reads the project (autosave) while another thread writes it
    scratch = Project(title=project.title, media=info, settings=dict(project.settings))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scorer-audio") as pool:
        audio_job: Future | None = None
        try:
            if info.has_audio and "audio" not in done:
                audio_job = pool.submit(_audio_job, path, scratch, settings, report, cancel)
            if info.has_video and "video" not in done:
                _video_pass(path, project, settings, duration, report, cancel)
                mark_done("video")
            if audio_job is not None:
                audio_job.result()
                _merge_audio(project, scratch)
                mark_done("audio")
        except BaseException:
            cancel.set()  # stop the audio worker; the pool joins it on exit
            raise
    _post_analysis(project, report, cancel)
    return project


def _merge_audio(project: Project, scratch: Project) -> None:
    project.tracks.update(scratch.tracks)
    project.transcript = scratch.transcript
    project.music_captions = [c for c in project.music_captions if c.source != "film"]
    project.music_captions += [c for c in scratch.music_captions if c.source == "film"]


def _audio_job(path, project, settings, report, cancel) -> None:
    report("audio", 0.0)
    audio = media.load_audio(path, sr=AUDIO_RATE, cancel=cancel)
    cancel.raise_if_set()
    _analyze_audio(audio, AUDIO_RATE, project, settings, report, cancel)
    cancel.raise_if_set()
    _analyze_film_music(audio, AUDIO_RATE, project, settings, report, cancel)
    report("audio", 1.0)


def _video_pass(path, project, settings: AnalysisSettings, duration: float, report,
                cancel: CancelToken) -> None:
    analyzers = _visual_analyzers(settings)
    every = [a for a in analyzers if getattr(a, "every_frame", False)]

    def on_every_frame(t: float, image: np.ndarray) -> None:
        for analyzer in every:
            analyzer.process_every_frame(t, image)

    report("video", 0.0)
    last_reported = -1.0
    for frame in media.iter_frames(path, fps=settings.sample_fps, max_width=settings.frame_width,
                                   threads=settings.decoder_threads, cancel=cancel,
                                   every_frame_width=settings.every_frame_width if every else None,
                                   on_every_frame=on_every_frame if every else None):
        for analyzer in analyzers:
            analyzer.process_frame(frame.time, frame.image)
        if frame.time - last_reported >= 0.5:
            report("video", frame.time / duration)
            last_reported = frame.time
    for analyzer in analyzers:
        cancel.raise_if_set()
        try:
            analyzer.finish(project)
        except ScorerError:
            raise
    report("video", 1.0)
