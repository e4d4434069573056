"""Cue planning: split the clip into music cues and fill in what each cue asks of the music.

Boundaries: the fused valence/arousal trajectory (:mod:`scorer.affect.fusion`) is segmented with
PELT change-point detection (``ruptures``, least-squares cost on the two dimensions). Each change
is snapped to the shot cut nearest to it (within ``snap`` seconds), else to the middle of the
nearest pause in speech, else kept where it is: music that changes on a cut or in a pause is
heard as motivated. Then cues shorter than ``min_length`` are merged into the neighbour whose
mood is closer, and cues longer than ``max_length`` are split at the cut (else pause, else
time) nearest their middle. Cues the editor locked (``Cue.locked``) are kept exactly as they are;
only the stretches between them are re-planned.

Numbering: reel 1, cue n: "1M1", "1M2"... in time order. Locked cues keep their numbers; new cues
take the lowest free numbers in time order.

Per cue:

- target valence/arousal: confidence-weighted mean of the fused track over the cue.
- tempo range: centre 100 + 40 * arousal BPM (60..140; arousal is felt mostly through tempo,
  Juslin & Laukka 2004), nudged up by fast speech (words per second above a conversational 2.5)
  and by fast cutting (cuts per minute above 12), +- ``tempo_width`` BPM.
- tempo: the tempo inside the range whose beats (beat 1 at the cue's start) fall closest to the
  cue's hit points (the cuts inside it). It first minimises the number of hits more than
  ``tolerance_ms`` (30 ms) from a beat, then the mean absolute error, then the distance from the
  range's centre. ``Cue.hit_error_ms`` is the **mean** absolute hit-to-beat error in ms.
- tempo map, meter, bar-1 offset (the music-fit contract, :mod:`scorer.music.fit`): bar 1's
  downbeat at the cue's start in 4/4; from the tempo, a map of tempo segments that puts every
  hit reachable by a change of at most 8 % exactly on a beat, and the cue's end on a beat.
  Generated music is written on this grid; library pieces on one built the same way from
  their own tempo and meter.
- key, mode and register from valence: major for valence >= 0, minor below; brighter (sharper)
  keys for higher valence and darker (flatter) minor keys for lower valence; the melody's centre
  note rises with valence (60 + 10 * valence), since high pitch goes with happiness and low
  pitch with sadness.
- instrumentation: a General MIDI preset per circumplex quadrant (``INSTRUMENTATION``), a quiet
  neutral underscore near the centre.
- dynamics: (time, level 0..1) points from the fused arousal, 0.5 + 0.4 * arousal.
- ducking: (start, end) stretches where people speak (prosody "speech" activity >= 0.5, or a
  transcript segment), so the mix can dip the music under dialogue.
- shares: each modality's confidence-weighted mean share of the fusion over the cue, for the
  editor ("faces 55 %, voice 30 %, music 15 %", :func:`format_shares`).

Settings (``project.settings["cues"]`` overrides): ``min_length`` 6 s, ``max_length`` 90 s,
``snap`` 4 s, ``sensitivity`` 0.25 (a V or A step of this size held for ``min_length`` on both
sides is a change), ``penalty`` (PELT penalty; automatic if absent), ``tempo_width`` 12 BPM,
``tolerance_ms`` 30.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from fractions import Fraction

import numpy as np
import ruptures as rpt

from scorer.affect.circumplex import quadrant
from scorer.affect.fusion import fuse_project, project_duration, shares
from scorer.errors import ScorerError
from scorer.music.fit import DEFAULT_METER, hit_tempo_map
from scorer.project import Cue, Project
from scorer.timebase import clip_timebase, format_clock
from scorer.track import Track

REEL = 1

# General MIDI programs (0-based, as in MIDI files; drums are a kit number on channel 10).
INSTRUMENTATION: dict[str, dict[str, int]] = {
    # happy / excited: brass lead over piano, electric bass, strings, standard kit
    "bright_band": {"melody": 56, "harmony": 0, "bass": 33, "pad": 48, "drums": 0},
    # angry / afraid: horn over tremolo strings, synth bass, sweep pad, orchestral percussion
    "dark_pulse": {"melody": 60, "harmony": 44, "bass": 38, "pad": 95, "drums": 48},
    # calm / content: flute over nylon guitar, acoustic bass, warm pad, no drums
    "warm_chamber": {"melody": 73, "harmony": 24, "bass": 32, "pad": 89},
    # sad / tired: cello over piano, contrabass, choir pad, no drums
    "sombre_strings": {"melody": 42, "harmony": 0, "bass": 43, "pad": 52},
    # near the centre: harp over piano, acoustic bass, new-age pad
    "neutral_underscore": {"melody": 46, "harmony": 0, "bass": 32, "pad": 88},
}
QUADRANT_PRESET = {"excited": "bright_band", "tense": "dark_pulse", "calm": "warm_chamber",
                   "sad": "sombre_strings"}
NEUTRAL_RADIUS = 0.15

# (lowest valence, key) from bright to dark; first match wins.
MAJOR_KEYS = ((0.75, "D"), (0.5, "G"), (0.25, "C"), (0.0, "F"))
MINOR_KEYS = ((-0.25, "A"), (-0.5, "D"), (-0.75, "G"), (-2.0, "C"))


@dataclass
class CueSettings:
    """Cue planning settings; ``project.settings["cues"]`` overrides the defaults."""

    min_length: float = 6.0
    max_length: float = 90.0
    snap: float = 4.0
    sensitivity: float = 0.25
    penalty: float | None = None
    tempo_width: float = 12.0
    tolerance_ms: float = 30.0

    @classmethod
    def from_dict(cls, data: dict | None) -> CueSettings:
        """Build settings from a dict, checking names and values.

        Raises:
            ScorerError: For an unknown name or an impossible value.
        """
        data = dict(data or {})
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ScorerError(f"unknown cue settings {sorted(unknown)}; known: {sorted(names)}")
        try:
            out = cls(**{k: (None if v is None else float(v)) for k, v in data.items()})
        except (TypeError, ValueError) as exc:
            raise ScorerError(f"cue settings must be numbers: {data}") from exc
        if out.min_length <= 0 or out.max_length < 2 * out.min_length:
            raise ScorerError(f"cue lengths need 0 < min_length and max_length >= 2 * min_length "
                              f"(got {out.min_length}, {out.max_length})")
        if out.tempo_width < 0 or out.tolerance_ms <= 0 or out.snap < 0:
            raise ScorerError(f"cue settings out of range: {data}")
        return out


# ----------------------------------------------------------------------------- boundaries

def _confident(confidence: np.ndarray) -> np.ndarray:
    """Mark windows with real evidence.

    The fused confidence scales with how many modalities are present, so the bar is relative
    (5 % of the best window) with a small absolute floor for the smoothing's far tails.
    """
    if not len(confidence):
        return np.zeros(0, dtype=bool)
    return confidence > max(1e-3, 0.05 * float(confidence.max()))


def _fill_unconfident(values: np.ndarray, confidence: np.ndarray) -> np.ndarray | None:
    """Give windows with (almost) no confidence the value of the nearest confident window.

    A stretch where nothing was said is not a change of mood, so it must not create a boundary.
    """
    ok = np.flatnonzero(_confident(confidence))
    if not len(ok):
        return None
    idx = np.arange(len(confidence))
    pos = np.clip(np.searchsorted(ok, idx), 0, len(ok) - 1)
    left = ok[np.clip(pos - 1, 0, len(ok) - 1)]
    right = ok[pos]
    nearest = np.where(np.abs(idx - left) <= np.abs(right - idx), left, right)
    return values[nearest]


def change_points(fused: Track, start: float, end: float, settings: CueSettings) -> list[float]:
    """Return times in (start, end) where the fused trajectory changes (PELT, l2 cost).

    Args:
        fused: The fused Track (regular windows).
        start: Start of the stretch to segment (s).
        end: End of the stretch (s).
        settings: Cue settings (min_length, sensitivity, penalty).
    """
    mask = (fused.times >= start) & (fused.times < end)
    times = fused.times[mask]
    if len(times) < 4:
        return []
    window = float(times[1] - times[0])
    signal = _fill_unconfident(np.column_stack([fused.valence, fused.arousal])[mask],
                               fused.confidence[mask])
    if signal is None:
        return []
    min_size = max(2, int(round(settings.min_length / window)))
    if len(times) < 2 * min_size:
        return []
    if settings.penalty is not None:
        pen = settings.penalty
    else:
        # a step of `sensitivity` held for min_size windows each side lowers the l2 cost by
        # min_size/2 * step^2; the noise term (BIC-like, noise from first differences) keeps
        # jitter from splitting a scene
        floor = 0.5 * min_size * settings.sensitivity ** 2
        mad = np.median(np.abs(np.diff(signal, axis=0)), axis=0) / (0.6745 * math.sqrt(2))
        noise = 2.0 * float((mad ** 2).sum()) * math.log(len(times))
        pen = max(floor, noise)
    bkps = rpt.Pelt(model="l2", min_size=min_size, jump=1).fit(signal).predict(pen=pen)
    return [float(times[k] - window / 2) for k in bkps[:-1]]


def speech_regions(project: Project, merge_gap: float = 0.25,
                   min_length: float = 0.2) -> list[tuple[float, float]]:
    """Return stretches where people speak: prosody "speech" >= 0.5 or a transcript segment.

    Args:
        project: The project (prosody Track feature "speech", transcript segments).
        merge_gap: Pauses shorter than this (s) are bridged.
        min_length: Shorter regions are dropped.
    """
    spans: list[tuple[float, float]] = []
    prosody = project.tracks.get("prosody")
    if prosody is not None and len(prosody) and "speech" in prosody.features:
        t = prosody.times
        on = prosody.features["speech"] >= 0.5
        # each sample stands for the time half-way to its neighbours
        mids = (t[1:] + t[:-1]) / 2
        step = float(np.median(np.diff(t))) if len(t) > 1 else 0.1
        lo = np.r_[t[0] - step / 2, mids]
        hi = np.r_[mids, t[-1] + step / 2]
        spans += [(max(0.0, float(a)), float(b)) for a, b, s in zip(lo, hi, on, strict=True) if s]
    spans += [(float(s.start), float(s.end)) for s in project.transcript if s.end > s.start]
    spans.sort()
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + merge_gap:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(round(a, 3), round(b, 3)) for a, b in merged if b - a >= min_length]


def silences(regions: list[tuple[float, float]], duration: float,
             min_length: float = 0.4) -> list[float]:
    """Return the middles of pauses between speech regions (candidate boundaries)."""
    out = []
    for (_, a), (b, _) in zip(regions, regions[1:], strict=False):
        if b - a >= min_length:
            out.append((a + b) / 2)
    return out


def _nearest(t: float, candidates: list[float], radius: float, lo: float,
             hi: float) -> float | None:
    inside = [c for c in candidates if lo < c < hi and abs(c - t) <= radius]
    return min(inside, key=lambda c: abs(c - t)) if inside else None


def _mean_va(fused: Track, a: float, b: float) -> tuple[float, float]:
    m = (fused.times >= a) & (fused.times < b)
    c = fused.confidence[m]
    if not m.any() or c.sum() <= 0:
        return 0.0, 0.0
    return (float((fused.valence[m] * c).sum() / c.sum()),
            float((fused.arousal[m] * c).sum() / c.sum()))


def segment(fused: Track, start: float, end: float, cuts: list[float], pauses: list[float],
            settings: CueSettings) -> list[float]:
    """Return the boundaries (start, ..., end) of the cues covering one free stretch.

    Args:
        fused: The fused Track.
        start: Start of the stretch (s).
        end: End of the stretch (s).
        cuts: Shot cut times (s).
        pauses: Middles of pauses in speech (s).
        settings: Cue settings.
    """
    inner = []
    for t in change_points(fused, start, end, settings):
        snapped = _nearest(t, cuts, settings.snap, start, end)
        if snapped is None:
            snapped = _nearest(t, pauses, settings.snap, start, end)
        inner.append(t if snapped is None else snapped)
    bounds = sorted({start, end, *inner})
    # merge cues shorter than min_length into the neighbour with the closer mood
    while len(bounds) > 2:
        lengths = np.diff(bounds)
        i = int(np.argmin(lengths))
        if lengths[i] >= settings.min_length - 1e-6:
            break
        if i == 0:
            drop = 1
        elif i == len(lengths) - 1:
            drop = i
        else:
            here = np.array(_mean_va(fused, bounds[i], bounds[i + 1]))
            before = np.array(_mean_va(fused, bounds[i - 1], bounds[i]))
            after = np.array(_mean_va(fused, bounds[i + 1], bounds[i + 2]))
            drop = i if np.linalg.norm(here - before) <= np.linalg.norm(here - after) else i + 1
        del bounds[drop]
    # split cues longer than max_length at the cut (else pause, else time) nearest the middle
    out = [bounds[0]]
    for a, b in zip(bounds, bounds[1:], strict=False):
        out += _split(a, b, cuts, pauses, settings)[1:]
    return out


def _split(a: float, b: float, cuts: list[float], pauses: list[float],
           settings: CueSettings) -> list[float]:
    if b - a <= settings.max_length:
        return [a, b]
    mid = (a + b) / 2
    lo, hi = a + settings.min_length, b - settings.min_length
    at = None
    for candidates in (cuts, pauses):
        inside = [c for c in candidates if lo <= c <= hi]
        if inside:
            at = min(inside, key=lambda c: abs(c - mid))
            break
    if at is None:
        at = mid
    return _split(a, at, cuts, pauses, settings)[:-1] + _split(at, b, cuts, pauses, settings)


# ----------------------------------------------------------------------------- musical choices

def tempo_range(arousal: float, words_per_second: float | None = None,
                cuts_per_minute: float | None = None,
                width: float = 12.0) -> tuple[float, float]:
    """Return (low, high) BPM for a cue from its arousal, speech pace and cutting rate.

    Args:
        arousal: Target arousal -1..1 (centre 100 + 40 * arousal BPM).
        words_per_second: Mean speaking rate over the cue, or None without speech.
        cuts_per_minute: Shot cuts per minute inside the cue, or None.
        width: Half-width of the range in BPM.
    """
    centre = 100.0 + 40.0 * float(np.clip(arousal, -1, 1))
    if words_per_second is not None:
        centre += float(np.clip(6.0 * (words_per_second - 2.5), -8, 8))
    if cuts_per_minute is not None:
        centre += float(np.clip(0.5 * (cuts_per_minute - 12.0), -8, 12))
    centre = float(np.clip(centre, 55.0 + width, 180.0 - width))
    return round(centre - width, 2), round(centre + width, 2)


def hit_errors(hits: np.ndarray, tempo: float) -> np.ndarray:
    """Return each hit's distance (s) to the nearest beat, beat 1 at time 0."""
    period = 60.0 / tempo
    hits = np.asarray(hits, dtype=np.float64)
    return np.abs(hits - np.round(hits / period) * period)


