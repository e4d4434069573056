"""Cinematic orchestration of a generated cue: texture by mood, layers that follow the picture.

The "cinematic" style (ostinato-minimalist underscore) keeps the melody LSTM as the thematic
source (a sparse theme, density bucket 0-1) and replaces the folk band of
:func:`scorer.music.arrange.arrange` with an orchestral texture chosen by the cue's quadrant:

- tense (negative valence, high arousal): a low-string ostinato (cellos in 8ths on a tonic
  pedal: tonic, octave, fifth, third), tremolo strings holding the chords (a cluster with an
  added second where the scene is loudest), horn
  theme, timpani and low brass from the middle intensity up;
- sad (negative, low): the theme on a solo cello over sparse piano (a broken chord per bar),
  contrabass roots, nothing else;
- joy (positive, high): the theme in the brass doubled by a flute an octave up, bright open
  string voicings (third on top), pizzicato basses on the beats, cymbal and timpani accents;
- calm (positive, low): the theme on a flute over a warm pad and harp arpeggios.

Intensity follows the cue's dynamics curve (the fused arousal over time): each layer has an
entry level and plays in a bar only when the level there is above it, so layers enter and leave
as the scene rises and falls. Into every hit point the tremolo/timpani swell (a crescendo of
repeated notes over the beat or two before it) and the hit itself is accented (timpani, crash
or low brass on the beat). Chords are voice-led (each inner voice moves to the nearest note of
the next chord). The ending is the cadence of :func:`scorer.music.arrange.choose_chords`
(V - I) with every sounding layer holding the tonic to the cue's last beat and a timpani roll.

All notes are placed on the cue's grid (:mod:`scorer.music.fit`), so hit points fall on beats.
"""

from __future__ import annotations

import math

import numpy as np

from scorer.affect.circumplex import quadrant
from scorer.music.arrange import (
    CHORDS,
    STEP,
    Arrangement,
    Note,
    Part,
    choose_chords,
    transpose_shift,
)
from scorer.music.corpus import decode_tokens
from scorer.music.fit import Grid, bar_beats, parse_meter

STYLE = "cinematic"
THEME_STYLE = "folk"  # the melody model that supplies the theme
DRUMS = 9
TIMPANI, CRASH, RIDE = 47, 49, 51  # GM program (timpani) and kit notes (crash, ride)

# layer name -> (GM program, entry level 0..1, gain); the level is the dynamics curve's
TEXTURES: dict[str, dict[str, tuple[int, float, float]]] = {
    "tense": {"ostinato": (42, 0.0, 0.85), "tremolo": (44, 0.0, 0.6), "theme": (60, 0.5, 0.9),
              "basses": (43, 0.35, 0.8), "brass": (57, 0.65, 0.8), "timpani": (TIMPANI, 0.55, 0.9),
              "perc": (0, 0.7, 0.8)},
    "sad": {"theme": (42, 0.0, 0.9), "piano": (0, 0.0, 0.6), "basses": (43, 0.45, 0.6),
            "pad": (49, 0.6, 0.45)},
    "excited": {"theme": (61, 0.0, 0.9), "strings": (48, 0.0, 0.65), "pizz": (45, 0.0, 0.75),
                "flute": (73, 0.55, 0.7), "timpani": (TIMPANI, 0.5, 0.85),
                "perc": (0, 0.6, 0.8)},
    "calm": {"theme": (73, 0.0, 0.85), "pad": (89, 0.0, 0.5), "harp": (46, 0.0, 0.65),
             "strings": (49, 0.55, 0.5)},
}


def _nearest(pc: int, target: float) -> int:
    base = int(round(target))
    return min((base + d for d in range(-6, 7) if (base + d) % 12 == pc % 12),
               key=lambda p: abs(p - target))


