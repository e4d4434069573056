"""Browse the music library by hand: search by text, mood, tempo, key and instrumentation.

The editor's own search, beside the automatic suggestions: a :class:`BrowseQuery` filters and
ranks the indexed pieces (:class:`scorer.music.library.index.LibraryIndex`) and
:func:`browse` returns :class:`Hit` rows, best first. A piece the editor picks is then adapted
to a cue exactly as a suggestion is (:func:`scorer.music.library.suggest.suggestion_for_entry`).

- text: every word must appear in the title, the file name, the key, the mood quadrant, the
  instrument families or the music tags (case-insensitive);
- mood: a circumplex quadrant ("excited", "tense", "calm", "sad") keeps the pieces in it; a
  valence/arousal point ranks by distance to it (nearest first);
- tempo: a BPM range; pieces without a tempo marking are left out when a range is asked for;
- key and mode: the piece's estimated tonic and mode;
- instrumentation: a General MIDI family (program // 8), "drums" or "voice"; symbolic pieces
  are read from their MIDI programs, audio pieces from the music tagger's instrument words;
  or one instrument of :data:`scorer.music.instruments.CLASSES` ("cello", "harp"...), named by
  a symbolic piece's programs or recognised in audio (models/instrument_recognition.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from scorer.affect.circumplex import quadrant
from scorer.music.instruments import CLASSES, names
from scorer.music.library.features import DRUM_PROGRAM, tag_list

QUADRANTS = ("excited", "tense", "calm", "sad")
KEYS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#", "Cb": "B", "Fb": "E",
          "E#": "F", "B#": "C"}

# the sixteen General MIDI program families (program // 8), in the standard's order
GM_FAMILIES = ("piano", "chromatic percussion", "organ", "guitar", "bass", "strings",
               "ensemble", "brass", "reed", "pipe", "synth lead", "synth pad",
               "synth effects", "ethnic", "percussive", "sound effects")
FAMILIES = GM_FAMILIES + ("drums", "voice")
# the music tagger's instrument words (scorer.music.musicnn.TAG_WORDS) as families
TAG_FAMILIES = {"guitar": ("guitar",), "strings": ("strings",), "violin": ("strings",),
                "cello": ("strings",), "harp": ("strings",), "orchestral": ("strings",
                                                                            "ensemble"),
                "drums": ("drums",), "piano": ("piano",), "harpsichord": ("piano",),
                "synth": ("synth lead", "synth pad"), "electronic": ("synth lead",
                                                                     "synth pad"),
                "flute": ("pipe",), "sitar": ("ethnic",), "choir": ("voice", "ensemble"),
                "vocals": ("voice",)}
VOICE_PROGRAMS = range(52, 55)  # choir aahs, voice oohs, synth voice


@dataclass
class BrowseQuery:
    """What the editor is looking for; empty fields do not filter.

    Attributes:
        text: Words that must all appear (title, file, key, mood, instruments, tags).
        mood: A circumplex quadrant name ("excited", "tense", "calm", "sad") or "".
        valence: With ``arousal``, a point on the plane to rank by (nearest first).
        arousal: See ``valence``.
        tempo_min: Lowest tempo (BPM) or None.
        tempo_max: Highest tempo (BPM) or None.
        key: Tonic ("C", "F#", "Bb"...) or "".
        mode: "major", "minor" or "".
        instrument: One of :data:`FAMILIES` or :data:`scorer.music.instruments.CLASSES`,
            or "".
        limit: At most this many hits.
    """

    text: str = ""
    mood: str = ""
    valence: float | None = None
    arousal: float | None = None
    tempo_min: float | None = None
    tempo_max: float | None = None
    key: str = ""
    mode: str = ""
    instrument: str = ""
    limit: int = 200

    @classmethod
    def from_dict(cls, data: dict) -> BrowseQuery:
        """Build a query from JSON-ready fields (unknown keys are refused)."""
        return cls(**data)


@dataclass
class Hit:
    """One piece found, with what the browser shows of it."""

    entry: object  # scorer.music.library.index.Entry
    score: float  # 1 best; by distance to the asked point, else by text matches
    quadrant: str
    families: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    instruments: list[str] = field(default_factory=list)  # named or recognised instruments

    def row(self) -> dict:
        """The hit as JSON-ready fields (what crosses from a worker process to the GUI)."""
        e = self.entry
        return {"id": e.id, "title": e.title, "path": e.path, "kind": e.kind,
                "source": e.source, "duration": round(e.duration, 2),
                "tempo": round(e.tempo, 1), "tempo_known": bool(e.tempo_known),
                "key": e.key, "mode": e.mode, "valence": round(e.valence, 3),
                "arousal": round(e.arousal, 3), "quadrant": self.quadrant,
                "families": list(self.families), "tags": list(self.tags),
                "instruments": list(self.instruments),
                "score": round(self.score, 4)}


def normalise_key(key: str) -> str:
    """"Bb" -> "A#", "c" -> "C"; "" stays ""; an unknown name raises ValueError."""
    key = key.strip()
    if not key:
        return ""
    name = key[0].upper() + key[1:]
    name = _FLATS.get(name, name)
    if name not in KEYS:
        raise ValueError(f"unknown key {key!r} (use C, C#, Db ... B)")
    return name


def families(entry) -> list[str]:
    """The instrument families a piece is known to use (empty: not known)."""
    found: list[str] = []
    for program in entry.features.get("programs") or []:
        program = int(program)
        if program == DRUM_PROGRAM:
            name = "drums"
        elif program in VOICE_PROGRAMS:
            name = "voice"
        elif 0 <= program < DRUM_PROGRAM:
            name = GM_FAMILIES[program // 8]
        else:
            continue
        if name not in found:
            found.append(name)
    for word in (entry.features.get("tags") or {}).get("instruments", []):
        for name in TAG_FAMILIES.get(word[0] if isinstance(word, list | tuple) else word, ()):
            if name not in found:
                found.append(name)
    return found


def _check(query: BrowseQuery) -> BrowseQuery:
    from scorer.errors import ScorerError

    if query.mood and query.mood not in QUADRANTS:
        raise ScorerError(f"unknown mood {query.mood!r} (use {', '.join(QUADRANTS)})")
    if query.mode and query.mode not in ("major", "minor"):
        raise ScorerError(f"unknown mode {query.mode!r} (use major or minor)")
    if query.instrument and query.instrument not in FAMILIES + CLASSES:
        raise ScorerError(f"unknown instrumentation {query.instrument!r} (use a family: "
                          f"{', '.join(FAMILIES)}; or an instrument: {', '.join(CLASSES)})")
    if (query.valence is None) != (query.arousal is None):
        raise ScorerError("a mood point needs both valence and arousal")
    for name in ("tempo_min", "tempo_max"):
        value = getattr(query, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ScorerError(f"{name.replace('_', ' ')} must be a tempo above 0 BPM")
    try:
        key = normalise_key(query.key)
    except ValueError as exc:
        raise ScorerError(str(exc)) from None
    return BrowseQuery(**{**query.__dict__, "key": key})


def browse(index, query: BrowseQuery) -> list[Hit]:
    """Return the library's pieces that match ``query``, best first.

    Ranking: with a valence/arousal point, by distance to it; otherwise by how many of the
    text's words the title itself holds, then by title.

    Raises:
        ScorerError: If a field of the query is not valid (the message says which).
    """
    query = _check(query)
    words = [w.lower() for w in query.text.split() if w.strip()]
    lo, hi = query.tempo_min, query.tempo_max
    hits: list[Hit] = []
    for e in index.entries():
        if lo is not None or hi is not None:
            if not e.tempo_known:
                continue
            if (lo is not None and e.tempo < lo - 1e-6) or (hi is not None and e.tempo > hi
                                                              + 1e-6):
                continue
        if query.key and normalise_key(e.key) != query.key:
            continue
        if query.mode and e.mode != query.mode:
            continue
        where = quadrant(e.valence, e.arousal)
        if query.mood and where != query.mood:
            continue
        fams = families(e)
        heard = names(e.features) or []
        if query.instrument and query.instrument not in fams + heard:
            continue
        tags = tag_list(e.features)
        title = e.title.lower()
        if words:
            haystack = " ".join([title, Path(e.path).name.lower(), e.key.lower(), e.mode,
                                 where, *fams, *heard, *(t.lower() for t in tags)])
            if not all(w in haystack for w in words):
                continue
        if query.valence is not None:
            score = 1.0 - math.hypot(e.valence - query.valence, e.arousal - query.arousal) / 2
        else:
            score = (sum(w in title for w in words) / len(words)) if words else 1.0
        hits.append(Hit(e, score, where, fams, tags, heard))
    hits.sort(key=lambda h: (-h.score, h.entry.title.lower(), h.entry.id))
    return hits[:max(0, query.limit)]


def playable_file(entry, folder: str | Path) -> Path:
    """A file the renderer plays for a piece: MIDI and audio as they are, scores as MIDI.

    Args:
        entry: The indexed piece.
        folder: Where a score's MIDI rendering is written.

    Raises:
        InputError: If the score cannot be read.
    """
    if entry.kind in ("midi", "audio"):
        return Path(entry.path)
    from scorer.music.library.adapt import load_midi

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"preview-{entry.id}.mid"
    load_midi(entry).write(str(target))  # written each time: ids are reused after re-indexing
    return target
