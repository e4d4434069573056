"""Deliver the score: MIDI, WAV stem and MP4 preview, cue sheets, editor timelines, captions.

:func:`export_project` writes any of :data:`FORMATS` into one folder. For each cue the music
is the chosen suggestion (``Cue.choice``), else the top-scored one; a cue without music is
skipped with a note in the report. Every file is staged beside its target and renamed into
place only when all were written, so a failed or cancelled export leaves previous files as
they were, and nothing existing is replaced without ``force``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from scorer.errors import Cancelled, ExportError, ScorerError
from scorer.export.common import (
    CueMusic,
    ExportReport,
    Staging,
    Timebase,
    clip_duration,
    project_timebase,
    resolve_path,
    safe_name,
    select_music,
)
from scorer.project import Project

FORMATS = ("midi", "wav", "mp4", "cuesheet", "otio", "edl", "fcp7", "srt")
# format -> the parts it writes; single parts may be asked for by name too
_PARTS = {
    "midi": ["midi"], "wav": ["wav"], "mp4": ["mp4"], "cuesheet": ["csv", "xlsx", "pdf"],
    "otio": ["otio"], "edl": ["edl"], "fcp7": ["fcp7"], "srt": ["srt", "vtt"],
    "csv": ["csv"], "xlsx": ["xlsx"], "pdf": ["pdf"], "vtt": ["vtt"], "captions": ["srt", "vtt"],
    "mid": ["midi"], "xml": ["fcp7"], "all": ["midi", "wav", "mp4", "csv", "xlsx", "pdf", "otio",
                                              "edl", "fcp7", "srt", "vtt"],
}
_SUFFIX = {"midi": "_score.mid", "wav": "_score.wav", "mp4": "_preview.mp4",
           "csv": "_cuesheet.csv", "xlsx": "_cuesheet.xlsx", "pdf": "_cuesheet.pdf",
           "otio": ".otio", "edl": ".edl", "fcp7": "_fcp7.xml", "srt": "_music.srt",
           "vtt": "_music.vtt"}
CUE_FOLDER = "cues"

__all__ = ["FORMATS", "ExportReport", "export_project", "parse_formats"]


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """Turn "midi,wav,cuesheet" (or a list) into the parts to write, in a stable order.

    Raises:
        ScorerError: Naming an unknown format.
    """
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    parts: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name not in _PARTS:
            raise ScorerError(f"unknown export format {name!r}; choose from "
                              + ", ".join(FORMATS) + " (or all)")
        parts += [p for p in _PARTS[name] if p not in parts]
    if not parts:
        raise ScorerError("no export format given")
    return parts


def export_project(project: Project, project_path: str | Path | None,
                   formats: str | Iterable[str], out_dir: str | Path, force: bool = False,
                   sf2: str | Path | None = None,
                   progress: Callable[[str, float], None] | None = None,
                   cancel=None) -> ExportReport:
    """Export a project's score in the formats asked for.

    Args:
        project: The project.
        project_path: Its file (relative music and media paths resolve against its folder).
        formats: Comma-separated names or a list (see :data:`FORMATS`; "all" for every one).
        out_dir: Folder to write into (created if missing).
        force: Replace existing files.
        sf2: SoundFont for rendering MIDI (the General MIDI default when None).
        progress: ``progress(stage, fraction)``.
        cancel: Token with ``raise_if_set()``.

    Returns:
        The report: files written, notes (skipped cues, missing fields).

    Raises:
        ExportError: If nothing can be exported, files exist without ``force``, or writing
            fails (previous files are left intact).
        Cancelled: If cancelled (nothing is written).
    """
    parts = parse_formats(formats)
    out_dir = Path(out_dir)
    report = ExportReport(out_dir=out_dir)
    notes = report.notes

    def step(stage: str, fraction: float) -> None:
        if cancel is not None:
            cancel.raise_if_set()
        if progress is not None:
            progress(stage, fraction)

    tb = project_timebase(project, notes)
    cues = select_music(project, project_path, tb, notes)
    if not cues:
        raise ExportError("no cue has music to export (" + "; ".join(notes) + ")"
                          if notes else "the project has no cues to export")
    report.cues = [m.cue.number for m in cues]
    stem = safe_name(project.title if project.title and project.title != "Untitled"
                     else Path(project_path or "score").name.split(".")[0], "score")
    media_path = (resolve_path(project.media.path, project_path)
                  if project.media is not None and project.media.path else None)
    if "mp4" in parts and (media_path is None or not media_path.is_file()):
        notes.append(f"no MP4 preview: the source clip is not found ({media_path})")
        report.skipped_formats.append("mp4")
        parts.remove("mp4")
    needs_cue_wavs = any(p in parts for p in ("otio", "edl", "fcp7"))
    cue_names = {m.cue.number: f"{CUE_FOLDER}/{safe_name(m.cue.number, 'cue')}.wav"
                 for m in cues}
    targets = [stem + _SUFFIX[p] for p in parts]
    if needs_cue_wavs:
        targets += list(cue_names.values())

    staging = Staging(out_dir, force)
    staging.check_targets(targets)
    try:
        _export(project, cues, tb, parts, stem, cue_names, needs_cue_wavs, media_path, staging,
                sf2, step, cancel, notes)
        step("write", 0.0)
        report.files = staging.commit()
        step("write", 1.0)
    except BaseException as exc:
        staging.abort()
        if isinstance(exc, OSError):
            raise ExportError(f"export failed ({exc.strerror or exc}); previous files are "
                              "untouched", out_dir) from exc
        raise
    return report


def _export(project: Project, cues: list[CueMusic], tb: Timebase, parts: list[str], stem: str,
            cue_names: dict[str, str], needs_cue_wavs: bool, media_path: Path | None,
            staging: Staging, sf2, step, cancel, notes: list[str]) -> None:
    from scorer.export import captions, cuesheet, midi, mixdown, timeline
    from scorer.music.render import wav_bytes

    settings = project.settings.get("export", {}) if isinstance(project.settings, dict) else {}
    audio_needed = needs_cue_wavs or "wav" in parts or "mp4" in parts
    fitted: list[tuple[CueMusic, object]] = []
    if audio_needed:
        for i, music in enumerate(cues):
            step("render", i / len(cues))
            fitted.append((music, mixdown.cue_audio(music, tb, sf2=sf2)))
        step("render", 1.0)
    if needs_cue_wavs:
        for music, audio in fitted:
            staging.write_bytes(cue_names[music.cue.number], wav_bytes(audio, mixdown.SR))
    if "wav" in parts or "mp4" in parts:
        step("mix", 0.0)
        stem_audio = mixdown.score_stem(
            fitted, tb, clip_duration(project), mixdown.SR,
            duck_db=float(settings.get("duck_db", mixdown.DUCK_DB)),
            attack=float(settings.get("duck_attack", mixdown.ATTACK)),
            release=float(settings.get("duck_release", mixdown.RELEASE)))
        if "wav" in parts:
            staging.write_bytes(stem + _SUFFIX["wav"], wav_bytes(stem_audio, mixdown.SR))
        step("mix", 1.0)
        if "mp4" in parts:
            step("preview", 0.0)
            mixdown.write_preview(media_path, staging.temp_path(stem + _SUFFIX["mp4"]),
                                  stem_audio, mixdown.SR, cancel)
            step("preview", 1.0)
    if "midi" in parts:
        step("midi", 0.0)
        mid = midi.build_midi(project, cues, tb, notes)
        staging.write_bytes(stem + _SUFFIX["midi"], midi.midi_bytes(mid))
        step("midi", 1.0)
    if any(p in parts for p in ("csv", "xlsx", "pdf")):
        step("cuesheet", 0.0)
        sheet = cuesheet.build_cue_sheet(project, cues, tb, notes)
        writers = {"csv": cuesheet.csv_bytes, "xlsx": cuesheet.xlsx_bytes,
                   "pdf": cuesheet.pdf_bytes}
        for part, write in writers.items():
            if part in parts:
                staging.write_bytes(stem + _SUFFIX[part], write(sheet))
        step("cuesheet", 1.0)
    if needs_cue_wavs:
        step("timeline", 0.0)
        wav_paths = {number: staging.out_dir / name for number, name in cue_names.items()}
        clip_frames = tb.frame(clip_duration(project))
        tl = timeline.build_timeline(project, cues, tb, wav_paths, clip_frames, notes)
        if "otio" in parts:
            staging.write_bytes(stem + _SUFFIX["otio"], timeline.otio_text(tl).encode())
        if "edl" in parts:
            staging.write_bytes(stem + _SUFFIX["edl"], timeline.edl_text(tl, tb).encode())
        if "fcp7" in parts:
            staging.write_bytes(stem + _SUFFIX["fcp7"], timeline.fcp7_text(tl).encode())
        step("timeline", 1.0)
    if "srt" in parts or "vtt" in parts:
        step("captions", 0.0)
        # captions describe the music as it plays: the fitted audio of each cue
        heard = {m.cue.number: (a, mixdown.SR) for m, a in fitted}
        for i, music in enumerate(cues):
            if music.cue.number not in heard:
                try:
                    heard[music.cue.number] = (mixdown.cue_audio(music, tb, sf2=sf2),
                                               mixdown.SR)
                except (ScorerError, OSError, ValueError, RuntimeError) as exc:
                    notes.append(f"caption of cue {music.cue.number}: its music could not be "
                                 f"read ({exc}); captioned [music]")
            step("captions", (i + 1) / len(cues))
        style = str(settings.get("caption_style", "brackets"))
        caps = captions.build_captions(project, cues, tb, heard, clip_duration(project),
                                       style if style in captions.STYLES else "brackets")
        if "srt" in parts:
            staging.write_bytes(stem + _SUFFIX["srt"], captions.srt_text(caps).encode())
        if "vtt" in parts:
            staging.write_bytes(stem + _SUFFIX["vtt"], captions.vtt_text(caps).encode())
    if cancel is not None and cancel.is_set():
        raise Cancelled()