def choose_tempo(hits: list[float] | np.ndarray, low: float, high: float,
                 tolerance_ms: float = 30.0) -> tuple[float, float, float]:
    """Pick the tempo in [low, high] whose beats fall closest to the hit points.

    Beat 1 is at time 0 (the cue's start); ``hits`` are relative to it. Candidates are a
    0.01 BPM grid plus, for every hit, each tempo that puts an exact beat on it. The order of
    preference: fewest hits more than ``tolerance_ms`` from a beat, then the smallest mean
    absolute error, then the tempo nearest the range's centre.

    Returns:
        (tempo BPM, mean absolute error ms, max absolute error ms); with no hits, the centre
        of the range and zero errors.
    """
    hits = np.asarray([h for h in hits if h > 1e-6], dtype=np.float64)
    centre = (low + high) / 2
    if not len(hits) or high <= 0:
        return round(centre, 3), 0.0, 0.0
    candidates = [np.arange(low, high + 1e-9, 0.01)]
    for h in hits:
        k = np.arange(math.ceil(h * low / 60.0), math.floor(h * high / 60.0) + 1)
        candidates.append(60.0 * k / h)
    tempi = np.unique(np.round(np.concatenate(candidates), 4))
    tempi = tempi[(tempi >= low - 1e-9) & (tempi <= high + 1e-9)]
    period = 60.0 / tempi[:, None]
    err = np.abs(hits[None, :] - np.round(hits[None, :] / period) * period) * 1000.0
    misses = (err > tolerance_ms).sum(axis=1)
    mean = err.mean(axis=1)
    order = np.lexsort((np.abs(tempi - centre), np.round(mean, 3), misses))
    best = order[0]
    return float(tempi[best]), float(mean[best]), float(err[best].max())


