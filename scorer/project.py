"""The project document: versioned JSON, atomic save, autosave, recovery.

A project is plain JSON (never pickle): ``schema_version`` says which layout it has and
``UPGRADES`` lifts older layouts step by step, as OpenTimelineIO does with its schemas.
Saving writes a temp file in the same folder, fsyncs it and renames it over the target, so a
crash leaves either the old file or the new one. The autosave goes to ``NAME.autosave`` beside
the project; :func:`recovery_candidate` tells whether it is newer than the project.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from scorer.errors import ProjectError, check_regular_file, describe_os_error
from scorer.fileio import atomic_write_bytes, write_error_words
from scorer.track import Track

SCHEMA_VERSION = 2
AUTOSAVE_SUFFIX = ".autosave"


@dataclass
class MediaInfo:
    """What :func:`scorer.media.probe` learned about the clip.

    Times are strings of Fractions ("30000/1001") in JSON so that they stay exact.
    """

    path: str
    container: str = ""
    duration: str = "0"
    fps: str = "0"
    width: int = 0
    height: int = 0
    rotation: int = 0
    has_video: bool = False
    has_audio: bool = False
    audio_rate: int = 0
    audio_channels: int = 0
    start_timecode: str = ""
    # container time of the first video frame (a Fraction as text; "" = not probed yet)
    start_time: str = ""
    video_codec: str = ""
    audio_codec: str = ""


@dataclass
class Word:
    """One transcribed word with its time span in seconds."""

    text: str
    start: float
    end: float


@dataclass
class TranscriptSegment:
    """A stretch of speech (a subtitle cue or an ASR utterance)."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    source: str = "asr"  # "asr", "srt", "vtt", "user"


@dataclass
class Cue:
    """A music cue planned over a stretch of the clip (see :mod:`scorer.affect.cues`)."""

    number: str  # "1M1", "1M2"...
    start: float
    end: float
    valence: float = 0.0
    arousal: float = 0.0
    tempo: float = 100.0
    tempo_range: tuple[float, float] = (80.0, 120.0)
    key: str = "C"
    mode: str = "major"
    register: int = 60  # MIDI note around which the melody sits
    instrumentation: str = ""
    programs: dict[str, int] = field(default_factory=dict)  # role -> General MIDI program
    dynamics: list[tuple[float, float]] = field(default_factory=list)  # (time s, level 0..1)
    hit_points: list[float] = field(default_factory=list)
    hit_error_ms: float = 0.0
    ducking: list[tuple[float, float]] = field(default_factory=list)
    # modality -> its share of the fused emotion over the cue (0..1, summing to 1)
    shares: dict[str, float] = field(default_factory=dict)
    locked: bool = False
    choice: str = ""  # id of the chosen suggestion
    title: str = ""
    # the editor's own decisions, kept when the cue is re-planned (scorer.affect.edit)
    target: tuple[float, float] | None = None  # valence, arousal set by hand (None: measured)
    palette: str = ""  # instrumentation chosen by hand ("" = from the target)
    style: str = ""  # melody style for generated music ("" = chosen from the cue)
    # the music-fit contract (scorer.music.fit): every delivered file sits on this grid
    meter: str = "4/4"  # of generated music; library pieces keep their own
    bar_offset: float = 0.0  # quarter notes of pickup before bar 1's downbeat (0: on it)
    tempo_map: list[tuple[float, float]] = field(default_factory=list)  # (beat, BPM) segments
    # hit points placed by hand (clip seconds); None: the cuts inside the cue are its hits
    hits: list[float] | None = None
    # fades of the cue's music (s); None: the export's defaults (a click guard in, 0.3 s out)
    fade_in: float | None = None
    fade_out: float | None = None
    # seconds this cue's music runs on past its end, fading out under the next cue's fade-in
    crossfade: float = 0.0

    @property
    def duration(self) -> float:
        """Length of the cue in seconds."""
        return self.end - self.start


@dataclass
class Suggestion:
    """One piece of music offered for a cue: from the library or generated."""

    id: str
    cue: str
    source: str  # "library" or "generated"
    title: str
    path: str = ""  # MIDI or audio file with the adapted music
    score: float = 0.0
    explanation: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Marker:
    """A marker the editor dropped on the timeline (M)."""

    time: float
    name: str = ""


@dataclass
class MusicCaption:
    """A caption describing music for deaf and hard-of-hearing viewers."""

    start: float
    end: float
    text: str
    source: str = "score"  # "score" (our cues) or "film" (music already in the sound track)
    # film music: the instruments recognised in it (scorer.music.instruments); None: not read
    instruments: list[str] | None = None


