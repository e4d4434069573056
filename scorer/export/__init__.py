"""Deliver the score: MIDI, WAV stem, stems and MP4 preview, cue sheets, timelines, captions.

:func:`export_project` writes any of :data:`FORMATS` into one folder. For each cue the music
is the chosen suggestion (``Cue.choice``), else the top-scored one; a cue without music is
skipped with a note in the report. Every file is staged beside its target and renamed into
place only when all were written, so a failed or cancelled export leaves previous files as
they were, and nothing existing is replaced without ``force``.

Audio files: ``cues/1M1.wav`` (clean, for the timelines), ``cues/ducked/1M1.wav`` (as in the
mix, when speech ducks it; ``export.ducked_cue_files`` false leaves them out) and
``stems/1M1_melody.wav`` ... (format "stems"), every one a BWF spotted to its cue's timecode.
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
from scorer.fileio import clean_stale_temps, output_lock, write_error_words
from scorer.project import Project
from scorer.timebase import time_to_frame

FORMATS = ("midi", "wav", "stems", "mp4", "cuesheet", "otio", "edl", "fcp7", "srt")
# format -> the parts it writes; single parts may be asked for by name too
_PARTS = {
    "midi": ["midi"], "wav": ["wav"], "mp4": ["mp4"], "cuesheet": ["csv", "xlsx", "pdf"],
    "otio": ["otio"], "edl": ["edl"], "fcp7": ["fcp7"], "srt": ["srt", "vtt"],
    "csv": ["csv"], "xlsx": ["xlsx"], "pdf": ["pdf"], "vtt": ["vtt"], "captions": ["srt", "vtt"],
    "mid": ["midi"], "xml": ["fcp7"], "stems": ["stems"],
    "all": ["midi", "wav", "stems", "mp4", "csv", "xlsx", "pdf", "otio", "edl", "fcp7", "srt",
            "vtt"],
}
_SUFFIX = {"midi": "_score.mid", "wav": "_score.wav", "mp4": "_preview.mp4",
           "csv": "_cuesheet.csv", "xlsx": "_cuesheet.xlsx", "pdf": "_cuesheet.pdf",
           "otio": ".otio", "edl": ".edl", "fcp7": "_fcp7.xml", "srt": "_music.srt",
           "vtt": "_music.vtt"}
CUE_FOLDER = "cues"
DUCKED_FOLDER = "ducked"
STEM_FOLDER = "stems"

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

    tb = project_timebase(project, notes, project_path)
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
    targets = [stem + _SUFFIX[p] for p in parts if p in _SUFFIX]  # stems: per cue, below
    if needs_cue_wavs or "stems" in parts:
        targets += list(cue_names.values()) + [_ducked_name(n) for n in cue_names.values()]
    if "stems" in parts:
        from scorer.export.mixdown import PARTS

        targets += [_stem_name(m.cue.number, part) for m in cues for part in PARTS + ("mix",)]

    staging = Staging(out_dir, force)
    staging.check_targets(targets)  # creates the folder, which then holds the lock
    # one writer per folder: a second export into it stops at once (OutputBusy)
    with output_lock(out_dir, ExportError):
        clean_stale_temps(out_dir, recursive=True)  # left by a killed export
        staging.check_targets(targets)  # again: another export may have just finished
        try:
            assembly = _export(project, cues, tb, parts, stem, cue_names, needs_cue_wavs,
                               media_path, staging, sf2, step, cancel, notes)
            step("write", 0.0)
            report.files = staging.commit()
            step("write", 1.0)
            if assembly is not None:
                report.loudness = _loudness_report(assembly, assembly.sr)
            if any(p in parts for p in ("csv", "xlsx", "pdf")):
                from scorer.export import production

                production.remember(project.cue_sheet or {})
        except BaseException as exc:
            staging.abort()
            if isinstance(exc, OSError):
                raise ExportError(f"export failed ({write_error_words(exc)}); previous files "
                                  "are untouched", out_dir) from exc
            raise
    return report


def _ducked_name(cue_name: str) -> str:
    folder, _, name = cue_name.rpartition("/")
    return f"{folder}/{DUCKED_FOLDER}/{name}" if folder else f"{DUCKED_FOLDER}/{name}"


def _stem_name(number: str, part: str) -> str:
    return f"{STEM_FOLDER}/{safe_name(number, 'cue')}_{part}.wav"


def _audio(project: Project, cues: list[CueMusic], tb: Timebase, media_path: Path | None,
           sr: int, settings: dict, split: bool, sf2, step, notes: list[str]):
    """Render every cue at a loudness set against the dialogue and lay them on the clip."""
    from scorer.export import mixdown

    offset = float(settings.get("music_offset_lu", mixdown.MUSIC_OFFSET_LU))
    dialogue = None
    if media_path is not None and media_path.is_file() and project.media is not None \
            and project.media.has_audio:
        step("loudness", 0.0)
        speech = [tuple(r) for c in project.cues for r in c.ducking]
        dialogue = mixdown.measure_dialogue(media_path, speech, sr, float(tb.origin))
    if dialogue is None:
        notes.append(f"no dialogue to measure; music set to {mixdown.ASSUMED_DIALOGUE_LUFS:g} "
                     f"LUFS {offset:+g} LU (the dialogue norm)")
    target = (dialogue if dialogue is not None else mixdown.ASSUMED_DIALOGUE_LUFS) + offset
    leveled = []
    for i, music in enumerate(cues):
        step("render", i / len(cues))
        following = cues[i + 1] if i + 1 < len(cues) else None
        joined = following is not None and following.in_frame - music.out_frame <= 0
        leveled.append(mixdown.cue_audio(music, tb, sf2=sf2, sr=sr, target_lufs=target,
                                         ring_on=(music.cue.crossfade or mixdown.RING_ON)
                                         if joined else 0.0,
                                         split=split, notes=notes))
    step("render", 1.0)
    assembly = mixdown.assemble(
        leveled, tb, clip_duration(project), sr,
        duck_db=float(settings.get("duck_db", mixdown.DUCK_DB)),
        attack=float(settings.get("duck_attack", mixdown.ATTACK)),
        release=float(settings.get("duck_release", mixdown.RELEASE)))
    assembly.dialogue_lufs = dialogue
    assembly.target_lufs = target
    return assembly


def _loudness_report(assembly, sr: int) -> dict:
    import numpy as np

    from scorer.export.mixdown import loudness_lufs

    bodies = [assembly.clean(c)[:c.length] for c in assembly.cues]  # the cues, not their tails
    music = loudness_lufs(np.concatenate(bodies), sr) if bodies else None
    out = {"dialogue": assembly.dialogue_lufs, "target": assembly.target_lufs, "music": music}
    if music is not None and assembly.dialogue_lufs is not None:
        out["offset"] = music - assembly.dialogue_lufs
    return out


def _export(project: Project, cues: list[CueMusic], tb: Timebase, parts: list[str], stem: str,
            cue_names: dict[str, str], needs_cue_wavs: bool, media_path: Path | None,
            staging: Staging, sf2, step, cancel, notes: list[str]) -> None:
    from scorer.export import captions, cuesheet, midi, mixdown, production, timeline

    settings = project.settings.get("export", {}) if isinstance(project.settings, dict) else {}
    sr = mixdown.delivery_rate(project, settings)
    audio_needed = needs_cue_wavs or any(p in parts for p in ("wav", "mp4", "stems"))
    assembly = None
    ducked_names: dict[str, str] = {}
    stem_names: dict[str, dict[str, str]] = {}
    if audio_needed:
        assembly = _audio(project, cues, tb, media_path, sr, settings, "stems" in parts, sf2,
                          step, notes)
    if needs_cue_wavs or "stems" in parts:
        ducked = bool(settings.get("ducked_cue_files", True)) and bool(assembly.envelope.min()
                                                                     < 1.0)
        for cue in assembly.cues:
            music = cue.music
            label = f"{music.cue.number} {music.cue.title or ''}".strip()
            loud = cue.measured + cue.gain_db if cue.measured is not None else None
            staging.write_bytes(cue_names[music.cue.number], mixdown.bwf_bytes(
                assembly.clean(cue), sr, tb, music.in_frame, description=label,
                loudness=loud))
            if ducked:  # beside the clean file: editors often want both
                staging.write_bytes(_ducked_name(cue_names[music.cue.number]),
                                    mixdown.bwf_bytes(assembly.ducked(cue), sr, tb,
                                                      music.in_frame, description=label))
            if "stems" in parts:
                for part in cue.parts:
                    staging.write_bytes(
                        _stem_name(music.cue.number, part),
                        mixdown.bwf_bytes(assembly.ducked(cue, part), sr, tb, music.in_frame,
                                          description=f"{label} {part}"))
        if ducked:
            ducked_names = {n: _ducked_name(v) for n, v in cue_names.items()}
        if "stems" in parts:
            for cue in assembly.cues:
                for part in cue.parts:
                    stem_names.setdefault(part, {})[cue.music.cue.number] = _stem_name(
                        cue.music.cue.number, part)
    if "wav" in parts or "mp4" in parts:
        step("mix", 0.0)
        if "wav" in parts:
            staging.write_bytes(stem + _SUFFIX["wav"],
                                mixdown.bwf_bytes(assembly.mix, sr, tb, 0, description="score"))
        step("mix", 1.0)
        if "mp4" in parts:
            step("preview", 0.0)
            mixdown.write_preview(media_path, staging.temp_path(stem + _SUFFIX["mp4"]),
                                  assembly.mix, sr, cancel)
            step("preview", 1.0)
    if "midi" in parts:
        step("midi", 0.0)
        mid = midi.build_midi(project, cues, tb, notes)
        staging.write_bytes(stem + _SUFFIX["midi"], midi.midi_bytes(mid))
        step("midi", 1.0)
    if any(p in parts for p in ("csv", "xlsx", "pdf")):
        step("cuesheet", 0.0)
        sheet = cuesheet.build_cue_sheet(project, cues, tb, notes, production.load())
        writers = {"csv": cuesheet.csv_bytes, "xlsx": cuesheet.xlsx_bytes,
                   "pdf": cuesheet.pdf_bytes}
        for part, write in writers.items():
            if part in parts:
                staging.write_bytes(stem + _SUFFIX[part], write(sheet))
        step("cuesheet", 1.0)
    if needs_cue_wavs:
        step("timeline", 0.0)
        clip_frames = time_to_frame(clip_duration(project), tb.rate)  # a length
        picture = (media_path.resolve() if media_path is not None and project.media is not None
                   and project.media.has_video else None)
        media = timeline.TimelineMedia(out_dir=staging.out_dir, cue_wavs=cue_names,
                                       ducked_wavs=ducked_names, stem_wavs=stem_names,
                                       picture=picture, sample_rate=sr)
        tl = timeline.build_timeline(project, cues, tb, media, clip_frames, notes)
        if "otio" in parts:
            staging.write_bytes(stem + _SUFFIX["otio"], timeline.otio_text(tl).encode())
        if "edl" in parts:
            staging.write_bytes(stem + _SUFFIX["edl"], timeline.edl_text(tl, tb).encode())
        if "fcp7" in parts:
            staging.write_bytes(stem + _SUFFIX["fcp7"],
                                timeline.fcp7_text(tl, staging.out_dir).encode())
        step("timeline", 1.0)
    if "srt" in parts or "vtt" in parts:
        step("captions", 0.0)
        # captions describe the music as it plays: the fitted audio of each cue
        heard = {}
        for i, music in enumerate(cues):
            if music.cue.number not in heard:
                try:
                    fitted = mixdown.cue_audio(music, tb, sf2=sf2, sr=mixdown.SR)
                    mix = sum(fitted.parts.values())[:fitted.length]
                    heard[music.cue.number] = (mix, mixdown.SR)
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
    return assembly
