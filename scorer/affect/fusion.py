"""Fusion of every modality's Track into one valence/arousal trajectory.

Two methods (``project.settings["fusion"]["method"]``, see :func:`fusion_method`):

- **fitted** (:func:`fuse_fitted`): each modality's confidence is calibrated from evidence on the
  clip and the modalities are combined by a logistic model, both fitted on the composite
  benchmark (``scorer.affect.fusion_model``, ``models/fusion.json``, card ``models/fusion.md``).
  The default ("auto") whenever its cross-validated accuracy on the benchmark's training part
  beat the best preset's there (``models/fusion.md`` gives the held-out figures beside them).
- **presets** (:func:`fuse_tracks`, described below): hand-set content-type weights.

Each modality's Track is averaged into fixed windows (1 s by default, ``Track.resample``), then
the windows are combined as a weighted mean in which a modality's weight is its content-type
preset weight times its confidence in that window::

    w_m(t) = preset[m] * confidence_m(t)
    V(t)   = sum_m w_m(t) V_m(t) / sum_m w_m(t)        (same for arousal)

so a modality with confidence 0 (no faces in frame, nobody speaking) has no influence at all.
The share ``w_m(t) / sum_m w_m(t)`` of every modality is kept in the fused Track's features as
``share_<modality>``; the app uses it to say why a stretch reads as tense ("faces 60 %,
voice 30 %").

The fused confidence is ``sum_m w_m(t) / sum_m preset[m]`` over the modalities present, i.e. 1
only when every modality is fully confident.

Finally the trajectory is smoothed with a Gaussian kernel (sigma 1 s by default) weighted by
confidence, because a score follows the mood of a scene, not the flicker of one frame; windows
far from any confident sample keep confidence 0.

Content-type presets (``PRESETS``; weights are relative, they need not sum to 1). The weight of
faces, words and motion depends on the kind of content; each preset's *lead* modalities
(``PRESET_LEADS``) are those it weighs more than the ``balanced`` preset, so the fused result
moves towards what they say:

- ``drama``: faces lead (performances carry the emotion; close-ups), voice next.
- ``documentary``: words lead (narration and interviews say what a scene is about), then voice.
- ``interview``: words lead, then the voice and face of the speaker; motion and lighting are
  nearly meaningless in a static set-up.
- ``action``: motion leads (cutting rate and movement energy set arousal), then lighting and the
  sound track's music.
- ``comedy``: voice and words lead (delivery and lines carry the comedy; laughter is in the
  voice), faces next; lighting of comedy is uniformly bright and says little.
- ``balanced``: every modality equal, except music already in the sound track.

Music already in the clip's sound track ("music") has a low weight in every preset: it is what
the new score replaces, and it may be temp music.

User overrides: ``project.settings["fusion_weights"]`` maps modality -> weight and replaces the
preset's weight for that modality (0 switches a modality off). Other settings live in
``project.settings["fusion"]``: ``window`` (s, default 1.0) and ``smoothing`` (Gaussian sigma in
s, default 1.0; 0 turns smoothing off).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from scorer.errors import ScorerError
from scorer.project import Project
from scorer.track import Track

MODALITIES = ("faces", "lighting", "motion", "prosody", "voice", "words", "music")

PRESETS: dict[str, dict[str, float]] = {
    "balanced": {"faces": 1.0, "lighting": 1.0, "motion": 1.0, "prosody": 1.0, "voice": 1.0,
                 "words": 1.0, "music": 0.3},
    "drama": {"faces": 3.0, "lighting": 0.8, "motion": 0.6, "prosody": 1.0, "voice": 1.5,
              "words": 1.0, "music": 0.3},
    "documentary": {"faces": 0.8, "lighting": 0.6, "motion": 0.4, "prosody": 1.0, "voice": 1.2,
                    "words": 3.0, "music": 0.3},
    "interview": {"faces": 1.2, "lighting": 0.3, "motion": 0.2, "prosody": 1.2, "voice": 1.5,
                  "words": 3.0, "music": 0.2},
    "action": {"faces": 0.7, "lighting": 1.2, "motion": 3.0, "prosody": 0.8, "voice": 0.7,
               "words": 0.5, "music": 0.5},
    "comedy": {"faces": 1.0, "lighting": 0.5, "motion": 0.5, "prosody": 1.0, "voice": 2.0,
               "words": 2.0, "music": 0.3},
}

# Modalities each preset weighs more than "balanced" does (its documented direction).
PRESET_LEADS: dict[str, tuple[str, ...]] = {
    name: tuple(m for m in MODALITIES if weights[m] > PRESETS["balanced"][m])
    for name, weights in PRESETS.items()
}

ALIASES = {"film": "drama", "fiction": "drama", "news": "documentary", "talk": "interview",
           "sport": "action", "sports": "action"}

# A modality none of the presets knows (a future analyzer) gets this weight.
DEFAULT_WEIGHT = 0.5

FUSED = "fused"
SHARE_PREFIX = "share_"
CONFIDENCE_PREFIX = "confidence_"
METHODS = ("auto", "fitted", "presets")


def preset_weights(content_type: str | None,
                   overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the modality weights of a content type with the user's overrides applied.

    Args:
        content_type: Preset name (see ``PRESETS``; a few aliases such as "news" work);
            None or "" means "drama", the pipeline's default.
        overrides: Modality -> weight replacing the preset's weight.

    Returns:
        Modality -> weight (>= 0).

    Raises:
        ScorerError: For an unknown content type or a negative / non-numeric override.
    """
    key = (content_type or "drama").strip().lower()
    key = ALIASES.get(key, key)
    if key not in PRESETS:
        raise ScorerError(f"unknown content type {content_type!r}; choose one of "
                          f"{', '.join(sorted(PRESETS))}")
    weights = dict(PRESETS[key])
    for name, value in (overrides or {}).items():
        try:
            value = float(value)
        except (TypeError, ValueError) as exc:
            raise ScorerError(f"fusion weight of {name!r} is not a number: {value!r}") from exc
        if not np.isfinite(value) or value < 0:
            raise ScorerError(f"fusion weight of {name!r} must be 0 or more, got {value}")
        weights[str(name)] = value
    return weights