def _lead(previous: list[int] | None, pcs: tuple[int, ...], centre: float, voices: int = 4,
          bright: bool = False) -> list[int]:
    """Voice a chord near ``centre``, each voice moving to the nearest note of the new chord.

    The first chord is spread evenly around the centre; later ones keep every voice within a
    few semitones of where it was (common tones held), with every chord tone present.
    """
    if not previous:
        notes = [_nearest(pcs[k % len(pcs)], centre - 6 + 4 * k) for k in range(voices)]
    else:
        notes = [_nearest(min(pcs, key=lambda pc, p=p: abs(_nearest(pc, p) - p)), p)
                 for p in previous]
        missing = [pc for pc in pcs if pc not in {n % 12 for n in notes}]
        for pc in missing:  # the voice with the most doubled class takes the missing note
            counts = {n % 12: sum(m % 12 == n % 12 for m in notes) for n in notes}
            k = max(range(len(notes)), key=lambda i: (counts[notes[i] % 12], -abs(i - 1.5)))
            notes[k] = _nearest(pc, notes[k])
    notes = sorted(notes)
    if bright and len(pcs) > 1 and notes[-1] % 12 != pcs[1]:  # the third on top sounds bright
        notes[-1] = _nearest(pcs[1], notes[-1] + 2)
        notes.sort()
    # keep the voicing compact and out of mud
    return [int(np.clip(n, 45, 84)) for n in notes]


