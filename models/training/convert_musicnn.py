"""Convert musicnn's MSD and MTT TF1 checkpoints to ONNX (tags + 200-d penultimate embedding).

The checkpoints come from the ``musicnn`` wheel on PyPI (ISC licence, Pons & Serra 2019). The
wheel is NOT installed (it pins numpy<1.17); it is downloaded and unzipped:

    pip download --no-deps musicnn==0.1.0 -d /work/cache/musicemo/wheel
    unzip musicnn-0.1.0-py3-none-any.whl -d /work/cache/musicemo/wheel/unz

Then, in a tool-only venv (tensorflow-cpu 2.15.1, tf2onnx 1.17, onnx 1.16.2, librosa,
onnxruntime; never the app's venv):

    /work/venvs/musicemo/bin/python models/training/convert_musicnn.py \
        --wheel /work/cache/musicemo/wheel/unz --out models

The graph is musicnn's own ``models.define_model`` built in inference mode (batch norm from
its moving statistics, no dropout), restored from the checkpoint, frozen and converted.
Input ``logmel`` (n, 187, 96): 3-s patches of musicnn's log-compressed mel spectrogram
(``scorer.music.musicnn.log_mel``). Outputs ``tags`` (n, 50) sigmoid probabilities and
``embedding`` (n, 200) the penultimate layer (dense 200 after batch norm).

Check: on a few real clips the ONNX tags from Scorer's numpy/librosa front end are compared
with the TF model fed musicnn's own front end (``extractor.batch_data``); the figures are
printed and written to ``--report``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
N_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
N_MELS = 96


def build_frozen(wheel: Path, name: str):
    """Return (graph_def, input name, output names) of one checkpoint, frozen for inference."""
    import tensorflow as tf

    sys.path.insert(0, str(wheel))
    from musicnn import models  # the wheel's own graph code (TF1 layers)

    tf.compat.v1.reset_default_graph()
    graph = tf.compat.v1.get_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS], name="logmel")
        # Python False, not a placeholder: batch norm and dropout fold to inference mode
        logits, *_rest, penultimate = models.define_model(x, False, name, 50)
        tf.identity(tf.nn.sigmoid(logits), name="tags")
        tf.identity(penultimate, name="embedding")
    sess = tf.compat.v1.Session(graph=graph)
    saver = tf.compat.v1.train.Saver()
    saver.restore(sess, str(wheel / "musicnn" / name) + "/")
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
        sess, graph.as_graph_def(), ["model/tags", "model/embedding"]
    )
    return sess, frozen


def convert(wheel: Path, name: str, out: Path) -> Path:
    import tf2onnx

    sess, frozen = build_frozen(wheel, name)
    model_proto, _ = tf2onnx.convert.from_graph_def(
        frozen,
        input_names=["model/logmel:0"],
        output_names=["model/tags:0", "model/embedding:0"],
        opset=17,
    )
    import onnx

    # plain names for the app
    rename = {"model/logmel:0": "logmel", "model/tags:0": "tags", "model/embedding:0": "embedding"}
    for node in model_proto.graph.node:
        node.input[:] = [rename.get(i, i) for i in node.input]
        node.output[:] = [rename.get(o, o) for o in node.output]
    for v in list(model_proto.graph.input) + list(model_proto.graph.output):
        v.name = rename.get(v.name, v.name)
    model_proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "n"
    onnx.checker.check_model(model_proto)
    path = out / f"musicnn_{name.split('_')[0].lower()}.onnx"
    onnx.save_model(model_proto, str(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_suffix(".onnx.sha256").write_text(f"{digest}  {path.name}\n")
    sess.close()
    return path


def tf_reference(wheel: Path, name: str, batch: np.ndarray) -> np.ndarray:
    """Tags of the TF model itself on a batch of patches."""
    import tensorflow as tf

    sess, frozen = build_frozen(wheel, name)
    out = sess.run("model/tags:0", {"model/logmel:0": batch})
    sess.close()
    tf.compat.v1.reset_default_graph()
    return out


def musicnn_batch(path: Path) -> np.ndarray:
    """musicnn's own front end (extractor.batch_data, copied behaviour: float16 then log10)."""
    import librosa

    audio, sr = librosa.load(str(path), sr=16000)
    rep = librosa.feature.melspectrogram(
        y=audio, sr=sr, hop_length=256, n_fft=512, n_mels=N_MELS, pad_mode="reflect"
    ).T
    rep = np.log10(10000 * rep.astype(np.float16) + 1)
    starts = range(0, rep.shape[0] - N_FRAMES + 1, N_FRAMES)
    return np.stack([rep[s : s + N_FRAMES] for s in starts]).astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", type=Path, default=Path("/work/cache/musicemo/wheel/unz"))
    ap.add_argument("--out", type=Path, default=REPO / "models")
    ap.add_argument(
        "--clips",
        type=Path,
        nargs="*",
        default=None,
        help="audio files for the TF-vs-ONNX check (default: 4 Emotify/4Q clips)",
    )
    ap.add_argument("--report", type=Path, default=Path("/work/cache/musicemo/convert.json"))
    args = ap.parse_args()

    import tensorflow as tf

    tf.compat.v1.disable_v2_behavior()
    sys.path.insert(0, str(REPO))
    import onnxruntime as ort

    from scorer.music import musicnn as mn

    data = REPO.parent.parent / "shared" / "data" / "music-emotion"
    if not data.exists():
        data = Path("/work/shared/data/music-emotion")
    clips = (
        args.clips
        or [data / "emotify" / "audio" / f"{t}.ogg" for t in ("004", "161")]
        + sorted((data / "4q" / "audio").glob("*.ogg"))[:2]
    )
    report = {}
    for name in ("MSD_musicnn", "MTT_musicnn"):
        path = convert(args.wheel, name, args.out)
        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        rows = []
        for clip in clips:
            ref_batch = musicnn_batch(clip)
            ref = tf_reference(args.wheel, name, ref_batch)
            same_input = sess.run(["tags"], {"logmel": ref_batch})[0]
            y, sr = mn.load_mono(clip)
            ours = sess.run(["tags"], {"logmel": mn.patches(mn.log_mel(y, sr))})[0]
            n = min(len(ours), len(ref))
            rows.append(
                {
                    "clip": clip.name,
                    "onnx_vs_tf_same_input_max_abs": float(np.abs(same_input - ref).max()),
                    "scorer_frontend_vs_tf_max_abs": float(np.abs(ours[:n] - ref[:n]).max()),
                    "clip_mean_tags_max_abs": float(
                        np.abs(ours[:n].mean(0) - ref[:n].mean(0)).max()
                    ),
                    "top5_same": sorted(np.argsort(-ours[:n].mean(0))[:5].tolist())
                    == sorted(np.argsort(-ref[:n].mean(0))[:5].tolist()),
                }
            )
        report[name] = {"file": path.name, "bytes": path.stat().st_size, "clips": rows}
        print(name, json.dumps(report[name], indent=1), flush=True)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