def window_times(duration: float, window: float) -> np.ndarray:
    """Return window centres covering 0..duration (the last window may stick out)."""
    if window <= 0:
        raise ScorerError(f"fusion window must be positive, got {window}")
    n = max(1, int(np.ceil(duration / window - 1e-9)))
    return (np.arange(n) + 0.5) * window


def smooth(times: np.ndarray, values: np.ndarray, confidence: np.ndarray,
           sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Confidence-weighted Gaussian smoothing on a regular time grid.

    Args:
        times: Sample times (s), evenly spaced.
        values: Shape (n,) or (n, k).
        confidence: Shape (n,), 0..1.
        sigma: Kernel standard deviation in seconds; <= 0 returns the input unchanged.

    Returns:
        (smoothed values, smoothed confidence). Where no confident sample lies within reach
        (3 sigma) the value is 0 and the confidence 0.
    """
    values = np.asarray(values, dtype=np.float64)
    confidence = np.asarray(confidence, dtype=np.float64)
    if sigma <= 0 or len(times) < 2:
        return values.copy(), confidence.copy()
    step = float(times[1] - times[0])
    half = int(np.ceil(3 * sigma / step))
    offsets = np.arange(-half, half + 1) * step
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)

    def conv(x: np.ndarray) -> np.ndarray:
        # banded convolution keeps memory linear in clip length (2-hour films)
        return np.convolve(x, kernel, mode="full")[half:half + len(x)]

    total = conv(confidence)
    reach = conv(np.ones_like(confidence))
    flat = values.reshape(len(times), -1)
    out = np.zeros_like(flat)
    for j in range(flat.shape[1]):
        num = conv(flat[:, j] * confidence)
        out[:, j] = np.divide(num, total, out=np.zeros_like(num), where=total > 1e-9)
    return out.reshape(values.shape), total / reach


def fuse_tracks(tracks: Mapping[str, Track], duration: float, weights: Mapping[str, float],
                window: float = 1.0, smoothing: float = 1.0) -> Track:
    """Fuse modality Tracks into one Track on a regular window grid.

    Args:
        tracks: Modality name -> Track. A track named "fused" is ignored.
        duration: Clip length in seconds.
        weights: Modality -> weight (see :func:`preset_weights`).
        window: Window length in seconds.
        smoothing: Gaussian sigma in seconds for temporal smoothing (0: none).

    Returns:
        A Track named "fused" whose features hold ``share_<modality>`` (0..1 per window, summing
        to 1 where anything was said) plus ``valence_raw``/``arousal_raw`` (before smoothing).
    """
    times = window_times(max(duration, 0.0), window)
    n = len(times)
    used = {name: track for name, track in tracks.items()
            if name != FUSED and len(track) and weights.get(name, DEFAULT_WEIGHT) > 0}
    names = sorted(used)
    if not names:
        silent = Track.silent(FUSED, times)
        silent.features = {"valence_raw": np.zeros(n), "arousal_raw": np.zeros(n)}
        return silent
    base = np.array([weights.get(m, DEFAULT_WEIGHT) for m in names])
    va = np.zeros((len(names), n, 2))
    eff = np.zeros((len(names), n))
    valence_eff = np.zeros((len(names), n))
    for i, name in enumerate(names):
        r = used[name].resample(times, window)
        va[i, :, 0], va[i, :, 1] = r.valence, r.arousal
        eff[i] = base[i] * r.confidence
        valence_eff[i] = eff[i] * _valence_weight(used[name], times)
    total = eff.sum(axis=0)
    share = np.divide(eff, total[None, :], out=np.zeros_like(eff), where=total[None, :] > 0)
    # modalities that speak to arousal only (motion) keep out of the valence mean
    valence_total = valence_eff.sum(axis=0)
    valence_share = np.divide(valence_eff, valence_total[None, :],
                              out=np.zeros_like(valence_eff), where=valence_total[None, :] > 0)
    raw = np.stack([(valence_share * va[:, :, 0]).sum(axis=0),
                    (share * va[:, :, 1]).sum(axis=0)], axis=1)
    conf = total / base.sum()
    smoothed, sconf = smooth(times, np.column_stack([raw, share.T]), conf, smoothing)
    features = {"valence_raw": raw[:, 0], "arousal_raw": raw[:, 1]}
    sshare = smoothed[:, 2:]
    norm = sshare.sum(axis=1, keepdims=True)
    sshare = np.divide(sshare, norm, out=np.zeros_like(sshare), where=norm > 1e-9)
    for i, name in enumerate(names):
        features[SHARE_PREFIX + name] = sshare[:, i]
    return Track(FUSED, times, smoothed[:, 0], smoothed[:, 1], sconf, features=features)


def fuse_fitted(tracks: Mapping[str, Track], duration: float, model,
                window: float = 1.0, smoothing: float = 1.0,
                scale: Mapping[str, float] | None = None) -> Track:
    """Fuse modality Tracks with a fitted model (calibrated confidences, logistic combination).

    Args:
        tracks: Modality name -> Track. A track named "fused" is ignored.
        duration: Clip length in seconds.
        model: A :class:`scorer.affect.fusion_model.FusionModel`.
        window: Window length in seconds.
        smoothing: Gaussian sigma in seconds for temporal smoothing (0: none).
        scale: Modality -> factor on its coefficients (the user's overrides; 0 switches off).

    Returns:
        A Track named "fused" like :func:`fuse_tracks` makes, whose features also hold each
        modality's calibrated confidence as ``confidence_<modality>``.
    """
    times = window_times(max(duration, 0.0), window)
    n = len(times)
    used = {name: track for name, track in tracks.items() if name != FUSED and len(track)}
    grid = model.grid(used, times, window)
    if not grid:
        silent = Track.silent(FUSED, times)
        silent.features = {"valence_raw": np.zeros(n), "arousal_raw": np.zeros(n)}
        return silent
    calibrated = model.calibrated(used, grid, times)
    from scorer.affect.fusion_model import presence

    present = presence(used, grid, times)
    valence, arousal, conf, share = model.combine(grid, calibrated, scale, present)
    names = sorted(share)
    stacked = np.column_stack([valence, arousal] + [share[m] for m in names])
    smoothed, sconf = smooth(times, stacked, conf, smoothing)
    features = {"valence_raw": valence, "arousal_raw": arousal}
    sshare = smoothed[:, 2:]
    norm = sshare.sum(axis=1, keepdims=True)
    sshare = np.divide(sshare, norm, out=np.zeros_like(sshare), where=norm > 1e-9)
    for i, name in enumerate(names):
        features[SHARE_PREFIX + name] = sshare[:, i]
    for name, c in sorted(calibrated.items()):
        features[CONFIDENCE_PREFIX + name] = c
    return Track(FUSED, times, smoothed[:, 0], smoothed[:, 1], sconf, features=features)


def _valence_weight(track: Track, times: np.ndarray) -> np.ndarray:
    """Return how much a track's valence counts (0..1) at ``times``.

    A track declares it in its ``valence_weight`` feature (motion: 0, it measures energy
    only); tracks that do not declare it count fully.
    """
    weight = track.features.get("valence_weight")
    if weight is None or len(weight) != len(track):
        return np.ones(len(times))
    return np.clip(np.interp(times, track.times, weight), 0.0, 1.0)


def project_duration(project: Project) -> float:
    """Return the clip's duration, or the end of the last track sample when unknown."""
    duration = 0.0
    if project.media is not None:
        try:
            duration = float(Fraction(project.media.duration))
        except (ValueError, ZeroDivisionError):
            duration = 0.0
    if duration <= 0:
        ends = [float(t.times[-1]) for t in project.tracks.values() if len(t)]
        duration = max(ends, default=0.0)
    return duration


def fusion_method(project: Project) -> str:
    """Return the fusion method a project's settings ask for: "fitted" or "presets".

    ``settings["fusion"]["method"]``: "presets" (hand-set content-type weights), "fitted" (the
    model in ``models/fusion.json``) or "auto" (the default: the fitted model when it beat the
    presets on the benchmark's training part, cross-validated; the presets otherwise or when it
    is missing).

    Raises:
        ScorerError: For an unknown method, or "fitted" when the model is missing.
    """
    from scorer.affect.fusion_model import load
    from scorer.errors import ModelError

    opts = dict(project.settings.get("fusion", {}) or {})
    method = str(opts.get("method", "auto")).strip().lower()
    if method not in METHODS:
        raise ScorerError(f"unknown fusion method {method!r}; choose one of "
                          f"{', '.join(METHODS)}")
    if method == "presets":
        return method
    try:
        model = load()
    except ModelError:
        if method == "fitted":
            raise
        return "presets"
    return "fitted" if method == "fitted" or model.default else "presets"


def fuse_project(project: Project) -> Track:
    """Fuse the project's tracks into ``project.fused`` with its settings.

    Reads ``settings["content_type"]``, ``settings["fusion_weights"]`` and
    ``settings["fusion"]`` (``window``, ``smoothing``, ``method``: see :func:`fusion_method`).
    With the fitted model the content type is not used (the benchmark has no content types to
    fit on) and ``fusion_weights`` scale each modality's coefficients.

    Returns:
        The fused Track (also stored in ``project.fused``).

    Raises:
        ScorerError: For an unknown content type or invalid settings.
    """
    opts = dict(project.settings.get("fusion", {}) or {})
    try:
        window = float(opts.get("window", 1.0))
        smoothing = float(opts.get("smoothing", 1.0))
    except (TypeError, ValueError) as exc:
        raise ScorerError(f"fusion settings must be numbers: {opts}") from exc
    weights = preset_weights(project.settings.get("content_type"),
                             project.settings.get("fusion_weights"))
    if fusion_method(project) == "fitted":
        from scorer.affect.fusion_model import load

        overrides = project.settings.get("fusion_weights") or {}
        scale = {str(k): float(weights[str(k)]) for k in overrides}
        project.fused = fuse_fitted(project.tracks, project_duration(project), load(),
                                    window=window, smoothing=smoothing, scale=scale)
    else:
        project.fused = fuse_tracks(project.tracks, project_duration(project), weights,
                                    window=window, smoothing=smoothing)
    return project.fused


def shares(track: Track) -> dict[str, np.ndarray]:
    """Return modality -> share array from a fused Track's features."""
    return {k[len(SHARE_PREFIX):]: v for k, v in track.features.items()
            if k.startswith(SHARE_PREFIX)}
