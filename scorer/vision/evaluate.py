"""Measure the shipped expression model on labelled FER2013 crops (no torch needed).

Used by ``models/training/eval_face_expression.py`` (prints the figures for the model card)
and by the test that holds the model to its accuracy floor.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from scorer.errors import InputError
from scorer.vision.faces import FER_SIZE, LABELS, ExpressionModel


def load_fer_split(root: str | Path, prefix: str = "PrivateTest",
                   limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Load FER2013 crops of one original split from ``root/test/<label>/<prefix>_*.jpg``.

    Args:
        root: The ``fer2013`` folder.
        prefix: "PrivateTest" (held-out test) or "PublicTest" (validation).
        limit: Take at most this many per class (evenly spread by file name), or all.

    Returns:
        (images uint8 (n, 48, 48), labels int (n,)) with labels indexing ``LABELS``.

    Raises:
        InputError: If the folder holds no such files.
    """
    root = Path(root)
    images, labels = [], []
    for ci, label in enumerate(LABELS):
        files = sorted((root / "test" / label).glob(f"{prefix}_*.jpg"))
        if limit is not None and len(files) > limit:
            files = [files[i] for i in np.linspace(0, len(files) - 1, limit).astype(int)]
        for path in files:
            img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise InputError("not a readable image", path)
            if img.shape != (FER_SIZE, FER_SIZE):
                img = cv2.resize(img, (FER_SIZE, FER_SIZE), interpolation=cv2.INTER_LINEAR)
            images.append(img)
            labels.append(ci)
    if not images:
        raise InputError(f"no {prefix}_*.jpg crops found under test/<label>/", root)
    return np.stack(images), np.asarray(labels)


def evaluate(images: np.ndarray, labels: np.ndarray,
             model: ExpressionModel | None = None) -> dict:
    """Return accuracy, macro recall and the confusion matrix of the expression model."""
    model = model or ExpressionModel()
    probs = np.concatenate([model.predict(images[i:i + 256]) for i in range(0, len(images), 256)])
    pred = probs.argmax(1)
    confusion = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(confusion, (labels, pred), 1)
    recall = np.diag(confusion) / np.maximum(confusion.sum(1), 1)
    return {"accuracy": float((pred == labels).mean()), "macro_recall": float(recall.mean()),
            "recall": dict(zip(LABELS, recall.round(4).tolist(), strict=True)),
            "confusion": confusion, "n": int(len(labels))}
