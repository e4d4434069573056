"""Generate an arranged MIDI score for a cue: router -> melody LSTM -> arranger -> MIDI.

The cue says how long (start/end), how fast (tempo), in which key and mode, around which note
(register), how excited (arousal: note density, accompaniment, percussion), how loud over time
(dynamics) and on which instruments (programs). The score sits on the cue's grid
(:func:`scorer.music.fit.cue_grid`): bar 1 at the cue's start, its meter, and a tempo map that
puts the hit points on beats. The melody is sampled in C major / A minor for
the cue's length minus a closing stretch, which holds the tonic over the final V - I cadence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import mido

from scorer.errors import ExportError, ScorerError
from scorer.music import melody as melody_mod
from scorer.music.arrange import Arrangement, arrange
from scorer.music.cinematic import orchestrate
from scorer.music.fit import bar_beats, cue_grid
from scorer.music.midi import midi_bytes, to_midi
from scorer.music.perform import shape
from scorer.project import Cue, atomic_write_bytes

STEPS_PER_BEAT = 4
THEME_BARS = 8  # length of a cinematic theme before it is restated


@dataclass
class GeneratedScore:
    """A generated, arranged cue."""

    cue: str
    style: str
    seed: int
    temperature: float
    midi: mido.MidiFile
    duration_s: float
    melody: list[str] = field(default_factory=list)  # tokens in C major / A minor
    arrangement: Arrangement | None = None
    performance: dict = field(default_factory=dict)  # see scorer.music.perform.shape

    @property
    def chords(self) -> list[str]:
        """Roman numerals of the chords, one per bar."""
        return self.arrangement.chords if self.arrangement else []

    def save(self, path: str | Path) -> Path:
        """Write the MIDI file atomically and return its path.

        Raises:
            ExportError: If it cannot be written (the previous file is left intact).
        """
        path = Path(path)
        try:
            atomic_write_bytes(path, midi_bytes(self.midi))
        except OSError as exc:
            raise ExportError(f"cannot write MIDI file ({exc.strerror or exc})", path) from exc
        return path


def available_styles() -> list[str]:
    """Return the melody styles whose model is installed."""
    return melody_mod.available_styles()


def _closing_steps(total_steps: int, bar_len: float = 4.0) -> int:
    """Steps of the closing tonic: from the last bar line at least a half note before the end."""
    bar = max(1, int(round(bar_len * STEPS_PER_BEAT)))
    start = ((total_steps - 2 * STEPS_PER_BEAT) // bar) * bar
    if start <= 0:
        start = max(0, total_steps - 2 * STEPS_PER_BEAT)
    return total_steps - start


def _with_closing_tonic(tokens: list[str], mode: str, closing: int) -> list[str]:
    """Append the tonic nearest the last melody note, held for ``closing`` steps."""
    pitches = [int(t) for t in tokens if t.isdigit()]
    last = pitches[-1] if pitches else (72 if mode == "major" else 69)
    tonic_pc = 0 if mode == "major" else 9
    tonic = min((p for p in range(48, 85) if p % 12 == tonic_pc), key=lambda p: abs(p - last))
    return tokens + [str(tonic)] + ["_"] * (closing - 1)


def generate_for_cue(cue: Cue, style: str | None = None, seed: int = 0,
                     temperature: float = 1.0, seed_melody: list[str] | str | Path | None = None,
                     use_seed: bool = True) -> GeneratedScore:
    """Generate an arranged score that lasts exactly the cue.

    Args:
        cue: The cue (length, tempo, key, mode, register, arousal, dynamics, programs).
        style: "cinematic" (orchestral underscore over a folk-model theme), or a melody
            style ("folk", "irish", "chorale"); None lets the router choose.
        seed: Random seed; the same cue and arguments give the same music.
        temperature: Sampling temperature (> 0).
        seed_melody: Tokens, a bundled seed name, a token file or a MIDI file; None takes a
            bundled seed for the cue's mode.
        use_seed: False starts the melody from silence (no seed at all).

    Raises:
        ScorerError: For an impossible cue or temperature; ModelError if no model is installed.
    """
    if cue.duration <= 0 or cue.tempo <= 0:
        raise ScorerError(f"cue {cue.number} has no length or tempo")
    if not temperature > 0:
        raise ScorerError(f"temperature must be above 0 (got {temperature})")
    styles = melody_mod.available_styles()
    if style is None:
        style = melody_mod.route_style(cue.valence, cue.arousal, cue.instrumentation, styles)
    elif style not in styles:
        raise ScorerError(f"no melody model for style {style!r}; installed: "
                          f"{', '.join(styles) or 'none'}")
    mode = "minor" if cue.mode.lower().startswith("min") else "major"
    grid = cue_grid(cue)  # the cue's tempo map: hit points on beats
    beats = grid.beat(cue.duration)
    meter = getattr(cue, "meter", "4/4") or "4/4"
    total = max(1, math.ceil(beats * STEPS_PER_BEAT - 1e-6))
    closing = _closing_steps(total, bar_beats(meter))
    if isinstance(seed_melody, list):
        primer = list(seed_melody)
    elif seed_melody is not None:
        primer = melody_mod.load_seed(seed_melody)
    else:
        primer = melody_mod.default_seed(mode, seed) if use_seed else []
    cinematic = style == melody_mod.CINEMATIC
    model = melody_mod.MelodyModel.load(melody_mod.THEME_STYLE if cinematic else style)
    body = total - closing
    # a cinematic theme is sparse: the orchestra's ostinati and arpeggios carry the motion
    density = melody_mod.arousal_bucket(cue.arousal)
    if cinematic:
        density = max(0, density - 1)
    # minimalist writing states a theme and restates it while the orchestra evolves: the
    # cinematic theme is sampled for THEME_BARS bars and repeated from bar lines
    bar_steps = max(1, int(round(bar_beats(meter) * STEPS_PER_BEAT)))
    sampled = min(body, THEME_BARS * bar_steps) if cinematic else body
    tokens = model.sample(sampled, mode=mode, density=density,
                          temperature=temperature, seed=seed, primer=primer)[0] if body else []
    if cinematic and tokens and sampled < body:
        tokens = (tokens * (body // sampled + 1))[:body]
    tokens = _with_closing_tonic(tokens, mode, closing)
    if cinematic:
        arr = orchestrate(tokens, mode=mode, key=cue.key, tempo=cue.tempo, beats=beats,
                          register=cue.register, valence=cue.valence, arousal=cue.arousal,
                          dynamics=list(cue.dynamics), cue_start=cue.start,
                          title=f"{cue.number} {cue.title}".strip(),
                          hit_points=list(cue.hit_points), tempo_map=grid.segments,
                          meter=meter)
    else:
        arr = arrange(tokens, mode=mode, key=cue.key, tempo=cue.tempo, beats=beats,
                      register=cue.register, arousal=cue.arousal, programs=dict(cue.programs),
                      style=style, dynamics=list(cue.dynamics), cue_start=cue.start,
                      title=f"{cue.number} {cue.title}".strip(), hit_points=list(cue.hit_points),
                      tempo_map=grid.segments, meter=meter)
    arr, performance = shape(arr, cue.valence, cue.arousal)
    return GeneratedScore(cue=cue.number, style=style, seed=seed, temperature=temperature,
                          midi=to_midi(arr), duration_s=cue.duration, melody=tokens,
                          arrangement=arr, performance=performance)