def key_for(valence: float) -> tuple[str, str]:
    """Return (key, mode) for a valence: major above 0, brighter keys for higher valence."""
    if valence >= 0:
        return next(k for v, k in MAJOR_KEYS if valence >= v), "major"
    return next(k for v, k in MINOR_KEYS if valence >= v), "minor"


def register_for(valence: float) -> int:
    """Return the MIDI note the melody centres on (60 + 10 * valence)."""
    return int(round(60 + 10 * float(np.clip(valence, -1, 1))))


def instrumentation_for(valence: float, arousal: float) -> str:
    """Return the instrumentation preset name for a point on the circumplex."""
    if math.hypot(valence, arousal) < NEUTRAL_RADIUS:
        return "neutral_underscore"
    return QUADRANT_PRESET[quadrant(valence, arousal)]


def dynamics_curve(fused: Track, start: float, end: float,
                   arousal: float) -> list[tuple[float, float]]:
    """Return (time s, level 0..1) points over a cue from the fused arousal (0.5 + 0.4 A).

    Points that change the level by less than 0.02 are left out; the first and last remain.
    """
    m = (fused.times >= start) & (fused.times < end)
    m[m] = _confident(fused.confidence[m])
    times = [start, *fused.times[m].tolist(), end]
    values = [arousal, *fused.arousal[m].tolist(), arousal]
    if m.any():
        values[0], values[-1] = values[1], values[-2]
    levels = [float(np.clip(0.5 + 0.4 * a, 0.1, 1.0)) for a in values]
    out = [(round(times[0], 3), round(levels[0], 3))]
    for t, level in zip(times[1:-1], levels[1:-1], strict=True):
        if abs(level - out[-1][1]) >= 0.02:
            out.append((round(t, 3), round(level, 3)))
    out.append((round(times[-1], 3), round(levels[-1], 3)))
    return out


