"""Rank library pieces for a target: emotion, tempo after stretch, duration, diversity.

Every piece is scored at once with numpy (no per-row SQL):

- emotion fit: 1 - (Euclidean distance on the valence/arousal plane) / 2;
- tempo fit: the tempo change needed, trying the piece at its own, double or half tempo
  (half- and double-time feel are the same music); within the allowed stretch (default +-15 %)
  the fit falls gently from 1 to 0.7, beyond it steeply to 0;
- duration fit: 1 when the piece (after the tempo change) is at least as long as the cue, so it
  can be cut at a phrase end; less the more times it would have to loop.

The score is the weighted mean (0.60 emotion, 0.25 tempo, 0.15 duration; weights of missing
targets dropped). When the cue's planned instrumentation names instruments the recogniser knows
(:func:`scorer.music.instruments.planned_instruments`), the pool's scores are blended with the
share of them each piece has (weight 0.10 against 1.0 for the rest; 0.5 when a piece's
instruments are not known). Diversity comes from maximal marginal relevance (Carbonell &
Goldstein 1998, "The use of MMR, diversity-based reranking", SIGIR): each next pick maximises
(1 - diversity) * score - diversity * (similarity to the closest piece already picked), where
similarity is 1 for pieces of the same file and a Gaussian of the distance between feature
vectors otherwise, so five near-identical pieces are not offered together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

WEIGHTS = {"emotion": 0.60, "tempo": 0.25, "duration": 0.15}
# the cue's planned instrumentation, when it names recognisable instruments: a modest weight
# that reorders close candidates (scored after the pool is picked) and never outweighs mood
INSTRUMENT_WEIGHT = 0.10
UNKNOWN_TEMPO_FIT = 0.85  # an unmarked score can be played at any tempo, but we know less


@dataclass
class Match:
    """One ranked piece with the parts of its score and the words that explain it."""

    entry: object  # scorer.music.library.index.Entry
    score: float
    fits: dict[str, float] = field(default_factory=dict)
    tempo_factor: float = 1.0  # multiply the piece's tempo by this
    target_tempo: float = 0.0
    loops: float = 1.0  # cue length / adapted piece length (>1: the piece repeats)
    explanation: str = ""


def score_all(arr: dict[str, np.ndarray], valence: float, arousal: float,
              tempo: float | None = None, duration: float | None = None,
              stretch: float = 0.15,
              tempo_range: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
    """Score every piece; returns arrays: score, emotion, tempo, duration, factor, loops.

    With ``tempo_range`` any tempo inside the range needs no change; ``tempo`` is used for
    pieces without a tempo marking. Works in float32 on whole columns (about 40 array
    operations, a few milliseconds for 100k pieces).
    """
    f32 = np.float32
    val = arr["valence"].astype(f32, copy=False)
    aro = arr["arousal"].astype(f32, copy=False)
    dist = np.hypot(val - f32(valence), aro - f32(arousal))
    fits = {"emotion": np.clip(1.0 - dist * f32(0.5), 0.0, 1.0)}
    log_factor = np.zeros(len(val), f32)
    if tempo:
        lt = arr.get("log_tempo")
        if lt is None:
            lt = np.log(np.maximum(arr["tempo"], 1.0)).astype(f32)
        lo, hi = (math.log(x) for x in (tempo_range if tempo_range else (tempo, tempo)))
        ln2 = f32(math.log(2))
        best_need = best_log = None
        # the piece as it is, or felt in half or double time against the cue
        for shift, penalty in ((f32(0), 0.0), (-ln2, 0.05), (ln2, 0.05)):
            eff = lt + shift
            change = np.clip(eff, lo, hi) - eff  # log of the tempo factor needed
            need = np.abs(change) + f32(penalty)
            if best_need is None:
                best_need, best_log = need, change
            else:
                better = need < best_need
                best_need = np.where(better, need, best_need)
                best_log = np.where(better, change, best_log)
        allowed = f32(math.log1p(stretch))
        fit = np.where(best_need <= allowed, 1.0 - f32(0.3) * best_need / allowed,
                       f32(0.7) - (best_need - allowed) / f32(math.log(1.5)))
        known = arr["tempo_known"]
        fits["tempo"] = np.where(known, np.clip(fit, 0.0, 1.0), f32(UNKNOWN_TEMPO_FIT))
        log_factor = np.where(known, best_log, f32(math.log(tempo)) - lt)
    factor = np.exp(log_factor)
    loops = None
    if duration:
        loops = f32(duration) * factor / np.maximum(arr["duration"].astype(f32, copy=False),
                                                    f32(1e-3))
        fits["duration"] = 1.0 - np.minimum(f32(0.6), f32(0.2) * np.log2(np.maximum(loops, 1)))
    total = sum(WEIGHTS[k] for k in fits)
    score = sum(f32(WEIGHTS[k] / total) * v for k, v in fits.items())
    if loops is None:
        loops = np.ones(len(val), f32)
    return {"score": score, "factor": factor, "loops": loops, "dist": dist, **fits}


TEMPO_BINS = 1024
LOG_TEMPO_MIN, LOG_TEMPO_MAX = math.log(10.0), math.log(1000.0)


def tempo_bins(log_tempo: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Bin index of each piece's log tempo (0.45 % wide); unknown tempi use the upper half."""
    scaled = (np.asarray(log_tempo, np.float64) - LOG_TEMPO_MIN) / (LOG_TEMPO_MAX -
                                                                      LOG_TEMPO_MIN)
    idx = np.clip(np.round(scaled * (TEMPO_BINS - 1)), 0, TEMPO_BINS - 1).astype(np.int32)
    return idx + TEMPO_BINS * (~np.asarray(known, bool))