@dataclass
class Project:
    """Everything Scorer knows and the editor decided about one clip."""

    title: str = "Untitled"
    media: MediaInfo | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    shots: list[float] = field(default_factory=list)  # cut times in seconds
    tracks: dict[str, Track] = field(default_factory=dict)
    transcript: list[TranscriptSegment] = field(default_factory=list)
    fused: Track | None = None
    cues: list[Cue] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    music_captions: list[MusicCaption] = field(default_factory=list)
    cue_sheet: dict[str, Any] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    mark_in: float | None = None  # the editor's in and out points (I, O); None: unset
    mark_out: float | None = None
    schema_version: int = SCHEMA_VERSION

    def cue(self, number: str) -> Cue:
        """Return the cue with this number.

        Raises:
            KeyError: If there is none.
        """
        for cue in self.cues:
            if cue.number == number:
                return cue
        raise KeyError(number)

    def to_dict(self) -> dict:
        """Return the JSON-ready document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "media": asdict(self.media) if self.media else None,
            "settings": self.settings,
            "shots": [round(float(t), 6) for t in self.shots],
            "tracks": {name: track.to_dict() for name, track in self.tracks.items()},
            "transcript": [asdict(seg) for seg in self.transcript],
            "fused": self.fused.to_dict() if self.fused else None,
            "cues": [asdict(cue) for cue in self.cues],
            "suggestions": [asdict(s) for s in self.suggestions],
            "music_captions": [asdict(c) for c in self.music_captions],
            "cue_sheet": self.cue_sheet,
            "markers": [asdict(m) for m in self.markers],
            "mark_in": self.mark_in,
            "mark_out": self.mark_out,
        }

    @classmethod
    def from_dict(cls, data: dict, path: str | Path | None = None) -> Project:
        """Validate and build a project from a document of the current schema."""
        try:
            return cls(
                title=str(data.get("title", "Untitled")),
                media=_build(MediaInfo, data["media"]) if data.get("media") else None,
                settings=dict(data.get("settings", {})),
                shots=[float(t) for t in data.get("shots", [])],
                tracks={k: Track.from_dict(v) for k, v in data.get("tracks", {}).items()},
                transcript=[_segment(s) for s in data.get("transcript", [])],
                fused=Track.from_dict(data["fused"]) if data.get("fused") else None,
                cues=_cues(data.get("cues", [])),
                suggestions=[_build(Suggestion, s) for s in data.get("suggestions", [])],
                music_captions=[_build(MusicCaption, c) for c in data.get("music_captions", [])],
                cue_sheet=dict(data.get("cue_sheet", {})),
                # projects saved before markers existed have none
                markers=[_build(Marker, m) for m in data.get("markers", [])],
                mark_in=_optional_time(data.get("mark_in")),
                mark_out=_optional_time(data.get("mark_out")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProjectError(f"invalid project document ({type(exc).__name__}: {exc})",
                               path) from exc


# JSON type each annotated field must have (annotations are strings here)
_JSON_KINDS = {
    "float": ((int, float), "a number"),
    "int": ((int, float), "a number"),  # older files may hold 60.0 for 60
    "str": ((str,), "text"),
    "bool": ((bool, int), "true or false"),
}


def _field_kind(annotation: str) -> tuple[tuple[type, ...], str] | None:
    head = annotation.split("[", 1)[0].split("|", 1)[0].strip()
    if head in _JSON_KINDS:
        return _JSON_KINDS[head]
    if head in ("list", "tuple"):
        return (list, tuple), "a list"
    if head == "dict":
        return (dict,), "an object"
    return None


def _build(cls, data: dict, where: str = ""):
    """Build a dataclass from a JSON object, naming the field whose value has the wrong type."""
    where = where or cls.__name__
    if not isinstance(data, dict):
        raise TypeError(f"{where} must be an object, got {type(data).__name__}")
    by_name = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(by_name)
    if unknown:
        raise ValueError(f"{where} has unknown fields {sorted(unknown)}")
    for name, value in data.items():
        annotation = str(by_name[name].type)
        kind = _field_kind(annotation)
        if kind is None or (value is None and "None" in annotation):
            continue
        types, words = kind
        wrong = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        if wrong:
            raise TypeError(f"{where}.{name} must be {words}, got "
                            f"{type(value).__name__} {str(value)[:40]!r}")
    return cls(**data)


def _optional_time(value) -> float | None:
    return None if value is None else float(value)


def _segment(data: dict) -> TranscriptSegment:
    seg = _build(TranscriptSegment, data)
    seg.words = [_build(Word, w) for w in seg.words]
    return seg


def _cue(data: dict, index: int = 0) -> Cue:
    if isinstance(data, dict) and "contributions" in data:
        # the field's earlier name (same meaning)
        data = dict(data)
        legacy = data.pop("contributions")
        data.setdefault("shares", legacy)
    number = data.get("number") if isinstance(data, dict) else None
    cue = _build(Cue, data, f"cue {number}" if isinstance(number, str) else f"cue #{index + 1}")
    cue.tempo_range = tuple(cue.tempo_range)
    cue.dynamics = [tuple(p) for p in cue.dynamics]
    cue.ducking = [tuple(p) for p in cue.ducking]
    cue.tempo_map = [tuple(p) for p in cue.tempo_map]
    if not (math.isfinite(cue.start) and math.isfinite(cue.end)):
        raise ValueError(f"cue {cue.number} has a start or end that is not a finite number")
    if cue.target is not None:
        cue.target = (float(cue.target[0]), float(cue.target[1]))
    if cue.hits is not None:
        cue.hits = [float(h) for h in cue.hits]
    if cue.end <= cue.start:
        raise ValueError(f"cue {cue.number} ends ({cue.end}) before it starts ({cue.start})")
    return cue


MAX_CUES = 5000  # a feature film has a few hundred music cues at most


def _cues(items) -> list[Cue]:
    if not isinstance(items, list):
        raise TypeError(f"cues must be a list, got {type(items).__name__}")
    if len(items) > MAX_CUES:
        raise ValueError(f"{len(items)} cues; a project holds at most {MAX_CUES}")
    cues = [_cue(c, i) for i, c in enumerate(items)]
    seen: dict[str, int] = {}
    for cue in cues:
        seen[cue.number] = seen.get(cue.number, 0) + 1
    twice = {n: k for n, k in seen.items() if k > 1}
    if twice:
        shown = ", ".join(f"{n} ({k} times)" for n, k in list(twice.items())[:3])
        raise ValueError(f"cue numbers must be unique; repeated: {shown}")
    return cues


def _upgrade_1_to_2(doc: dict) -> dict:
    """Version 1 kept cut times under "cuts" and had no music captions or cue sheet."""
    doc = dict(doc)
    doc["shots"] = doc.pop("cuts", [])
    doc.setdefault("music_captions", [])
    doc.setdefault("cue_sheet", {})
    doc["schema_version"] = 2
    return doc


# from-version -> function producing the next version's document
UPGRADES: dict[int, Callable[[dict], dict]] = {1: _upgrade_1_to_2}


def upgrade(doc: dict, path: str | Path | None = None) -> dict:
    """Lift a document of any known older schema to the current one.

    Raises:
        ProjectError: If the version is missing, newer than this Scorer, or unknown.
    """
    version = doc.get("schema_version")
    if not isinstance(version, int):
        raise ProjectError("not a Scorer project (no integer schema_version)", path)
    if version > SCHEMA_VERSION:
        raise ProjectError(f"made by a newer Scorer (schema {version}; this one reads up to "
                           f"{SCHEMA_VERSION}); update Scorer to open it", path)
    while version < SCHEMA_VERSION:
        if version not in UPGRADES:
            raise ProjectError(f"schema version {version} cannot be upgraded", path)
        doc = UPGRADES[version](doc)
        version = doc["schema_version"]
    return doc


def loads(text: str, path: str | Path | None = None) -> Project:
    """Parse, upgrade and validate a project document."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                           path) from exc
    except (ValueError, RecursionError) as exc:  # absurdly long numbers, deep nesting
        raise ProjectError(f"not a Scorer project (unreadable JSON: {exc})"[:300], path) from exc
    if not isinstance(doc, dict):
        raise ProjectError("not a Scorer project (top level is not an object)", path)
    return Project.from_dict(upgrade(doc, path), path)


