"""Melody generation: the conditioned LSTM (ONNX, step by step) and the per-style router.

Each style has its own model ``models/melody_STYLE.onnx`` (built by
``models/training/train_melody.py``). The graph is one 16th-note time step with the LSTM state
as inputs and outputs, so sampling runs in onnxruntime without torch. It is conditioned on mode
(major/minor) and a note-density bucket (low/mid/high), which arousal selects.

Tokens are those of :mod:`scorer.music.corpus`: a MIDI pitch (in C major / A minor), ``_`` hold,
``r`` rest; ``/`` starts a tune and is never sampled inside a melody.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.errors import InputError, ModelError, check_regular_file, describe_os_error
from scorer.music.corpus import HOLD, REST, START, VOCAB
from scorer.music.reading import midi_reason

DEFAULT_STYLE = "folk"
STYLE_ORDER = ("folk", "irish", "chorale")
CINEMATIC = "cinematic"  # an orchestral texture over a theme from THEME_STYLE's model
THEME_STYLE = "folk"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "resources" / "seeds"
_models: dict[str, MelodyModel] = {}
_lock = threading.Lock()


MAX_SEED_MIDI_SECONDS = 600.0


def arousal_bucket(arousal: float) -> int:
    """Return the note-density bucket (0 low, 1 mid, 2 high) that an arousal asks for."""
    if arousal < -1 / 3:
        return 0
    if arousal > 1 / 3:
        return 2
    return 1


@dataclass
class MelodyModel:
    """One style's melody LSTM, opened through :func:`scorer.models.session`."""

    style: str
    session: object
    vocab: list[str]
    hidden: int
    density_means: list[float]

    @classmethod
    def load(cls, style: str) -> MelodyModel:
        """Open (once) the model of a style.

        Raises:
            ModelError: If the model is missing, damaged or not a melody model.
        """
        with _lock:
            if style in _models:
                return _models[style]
            from scorer.models import session

            sess = session(f"melody_{style}")
            meta = sess.get_modelmeta().custom_metadata_map
            try:
                vocab = json.loads(meta["vocab"])
                model = cls(style=style, session=sess, vocab=vocab, hidden=int(meta["hidden"]),
                            density_means=json.loads(meta.get("density_means", "[]")))
            except (KeyError, ValueError) as exc:
                raise ModelError(f"melody_{style}.onnx lacks melody metadata ({exc})") from exc
            if vocab != VOCAB:
                raise ModelError(f"melody_{style}.onnx was trained on another vocabulary; "
                                 "rebuild it with models/training/train_melody.py")
            _models[style] = model
            return model

    def sample(self, steps: int, mode: str = "major", density: int = 1,
               temperature: float = 1.0, seed: int = 0, primer: list[str] | None = None,
               batch: int = 1) -> list[list[str]]:
        """Sample melodies: the primer (seed melody) followed by new steps.

        Args:
            steps: Total tokens per melody, primer included (a longer primer is cut).
            mode: "major" or "minor" (the condition; tokens are in C major / A minor).
            density: Note-density bucket 0..2 (see :func:`arousal_bucket`).
            temperature: Softmax temperature (> 0); lower is more conservative.
            seed: Random seed; the same arguments give the same melodies.
            primer: Seed melody tokens (C major / A minor); none starts from silence.
            batch: Number of independent melodies sampled side by side.

        Returns:
            ``batch`` token lists of length ``steps``.
        """
        if temperature <= 0:
            raise ValueError("temperature must be > 0")
        rng = np.random.default_rng(seed)
        cond = np.zeros((batch, 5), np.float32)
        cond[:, 0 if mode == "major" else 1] = 1.0
        cond[:, 2 + int(np.clip(density, 0, 2))] = 1.0
        h = np.zeros((batch, self.hidden), np.float32)
        c = np.zeros((batch, self.hidden), np.float32)
        index = {tok: i for i, tok in enumerate(self.vocab)}
        primer = [t for t in (primer or []) if t in index and t != START][:steps]
        feed = [START] + primer
        out = [list(primer) for _ in range(batch)]
        logits = None
        for tok in feed:
            token = np.full(batch, index[tok], np.int64)
            logits, h, c = self.session.run(None, {"token": token, "cond": cond, "h": h, "c": c})
        banned = np.zeros(len(self.vocab), bool)
        banned[index[START]] = True  # a tune never ends inside a cue
        hold = index[HOLD]
        for step in range(steps - len(primer)):
            z = logits.astype(np.float64) / temperature
            z[:, banned] = -np.inf
            if step == 0 and not primer:
                z[:, hold] = -np.inf  # nothing to hold yet
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            u = rng.random((batch, 1))
            choice = np.minimum((p.cumsum(axis=1) < u).sum(axis=1), len(self.vocab) - 1)
            for b in range(batch):
                out[b].append(self.vocab[choice[b]])
            if step < steps - len(primer) - 1:
                logits, h, c = self.session.run(
                    None, {"token": choice.astype(np.int64), "cond": cond, "h": h, "c": c})
        return out


