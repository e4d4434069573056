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
