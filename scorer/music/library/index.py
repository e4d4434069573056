"""The music library index: an SQLite file in the user data folder.

``files`` holds one row per file seen (size, mtime, SHA-1, status and, for an unreadable file,
the reason); ``pieces`` holds one row per piece (an ABC file may hold many tunes) with its
features, valence/arousal per piece and per section, and a short vector for diversity.

Adding a folder is incremental: a file whose size and mtime match its row is skipped; one whose
size or mtime changed is hashed and re-read only if its content changed. Features are extracted
in up to two worker processes (the machine's cores are shared). Queries score every piece at
once with numpy over arrays loaded from SQLite once (see :mod:`scorer.music.library.retrieval`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scorer.errors import Cancelled, InputError, ScorerError, describe_os_error
from scorer.music.library import features as feat

log = logging.getLogger(__name__)

SCHEMA = 1
MAX_WORKERS = 2
# Worker processes cost seconds to start (spawn + importing music21/librosa), so small batches
# are read in this process; a rough estimate of the seconds of work decides.
PARALLEL_MIN_SECONDS = 8.0


def _cost(path: str, size: int, numbers: list[int] | None) -> float:
    """Rough seconds to read a file (measured on music21's corpus and generated files)."""
    kind, kb = feat.kind_of(path), size / 1024
    if kind == "midi":
        return 0.01 + 0.002 * kb
    if kind == "audio":
        return 1.0 + 0.0005 * kb
    if numbers:
        return 0.05 * len(numbers)
    return max(0.05, kb * (0.03 if path.endswith(".mxl") else 0.006))
Progress = Callable[[str, float], None]
# marks a failure that may not be the file's fault (a crashed worker pool)
_RETRY = "\x00retry\x00"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, added REAL, source TEXT);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, folder TEXT, size INTEGER, mtime REAL, sha1 TEXT,
    status TEXT, error TEXT, indexed REAL);
CREATE TABLE IF NOT EXISTS pieces (
    id INTEGER PRIMARY KEY, path TEXT, ref TEXT, title TEXT, kind TEXT, format TEXT,
    source TEXT, duration REAL, tempo REAL, tempo_known INTEGER, key TEXT, mode TEXT,
    valence REAL, arousal REAL, confidence REAL, method TEXT,
    features TEXT, sections TEXT, vector BLOB);
