"""Shared fixtures: labelled data location, generated media, a guard against ERROR logs."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Return ../shared/data (SCORER_SHARED_DATA overrides)."""
    override = os.environ.get("SCORER_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The labelled data folder; the test skips cleanly when it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"labelled data not present at {path}")
    return path


@pytest.fixture(autouse=True)
def fail_on_error_logs(caplog):
    """Fail any test during which something logged at ERROR or above."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    if errors:
        pytest.fail("ERROR logged: " + "; ".join(r.getMessage() for r in errors[:5]))


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """Keep user data (library index, built models, caches) out of the real home folder."""
    monkeypatch.setenv("SCORER_DATA_DIR", str(tmp_path_factory.getbasetemp() / "userdata"))
    # per test: remembered production details must not leak from one test into the next
    monkeypatch.setenv("SCORER_CONFIG_DIR", str(tmp_path_factory.mktemp("userconfig")))


@pytest.fixture(scope="session")
def local_ray(tmp_path_factory):
    """One local 2-CPU Ray for the whole test session, started by the first test that asks.

    Skips when ray (the ``dist`` extra) is not installed, unless SCORER_REQUIRE_RAY is set (the
    README's test command sets it, having installed Ray): then a missing Ray fails the test.
    """
    from scorer.ray_support import ray_available, ray_session

    ok, reason = ray_available()
    if not ok:
        if os.environ.get("SCORER_REQUIRE_RAY"):
            pytest.fail(f"SCORER_REQUIRE_RAY is set but {reason}")
        pytest.skip(reason)
    with pytest.MonkeyPatch.context() as mp:
        # the workers get the user data folder the autouse fixture gives each test
        mp.setenv("SCORER_DATA_DIR", str(tmp_path_factory.getbasetemp() / "userdata"))
        with ray_session(num_cpus=2) as ray:
            yield ray
    # ray_session shuts down the Ray it started


def pytest_collection_modifyitems(config, items):
    """Run the tests that use the session's Ray last.

    So the Ray they share is started once, late, and no later test forks a child from a process
    that holds Ray's gRPC threads (gRPC does not support fork unless told to).
    """
    items.sort(key=lambda item: "local_ray" in getattr(item, "fixturenames", ()))
