"""``scorer transcript PROJECT [--import SUBS.srt]``: print or replace a project's transcript."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path


def _clock(t: float) -> str:
    m, s = divmod(max(t, 0.0), 60)
    h, m = divmod(int(m), 60)
    return f"{h:02d}:{m:02d}:{s:06.3f}"


def _cmd_transcript(args) -> int:
    from scorer import project as project_io

    path = Path(args.project)
    project = project_io.load(path)
    if args.import_path:
        from scorer.audio.subtitles import load_subtitles

        duration = None
        if project.media is not None:
            try:
                duration = float(Fraction(project.media.duration))
            except (ValueError, ZeroDivisionError):
                duration = None
        segments, problems = load_subtitles(args.import_path, duration)
        project.transcript = segments
        project.settings.setdefault("audio", {})["subtitle_problems"] = problems
        if "words" in project.tracks or args.rescore:
            from scorer.text.emotion import words_track

            project.tracks["words"] = words_track(segments)
        project_io.save(project, path)
        for problem in problems:
            print(f"skipped: {problem}")
        print(f"imported {len(segments)} cues from {args.import_path} into {path}")
        return 0
    if not project.transcript:
        print("(no transcript)")
    for seg in project.transcript:
        print(f"{_clock(seg.start)} --> {_clock(seg.end)}  [{seg.source}] {seg.text}")
    return 0


def register(subparsers) -> None:
    """Add the ``transcript`` subcommand."""
    parser = subparsers.add_parser(
        "transcript", help="print a project's transcript or replace it from SRT/VTT subtitles")
    parser.add_argument("project", help="project file (.json)")
    parser.add_argument("--import", dest="import_path", metavar="SUBS",
                        help="SRT or WebVTT file to use as the transcript (saved in the project)")
    parser.add_argument("--rescore", action="store_true",
                        help="recompute the words track from the imported transcript even if "
                             "the project has none yet")
    parser.set_defaults(handler=_cmd_transcript)