def available_styles() -> list[str]:
    """Return the styles that can be generated, in router order.

    Each melody style needs its model; the cinematic style (:mod:`scorer.music.cinematic`)
    takes its theme from the folk model and is available with it.
    """
    from scorer.models import find_model

    styles = []
    for style in STYLE_ORDER:
        try:
            find_model(f"melody_{style}")
        except ModelError:
            continue
        styles.append(style)
    if THEME_STYLE in styles:
        styles.append(CINEMATIC)
    return styles


def route_style(valence: float, arousal: float, instrumentation: str = "",
                styles: list[str] | None = None) -> str:
    """Choose a style for a cue (the source paper's model router).

    Words in the instrumentation ("chorale", "choir", "organ"; "irish", "celtic", "fiddle",
    "reel"; "folk", "guitar") choose those idioms. Otherwise a cue gets film underscore, the
    cinematic style, when it is among ``styles``; without it, solemn, slow cues (low arousal,
    not positive) go to the chorale model, lively cues (high arousal) to the Irish dance-tune
    model and everything else to the folk model. A style that is not installed falls back to
    the first available one.
    """
    styles = available_styles() if styles is None else styles
    if not styles:
        raise ModelError("no melody model installed (models/melody_*.onnx); build one with "
                         "models/training/train_melody.py")
    words = instrumentation.lower()
    if any(w in words for w in ("chorale", "choir", "organ", "hymn")):
        wish = "chorale"
    elif any(w in words for w in ("irish", "celtic", "fiddle", "reel", "jig")):
        wish = "irish"
    elif any(w in words for w in ("folk", "guitar", "song")):
        wish = "folk"
    elif CINEMATIC in styles:  # film underscore unless the cue asks for a folk idiom
        wish = CINEMATIC
    elif arousal <= -0.3 and valence <= 0.1:
        wish = "chorale"
    elif arousal >= 0.45:
        wish = "irish"
    else:
        wish = DEFAULT_STYLE
    if wish in styles:
        return wish
    return DEFAULT_STYLE if DEFAULT_STYLE in styles else styles[0]


