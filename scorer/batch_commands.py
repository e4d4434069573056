"""CLI: ``scorer batch FOLDER_OR_LIST -o OUT``."""

from __future__ import annotations

import sys

from scorer.errors import ScorerError


def _cmd_batch(args) -> int:
    from scorer.batch import BatchOptions, collect_clips, run_batch
    from scorer.progress import cancellable
    from scorer.ray_support import INSTALL_HINT, ray_available

    if args.workers < 1:
        raise ScorerError("--workers must be 1 or more")
    wants_ray = args.workers > 1 or bool(args.address)
    ok, _ = ray_available()
    if wants_ray and not ok:
        what = "--address" if args.address else f"--workers {args.workers}"
        raise ScorerError(
            f"{what} runs clips on Ray. {INSTALL_HINT}; or leave out {what} to run "
            "the clips one after another here"
        )
    clips = collect_clips(args.source, exclude=args.output)
    options = BatchOptions(
        content_type=args.content_type,
        sample_fps=args.fps,
        transcriber=args.transcriber,
        formats=args.formats,
        suggestions=args.n,
        with_generated=not args.no_generated,
        index=args.index or "",
        use_default_library=not args.no_default,
        stop_after=args.stop_after,
    )
    total = len(clips)
    where = (
        f"on the Ray cluster at {args.address}"
        if args.address
        else f"on a local Ray with {args.workers} workers"
        if wants_ray
        else "one after another"
    )
    print(f"{total} clip(s) -> {args.output}, {where}")

    def on_event(kind, what, info):
        if kind == "finished":
            extra = f"{what.cues} cues" if what.status in ("done", "skipped") else what.error
            print(f"  {what.status:9} {what.name} ({what.total_s:.1f} s) {extra}", flush=True)
        elif kind == "retry":
            print(f"  retry     {what}: {info['reason']}", flush=True)

    with cancellable() as (bar, cancel):
        report = run_batch(
            clips,
            args.output,
            options,
            workers=args.workers,
            address=args.address,
            progress=bar,
            cancel=cancel,
            on_event=on_event,
        )
    print(report.text())
    print(f"report: {report.out}/batch-report.json, batch-report.csv")
    if report.cancelled:
        print(
            "cancelled: finished clips are whole; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    return 1 if any(c.status == "failed" for c in report.clips) else 0


def register(subparsers) -> None:
    """Add ``scorer batch`` to the CLI."""
    p = subparsers.add_parser(
        "batch", help="analyse, suggest and export every clip of a folder or list (Ray optional)"
    )
    p.add_argument("source", help="folder of clips, or a text file with one clip path a line")
    p.add_argument("-o", "--output", required=True, help="output folder (one folder per clip)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="clips at a time; above 1 runs on a local Ray (needs the dist extra)",
    )
    p.add_argument("--address", help="join this Ray cluster (e.g. auto or ray://head:10001)")
    p.add_argument(
        "--stop-after",
        default="export",
        choices=("analyze", "suggest", "export"),
        help="last step to run for each clip (default: export)",
    )
    p.add_argument(
        "--content-type",
        default="drama",
        help="fusion preset: drama, documentary, interview, action, comedy",
    )
    p.add_argument("--fps", type=float, default=4.0, help="analysis frames per second")
    p.add_argument("--transcriber", default="auto",
                   help="auto (Whisper, else pocketsphinx with the reason), whisper, "
                   "pocketsphinx or none")
    p.add_argument("--formats", default="all", help="export formats (see `scorer export`)")
    p.add_argument("-n", type=int, default=5, help="library suggestions per cue")
    p.add_argument("--no-generated", action="store_true", help="library music only")
    p.add_argument(
        "--no-default",
        action="store_true",
        help="do not index the music21 default library (your folders only)",
    )
    p.add_argument("--index", help="library file (default: in the user data folder)")
    p.set_defaults(handler=_cmd_batch)