def fast_scores(arr: dict[str, np.ndarray], valence: float, arousal: float,
                tempo: float | None, duration: float | None, stretch: float,
                tempo_range: tuple[float, float] | None) -> np.ndarray:
    """Approximate :func:`score_all` scores of every piece in about 16 array operations.

    The tempo fit depends only on the piece's tempo, so it is computed exactly for 1024 tempo
    bins (and for unmarked tempi) and gathered per piece; emotion and length are exact. Used to
    pick the candidate pool, which :func:`rank` then scores exactly.
    """
    f32 = np.float32
    dist = np.hypot(arr["valence"] - f32(valence), arr["arousal"] - f32(arousal))
    score = np.maximum(f32(1.0) - f32(0.5) * dist, f32(0.0))
    score *= f32(WEIGHTS["emotion"])
    total = WEIGHTS["emotion"]
    log_factor = None
    if tempo:
        centres = np.exp(np.linspace(LOG_TEMPO_MIN, LOG_TEMPO_MAX, TEMPO_BINS))
        table = {"valence": np.zeros(2 * TEMPO_BINS), "arousal": np.zeros(2 * TEMPO_BINS),
                 "tempo": np.concatenate([centres, centres]),
                 "tempo_known": np.arange(2 * TEMPO_BINS) < TEMPO_BINS}
        t = score_all(table, 0.0, 0.0, tempo, None, stretch, tempo_range)
        bins = arr["tempo_bin"]
        score += (f32(WEIGHTS["tempo"]) * t["tempo"].astype(f32))[bins]
        total += WEIGHTS["tempo"]
        log_factor = np.log2(t["factor"]).astype(f32)[bins]
    if duration:
        log_loops = f32(math.log2(duration)) - arr["log2_duration"]
        if log_factor is not None:
            log_loops += log_factor
        np.maximum(log_loops, f32(0.0), out=log_loops)
        log_loops *= f32(0.2)
        np.minimum(log_loops, f32(0.6), out=log_loops)
        score += f32(WEIGHTS["duration"]) * (f32(1.0) - log_loops)
        total += WEIGHTS["duration"]
    score *= f32(1.0 / total)
    return score


