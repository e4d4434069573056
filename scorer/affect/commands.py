"""``scorer cues PROJECT``: print (and optionally re-plan) a project's music cues."""

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


def register(subparsers) -> None:
    """Add the ``cues`` subcommand."""
    p = subparsers.add_parser(
        "cues", help="print a project's music cues (number, in, out, V/A, tempo, key...)")
    p.add_argument("project", help="project file (.scorer.json)")
    p.add_argument("--replan", action="store_true",
                   help="fuse and plan the cues again (locked cues are kept) and save")
    p.add_argument("--content-type",
                   help="re-plan with this fusion preset (drama, documentary, interview, "
                        "action, comedy, balanced) and save")
    p.add_argument("--min-length", type=float, help="re-plan with this minimum cue length (s)")
    p.add_argument("--max-length", type=float, help="re-plan with this maximum cue length (s)")
    p.set_defaults(handler=_cmd_cues)
