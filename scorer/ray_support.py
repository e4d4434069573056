"""Ray, the optional extra (``pip install "scorer[dist]"``) that spreads work past one process.

Nothing else in Scorer imports ray; the batch runner and the Ray library indexer get it from
here, so a missing install is one clear message, and a Ray that this process started is shut
down again while one it joined (``address``) is left running.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scorer.errors import ScorerError

log = logging.getLogger(__name__)

INSTALL_HINT = 'Ray is not installed; install the extra with  pip install -e ".[dist]"'
# the batch and the indexer pass small objects (paths, records); Ray's default object store
# takes 30% of memory, which a shared laptop does not want to give up
OBJECT_STORE_BYTES = 256 * 1024 * 1024


def ray_available() -> tuple[bool, str]:
    """Return (True, "") when ray imports, else (False, the reason)."""
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        return False, f"{INSTALL_HINT} ({exc})"
    return True, ""


def require_ray():
    """Return the ray module.

    Raises:
        ScorerError: Saying how to install it, when it is not installed.
    """
    ok, reason = ray_available()
    if not ok:
        raise ScorerError(reason)
    import ray

    return ray


@contextmanager
def ray_session(num_cpus: int | None = None, address: str | None = None) -> Iterator[object]:
    """Yield ray, connected: to ``address`` when given, else to a local Ray with ``num_cpus``.

    A Ray already running in this process (a test's, a notebook's) is used as it is and left
    running. A local Ray started here gets this process's ``PYTHONPATH`` (so workers import
    the same Scorer) and ``SCORER_DATA_DIR``, and is shut down on exit.

    Raises:
        ScorerError: If ray is not installed or the cluster cannot be reached.
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict = {
        "include_dashboard": False,
        "logging_level": logging.WARNING,
        "log_to_driver": False,
    }
    if address:
        kwargs["address"] = address
    else:
        kwargs.update(
            num_cpus=num_cpus or os.cpu_count() or 1,
            object_store_memory=OBJECT_STORE_BYTES,
            runtime_env={"env_vars": _worker_env()},
        )
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise ScorerError(f"cannot start or join {where} ({exc})") from exc
    try:
        yield ray
    finally:
        ray.shutdown()


def _worker_env() -> dict[str, str]:
    # workers must import this Scorer (a source checkout may not be installed) and use the
    # same user data folder (library index, built models)
    root = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    env = {"PYTHONPATH": root + (os.pathsep + path if path else "")}
    if os.environ.get("SCORER_DATA_DIR"):
        env["SCORER_DATA_DIR"] = os.environ["SCORER_DATA_DIR"]
    return env
