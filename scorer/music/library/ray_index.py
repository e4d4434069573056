"""Index a large catalogue with Ray Data, into the same SQLite library as the local indexer.

:class:`RayLibraryIndex` is a :class:`~scorer.music.library.index.LibraryIndex` whose feature
extraction runs as a Ray Data ``map_batches`` over the files that changed, on a pool of actors
that each import the readers and open the ONNX sessions (the music-emotion model) once. All
else is the local indexer's: the driver scans the folder and decides what changed (size, mtime,
SHA-1), and it alone writes to SQLite, in one transaction once every file is read, so an
interrupted run leaves the index as it was and the next run is incremental in the same way.
"""

from __future__ import annotations

import json
import logging

from scorer.errors import Cancelled
from scorer.music.library.index import LibraryIndex, Progress, _work

log = logging.getLogger(__name__)

BATCH_SIZE = 16  # files per actor call: big enough to hide Ray's per-call cost on tiny MIDI


class _Extractor:
    """A Ray Data actor: reads batches of files into index records."""

    def __init__(self):
        import warnings

        from scorer.music.library import features  # noqa: F401 - imports paid once here

        warnings.simplefilter("ignore")
        try:  # open the music-emotion session once; audio files use it
            from scorer.models import session
            from scorer.music import emotion

            session(emotion.MODEL_NAME)
        except Exception as exc:  # noqa: BLE001 - no model: the feature rules are used
            log.info("music-emotion model not opened in the Ray worker: %s", exc)

    def __call__(self, batch: dict) -> dict:
        paths, records, errors = [], [], []
        for path, numbers in zip(batch["path"], batch["numbers"], strict=True):
            wanted = json.loads(numbers) if numbers else None
            _, recs, error = _work((str(path), wanted))
            paths.append(str(path))
            records.append(json.dumps(recs, default=_plain) if recs is not None else "")
            errors.append(error)
        return {"path": paths, "records": records, "error": errors}


def _plain(value):
    # numpy scalars and arrays in a record (Arrow carries the record as JSON text)
    return value.tolist() if hasattr(value, "tolist") else str(value)


class RayLibraryIndex(LibraryIndex):
    """The library, with extraction on Ray Data (a local Ray, or a cluster at ``address``).

    Args:
        path: SQLite file; the user data folder's ``library.sqlite`` if None.
        address: Ray cluster to join; a local Ray is started when None (and no Ray runs yet).
        batch_size: Files per actor call.

    On a cluster, the music folder and the index must be on storage every node sees at the
    same path (the workers open the files by the paths the driver scanned).
    """

    def __init__(self, path=None, address: str | None = None, batch_size: int = BATCH_SIZE):
        super().__init__(path)
        self.address = address
        self.batch_size = batch_size

    def _extract(self, todo: list, say: Progress, cancel, workers: int) -> dict:
        from scorer.ray_support import ray_session

        results: dict[str, tuple[list | None, str]] = {}
        if not todo:
            say("index", 1.0)
            return results
        say("index", 0.0)
        with ray_session(num_cpus=max(1, workers), address=self.address) as ray:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            context.print_on_execution_start = False
            logging.getLogger("ray.data").setLevel(logging.WARNING)
            items = [
                {"path": key, "numbers": json.dumps(numbers) if numbers else ""}
                for key, numbers, *_rest in todo
            ]
            # no more actors than files: each costs a process that imports the readers
            n_actors = max(
                1,
                min(
                    len(items),
                    workers if not self.address else int(ray.cluster_resources().get("CPU", 1)),
                ),
            )
            # at least one block per actor (each gets work), at most a bounded number
            per_batch = -(-len(items) // self.batch_size)
            blocks = max(1, min(len(items), max(n_actors, per_batch), 64 * n_actors))
            ds = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
                _Extractor,
                batch_size=self.batch_size,
                compute=ray.data.ActorPoolStrategy(size=n_actors),
                num_cpus=1,
                batch_format="numpy",
            )
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                for path, recs, error in zip(
                    batch["path"], batch["records"], batch["error"], strict=True
                ):
                    results[str(path)] = (json.loads(recs) if recs else None, str(error))
                say("index", len(results) / len(todo))
        for key, *_rest in todo:  # a file Ray could not hand back is reported, not lost
            results.setdefault(key, (None, "not read (the Ray worker failed on it)"))
        return results