def _clip_regions(regions, a: float, b: float) -> list[tuple[float, float]]:
    return [(max(a, s), min(b, e)) for s, e in regions if e > a and s < b]


def _mean_feature(track: Track | None, feature: str, a: float, b: float) -> float | None:
    if track is None or feature not in track.features or not len(track):
        return None
    m = (track.times >= a) & (track.times < b)
    values = track.features[feature][m]
    values = values[values > 0]  # only while someone speaks
    return float(values.mean()) if len(values) else None


def fill_cue(cue: Cue, fused: Track, cuts: list[float], regions: list[tuple[float, float]],
             words: Track | None, settings: CueSettings) -> Cue:
    """Fill a cue's targets and musical parameters from the analysis (in place; returned).

    The editor's decisions stored on the cue are kept: a hand-set ``target`` replaces the
    measured valence/arousal, a hand-chosen ``palette`` the instrumentation preset, and
    hand-placed ``hits`` the cuts as hit points (the tempo is fitted to them either way).
    """
    a, b = cue.start, cue.end
    m = (fused.times >= a) & (fused.times < b)
    conf = fused.confidence[m]
    if cue.target is not None:
        cue.valence, cue.arousal = (round(float(np.clip(x, -1, 1)), 3) for x in cue.target)
    else:
        cue.valence, cue.arousal = (round(x, 3) for x in _mean_va(fused, a, b))
    total = float(conf.sum())
    cue.shares = {
        name: round(float((share[m] * conf).sum() / total), 3) if total > 0 else 0.0
        for name, share in sorted(shares(fused).items())}
    marks = cuts if cue.hits is None else cue.hits
    cue.hit_points = sorted(round(float(c), 4) for c in marks if a + 1e-6 < c < b - 1e-6)
    cpm = len(cue.hit_points) / (b - a) * 60.0 if b > a else None
    wps = _mean_feature(words, "words_per_second", a, b)
    low, high = tempo_range(cue.arousal, wps, cpm, settings.tempo_width)
    cue.tempo_range = (low, high)
    tempo, mean_err, _ = choose_tempo([h - a for h in cue.hit_points], low, high,
                                      settings.tolerance_ms)
    cue.tempo = round(tempo, 3)
    cue.hit_error_ms = round(mean_err, 2)
    cue.meter = DEFAULT_METER
    cue.bar_offset = 0.0
    cue.tempo_map = hit_tempo_map([h - a for h in cue.hit_points], cue.tempo, b - a)
    cue.key, cue.mode = key_for(cue.valence)
    cue.register = register_for(cue.valence)
    cue.instrumentation = (cue.palette if cue.palette in INSTRUMENTATION
                           else instrumentation_for(cue.valence, cue.arousal))
    cue.programs = dict(INSTRUMENTATION[cue.instrumentation])
    cue.dynamics = dynamics_curve(fused, a, b, cue.arousal)
    if cue.target is not None:  # the level follows the picture, centred on the new target
        measured = _mean_va(fused, a, b)[1]
        shift = 0.4 * (cue.arousal - measured)
        cue.dynamics = [(t, round(float(np.clip(v + shift, 0.1, 1.0)), 3))
                        for t, v in cue.dynamics]
    cue.ducking = [(round(s, 3), round(e, 3)) for s, e in _clip_regions(regions, a, b)]
    return cue


