"""What every exporter shares: the music chosen per cue, the clip's timebase, staged writes.

Timing: every export places a cue at whole frames of the clip through one rule,
:func:`scorer.timebase.time_to_frame` (the first frame's time subtracted, then the nearest frame
boundary), so the cue sheet, the MIDI markers, the timeline, the audio and the captions agree
with ``scorer cues`` to the frame. Timecode adds the clip's start timecode and is drop-frame at
29.97 and 59.94.

Writes: an export stages every file as a hidden temp file in the output folder and renames them
into place only when all of them have been written, so a failure (read-only folder, full disk,
cancel) leaves the previous files untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from scorer import timebase
from scorer.errors import ExportError, ScorerError
from scorer.project import Cue, Project, Suggestion

DEFAULT_RATE = Fraction(25)


@dataclass
class ExportReport:
    """What an export wrote and what it had to leave out.

    Attributes:
        files: Paths written, in the order they were written.
        notes: Human-readable notes (cues skipped, fields missing, formats not produced).
        cues: Numbers of the cues whose music was exported.
        skipped_formats: Formats asked for that could not be produced.
        loudness: Measured levels (LUFS) when audio was written: "dialogue", "target",
            "music" (the cues where they play, before ducking), "offset" (music - dialogue).
    """

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    skipped_formats: list[str] = field(default_factory=list)
    loudness: dict = field(default_factory=dict)

    def text(self) -> str:
        """Return a short summary for the terminal."""
        lines = [f"exported {len(self.cues)} cues to {self.out_dir}:"]
        lines += [f"  {p.relative_to(self.out_dir) if p.is_relative_to(self.out_dir) else p}"
                  for p in self.files]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class CueMusic:
    """A cue with the music that goes with it.

    Attributes:
        cue: The cue.
        suggestion: The chosen (or top-scored) suggestion.
        path: Resolved music file.
        kind: "midi" or "audio".
        in_frame: First frame of the cue on the clip (from the clip's frame 0).
        out_frame: Frame after the cue's last one.
    """

    cue: Cue
    suggestion: Suggestion
    path: Path
    kind: str
    in_frame: int
    out_frame: int


Timebase = timebase.ClipTimebase  # the clip's frame grid; one quantisation rule for all


def project_timebase(project: Project, notes: list[str] | None = None,
                     project_path: str | Path | None = None) -> Timebase:
    """Read the clip's frame grid (25 fps and 00:00:00:00 when unknown).

    A project made before the first frame's time was recorded gets it from the clip itself
    when the clip can be found (so its cuts land on their frames); else 0 s with a note.
    """
    notes = notes if notes is not None else []
    ensure_first_frame_time(project, project_path, notes)
    return timebase.clip_timebase(project.media, notes, DEFAULT_RATE, drop_frame_setting(project))


def drop_frame_setting(project: Project) -> bool | None:
    """The project's ``export.drop_frame`` choice (None: the rate's norm)."""
    settings = project.settings.get("export", {}) if isinstance(project.settings, dict) else {}
    value = settings.get("drop_frame") if isinstance(settings, dict) else None
    return None if value is None else bool(value)


def ensure_first_frame_time(project: Project, project_path: str | Path | None = None,
                            notes: list[str] | None = None) -> None:
    """Fill ``project.media.start_time`` from the clip when an older project lacks it."""
    media = project.media
    if media is None or media.start_time or not media.has_video or not media.path:
        return
    path = resolve_path(media.path, project_path)
    try:
        from scorer.media.decode import first_frame_time

        media.start_time = str(first_frame_time(path))
    except ScorerError:
        if notes is not None:
            notes.append("the clip's first-frame time is unknown (clip not found); frames "
                         "count from 0 s")


def clip_duration(project: Project) -> float:
    """Return the clip's length in seconds (the end of the last cue when unknown)."""
    if project.media is not None and Fraction(project.media.duration or "0") > 0:
        return float(Fraction(project.media.duration))
    return max((c.end for c in project.cues), default=0.0)


def resolve_path(path: str, project_path: str | Path | None) -> Path:
    """Resolve a file named in a project: relative paths are relative to the project's folder."""
    p = Path(path).expanduser()
    if not p.is_absolute() and project_path is not None:
        p = Path(project_path).resolve().parent / p
    return p