def load_seed(name_or_path: str | Path, mode: str | None = None) -> list[str]:
    """Return seed melody tokens (C major / A minor) from a bundled seed or a user file.

    Args:
        name_or_path: A name in ``resources/seeds`` ("major_1"), a ``.txt`` token file, a
            MIDI file (its top line is taken, quantised to 16ths and transposed to C major /
            A minor by key analysis), or an audio file (WAV, MP3, FLAC, OGG...: a hummed, sung
            or played tune, transcribed by :mod:`scorer.music.transcribe`, then the same), or
            an image of a printed single-staff melody (PNG, JPEG...: read by
            :mod:`scorer.music.omr`, then the same).
        mode: Unused for files; kept for symmetry with :func:`default_seed`.

    Raises:
        InputError: If the file is missing or holds no usable melody.
    """
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SEEDS_DIR / f"{name_or_path}.txt"
    if not path.exists() and not path.is_symlink():
        raise InputError("seed melody not found", path)
    check_regular_file(path, InputError, "seed melody file")  # a pipe would block for ever
    if path.suffix.lower() in (".mid", ".midi"):
        return _seed_from_midi(path)
    from scorer.music.transcribe import AUDIO_SUFFIXES, seed_from_audio

    if path.suffix.lower() in AUDIO_SUFFIXES:
        return seed_from_audio(path)
    from scorer.music.omr import IMAGE_SUFFIXES, PDF_SUFFIXES, seed_from_image

    if path.suffix.lower() in IMAGE_SUFFIXES + PDF_SUFFIXES:
        return seed_from_image(path)
    try:
        tokens = path.read_text(encoding="utf-8").split()
    except UnicodeDecodeError as exc:
        raise InputError(f"not a seed melody (not UTF-8 text: byte {exc.start})", path) from exc
    except OSError as exc:
        raise InputError(f"cannot read seed melody ({describe_os_error(exc)})", path) from exc
    bad = [t for t in tokens if t not in VOCAB or t == START]
    if bad or not tokens:
        raise InputError(f"not a seed melody (unknown tokens {bad[:3]})" if bad
                         else "seed melody is empty", path)
    return tokens


def _seed_from_midi(path: Path) -> list[str]:
    import mido
    from music21 import converter

    from scorer.music.corpus import encode_stream

    # checked before music21 quantises it: a damaged delta time can make a file claim hours,
    # and quantising hours of rests takes minutes
    try:
        length = mido.MidiFile(str(path)).length
    except (OSError, ValueError, EOFError, KeyError, IndexError, ZeroDivisionError) as exc:
        raise InputError(f"cannot read MIDI seed melody: {midi_reason(exc)}", path) from exc
    if length > MAX_SEED_MIDI_SECONDS:
        raise InputError(f"MIDI seed melody lasts {length / 60:.0f} minutes; a seed is a few "
                         f"bars (at most {MAX_SEED_MIDI_SECONDS / 60:.0f} minutes are read)",
                         path)
    try:
        score = converter.parse(str(path), quantizePost=True)
    except Exception as exc:  # noqa: BLE001 - music21/mido raise many types on bad files
        raise InputError(f"cannot read MIDI seed melody ({str(exc)[:160] or type(exc).__name__})",
                         path) from exc
    parts = list(getattr(score, "parts", [])) or [score]
    best = max(parts, key=lambda p: len(p.flatten().notes))
    try:
        enc = encode_stream(best.chordify() if len(parts) == 1 else best)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot encode MIDI seed melody ({exc})", path) from exc
    if enc is None:
        raise InputError("MIDI seed melody has too few notes (8 or more on a 16th grid)", path)
    return enc["tokens"][:64]


def default_seed(mode: str, index: int = 0) -> list[str]:
    """Return a bundled seed melody for a mode (cycling through ``resources/seeds``)."""
    files = sorted(SEEDS_DIR.glob(f"{mode}_*.txt"))
    if not files:
        return []
    return load_seed(files[index % len(files)])


def melody_stats(tokens: list[str], mode: str) -> dict:
    """Return in-scale share, onsets per step and whether it ends on the tonic.

    Tokens are in C major / A minor, so the scale is the white keys (plus G# for the raised
    leading tone in minor).
    """
    pitches = [int(t) for t in tokens if t not in (HOLD, REST, START)]
    scale = {0, 2, 4, 5, 7, 9, 11} | ({8} if mode == "minor" else set())
    tonic = 0 if mode == "major" else 9
    if not pitches:
        return {"in_scale": 0.0, "density": 0.0, "ends_on_tonic": False, "notes": 0}
    return {"in_scale": sum(p % 12 in scale for p in pitches) / len(pitches),
            "density": len(pitches) / max(1, len(tokens)),
            "ends_on_tonic": pitches[-1] % 12 == tonic, "notes": len(pitches)}