def mmr(scores: np.ndarray, vectors: np.ndarray, groups: np.ndarray, n: int,
        diversity: float = 0.3) -> list[int]:
    """Pick ``n`` of the candidates by maximal marginal relevance; returns their positions."""
    k = len(scores)
    if k == 0:
        return []
    diff = vectors[:, None, :] - vectors[None, :, :]
    sim = np.exp(-(diff ** 2).sum(-1) / 0.5)
    sim[groups[:, None] == groups[None, :]] = 1.0
    chosen: list[int] = [int(np.argmax(scores))]
    closest = sim[chosen[0]].copy()
    while len(chosen) < min(n, k):
        value = (1 - diversity) * scores - diversity * closest
        value[chosen] = -np.inf
        nxt = int(np.argmax(value))
        chosen.append(nxt)
        closest = np.maximum(closest, sim[nxt])
    return chosen


def rank(index, valence: float, arousal: float, tempo: float | None = None,
         duration: float | None = None, n: int = 5, stretch: float = 0.15,
         diversity: float = 0.3, pool: int | None = None, source: str | None = None,
         explain: bool = True, tempo_range: tuple[float, float] | None = None,
         instruments: list[str] | None = None) -> list[Match]:
    """Return the ``n`` best pieces of ``index`` for a target, diverse, with explanations.

    Args:
        index: A LibraryIndex.
        valence: Target valence, -1..1.
        arousal: Target arousal, -1..1.
        tempo: Target tempo in BPM (None: tempo does not count).
        duration: Cue length in seconds (None: length does not count).
        n: How many.
        stretch: Allowed tempo change as a fraction (0.15 = +-15 %).
        diversity: 0 = pure ranking, 1 = only novelty (MMR trade-off).
        pool: How many top candidates MMR chooses among (default max(50, 10 n)).
        source: Only pieces of this source ("user", "music21"...).
        explain: False skips reading the entries (benchmarks).
        tempo_range: Tempi the cue accepts as they are (e.g. Cue.tempo_range).
        instruments: The cue's planned instruments (names of
            :data:`scorer.music.instruments.CLASSES`); None or empty: they do not count.
    """
    arr = index.arrays()
    if not len(arr["id"]):
        return []
    approx = fast_scores(arr, valence, arousal, tempo, duration, stretch, tempo_range)
    if source is not None:
        allowed = np.isin(arr["id"], _ids_of_source(index, source))
        approx = np.where(allowed, approx, -np.inf)
    k = min(len(approx), pool or max(50, 10 * n))
    top = np.argpartition(-approx, k - 1)[:k] if k < len(approx) else np.arange(len(approx))
    top = top[np.isfinite(approx[top])]
    # the pool is scored exactly (the fast path bins tempi)
    sub = {key: arr[key][top] for key in ("id", "valence", "arousal", "tempo", "tempo_known",
                                          "duration")}
    s = score_all(sub, valence, arousal, tempo, duration, stretch, tempo_range)
    if instruments:
        heard = index.instruments_of(sub["id"])
        blend_instruments(s, [heard.get(int(i)) for i in sub["id"]], instruments)
    score = s["score"]
    order = np.argsort(-score)
    chosen = order[mmr(score[order], arr["vector"][top][order].astype(np.float64),
                       arr["group"][top][order], n, diversity)]
    picked = chosen
    if not explain:
        return [Match(None, float(score[i])) for i in picked]
    entries = index.get(sub["id"][picked])
    out = []
    for i, entry in zip(picked, entries, strict=True):
        fits = {k: float(s[k][i]) for k in (*WEIGHTS, "instruments") if k in s}
        m = Match(entry, float(score[i]), fits, float(s["factor"][i]),
                  float(entry.tempo * s["factor"][i]), float(s["loops"][i]))
        m.explanation = explain_match(m, valence, arousal, tempo, duration, stretch,
                                      instruments)
        out.append(m)
    return out