# ----------------------------------------------------------------------------- planning

def _cue_index(number: str) -> int | None:
    prefix = f"{REEL}M"
    if number.startswith(prefix) and number[len(prefix):].isdigit():
        return int(number[len(prefix):])
    return None


def plan_cues(fused: Track, duration: float, cuts: list[float],
              regions: list[tuple[float, float]], words: Track | None = None,
              settings: CueSettings | None = None, locked: list[Cue] | None = None) -> list[Cue]:
    """Plan the cues of a clip.

    Args:
        fused: Fused Track (see :func:`scorer.affect.fusion.fuse_tracks`).
        duration: Clip length (s).
        cuts: Shot cut times (s).
        regions: Speech regions (s) for snapping to pauses and for ducking.
        words: The "words" Track (feature "words_per_second"), or None.
        settings: Cue settings; defaults if None.
        locked: Cues the editor locked; they are kept unchanged and planned around.

    Returns:
        All cues (locked and new) in time order.
    """
    settings = settings or CueSettings()
    locked = sorted(locked or [], key=lambda c: c.start)
    cuts = sorted(float(c) for c in cuts if 0 < c < duration)
    pauses = silences(regions, duration)
    free, t = [], 0.0
    for cue in locked:
        if cue.start > t:
            free.append((t, min(cue.start, duration)))
        t = max(t, cue.end)
    if duration > t:
        free.append((t, duration))
    new: list[Cue] = []
    for a, b in free:
        if b - a < min(1.0, settings.min_length):  # a sliver between locked cues
            continue
        bounds = segment(fused, a, b, cuts, pauses, settings)
        for s, e in zip(bounds, bounds[1:], strict=False):
            new.append(fill_cue(Cue(number="", start=round(s, 4), end=round(e, 4)), fused, cuts,
                                regions, words, settings))
    taken = {_cue_index(c.number) for c in locked}
    n = 0
    for cue in sorted(new, key=lambda c: c.start):
        n += 1
        while n in taken:
            n += 1
        cue.number = f"{REEL}M{n}"
    return sorted([*locked, *new], key=lambda c: c.start)


