"""Find ONNX models, check their hashes, open one onnxruntime session per model.

Models live in the repository's ``models/`` folder (small files, each with a card) or, for
files built on first use, in the user's data folder (``user_models_dir()``). A model may have a
``NAME.onnx.sha256`` sidecar holding its SHA-256; a mismatch is reported as a ModelError rather
than loading a damaged file. Sessions are created once and shared (onnxruntime sessions are
thread-safe for ``run``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from scorer.errors import ModelError

_sessions: dict[str, object] = {}
_lock = threading.Lock()


def repo_models_dir() -> Path:
    """Return the ``models/`` folder shipped with Scorer (SCORER_MODELS_DIR overrides)."""
    override = os.environ.get("SCORER_MODELS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "models"


def user_models_dir() -> Path:
    """Return (and create) the per-user folder for models built on first use."""
    from platformdirs import user_data_dir

    path = Path(os.environ.get("SCORER_DATA_DIR") or user_data_dir("scorer")) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def find_model(name: str) -> Path:
    """Return the path of ``NAME.onnx`` in the shipped or the user models folder.

    Raises:
        ModelError: If it is in neither.
    """
    filename = name if name.endswith(".onnx") else f"{name}.onnx"
    for folder in (repo_models_dir(), user_models_dir()):
        candidate = folder / filename
        if candidate.exists():
            return candidate
    raise ModelError(f"model {filename} not found in {repo_models_dir()} or "
                     f"{user_models_dir()}; see models/README.md for how to build it")


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path) -> None:
    """Check a model against its ``.sha256`` sidecar, if it has one.

    Raises:
        ModelError: On a mismatch (a damaged or replaced file).
    """
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.exists():
        return
    expected = sidecar.read_text().split()[0].strip().lower()
    actual = sha256_of(path)
    if actual != expected:
        raise ModelError(f"model file is damaged or was replaced (SHA-256 {actual[:12]}... "
                         f"expected {expected[:12]}...); restore it from the repository", path)


def session(name: str, threads: int = 1):
    """Return the shared onnxruntime InferenceSession of a model, creating it once.

    Args:
        name: Model name (file stem in ``models/``).
        threads: Intra-op threads; analysis runs analyzers side by side, so 1 by default.

    Raises:
        ModelError: If the model is missing, damaged or cannot be opened.
    """
    with _lock:
        if name in _sessions:
            return _sessions[name]
        path = find_model(name)
        verify(path)
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            sess = ort.InferenceSession(str(path), sess_options=options,
                                        providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several private types
            raise ModelError(f"cannot open model ({exc})", path) from exc
        _sessions[name] = sess
        return sess


def available() -> list[dict]:
    """List the shipped and user-built models with size and hash status."""
    rows = []
    for folder in (repo_models_dir(), user_models_dir()):
        for path in sorted(folder.glob("*.onnx")):
            try:
                verify(path)
                status = "ok" if path.with_name(path.name + ".sha256").exists() else "no hash"
            except ModelError:
                status = "HASH MISMATCH"
            card = path.with_suffix(".md")
            rows.append({"name": path.stem, "path": str(path), "size": path.stat().st_size,
                         "status": status, "card": str(card) if card.exists() else ""})
    return rows