def orchestrate(tokens: list[str], *, mode: str, key: str, tempo: float, beats: float,
                register: int, valence: float, arousal: float,
                dynamics: list[tuple[float, float]] | None = None, cue_start: float = 0.0,
                title: str = "", hit_points: list[float] | None = None,
                tempo_map: list[tuple[float, float]] | None = None,
                meter: str = "4/4") -> Arrangement:
    """Orchestrate a theme (tokens in C major / A minor) for a cue in the cinematic style.

    Args:
        tokens: Theme tokens, one per 16th note.
        mode: "major" or "minor".
        key: Tonic of the cue's key.
        tempo: Base tempo (BPM).
        beats: Length in beats (the cue's grid over its duration).
        register: MIDI note the theme centres on.
        valence: Cue valence (chooses the texture with arousal).
        arousal: Cue arousal.
        dynamics: (clip time s, level 0..1) points: the intensity curve.
        cue_start: Clip time of beat 0.
        title: Conductor track name.
        hit_points: Clip times of hits: swells into them and accents on them.
        tempo_map: The cue's (beat, BPM) segments.
        meter: Time signature.

    Returns:
        The arrangement (parts per layer; drums on channel 10).
    """
    grid = Grid(list(tempo_map) if tempo_map else [(0.0, tempo)])
    meter = "{}/{}".format(*parse_meter(meter))
    bar_len = bar_beats(meter)
    steps_per_bar = max(1, int(round(bar_len / STEP)))
    bars = max(1, math.ceil((beats - 1.0) / bar_len - 1e-9))
    mood = quadrant(valence, arousal)
    texture = TEXTURES[mood]
    events = decode_tokens(tokens)
    shift = transpose_shift(key, mode, register, [p for p, _, _ in events if p is not None])
    chords = choose_chords(events, mode, bars, steps_per_bar)
    table = CHORDS[mode]

    # the intensity curve, one level per bar (its loudest moment) and per 16th
    steps = np.arange(math.ceil(beats / STEP) + 1) * STEP
    if dynamics:
        levels = np.clip(np.interp(cue_start + grid.seconds_array(steps),
                                   [p[0] for p in dynamics], [p[1] for p in dynamics]), 0, 1)
    else:
        levels = np.full(len(steps), float(np.clip(0.5 + 0.4 * arousal, 0.1, 1.0)))
    bar_level = [float(levels[int(b * bar_len / STEP):int((b + 1) * bar_len / STEP) + 1].max())
                 for b in range(bars)]

    parts: dict[str, Part] = {}
    channel = iter([c for c in range(16) if c != DRUMS])
    for name, (program, _, _) in texture.items():
        is_perc = name == "perc"
        parts[name] = Part(role="drums" if is_perc else name, name=name.capitalize(),
                           program=program, channel=DRUMS if is_perc else next(channel))

    def on(name: str, bar: int) -> bool:
        return name in texture and bar_level[min(bar, bars - 1)] >= texture[name][1]

    def add(name: str, pitch: int, start: float, length: float, accent: float = 1.0) -> None:
        end = min(start + length, beats)
        if name not in parts or start >= beats - 1e-9 or end - start <= 1e-9:
            return
        level = float(levels[min(len(levels) - 1, int(start / STEP))])
        vel = (30 + 90 * level) * texture[name][2] * accent
        parts[name].notes.append(Note(int(np.clip(pitch, 0, 127)), start, end - start,
                                      int(np.clip(round(vel), 1, 127))))

    # the theme: sparse, legato, in its register; the flute doubles it an octave up when joyful
    for pitch, start, length in events:
        if pitch is None:
            continue
        beat = start * STEP
        bar = min(int(beat // bar_len), bars - 1)
        if on("theme", bar):
            add("theme", pitch + shift, beat, length * STEP, 1.1 if beat % bar_len == 0 else 1.0)
        if on("flute", bar):
            add("flute", pitch + shift + 12, beat, length * STEP, 0.9)

    cadence_layer = next((name for name in ("basses", "pizz", "piano", "harp", "pad")
                          if name in parts), None)
    tonic_pc = (CHORDS[mode]["I" if mode == "major" else "i"][0] + shift) % 12
    low_tonic = 36 + (tonic_pc - 36) % 12
    third = 4 if mode == "major" else 3
    previous: list[int] | None = None
    tremolo_prev: list[int] | None = None
    pulse = 0.5  # ostinato and arpeggio pulse: 8th notes
    for bar, name in enumerate(chords):
        pcs = tuple((pc + shift) % 12 for pc in table[name])
        t0 = bar * bar_len
        last = bar == bars - 1
        span = beats - t0 if last else bar_len
        root = pcs[0]
        low_root = 36 + (root - 36) % 12
        voiced = _lead(previous, pcs, register - 9, bright=mood == "excited")
        previous = voiced
        if bar >= bars - 2 and cadence_layer is not None:  # V - I in the bass, always
            add(cadence_layer, low_root - 12 if low_root >= 43 else low_root, t0, span, 1.05)
        if last:  # the closing tonic: every layer that is playing holds it to the end
            for layer in ("tremolo", "strings", "pad"):
                if on(layer, bar):
                    for p in voiced:
                        add(layer, p, t0, span, 1.1)
            for layer in ("ostinato", "basses", "pizz"):
                if on(layer, bar):
                    add(layer, low_root, t0, span, 1.1)
            if "piano" in parts:
                for p in (low_root + 12, *voiced):
                    add("piano", p, t0, span)
            if "harp" in parts:
                for k, p in enumerate(sorted(voiced)):
                    add("harp", p, t0 + 0.25 * k, span - 0.25 * k)
            if on("timpani", bar):
                _roll(add, "timpani", low_root + 12 if low_root < 40 else low_root, t0, span)
            continue
        if on("ostinato", bar):  # low strings: a tonic pedal figure in 8ths, under it all
            pedal = low_root if bar == bars - 2 else low_tonic  # the dominant before the end
            figure = (pedal, pedal + 12, pedal + 7, pedal + 12 + (4 if pedal != low_tonic
                                                                  else third))
            for k in range(int(round(span / pulse))):
                add("ostinato", figure[k % 4], t0 + k * pulse, pulse * 0.8,
                    1.15 if k % 4 == 0 else 1.0)
        if on("tremolo", bar):  # tremolo strings: the chord, a cluster (added 2nd) when loud
            cluster = set(_lead(tremolo_prev, pcs, register - 4, voices=3))
            if bar_level[bar] >= 0.7:
                cluster.add(_nearest((root + 2) % 12, register - 4))
            cluster = sorted(cluster)
            tremolo_prev = cluster[:3]
            for p in cluster:
                add("tremolo", p, t0, span)
        if on("basses", bar):
            add("basses", low_root - 12 if low_root >= 40 else low_root, t0, span)
        if on("strings", bar):
            for p in voiced:
                add("strings", p, t0, span)
        if on("pad", bar):
            for p in voiced:
                add("pad", p, t0, span)
        if on("pizz", bar):
            for k in range(int(round(span))):
                add("pizz", low_root if k % 2 == 0 else low_root + 7, t0 + k, 0.4)
        if on("piano", bar):  # sparse: a broken chord, one note a beat
            notes = [low_root + 12, *sorted(voiced)[:3]]
            for k in range(int(round(span))):
                add("piano", notes[k % len(notes)], t0 + k, 1.5, 0.9)
        if on("harp", bar):  # arpeggio up and down in 8ths
            up = sorted(voiced) + [sorted(voiced)[0] + 12]
            figure = up + up[-2:0:-1]
            for k in range(int(round(span / pulse))):
                add("harp", figure[k % len(figure)], t0 + k * pulse, pulse * 1.8)
        if on("brass", bar):
            for p in (low_root + 12, low_root + 19):
                add("brass", p, t0, span * 0.9, 0.9)
        if on("timpani", bar):
            add("timpani", low_root + 12 if low_root < 40 else low_root, t0, 0.5, 1.1)
        if on("perc", bar):
            for k in range(int(round(span))):
                add("perc", 36 if k % 2 == 0 else 38, t0 + k, 0.25, 1.0 if k else 1.15)
    # hits: a swell over the beat or two before, an accent on the beat
    for t in hit_points or []:
        hit = grid.beat(t - cue_start)
        if not 0.5 <= hit < beats - 1e-6:
            continue
        hit = round(hit)
        bar = min(int(hit // bar_len), bars - 1)
        root = (CHORDS[mode][chords[bar]][0] + shift) % 12
        low_root = 36 + (root - 36) % 12
        timp = low_root + 12 if low_root < 40 else low_root
        lead_in = 2.0 if hit >= 2 else 1.0
        swell = "timpani" if "timpani" in parts else ("tremolo" if "tremolo" in parts else None)
        if swell is not None:
            _roll(add, swell, timp if swell == "timpani" else low_root + 24, hit - lead_in,
                  lead_in, crescendo=True)
        if "timpani" in parts:
            add("timpani", timp, hit, 1.0, 1.3)
        if "perc" in parts:
            add("perc", CRASH, hit, 2.0, 1.2)
        elif "brass" in parts:
            add("brass", low_root + 12, hit, 1.0, 1.2)
        elif "basses" in parts:
            add("basses", low_root, hit, 1.0, 1.2)
    for part in parts.values():
        part.notes.sort(key=lambda n: (n.start, n.pitch))
    ordered = [p for p in parts.values() if p.notes]
    markers = []
    for t in hit_points or []:
        beat = grid.beat(t - cue_start)
        if 0.0 <= beat < beats:
            markers.append((round(beat, 6), f"hit {t:.3f} s"))
    return Arrangement(title=title, tempo=tempo, beats=beats, key=key, mode=mode, parts=ordered,
                       chords=chords, markers=markers,
                       tempo_map=[(float(b), float(t)) for b, t in grid.segments]
                       if tempo_map else [], meter=meter)


def _roll(add, name: str, pitch: int, start: float, length: float,
          crescendo: bool = False) -> None:
    """A roll (16th notes); a crescendo from soft to full when asked (a swell into a hit)."""
    n = max(1, int(round(length / 0.25)))
    for k in range(n):
        accent = (0.35 + 0.75 * k / max(1, n - 1)) if crescendo else 0.8
        add(name, pitch, start + 0.25 * k, 0.25, accent)
