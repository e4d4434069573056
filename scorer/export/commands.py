"""CLI: ``scorer export`` and ``scorer render``."""

from __future__ import annotations

from pathlib import Path

from scorer.errors import ScorerError


def _with_cancel(work):
    """Run ``work(progress, cancel)`` with a progress bar; the first Ctrl-C cancels cleanly."""
    from scorer.progress import cancellable

    with cancellable() as (bar, cancel):
        return work(bar, cancel)


def _cmd_export(args) -> int:
    from scorer import project as project_io
    from scorer.export import export_project

    project = project_io.load(args.project)
    report = _with_cancel(lambda bar, cancel: export_project(
        project, args.project, args.formats, args.output, force=args.force,
        sf2=args.soundfont, progress=bar, cancel=cancel))
    print(report.text())
    return 1 if report.skipped_formats else 0


def _cmd_render(args) -> int:
    out = Path(args.output)
    if out.exists() and not args.force:
        raise ScorerError("exists; pass --force to replace it", out)
    if not out.parent.is_dir():
        raise ScorerError("folder does not exist", out.parent)
    from scorer.fileio import output_lock
    from scorer.music.render import render_to_wav
    from scorer.progress import cancellable

    # the WAV's write lock from the start: a second render into it stops at once, not after
    # minutes of synthesis
    with output_lock(out), cancellable() as (_, cancel):
        audio = render_to_wav(args.midi, out, sf2=args.soundfont, sr=args.rate, tail=args.tail,
                              cancel=cancel)
    seconds = len(audio) / args.rate
    peak = float(abs(audio).max()) if len(audio) else 0.0
    print(f"rendered {args.midi} -> {out}: {seconds:.2f} s, {args.rate} Hz stereo, "
          f"peak {peak:.3f}")
    return 0


def register(subparsers) -> None:
    """Add ``export`` and ``render`` (unless another area already added ``render``)."""
    from scorer.export import FORMATS

    p = subparsers.add_parser("export", help="write MIDI, WAV/MP4, cue sheets, timelines, "
                                             "captions")
    p.add_argument("project", help="project file (.scorer.json)")
    p.add_argument("--formats", default="all",
                   help="comma-separated: " + ",".join(FORMATS) + " (default: all)")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--soundfont", help="SF2 SoundFont for rendering (default: General MIDI)")
    p.set_defaults(handler=_cmd_export)

    if "render" in getattr(subparsers, "choices", {}):
        return
    p = subparsers.add_parser("render", help="render a MIDI file to WAV with a SoundFont")
    p.add_argument("midi", help="MIDI file")
    p.add_argument("-o", "--output", required=True, help="WAV file to write")
    p.add_argument("--soundfont", help="SF2 SoundFont (default: General MIDI from pretty_midi)")
    p.add_argument("--rate", type=int, default=48000, help="sample rate (default 48000)")
    p.add_argument("--tail", type=float, default=1.0, help="seconds after the last note")
    p.add_argument("--force", action="store_true", help="replace an existing WAV")
    p.set_defaults(handler=_cmd_render)