def load(path: str | Path) -> Project:
    """Read a project file.

    Raises:
        ProjectError: If the file is missing, unreadable or invalid.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise ProjectError("project file not found", path)
    check_regular_file(path, ProjectError, "project file")  # /dev/zero would never end
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise ProjectError("project file not found", path) from exc
    except IsADirectoryError as exc:
        raise ProjectError("is a folder, not a project file", path) from exc
    except OSError as exc:
        raise ProjectError(f"cannot read project file ({describe_os_error(exc)})", path) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"not UTF-8 text (byte {exc.start}); not a Scorer project",
                           path) from exc
    project = loads(text, path)
    folder = path.resolve().parent
    for sug in project.suggestions:  # music beside the project is stored relative to it
        if sug.path and not Path(sug.path).is_absolute():
            sug.path = str(folder / sug.path)
    return project


def gather_music(project: Project, path: str | Path) -> list[str]:
    """Copy every suggestion's music into the project's music folder; update the paths.

    A project saved somewhere new (Save As, or an untitled project's first save) then carries
    its music beside it, and moving the project with its folder keeps it working.

    Returns:
        Notes about music files that could not be found (their suggestions keep their path).
    """
    import shutil

    target = music_folder(path)
    notes = []
    for sug in project.suggestions:
        if not sug.path:
            continue
        src = Path(sug.path)
        if not src.is_absolute():
            src = Path(path).resolve().parent / src
        if src.parent == target:
            continue
        if not src.is_file():
            notes.append(f"{sug.cue}: music file not found ({src})")
            continue
        target.mkdir(parents=True, exist_ok=True)
        dest = target / src.name
        if not dest.exists() or dest.stat().st_size != src.stat().st_size:
            shutil.copy2(src, dest)
        sug.path = str(dest)
    return notes


def _portable_text(project: Project, path: Path) -> str:
    """The document with music inside the project's folder written relative to it."""
    folder = path.resolve().parent
    doc = project.to_dict()
    for sug in doc.get("suggestions", []):
        p = sug.get("path") or ""
        if p and Path(p).is_absolute():
            try:
                sug["path"] = Path(p).resolve().relative_to(folder).as_posix()
            except ValueError:
                pass  # music elsewhere (a library file) keeps its absolute path
    return _escape_surrogates(json.dumps(doc, ensure_ascii=False, indent=1))


# a file name that is not valid UTF-8 reaches Python as lone surrogates ("surrogateescape")
_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(project: Project) -> str:
    """Serialise a project to JSON text (always encodable as UTF-8).

    Lone surrogates (file names that are not valid UTF-8) are written as JSON "u" escapes,
    which JSON reads back to the same string, so the path still opens the file.
    """
    return _escape_surrogates(json.dumps(project.to_dict(), ensure_ascii=False, indent=1))


def _escape_surrogates(text: str) -> str:
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def save(project: Project, path: str | Path) -> None:
    """Save atomically and drop the autosave, which is now older than the project.

    Raises:
        ProjectError: If the file cannot be written; the previous file is left intact.
    """
    path = Path(path)
    try:
        gather_music(project, path)
        atomic_write_bytes(path, _portable_text(project, path).encode("utf-8"))
    except IsADirectoryError as exc:
        raise ProjectError("is a folder; give a project file name (NAME.scorer.json)",
                           path) from exc
    except OSError as exc:
        raise ProjectError(f"cannot save project ({write_error_words(exc)})", path) from exc
    autosave_path(path).unlink(missing_ok=True)


def music_folder(project_path: str | Path) -> Path:
    """Return the folder beside a project where its adapted and generated music goes.

    The path is absolute: suggestions store it, and a relative one would be read against
    the wrong folder later (the exporter resolves paths from the project's folder).
    """
    project_path = Path(project_path).resolve()
    name = project_path.name
    for suffix in (".scorer.json", ".json", ".scorer"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return project_path.with_name(f"{name or 'project'}_music")


def autosave_path(path: str | Path) -> Path:
    """Return where the autosave of a project lives."""
    path = Path(path)
    return path.with_name(path.name + AUTOSAVE_SUFFIX)


def autosave(project: Project, path: str | Path) -> Path:
    """Write the autosave beside the project (atomically) and return its path.

    Raises:
        ProjectError: If it cannot be written (read-only or full disk), in words.
    """
    target = autosave_path(path)
    try:
        atomic_write_bytes(target, dumps(project).encode("utf-8"))
    except OSError as exc:
        raise ProjectError(f"cannot write the autosave ({write_error_words(exc)}); the "
                           "analysis stopped so that its work is not silently lost",
                           target) from exc
    return target


def recovery_candidate(path: str | Path) -> Path | None:
    """Return the autosave if it is newer than the project (i.e. work was not saved)."""
    path = Path(path)
    auto = autosave_path(path)
    if not auto.exists():
        return None
    if not path.exists() or auto.stat().st_mtime >= path.stat().st_mtime:
        return auto
    return None