CREATE INDEX IF NOT EXISTS pieces_path ON pieces(path);
CREATE INDEX IF NOT EXISTS files_folder ON files(folder);
"""

VECTOR_DIM = 8


def default_index_path() -> Path:
    """Return ``library.sqlite`` in the user data folder (SCORER_DATA_DIR overrides)."""
    from scorer.models import user_models_dir

    return user_models_dir().parent / "library.sqlite"


@dataclass
class Entry:
    """One indexed piece."""

    id: int
    path: str
    ref: str
    title: str
    kind: str
    format: str
    source: str
    duration: float
    tempo: float
    tempo_known: bool
    key: str
    mode: str
    valence: float
    arousal: float
    confidence: float
    method: str
    features: dict = field(default_factory=dict)
    sections: list = field(default_factory=list)


@dataclass
class AddReport:
    """What adding a folder did."""

    folder: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    pieces: int = 0
    extracted: list[str] = field(default_factory=list)  # files read this time
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people."""
        return (f"{self.folder}: {self.added} added, {self.updated} changed, {self.unchanged} "
                f"unchanged, {self.removed} removed, {len(self.failed)} unreadable; "
                f"{self.pieces} pieces read in {self.seconds:.1f} s")


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _work(job: tuple[str, list[int] | None]) -> tuple[str, list[dict] | None, str]:
    """Worker: extract one file; errors come back as text, never as an exception."""
    path, numbers = job
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # music21/librosa warn about harmless things
            return path, feat.extract(path, numbers), ""
    except MemoryError:
        return path, None, "too large to read (out of memory)"
    except ScorerError as exc:  # already in words; the path is listed beside it
        return path, None, exc.message
    except OSError as exc:
        return path, None, f"cannot read ({describe_os_error(exc)})"
    except Exception as exc:  # any reader failure means "unreadable": record the reason
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return path, None, f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class LibraryIndex:
    """The music library: add folders, list pieces, query by emotion, tempo and duration.

    Args:
        path: SQLite file; the user data folder's ``library.sqlite`` if None.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_index_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # usable from a GUI worker thread; callers use one index from one thread at a time
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.executescript(_DDL)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            if self.meta("extractor") != feat.EXTRACTOR_VERSION:
                # features of another version: make every file look changed, and let the
                # default library be added again (it is otherwise added once per curation)
                self._db.execute("UPDATE files SET size=-1, sha1=''")
                self._db.execute("DELETE FROM meta WHERE key='default_library'")
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('extractor', ?)",
                                 (feat.EXTRACTOR_VERSION,))
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise ScorerError(f"library index is damaged or not an SQLite file ({exc}); "
                              "delete it to rebuild the library", self.path) from exc
        self._arrays = None

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ meta

    def meta(self, key: str, default: str = "") -> str:
        """Return a stored setting."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def folders(self) -> list[tuple[str, str, int]]:
        """Return (folder, source, number of pieces) for every added folder."""
        rows = self._db.execute(
            "SELECT f.path, f.source, (SELECT COUNT(*) FROM pieces p JOIN files x "
            "ON p.path = x.path WHERE x.folder = f.path) FROM folders f ORDER BY f.added")
        return [(r[0], r[1], r[2]) for r in rows]

    def failures(self) -> list[tuple[str, str]]:
        """Return (file, reason) for every file that could not be read."""
        return list(self._db.execute(
            "SELECT path, error FROM files WHERE status='error' ORDER BY path"))

    # ------------------------------------------------------------ adding

    def add_folder(self, folder: str | Path, progress: Progress | None = None,
                   cancel=None, workers: int = MAX_WORKERS) -> AddReport:
        """Index every supported file under ``folder`` (recursively), incrementally.

        Args:
            folder: Folder of MIDI, MusicXML, ABC, WAV, MP3 or FLAC files.
            progress: Called with ("scan" | "index", fraction).
            cancel: A CancelToken; when set, extraction stops, nothing is written and
                Cancelled is raised.
            workers: Worker processes (at most 2; 1 reads in this process).

        Returns:
            The report, with unreadable files and their reasons in ``failed``.

        Raises:
            InputError: If the folder does not exist.
            Cancelled: When cancelled.
        """
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            raise InputError("music folder not found (or not a folder)", folder)
        # not only regular files: a pipe or a link loop named *.mid is listed as unreadable
        files = sorted(p for p in folder.rglob("*")
                       if feat.kind_of(p) and not p.name.startswith(".") and not p.is_dir())
        jobs = [(p, None) for p in files]
        return self._add(str(folder), "user", jobs, progress, cancel, workers)

    def add_jobs(self, folder: str, source: str, jobs: Iterable[tuple[Path, list[int] | None]],
                 progress: Progress | None = None, cancel=None,
                 workers: int = MAX_WORKERS) -> AddReport:
        """Index a chosen list of files (and tunes) as one folder; the default library uses it.

        Files of this folder that are not in ``jobs`` are dropped from the index.
        """
        return self._add(folder, source, list(jobs), progress, cancel, workers)

    def _add(self, folder: str, source: str, jobs: list, progress, cancel,
             workers: int) -> AddReport:
        started = time.monotonic()
        report = AddReport(folder)
        say = progress or (lambda stage, fraction: None)
        known = {r[0]: r[1:] for r in self._db.execute(
            "SELECT path, size, mtime, sha1, error FROM files WHERE folder=?", (folder,))}
        todo, touch, seen = [], [], set()
        say("scan", 0.0)
        for i, (path, numbers) in enumerate(jobs):
            key = str(path)
            seen.add(key)
            try:
                st = os.stat(path)
            except OSError as exc:
                report.failed.append((key, f"cannot read ({describe_os_error(exc)})"))
                continue
            if not stat.S_ISREG(st.st_mode):  # a pipe or device would block or never end
                report.failed.append((key, "not a regular file (a pipe, device or socket)"))
                continue
            old = known.get(key)
            if old and old[0] == st.st_size and old[1] == st.st_mtime:
                report.unchanged += 1
                if old[3]:  # still unreadable: list it again
                    report.failed.append((key, old[3]))
                continue
            try:
                digest = _sha1(Path(path))
            except OSError as exc:  # no read permission, a folder named *.mid, a lost share
                report.failed.append((key, f"cannot read ({describe_os_error(exc)})"))
                continue
            if old and old[2] == digest:  # touched but same content
                touch.append((st.st_size, st.st_mtime, key))
                report.unchanged += 1
                continue
            todo.append((key, numbers, st.st_size, st.st_mtime, digest, old is not None))
            if i % 50 == 0:
                say("scan", i / max(1, len(jobs)))
        say("scan", 1.0)
        gone = [p for p in known if p not in seen]
        results = self._extract(todo, say, cancel, workers)
        with self._db:  # one transaction: a cancel above leaves the index as it was
            self._db.execute("INSERT OR IGNORE INTO folders VALUES (?, ?, ?)",
                             (folder, time.time(), source))
            self._db.executemany("UPDATE files SET size=?, mtime=? WHERE path=?", touch)
            for path in gone:
                self._db.execute("DELETE FROM pieces WHERE path=?", (path,))
                self._db.execute("DELETE FROM files WHERE path=?", (path,))
            report.removed = len(gone)
            for key, _numbers, size, mtime, digest, existed in todo:
                records, error = results[key]
                if error.startswith(_RETRY):
                    error = error[len(_RETRY):]
                    size, digest = -1, ""  # looks changed next time: read it again
                self._db.execute("DELETE FROM pieces WHERE path=?", (key,))
                self._db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, folder, size, mtime, digest, "error" if error else "ok", error,
                     time.time()))
                report.extracted.append(key)
                if error:
                    report.failed.append((key, error))
                    continue
                report.updated += existed
                report.added += not existed
                for rec in records:
                    self._insert(key, source, rec)
                    report.pieces += 1
        self._arrays = None
        report.seconds = time.monotonic() - started
        for path, reason in report.failed:
            log.warning("skipped unreadable music file %s: %s", path, reason)
        return report

    def _extract(self, todo: list, say: Progress, cancel, workers: int) -> dict:
        results: dict[str, tuple[list | None, str]] = {}
        if not todo:
            say("index", 1.0)
            return results
        workers = max(1, min(MAX_WORKERS, workers, len(todo)))
        work = sum(_cost(key, size, numbers) for key, numbers, size, *_rest in todo)
        if work < PARALLEL_MIN_SECONDS:
            workers = 1
        say("index", 0.0)
        if workers == 1:
            for i, (key, numbers, *_rest) in enumerate(todo):
                if cancel is not None:
                    cancel.raise_if_set()
                _, records, error = _work((key, numbers))
                results[key] = (records, error)
                say("index", (i + 1) / len(todo))
            return results
        # spawn, not fork: the GUI process has threads, and forking those is unsafe
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        try:
            pending = {pool.submit(_work, (key, numbers)): key
                       for key, numbers, *_rest in todo}
            while pending:
                done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                for future in done:
                    key = pending.pop(future)
                    try:
                        _, records, error = future.result()
                    except BrokenProcessPool:
                        # the whole pool is gone, not only this file's reader: the file is
                        # listed but read again next time (see _RETRY)
                        records, error = None, _RETRY + "the reader crashed on this file"
                    results[key] = (records, error)
                say("index", len(results) / len(todo))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return results

    def _insert(self, path: str, source: str, rec: dict) -> int:
        vec = np.asarray(rec["vector"], dtype=np.float32)
        cur = self._db.execute(
            "INSERT INTO pieces (path, ref, title, kind, format, source, duration, tempo, "
            "tempo_known, key, mode, valence, arousal, confidence, method, features, sections, "
            "vector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (path, rec.get("ref", ""), rec["title"], rec["kind"], rec["format"], source,
             rec["duration"], rec["tempo"], int(rec["tempo_known"]), rec["key"], rec["mode"],
             rec["valence"], rec["arousal"], rec["confidence"], rec["method"],
             json.dumps(rec.get("features", {})), json.dumps(rec.get("sections", [])),
             vec.tobytes()))
        return int(cur.lastrowid)

    def add_records(self, records: Iterable[dict], source: str = "synthetic",
                    path: str = "") -> int:
        """Insert ready-made piece records (benchmarks, imports); returns how many."""
        n = 0
        with self._db:
            for rec in records:
                self._insert(rec.get("path", path), source, rec)
                n += 1
        self._arrays = None
        return n

    def remove_folder(self, folder: str | Path) -> int:
        """Forget a folder (as listed by :meth:`folders`) and its pieces; returns how many."""
        key = str(folder)
        with self._db:
            n = self._db.execute("DELETE FROM pieces WHERE path IN (SELECT path FROM files "
                                 "WHERE folder=?)", (key,)).rowcount
            self._db.execute("DELETE FROM files WHERE folder=?", (key,))
            self._db.execute("DELETE FROM folders WHERE path=?", (key,))
        self._arrays = None
        return n

    # ------------------------------------------------------------ reading

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM pieces").fetchone()[0])

    def _entry(self, row) -> Entry:
        return Entry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                     bool(row[9]), row[10], row[11], row[12], row[13], row[14], row[15],
                     json.loads(row[16] or "{}"), json.loads(row[17] or "[]"))

    _COLUMNS = ("id, path, ref, title, kind, format, source, duration, tempo, tempo_known, key, "
                "mode, valence, arousal, confidence, method, features, sections")

    def entries(self, source: str | None = None) -> list[Entry]:
        """Return every indexed piece (of one source: "user", "music21", ... if given)."""
        sql = f"SELECT {self._COLUMNS} FROM pieces"
        args: tuple = ()
        if source:
            sql += " WHERE source=?"
            args = (source,)
        return [self._entry(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def search_tags(self, words: Iterable[str]) -> list[Entry]:
        """Return the pieces whose music tags hold every one of ``words`` (any case).

        Tags are the mood, tempo-feel and instrumentation words musicnn gives audio pieces
        and the style (folk, irish, chorale, pop-piano) that ``scorer.music.style`` gives
        symbolic pieces (``features["tags"]``).
        """
        from scorer.music.library.features import tag_list

        wanted = {w.strip().lower() for w in words if w.strip()}
        # a cheap SQL pre-filter on the JSON text, then an exact check of the words
        sql = f"SELECT {self._COLUMNS} FROM pieces WHERE features LIKE '%\"tags\"%' ORDER BY id"
        out = []
        for row in self._db.execute(sql):
            entry = self._entry(row)
            if wanted <= {t.lower() for t in tag_list(entry.features)}:
                out.append(entry)
        return out

    def instruments_of(self, ids: Iterable[int]) -> dict[int, list[str] | None]:
        """The instrument names of these pieces (None where not known), by id.

        Read straight from the features' JSON (``features["instruments"]``: recognised in
        audio, named by the programs of MIDI and score pieces) without building entries.
        """
        from scorer.music.instruments import names

        ids = [int(i) for i in ids]
        out: dict[int, list[str] | None] = {}
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            chunk = ids[start:start + 500]
            sql = ("SELECT id, json_extract(features, '$.instruments') FROM pieces "
                   f"WHERE id IN ({','.join('?' * len(chunk))})")
            for pid, text in self._db.execute(sql, chunk):
                out[int(pid)] = None if text is None else names({"instruments":
                                                                 json.loads(text)})
        return out

    def search_instruments(self, wanted: Iterable[str]) -> list[Entry]:
        """Return the pieces known to have every one of these instruments (any case)."""
        from scorer.music.instruments import names

        wanted = {w.strip().lower() for w in wanted if w.strip()}
        sql = (f"SELECT {self._COLUMNS} FROM pieces WHERE features LIKE '%\"instruments\"%' "
               "ORDER BY id")
        out = []
        for row in self._db.execute(sql):
            entry = self._entry(row)
            if wanted <= {n.lower() for n in names(entry.features) or []}:
                out.append(entry)
        return out

    def get(self, ids: Iterable[int]) -> list[Entry]:
        """Return the pieces with these ids, in that order."""
        ids = [int(i) for i in ids]
        if not ids:
            return []
        rows = {r[0]: r for r in self._db.execute(
            f"SELECT {self._COLUMNS} FROM pieces WHERE id IN ({','.join('?' * len(ids))})",
            ids)}
        return [self._entry(rows[i]) for i in ids if i in rows]

    def arrays(self) -> dict[str, np.ndarray]:
        """Columns of every piece as numpy arrays (loaded once, reloaded after a change)."""
        if self._arrays is None:
            rows = self._db.execute(
                "SELECT id, valence, arousal, tempo, tempo_known, duration, confidence, "
                "path, vector FROM pieces ORDER BY id").fetchall()
            n = len(rows)
            self._arrays = {
                "id": np.fromiter((r[0] for r in rows), np.int64, n),
                "valence": np.fromiter((r[1] for r in rows), np.float32, n),
                "arousal": np.fromiter((r[2] for r in rows), np.float32, n),
                "tempo": np.fromiter((r[3] for r in rows), np.float64, n),
                "log_tempo": np.log(np.maximum(np.fromiter((r[3] for r in rows), np.float64,
                                                           n), 1.0)).astype(np.float32),
                "tempo_known": np.fromiter((r[4] for r in rows), bool, n),
                "duration": np.fromiter((r[5] for r in rows), np.float32, n),
                "confidence": np.fromiter((r[6] for r in rows), np.float64, n),
                # pieces of one file count as near-identical for diversity
                "group": np.unique([r[7] for r in rows], return_inverse=True)[1]
                if n else np.zeros(0, np.int64),
                "log2_duration": np.log2(np.maximum(np.fromiter(
                    (r[5] for r in rows), np.float64, n), 1e-3)).astype(np.float32),
                "vector": (np.frombuffer(b"".join(r[8] for r in rows), dtype=np.float32)
                           .reshape(n, VECTOR_DIM) if n else np.zeros((0, VECTOR_DIM),
                                                                      np.float32)),
            }
            from scorer.music.library.retrieval import tempo_bins

            self._arrays["tempo_bin"] = tempo_bins(self._arrays["log_tempo"],
                                                   self._arrays["tempo_known"])
        return self._arrays

    def query(self, valence: float, arousal: float, tempo: float | None = None,
              duration: float | None = None, n: int = 5, **options):
        """Return the ``n`` best pieces for a target, diverse, each with an explanation.

        See :func:`scorer.music.library.retrieval.rank` for the scoring and ``options``.
        """
        from scorer.music.library.retrieval import rank

        return rank(self, valence, arousal, tempo, duration, n, **options)

    def ensure_default(self, progress: Progress | None = None, cancel=None,
                       limit: int | None = None) -> AddReport | None:
        """Index the bundled music21 corpus subset once (the library that works out of the box).

        Returns:
            The report when it indexed now, None when it was already there.
        """
        from scorer.music.library import default

        return default.ensure(self, progress, cancel, limit)
