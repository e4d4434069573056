"""CLI: ``scorer library add DIR``, ``scorer library list``, ``scorer suggest PROJECT``."""

from __future__ import annotations

from pathlib import Path

from scorer.errors import ScorerError
from scorer.progress import cancellable


def _cmd_add(args) -> int:
    from scorer.music.library.index import LibraryIndex

    if args.ray or args.address:
        from scorer.music.library.ray_index import RayLibraryIndex
        from scorer.ray_support import require_ray

        require_ray()
        index = RayLibraryIndex(args.index, address=args.address)
    else:
        index = LibraryIndex(args.index)
    with index, cancellable() as (bar, cancel):
        report = index.add_folder(args.folder, progress=bar, cancel=cancel,
                                  workers=args.workers)
    print(report.summary())
    for path, reason in report.failed:
        print(f"  unreadable: {path}: {reason}")
    return 0


def _cmd_remove(args) -> int:
    from scorer.music.library.index import LibraryIndex

    with LibraryIndex(args.index) as index:
        known = {f for f, _, _ in index.folders()}
        key = str(Path(args.folder).expanduser().resolve())
        if key not in known and args.folder not in known:
            raise ScorerError("this folder is not in the library (see `scorer library list`)",
                              args.folder)
        removed = index.remove_folder(key if key in known else args.folder)
    print(f"removed {args.folder}: {removed} pieces")
    return 0


def _cmd_list(args) -> int:
    from scorer.music.instruments import names
    from scorer.music.library.features import tag_list
    from scorer.music.library.index import LibraryIndex

    with LibraryIndex(args.index) as index:
        if args.default:
            with cancellable() as (bar, cancel):
                index.ensure_default(bar, cancel)
        folders = index.folders()
        print(f"library {index.path}: {len(index)} pieces")
        if not folders:
            print("no folders yet; `scorer library add DIR` adds one (the music21 default "
                  "library is indexed on the first `scorer suggest`)")
        for folder, source, count in folders:
            print(f"  {count:6d}  {source:8} {folder}")
        if args.pieces or args.tag or args.instrument:
            found = index.search_tags(args.tag) if args.tag else index.entries()
            if args.instrument:
                keep = {e.id for e in index.search_instruments(args.instrument)}
                found = [e for e in found if e.id in keep]
            for e in found:
                print(f"  {e.id:6d}  V{e.valence:+.2f} A{e.arousal:+.2f} {e.tempo:5.0f} BPM "
                      f"{e.duration:6.0f} s  {e.key:>2} {e.mode:5}  {e.title[:50]}"
                      + (f"  [{', '.join(tag_list(e.features)[:5])}]"
                         if tag_list(e.features) else "")
                      + (f"  plays {', '.join(names(e.features))}" if names(e.features)
                         else ""))
        for path, reason in index.failures():
            print(f"  unreadable: {path}: {reason}")
    return 0


def _cmd_suggest(args) -> int:
    from scorer import project as project_io
    from scorer.music.library.index import LibraryIndex
    from scorer.music.library.suggest import suggest_project

    path = Path(args.project)
    project = project_io.load(path)
    if not project.cues:
        raise ScorerError("project has no cues; run `scorer analyze` first", path)
    with LibraryIndex(args.index) as index, cancellable() as (bar, cancel):
        suggest_project(project, path, n=args.n, with_generated=not args.no_generated,
                        progress=bar, cancel=cancel, index=index,
                        use_default=not args.no_default)
    project_io.save(project, path)
    for cue in project.cues:
        print(f"{cue.number}  {cue.start:7.2f}-{cue.end:7.2f} s  V{cue.valence:+.2f} "
              f"A{cue.arousal:+.2f} {cue.tempo:.0f} BPM {cue.key} {cue.mode}")
        for s in (s for s in project.suggestions if s.cue == cue.number):
            print(f"   {s.score:.2f}  {s.source:9} {s.title[:48]:48} {s.path}")
            if args.explain:
                print(f"         {s.explanation}")
    print(f"saved {path}")
    return 0


def register(subparsers) -> None:
    """Add ``library`` and ``suggest`` to the ``scorer`` command."""
    lib = subparsers.add_parser("library", help="the music library (index, list)")
    lib_sub = lib.add_subparsers(dest="library_command", metavar="ACTION")
    lib_sub.required = True
    p = lib_sub.add_parser("add", help="index a folder of MIDI, MusicXML, ABC, WAV, MP3, FLAC")
    p.add_argument("folder")
    p.add_argument("--workers", type=int, default=2,
                   help="worker processes (1 or 2; with --ray, the CPUs of the local Ray)")
    p.add_argument("--ray", action="store_true",
                   help="read the files with Ray Data (needs the dist extra)")
    p.add_argument("--address", help="join this Ray cluster (implies --ray)")
    p.add_argument("--index", help="library file (default: in the user data folder)")
    p.set_defaults(handler=_cmd_add)
    p = lib_sub.add_parser("remove", help="forget a folder (the music files are not touched)")
    p.add_argument("folder")
    p.add_argument("--index", help="library file (default: in the user data folder)")
    p.set_defaults(handler=_cmd_remove)
    p = lib_sub.add_parser("list", help="list library folders (and pieces)")
    p.add_argument("--pieces", action="store_true", help="list every piece")
    p.add_argument("--tag", action="append", default=[],
                   help="list the pieces tagged with this word: mood, tempo feel or "
                        "instrument of audio pieces (calm, slow, piano...), style of MIDI and "
                        "score pieces (folk, irish, chorale, pop-piano); repeat to need several")
    p.add_argument("--instrument", action="append", default=[],
                   help="list the pieces with this instrument (violin, cello, piano, harp, "
                        "snare drum...: named by MIDI programs, recognised in audio); repeat "
                        "to need several")
    p.add_argument("--default", action="store_true",
                   help="index the music21 default library now if it is not yet")
    p.add_argument("--index", help="library file (default: in the user data folder)")
    p.set_defaults(handler=_cmd_list)

    p = subparsers.add_parser("suggest", help="rank and adapt music for every cue of a project")
    p.add_argument("project")
    p.add_argument("-n", type=int, default=5, help="library suggestions per cue")
    p.add_argument("--no-generated", action="store_true", help="library music only")
    p.add_argument("--explain", action="store_true", help="print why each piece scored")
    p.add_argument("--no-default", action="store_true",
                   help="do not index the music21 default library (your folders only)")
    p.add_argument("--index", help="library file (default: in the user data folder)")
    p.set_defaults(handler=_cmd_suggest)
