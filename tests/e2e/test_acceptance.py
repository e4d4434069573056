"""Fresh-machine acceptance: clone the repository and run the README's two commands.

Slow (it builds a new virtual environment): run with ``scripts/test.sh -m slow``.
The test command is run on the unit suite only inside the clone, so the acceptance test does
not recurse into itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scorer import project as project_io

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_readme_has_two_commands():
    commands = _readme_commands()
    assert len(commands) == 2, commands


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_fresh_clone_runs_readme_commands(tmp_path):
    clone = tmp_path / "Scorer clone é"  # a path with a space and an accent, on purpose
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    shared = REPO.parent / "shared"
    if shared.exists():
        (tmp_path / "shared").symlink_to(shared)
    demo, tests = _readme_commands()
    subprocess.run(["bash", "-c", demo], cwd=clone, check=True, timeout=3600)
    project = project_io.load(clone / "out" / "demo" / "demo.scorer.json")
    assert project.cues, "the demo run left no cues"
    produced = {p.suffix for p in (clone / "out" / "demo").rglob("*") if p.is_file()}
    assert {".mid", ".wav", ".csv", ".otio", ".srt"} <= produced, produced
    subprocess.run(["bash", "-c", tests + " tests/unit -x -q"], cwd=clone, check=True,
                   timeout=3600)