def blend_instruments(s: dict[str, np.ndarray], heard: list, planned: list[str]) -> None:
    """Blend the instrument fit into scores from :func:`score_all` (in place).

    Args:
        s: The scores; gains an ``instruments`` array when ``planned`` has any.
        heard: Per piece, its instrument names or None (not known).
        planned: The cue's planned instruments.
    """
    from scorer.music.instruments import instrument_fit

    fit = [instrument_fit(h, planned) for h in heard]
    if not planned or any(f is None for f in fit):
        return
    fit = np.asarray(fit, np.float32)
    w = np.float32(INSTRUMENT_WEIGHT / (1.0 + INSTRUMENT_WEIGHT))
    s["instruments"] = fit
    s["score"] = (np.float32(1.0) - w) * s["score"] + w * fit


def _ids_of_source(index, source: str) -> list[int]:
    return [r[0] for r in index._db.execute("SELECT id FROM pieces WHERE source=?", (source,))]


def explain_match(m: Match, valence: float, arousal: float, tempo: float | None,
                  duration: float | None, stretch: float,
                  instruments: list[str] | None = None) -> str:
    """Say in words why a piece got its score."""
    e = m.entry
    dist = math.hypot(e.valence - valence, e.arousal - arousal)
    parts = [f"emotion {m.fits['emotion']:.2f}: piece V{e.valence:+.2f} A{e.arousal:+.2f} vs "
             f"cue V{valence:+.2f} A{arousal:+.2f} (distance {dist:.2f}; {e.method})"]
    if "tempo" in m.fits:
        change = (m.tempo_factor - 1) * 100
        if not e.tempo_known:
            parts.append(f"tempo {m.fits['tempo']:.2f}: unmarked, played at {tempo:.0f} BPM")
        else:
            feel = ""
            if m.target_tempo > 1.4 * (tempo or 1) or m.target_tempo < 0.7 * (tempo or 1):
                feel = " (half/double-time feel)"
            within = "within" if abs(math.log(m.tempo_factor)) <= math.log1p(stretch) + 1e-9 \
                else "beyond"
            parts.append(f"tempo {m.fits['tempo']:.2f}: {e.tempo:.0f} -> {m.target_tempo:.0f} "
                         f"BPM ({change:+.0f} %, {within} +-{stretch * 100:.0f} %){feel}")
    if "duration" in m.fits:
        length = e.duration / m.tempo_factor
        how = ("cut at a phrase end" if m.loops <= 1
               else f"looped x{m.loops:.2f}, ending on a cadence")
        parts.append(f"length {m.fits['duration']:.2f}: {length:.0f} s for a {duration:.0f} s "
                     f"cue ({how})")
    from scorer.music.instruments import names
    from scorer.music.library.features import tag_list

    style = [w for w, _ in (e.features.get("tags") or {}).get("style", [])[:1]]
    tags = [t for t in tag_list(e.features) if t not in style]
    if style:  # the style of its melody, from the symbolic style classifier
        parts.append(f"{style[0]} style")
    if tags:  # what the piece sounds like, from the music tagger
        parts.append("sounds " + ", ".join(tags[:5]))
    if "instruments" in m.fits:
        heard = names(e.features)
        if heard is None:
            parts.append(f"instruments {m.fits['instruments']:.2f}: not known (cue plans "
                         f"{', '.join(instruments or [])})")
        else:
            shared = [x for x in (instruments or []) if x in heard]
            parts.append(f"instruments {m.fits['instruments']:.2f}: "
                         + (f"has {', '.join(shared)}" if shared else "none")
                         + f" of the cue's {', '.join(instruments or [])}"
                         + (f"; plays {', '.join(heard[:4])}" if heard else ""))
    elif names(e.features):
        parts.append("plays " + ", ".join(names(e.features)[:4]))
    all_weights = {**WEIGHTS, "instruments": INSTRUMENT_WEIGHT}
    weights = " + ".join(f"{all_weights[k]:.2f}x{k}" for k in m.fits)
    return f"score {m.score:.2f} = {weights}; " + "; ".join(parts)