def plan_project_cues(project: Project) -> list[Cue]:
    """Plan the project's cues (keeping locked ones) into ``project.cues``.

    Fuses first when ``project.fused`` is missing. Settings come from
    ``project.settings["cues"]``.

    Returns:
        The cues, also stored in ``project.cues``.

    Raises:
        ScorerError: For invalid cue settings.
    """
    settings = CueSettings.from_dict(project.settings.get("cues"))
    fused = project.fused if project.fused is not None else fuse_project(project)
    duration = project_duration(project)
    if duration <= 0:
        project.cues = [c for c in project.cues if c.locked]
        return project.cues
    locked = [c for c in project.cues if c.locked]
    project.cues = plan_cues(fused, duration, project.shots, speech_regions(project),
                             project.tracks.get("words"), settings, locked)
    return project.cues


# ----------------------------------------------------------------------------- table

def _timecode_formatter(project: Project):
    media = project.media
    try:
        rate = Fraction(media.fps) if media is not None else Fraction(0)
    except (ValueError, ZeroDivisionError):
        rate = Fraction(0)
    if rate <= 0:  # audio-only clip: no frames to count
        return format_clock
    # the same frame grid and rule as every export (first frame's time, nearest boundary)
    export = project.settings.get("export", {}) if isinstance(project.settings, dict) else {}
    drop = export.get("drop_frame") if isinstance(export, dict) else None
    return clip_timebase(media, drop_frame=None if drop is None else bool(drop)).time_timecode


