"""``scorer cues PROJECT`` prints (and re-plans) the cues; ``scorer cue PROJECT N`` edits one."""

from __future__ import annotations

from scorer.errors import ScorerError


def _cmd_cues(args) -> int:
    from scorer import project as project_io
    from scorer.affect.cues import format_cue_table, plan_project_cues
    from scorer.affect.fusion import fuse_project
    from scorer.export.common import ensure_first_frame_time

    project = project_io.load(args.project)
    ensure_first_frame_time(project, args.project)  # older projects: frames as exports count
    changed = False
    if args.content_type:
        project.settings["content_type"] = args.content_type
        changed = True
    if args.fusion:
        project.settings.setdefault("fusion", {})["method"] = args.fusion
        changed = True
    cue_opts = dict(project.settings.get("cues", {}) or {})
    for name in ("min_length", "max_length"):
        value = getattr(args, name)
        if value is not None:
            cue_opts[name] = value
            changed = True
    if changed or args.replan:
        if not project.tracks and project.fused is None:
            raise ScorerError("project has no analysis to plan cues from; run `scorer analyze`",
                              args.project)
        project.settings["cues"] = cue_opts
        fuse_project(project)
        plan_project_cues(project)
        project_io.save(project, args.project)
    print(format_cue_table(project))
    return 0


def _cmd_cue(args) -> int:
    from scorer import project as project_io
    from scorer.affect import edit
    from scorer.affect.cues import format_cue_table

    path = args.project
    project = project_io.load(path)
    if not project.cues:
        raise ScorerError("project has no cues; run `scorer analyze` first", path)
    refresh: set[str] = set()
    if args.measured:
        refresh.update(edit.retarget(project, args.number, None, None))
    elif args.valence is not None or args.arousal is not None:
        refresh.update(edit.retarget(project, args.number, args.valence, args.arousal))
    if args.start is not None:
        refresh.update(edit.move_edge(project, args.number, "start", args.start))
    if args.end is not None:
        refresh.update(edit.move_edge(project, args.number, "end", args.end))
    if args.palette is not None:
        refresh.update(edit.set_palette(project, args.number, args.palette))
    if args.style is not None:
        refresh.update(edit.set_style(project, args.number, args.style))
    if args.choose is not None:
        edit.choose(project, args.number, args.choose)
    if args.lock or args.unlock:
        edit.set_lock(project, args.number, bool(args.lock))
    if refresh and not args.no_suggest:
        from scorer.music.library.index import LibraryIndex
        from scorer.music.library.suggest import suggest_project
        from scorer.progress import cancellable

        with LibraryIndex(args.index) as index, cancellable() as (bar, cancel):
            suggest_project(project, path, n=args.n, progress=bar, cancel=cancel, index=index,
                            numbers=sorted(refresh))
    project_io.save(project, path)
    print(format_cue_table(project))
    if refresh:
        state = "left without suggestions (--no-suggest)" if args.no_suggest else "re-suggested"
        print(f"cues {', '.join(sorted(refresh))} re-planned and {state}")
    return 0


def register(subparsers) -> None:
    """Add the ``cues`` and ``cue`` subcommands."""
    p = subparsers.add_parser(
        "cue", help="edit one cue (target, edges, lock, style, instruments); what derives "
                    "from it is re-planned and its music re-suggested")
    p.add_argument("project", help="project file (.scorer.json)")
    p.add_argument("number", help="cue number, e.g. 1M2")
    p.add_argument("--valence", type=float, help="new target valence (-1..1)")
    p.add_argument("--arousal", type=float, help="new target arousal (-1..1)")
    p.add_argument("--measured", action="store_true",
                   help="drop the hand-set target: back to what the analysis measured")
    p.add_argument("--start", type=float, help="move the cue's start (s); a neighbour rolls")
    p.add_argument("--end", type=float, help="move the cue's end (s); a neighbour rolls")
    p.add_argument("--palette", help="instrumentation preset (\"\" = from the target)")
    p.add_argument("--style", help="melody style of generated music (\"\" = automatic)")
    p.add_argument("--choose", help="choose this suggestion id for the cue")
    lock = p.add_mutually_exclusive_group()
    lock.add_argument("--lock", action="store_true", help="lock the cue and its choice")
    lock.add_argument("--unlock", action="store_true", help="unlock the cue")
    p.add_argument("--no-suggest", action="store_true",
                   help="do not look for new music for the changed cues")
    p.add_argument("-n", type=int, default=5, help="library suggestions per changed cue")
    p.add_argument("--index", help="library index file (default: the user's library)")
    p.set_defaults(handler=_cmd_cue)

    p = subparsers.add_parser(
        "cues", help="print a project's music cues (number, in, out, V/A, tempo, key...)")
    p.add_argument("project", help="project file (.scorer.json)")
    p.add_argument("--replan", action="store_true",
                   help="fuse and plan the cues again (locked cues are kept) and save")
    p.add_argument("--content-type",
                   help="re-plan with this fusion preset (drama, documentary, interview, "
                        "action, comedy, balanced; used by the presets method) and save")
    p.add_argument("--fusion", choices=("auto", "fitted", "presets"),
                   help="re-plan with this fusion method (auto: the fitted model where it "
                        "beat the presets on the benchmark) and save")
    p.add_argument("--min-length", type=float, help="re-plan with this minimum cue length (s)")
    p.add_argument("--max-length", type=float, help="re-plan with this maximum cue length (s)")
    p.set_defaults(handler=_cmd_cues)
