"""Take the editor's-toolset screenshots from a real window (run under Xvfb, on purpose).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/toolset_screenshots.py \
        PROJECT.scorer.json docs/screenshots [--library FOLDER] [--default-works N]

Opens an analysed project (one with cues and suggestions), indexes a library in a private
user-data folder (``N`` works of the bundled music21 library, default 120, plus FOLDER if
given), and saves:

- toolset-library-browser.png: the library browser searching "near the selected cue", and the
  piece it offered first used for that cue (adapted, chosen);
- toolset-ab-audition.png: an audition of the cue's first suggestion with its second on B;
- toolset-lanes.png: the timeline with lanes collapsed and resized;
- toolset-shortcuts-help.png: Help > Keyboard Shortcuts.

Tests never write these files: only this script does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--library", type=Path, default=None)
    parser.add_argument("--default-works", type=int, default=120)
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SCORER_SETTINGS_DIR", tempfile.mkdtemp(prefix="scorer-shots-"))
    os.environ["SCORER_DATA_DIR"] = tempfile.mkdtemp(prefix="scorer-shots-data-")

    from scorer.music.library.index import LibraryIndex

    started = time.monotonic()
    with LibraryIndex() as index:  # the private data folder's library
        index.ensure_default(limit=args.default_works)
        print(f"indexed {len(index)} pieces in {time.monotonic() - started:.0f} s")

    from gui_screenshots import process_events, unattended_app

    app = unattended_app()
    from PySide6.QtCore import Qt

    from ui.mainwindow import MainWindow
    from ui.settings import Settings
    from ui.thread import running_tasks

    def wait(seconds: float, until=None) -> bool:
        return process_events(app, seconds, until)

    # a copy of the project, so its autosave and adapted music stay out of the original
    work = Path(tempfile.mkdtemp(prefix="scorer-shots-project-"))
    project = work / args.project.name
    shutil.copy2(args.project, project)

    settings = Settings()
    settings["library/use_default"] = False  # indexed above (a part of it, for speed)
    settings["library/folders"] = [str(args.library.resolve())] if args.library else []
    win = MainWindow(settings)
    win.resize(1560, 960)
    win.show()
    wait(1.0)
    win.open_project(project)
    if not wait(30, lambda: win.player.player.duration() > 0):
        print("the project's clip did not load", file=sys.stderr)
        return 1
    cues = win.doc.cues()
    number = cues[-1].number
    win.select_cue(number)
    win.player.seek(cues[-1].start + 1.0, user=True)
    wait(1.0)

    # the library browser, searching near the selected cue's mood
    browser = win.library
    win.act_show_library()
    win.resizeDocks([browser], [560], Qt.Orientation.Horizontal)
    wait(0.5)
    browser.mood.setCurrentIndex(browser.mood.findData("cue"))
    browser.instrument.setCurrentIndex(0)
    browser.search()
    if not wait(600, lambda: browser.task is None and browser.rows):
        print(f"library search failed: {browser.info.text()}", file=sys.stderr)
        return 1
    # the best piece the cue's suggestions do not already hold
    offered = {s.title for s in win.doc.suggestions_for(number)}
    row = next((r for r, piece in enumerate(browser.rows) if piece["title"] not in offered), 0)
    browser.table.selectRow(row)
    browser.use_for_selected()
    if not wait(300, lambda: not running_tasks() and win.doc.cue(number).choice):
        print(f"using the piece failed: {win.status.text()}", file=sys.stderr)
        return 1
    win.select_cue(number)
    wait(1.5)
    win.grab().save(str(out / "toolset-library-browser.png"))

    # A/B: the cue's first suggestion on A, its second on B
    browser.hide()
    # A: the piece just chosen from the library; B: the best suggestion of another title
    picked = next(s for s in win.doc.suggestions_for(number) if s.id == win.doc.cue(number)
                  .choice)
    others = [s.id for s in win.doc.suggestions_for(number) if s.path and s.title !=
              picked.title]
    if not others:
        print("the cue needs another suggestion with music for A/B", file=sys.stderr)
        return 1
    ids = [picked.id, others[0]]
    win.panel.select_suggestion(ids[0])
    win.transport.start_audition(number, ids[0])
    if not wait(120, lambda: win.audition.active):
        print(f"audition did not start: {win.status.text()}", file=sys.stderr)
        return 1
    wait(1.0)
    win.panel.select_suggestion(ids[1])
    win.transport.act_ab_compare()
    if not wait(120, lambda: win.audition.on_b):
        print(f"A/B did not switch: {win.status.text()}", file=sys.stderr)
        return 1
    wait(1.5)
    win.grab().save(str(out / "toolset-ab-audition.png"))
    win.audition.stop()

    # lanes: a few collapsed, the cue and music lanes taller
    view = win.timeline
    win.split.setSizes([330, 600])
    for name in ("fused arousal", "motion", "prosody"):
        if name in view.lane_boxes:
            view.toggle_lane(name)
    view.set_lane_height("cues", 44)
    view.set_lane_height("music", 56)
    view.zoom_fit()
    wait(1.0)
    view.grab().save(str(out / "toolset-lanes.png"))

    # Help > Keyboard Shortcuts
    win.act_shortcuts_help()
    win.shortcuts_help.resize(600, 940)
    win.shortcuts_help.tree.scrollToBottom()  # the view, music and help commands
    wait(1.0)
    win.shortcuts_help.grab().save(str(out / "toolset-shortcuts-help.png"))
    win.shortcuts_help.close()

    win.doc.undo_stack.setClean()
    win.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
