"""The ``scorer`` command.

Each area of Scorer adds its own subcommands through a ``register(subparsers)`` function in
one of ``COMMAND_MODULES``; a handler takes the parsed arguments and returns an exit code.
User errors (ScorerError) print their message and exit 2, never a traceback (``--debug`` shows
it); Ctrl-C cancels cleanly and exits 130.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from fractions import Fraction
from pathlib import Path

from scorer import __version__
from scorer.errors import Cancelled, ScorerError, describe_os_error
from scorer.options import validate as validate_options

log = logging.getLogger("scorer")

# modules with register(subparsers); one missing (area not built yet) is skipped
COMMAND_MODULES = (
    "scorer.affect.commands",
    "scorer.audio.commands",
    "scorer.music.commands",
    "scorer.music.library_commands",
    "scorer.export.commands",
    "scorer.batch_commands",
)


def _cmd_probe(args) -> int:
    from scorer import media

    info = media.probe(args.file)
    fps = Fraction(info.fps)
    rows = [
        ("file", info.path),
        ("container", info.container),
        ("duration", f"{float(Fraction(info.duration)):.3f} s"),
        ("video", f"{info.width}x{info.height} {info.video_codec} {fps} fps ({float(fps):.3f})"
         + (f", rotated {info.rotation}" if info.rotation else "") if info.has_video else "none"),
        ("audio", f"{info.audio_codec} {info.audio_rate} Hz {info.audio_channels} ch"
         if info.has_audio else "none"),
        ("start timecode", info.start_timecode or "-"),
    ]
    for key, value in rows:
        print(f"{key:15} {value}")
    return 0


def check_output_file(out: Path, what: str) -> None:
    """Fail before any work if ``out`` cannot become a file.

    A folder given as the file, a missing folder or a read-only one above it are refused.

    Raises:
        ScorerError: Naming the path and the problem.
    """
    if out.is_dir():
        raise ScorerError(f"is a folder; give a {what} file name (such as "
                          f"{out / 'NAME.scorer.json'})", out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ScorerError("folder does not exist", folder)
    if not os.access(folder, os.W_OK):
        probe_error = "read-only file system" if _read_only(folder) else "no write permission"
        raise ScorerError(f"cannot write in this folder ({probe_error}); nothing was done",
                          folder)


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _cmd_analyze(args) -> int:
    from scorer import media
    from scorer import project as project_io
    from scorer.errors import ProjectError
    from scorer.fileio import output_lock
    from scorer.pipeline import AnalysisSettings, analyze
    from scorer.progress import cancellable

    out = Path(args.output)
    check_output_file(out, "project")
    source = media.source_fingerprint(args.file)  # also refuses pipes and devices, in words
    project = None
    with output_lock(out, ProjectError):  # one analysis per project file at a time
        recovered = project_io.recovery_candidate(out)
        if args.resume and recovered is not None:
            project = project_io.load(recovered)
            media.check_same_source(project, source, recovered)
            print(f"resuming from the autosave {recovered} "
                  f"(done: {', '.join(project.settings.get('analysis_done', [])) or 'nothing'})")
        elif recovered is not None and not args.force:
            raise ScorerError(f"an interrupted analysis left an autosave ({recovered.name}); "
                              "pass --resume to continue it or --force to start again", out)
        elif out.exists() and not args.force:
            raise ScorerError("project exists; pass --force to replace it", out)
        settings = AnalysisSettings(content_type=args.content_type, sample_fps=args.fps,
                                    subtitles=args.subtitles or "",
                                    transcriber=args.transcriber)

        def autosave(stage, p):
            p.settings["source"] = source
            project_io.autosave(p, out)

        with cancellable() as (bar, cancel):
            try:
                project = analyze(args.file, project=project, settings=settings, progress=bar,
                                  cancel=cancel, on_stage_done=autosave)
            except Cancelled:
                project_io.autosave_path(out).unlink(missing_ok=True)  # clean cancel: nothing
                raise
        project.settings["source"] = source
        project_io.save(project, out)
    print(f"analysed {args.file}: {len(project.shots)} cuts, {len(project.tracks)} tracks, "
          f"{len(project.cues)} cues -> {out}")
    audio_info = project.settings.get("audio", {})
    if audio_info.get("transcriber"):
        language = audio_info.get("language")
        print(f"transcript: {audio_info['transcriber']}, {len(project.transcript)} lines"
              + (f", language {language}" if language else ""))
    for key in ("transcriber_note", "voice_note"):
        if audio_info.get(key):
            print(f"note: {audio_info[key]}")
    return 0


def _cmd_models(args) -> int:
    from scorer.models import available

    rows = available()
    if not rows:
        print("no models found")
        return 0
    for row in rows:
        print(f"{row['name']:28} {row['size'] / 1e6:7.2f} MB  {row['status']:14} {row['card']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="scorer", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"scorer {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("probe", help="describe a media file")
    p.add_argument("file")
    p.set_defaults(handler=_cmd_probe)

    p = sub.add_parser("analyze", help="analyse a clip into a project (emotion, shots, cues)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="project file to write (.scorer.json)")
    p.add_argument("--content-type", default="drama",
                   help="fusion preset: drama, documentary, interview, action, comedy")
    p.add_argument("--fps", type=float, default=4.0, help="analysis frames per second")
    p.add_argument("--subtitles", help="SRT or WebVTT file to use instead of transcription")
    p.add_argument("--transcriber", default="auto",
                   help="auto (Whisper, else pocketsphinx with the reason), whisper, "
                   "pocketsphinx or none")
    p.add_argument("--force", action="store_true", help="replace an existing project")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted analysis from its autosave")
    p.set_defaults(handler=_cmd_analyze)

    p = sub.add_parser("models", help="list models and check their hashes")
    p.set_defaults(handler=_cmd_models)

    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    for stream in (sys.stdout, sys.stderr):
        try:  # a file name that is not UTF-8 must print, not crash the command after its work
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    on_main = threading.current_thread() is threading.main_thread()
    # SIGTERM outside cooperative work (cancellable) acts as Ctrl-C: unwinds, cleans up
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main else None
    try:
        return _main(argv)
    finally:
        if on_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        validate_options(args)  # before any work and before any autosave
        return int(args.handler(args) or 0)
    except Cancelled:
        print("cancelled; nothing was written", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("cancelled; nothing was written", file=sys.stderr)
        return 130
    except ScorerError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a file-system failure no deeper layer put in words
        if args.debug:
            raise
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"error: {describe_os_error(exc)}{where}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a defect: one line, never a traceback
        if args.debug:
            raise
        log.debug("unexpected error", exc_info=exc)
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        print(f"error: scorer {args.command} stopped on an unexpected {type(exc).__name__}"
              f"{': ' + text if text else ''}. This is a fault in Scorer, not in your files; "
              "files it was writing were not completed. Run it again with --debug and report "
              "the traceback.", file=sys.stderr)
        return 70  # EX_SOFTWARE (sysexits.h): an internal software error


if __name__ == "__main__":
    sys.exit(main())