def format_shares(shares: dict[str, float], limit: int = 4, floor: float = 0.05) -> str:
    """Say which modalities a cue's emotion came from: "faces 55 %, voice 30 %, music 15 %".

    Args:
        shares: Modality -> share (0..1), as in ``Cue.shares``.
        limit: Most modalities named (the largest shares).
        floor: Shares under this are left out.

    Returns:
        The text, largest first; "-" when no modality had a share.
    """
    ranked = sorted(((v, k) for k, v in shares.items() if v >= floor), reverse=True)[:limit]
    if not ranked:
        return "-"
    return ", ".join(f"{name} {round(100 * value):d} %" for value, name in ranked)


def format_cue_table(project: Project) -> str:
    """Return the cue list as a text table.

    Columns: number, in, out (timecode at the clip's frame rate, from its start timecode; a
    clock "M:SS.mmm" for audio-only clips), duration (s), valence, arousal, tempo (BPM), key,
    instrumentation, hit error (mean, ms), and where the emotion came from (the modalities'
    shares). A locked cue's number carries a "*".
    """
    fmt = _timecode_formatter(project)
    header = ("cue", "in", "out", "dur s", "V", "A", "tempo", "key", "instruments", "hit ms",
              "emotion from")
    rows = [header]
    for cue in project.cues:
        rows.append((
            cue.number + ("*" if cue.locked else ""), fmt(cue.start), fmt(cue.end),
            f"{cue.duration:.2f}", f"{cue.valence:+.2f}", f"{cue.arousal:+.2f}",
            f"{cue.tempo:.1f}", f"{cue.key} {cue.mode}", cue.instrumentation,
            f"{cue.hit_error_ms:.1f}" if cue.hit_points else "-", format_shares(cue.shares)))
    if len(rows) == 1:
        return "no cues planned"
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