def select_music(project: Project, project_path: str | Path | None, tb: Timebase,
                 notes: list[str]) -> list[CueMusic]:
    """Pick the music of every cue: the chosen suggestion, else the top-scored one.

    Cues without music (none offered, the chosen id unknown, the file missing) are skipped
    with a note.
    """
    from scorer.music.render import is_midi

    by_cue: dict[str, list[Suggestion]] = {}
    for s in project.suggestions:
        by_cue.setdefault(s.cue, []).append(s)
    chosen: list[CueMusic] = []
    for cue in sorted(project.cues, key=lambda c: c.start):
        offered = by_cue.get(cue.number, [])
        pick = None
        if cue.choice:
            pick = next((s for s in offered if s.id == cue.choice), None)
            if pick is None:
                notes.append(f"{cue.number}: chosen suggestion {cue.choice!r} not found; "
                             "using the top-scored one")
        if pick is None and offered:
            pick = max(offered, key=lambda s: s.score)
        if pick is None:
            notes.append(f"{cue.number}: no music suggested; cue skipped")
            continue
        if not pick.path:
            notes.append(f"{cue.number}: suggestion {pick.id!r} has no music file; cue skipped")
            continue
        path = resolve_path(pick.path, project_path)
        if not path.is_file():
            notes.append(f"{cue.number}: music file not found ({path}); cue skipped")
            continue
        in_frame, out_frame = tb.frame(cue.start), tb.frame(cue.end)
        if out_frame <= in_frame:
            notes.append(f"{cue.number}: shorter than one frame; cue skipped")
            continue
        chosen.append(CueMusic(cue, pick, path, "midi" if is_midi(path) else "audio",
                               in_frame, out_frame))
    return chosen


_UNSAFE = re.compile(r"[^\w.\-]+")
_UMASK = os.umask(0)
os.umask(_UMASK)


def safe_name(text: str, fallback: str = "untitled") -> str:
    """Return text usable as a file name on every system."""
    name = _UNSAFE.sub("_", text).strip(" ._")
    return name[:80] or fallback


class Staging:
    """Stage files as temp files in the output folder; rename all into place on commit.

    Args:
        out_dir: Output folder (created if missing).
        force: Allow replacing existing files.
    """

    def __init__(self, out_dir: str | Path, force: bool = False):
        self.out_dir = Path(out_dir)
        self.force = force
        self._staged: list[tuple[Path, Path]] = []

    def check_targets(self, names: list[str]) -> None:
        """Fail before any work if a target exists and ``force`` is off, or the folder is bad.

        Raises:
            ExportError: Naming the files that exist or the folder problem.
        """
        if self.out_dir.exists() and not self.out_dir.is_dir():
            raise ExportError("output path exists and is not a folder", self.out_dir)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create output folder ({exc.strerror or exc})",
                              self.out_dir) from exc
        if not os.access(self.out_dir, os.W_OK):
            raise ExportError("output folder is not writable; nothing was written", self.out_dir)
        existing = [n for n in names if (self.out_dir / n).exists()]
        if existing and not self.force:
            shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
            raise ExportError(f"would overwrite {shown}; pass --force to replace them",
                              self.out_dir)

    def temp_path(self, name: str) -> Path:
        """Reserve a temp file for ``name`` (for writers that need a path) and return it."""
        final = self.out_dir / name
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp" + final.suffix,
                                       dir=final.parent)
        except OSError as exc:
            raise ExportError(f"cannot write in the output folder ({exc.strerror or exc}); "
                              "previous files are untouched", final.parent) from exc
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; exports are ordinary files
        self._staged.append((Path(tmp), final))
        return Path(tmp)

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Stage ``data`` for ``name`` (fsynced); return the final path."""
        tmp = self.temp_path(name)
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise ExportError(f"cannot write {name} ({exc.strerror or exc}); previous files "
                              "are untouched", self.out_dir) from exc
        return self.out_dir / name

    def commit(self) -> list[Path]:
        """Rename every staged file into place; return the final paths."""
        done = []
        for tmp, final in self._staged:
            try:
                os.replace(tmp, final)
            except OSError as exc:
                self.abort()
                raise ExportError(f"cannot replace {final.name} ({exc.strerror or exc})",
                                  self.out_dir) from exc
            done.append(final)
        self._staged = []
        return done

    def abort(self) -> None:
        """Remove every staged temp file."""
        for tmp, _ in self._staged:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass
        self._staged = []
