"""The composite fusion benchmark: labelled short clips assembled from real labelled parts.

Every case is a 5-second scene built with a fixed seed from ``../shared/data``:

- picture: shots of real footage (Big Buck Bunny frames) with random grading (brightness,
  gamma, colour tint, saturation), a slow pan and 0-2 cuts; optionally one FER2013 test face
  (48x48, upscaled to 60-170 px of a 480x270 frame, tinted, blended with a soft oval) and
  sometimes a second, smaller neutral face;
- sound: RAVDESS or EMOVO speech (one actor and emotion, utterances trimmed and joined) at about
  -23 dBFS, and/or a 4Q music excerpt at about -20 dBFS alone or 8-18 dB under the speech;
  otherwise room tone (-60 dBFS noise).

Lighting and cutting vary independently of the label: they are nuisances the fusion must not
follow, because no labelled data says what a grade or a cut rate means.

**Label rule** (which modality the scene's emotion comes from):

1. someone speaks -> the speech's emotion (the performance carries the scene; a face in frame
   is the speaker's and shows the same quadrant, music under the speech is background);
2. else a face is in frame -> the face's expression (a smiling face over tense music is a
   smiling scene);
3. else music plays -> the music's quadrant (music instead of dialogue);
4. else (room tone, no face) -> no label: the case checks that fusion says "nothing here".

Quadrants: Q1 +V+A, Q2 -V+A, Q3 -V-A, Q4 +V-A (happy, angry/fearful, sad, calm; FER2013 has no
Q4 face, so face-led scenes are Q1-Q3).

Split (never by file): speech by actor (RAVDESS 21-22 and EMOVO f1, f2, m1 train; RAVDESS 23-24
and EMOVO f3, m2, m3 held out: the voice model was trained on RAVDESS 1-20), music by artist
(a third of the 4Q artists held out by a hash of the name), faces by FER2013 file set
(PublicTest train, PrivateTest held out).

The real analyzers run on every case (the pipeline's own entry points: the visual analyzers'
``process_frame``/``finish``, ``scorer.audio.analyze_audio`` without transcription — RAVDESS and
EMOVO sentences are emotionally neutral text — and ``analyze_film_music``); their Tracks are
cached under ``/work/cache/fusion`` (or ``$SCORER_FUSION_CACHE``) keyed by the case and a
fingerprint of ``models/``, so swapping a model re-runs the analyzers and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEED = 17
DURATION = 5.0
SR = 16000
SAMPLE_FPS = 4.0
EVERY_FPS = 12.0
FRAME_W, FRAME_H = 480, 270
EVERY_W = 160

QUADRANT_SIGNS = {"Q1": (1, 1), "Q2": (-1, 1), "Q3": (-1, -1), "Q4": (1, -1)}
RAVDESS_QUADRANT = {"03": "Q1", "05": "Q2", "06": "Q2", "04": "Q3", "02": "Q4"}
EMOVO_QUADRANT = {"gio": "Q1", "rab": "Q2", "pau": "Q2", "tri": "Q3"}
FER_QUADRANT = {"happy": "Q1", "angry": "Q2", "fear": "Q2", "sad": "Q3"}
RAVDESS_ACTORS = {"train": (21, 22), "heldout": (23, 24)}
EMOVO_ACTORS = {"train": ("f1", "f2", "m1"), "heldout": ("f3", "m2", "m3")}
FER_PREFIX = {"train": "PublicTest", "heldout": "PrivateTest"}

# scene kinds: (weight, speech, face, music relation to the label). music: None (no music),
# "agree" (same quadrant), "conflict" (another quadrant), "alone" (music leads)
KINDS = {
    "speech": (2, True, False, None),
    "speech+face": (2, True, True, None),
    "speech+music agree": (1, True, False, "agree"),
    "speech+music conflict": (2, True, False, "conflict"),
    "speech+face+music conflict": (2, True, True, "conflict"),
    "face": (2, False, True, None),
    "face+music conflict": (2, False, True, "conflict"),
    "face+music agree": (1, False, True, "agree"),
    "music": (3, False, False, "alone"),
    "nothing": (1, False, False, None),
}


def shared_data() -> Path:
    """Return ../shared/data (or $SCORER_SHARED_DATA)."""
    override = os.environ.get("SCORER_SHARED_DATA")
    if override:
        return Path(override)
    # ../shared/data beside the checkout; a worktree under /work/wt sits one level deeper
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    return REPO.parent / "shared" / "data"


def cache_dir() -> Path:
    """Return the Track cache folder."""
    return Path(os.environ.get("SCORER_FUSION_CACHE", "/work/cache/fusion"))


@dataclass
class Case:
    """One composite scene and its label."""

    id: str
    part: str  # "train" or "heldout"
    kind: str
    label_source: str  # "speech", "face", "music" or "none"
    quadrant: str  # Q1..Q4, "" when there is no label
    speech: list[str] = field(default_factory=list)  # files, joined in order
    speech_quadrant: str = ""
    face: str = ""
    face_quadrant: str = ""
    face_size: int = 0
    face_xy: tuple[int, int] = (0, 0)
    second_face: str = ""
    music: str = ""
    music_quadrant: str = ""
    music_offset: float = 0.0
    music_gain_db: float = 0.0  # relative to the speech level (under dialogue) or absolute
    shots: list[dict] = field(default_factory=list)  # background frame, grade, pan per shot
    cut_times: list[float] = field(default_factory=list)

    @property
    def signs(self) -> tuple[int, int]:
        """Target (valence sign, arousal sign); (0, 0) when unlabelled."""
        return QUADRANT_SIGNS.get(self.quadrant, (0, 0))


def _pools(data: Path) -> dict:
    """Collect the labelled parts per split."""
    pools: dict = {part: {"speech": {}, "faces": {}, "music": {}, "neutral_faces": []}
                   for part in ("train", "heldout")}
    for part in ("train", "heldout"):
        speech = pools[part]["speech"]
        for actor in RAVDESS_ACTORS[part]:
            folder = data / "speech-emotion" / "ravdess" / f"Actor_{actor:02d}"
            for path in sorted(folder.glob("03-01-*.flac")):
                q = RAVDESS_QUADRANT.get(path.name.split("-")[2])
                if q:
                    speech.setdefault((f"ravdess{actor}", path.name.split("-")[2], q),
                                      []).append(str(path))
        for actor in EMOVO_ACTORS[part]:
            for path in sorted((data / "speech-emotion" / "emovo" / actor).glob("*.ogg")):
                emo = path.name.split("-")[0]
                q = EMOVO_QUADRANT.get(emo)
                if q:
                    speech.setdefault((f"emovo{actor}", emo, q), []).append(str(path))
        fer = data / "faces" / "fer2013" / "test"
        for cls, q in FER_QUADRANT.items():
            files = sorted(str(p) for p in (fer / cls).glob(f"{FER_PREFIX[part]}_*.jpg"))
            pools[part]["faces"].setdefault(q, []).extend(files)
        pools[part]["neutral_faces"] = sorted(
            str(p) for p in (fer / "neutral").glob(f"{FER_PREFIX[part]}_*.jpg"))
    import csv

    with open(data / "music-emotion" / "4q" / "labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            part = "heldout" if zlib.crc32(row["artist"].encode()) % 3 == 0 else "train"
            path = data / "music-emotion" / "4q" / "audio" / f"{row['song']}.ogg"
            if path.exists():
                pools[part]["music"].setdefault(row["quadrant"], []).append(str(path))
    return pools


def build_cases(n_train: int = 200, n_heldout: int = 120, seed: int = SEED,
                data: Path | None = None) -> list[Case]:
    """Draw the benchmark's cases (deterministic for a seed and data folder)."""
    data = data or shared_data()
    pools = _pools(data)
    rng = random.Random(seed)
    kinds = [k for k, spec in KINDS.items() for _ in range(spec[0])]
    cases = []
    for part, count in (("train", n_train), ("heldout", n_heldout)):
        pool = pools[part]
        speech_keys = sorted(pool["speech"])
        for i in range(count):
            kind = kinds[i % len(kinds)]
            _, has_speech, has_face, music_rel = KINDS[kind]
            case = Case(id=f"{part[0]}{i:03d}", part=part, kind=kind, label_source="none",
                        quadrant="")
            if has_speech:
                key = rng.choice(speech_keys)
                files = list(pool["speech"][key])
                rng.shuffle(files)
                case.speech = files[:3]
                case.speech_quadrant = key[2]
                case.label_source, case.quadrant = "speech", key[2]
            if has_face:
                # the speaker's face shows the speech's quadrant; no Q4 faces exist in FER2013
                q = case.speech_quadrant or rng.choice(sorted(pool["faces"]))
                faces = pool["faces"].get(q) or pool["neutral_faces"]
                case.face = rng.choice(faces)
                case.face_quadrant = q if q in pool["faces"] else ""
                case.face_size = rng.randint(60, 170)
                case.face_xy = (rng.randint(10, FRAME_W - case.face_size - 10),
                                rng.randint(5, max(6, FRAME_H - case.face_size - 5)))
                if rng.random() < 0.2:
                    case.second_face = rng.choice(pool["neutral_faces"])
                if not has_speech:
                    case.label_source, case.quadrant = "face", q
            if music_rel:
                if music_rel == "alone":
                    q = rng.choice(sorted(pool["music"]))
                    case.label_source, case.quadrant = "music", q
                    case.music_gain_db = rng.uniform(-24, -16)
                else:
                    same = case.quadrant
                    choices = ([same] if music_rel == "agree"
                               else [x for x in sorted(pool["music"]) if x != same])
                    q = rng.choice(choices)
                    # under dialogue 8-18 dB below the speech; with a silent face, a full mix
                    case.music_gain_db = (-rng.uniform(8, 18) if has_speech
                                          else rng.uniform(-24, -16))
                case.music = rng.choice(pool["music"][q])
                case.music_quadrant = q
                case.music_offset = rng.uniform(0, 14)
            n_shots = rng.choice((1, 1, 2, 2, 3))
            case.cut_times = sorted(round(rng.uniform(0.8, DURATION - 0.8), 2)
                                    for _ in range(n_shots - 1))
            case.shots = [{
                "frame": rng.randint(0, 599),
                "gain": rng.uniform(0.45, 1.35), "gamma": rng.uniform(0.75, 1.3),
                "tint": rng.uniform(-0.12, 0.12), "saturation": rng.uniform(0.5, 1.4),
                "pan": rng.uniform(-30, 30),
            } for _ in range(n_shots)]
            cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------
# rendering

_backgrounds: np.ndarray | None = None


def backgrounds(data: Path | None = None) -> np.ndarray:
    """Return 600 frames of Big Buck Bunny (1 a tenth of a second), 540x304 RGB (cached)."""
    global _backgrounds
    if _backgrounds is None:
        path = cache_dir() / "backgrounds.npy"
        if path.exists():
            _backgrounds = np.load(path)
        else:
            import cv2

            from scorer import media

            clip = (data or shared_data()) / "video" / "big_buck_bunny_360p.mp4"
            frames = [cv2.resize(f.image, (540, 304), interpolation=cv2.INTER_AREA)
                      for f in media.iter_frames(clip, fps=10.0, max_width=640)]
            _backgrounds = np.stack(frames[:600])
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, _backgrounds)
    return _backgrounds


def _grade(image: np.ndarray, shot: dict) -> np.ndarray:
    x = image.astype(np.float32) / 255.0
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * shot["saturation"]
    x = np.clip(x, 0, 1) ** shot["gamma"] * shot["gain"]
    x = x + np.array([shot["tint"], 0.0, -shot["tint"]], dtype=np.float32) * 0.5
    return (np.clip(x, 0, 1) * 255).astype(np.uint8)


def _paste_face(frame: np.ndarray, face_path: str, size: int, xy: tuple[int, int]) -> None:
    import cv2

    grey = cv2.imread(face_path, cv2.IMREAD_GRAYSCALE)
    face = cv2.resize(grey, (size, size), interpolation=cv2.INTER_CUBIC)
    face = np.clip(cv2.cvtColor(face, cv2.COLOR_GRAY2RGB).astype(np.float32)
                   * np.array([1.05, 0.92, 0.80]), 0, 255)
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(mask, (size // 2, size // 2), (int(size * 0.46), int(size * 0.5)), 0, 0, 360,
                1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, size * 0.04))[..., None]
    x, y = xy
    h, w = frame.shape[:2]
    size_y, size_x = min(size, h - y), min(size, w - x)
    region = frame[y:y + size_y, x:x + size_x].astype(np.float32)
    m = mask[:size_y, :size_x]
    frame[y:y + size_y, x:x + size_x] = (region * (1 - m) + face[:size_y, :size_x] * m
                                         ).astype(np.uint8)


def render_frame(case: Case, t: float) -> np.ndarray:
    """Return the case's RGB frame (FRAME_H x FRAME_W) at time ``t``."""
    bank = backgrounds()
    shot_index = int(np.searchsorted(case.cut_times, t, side="right"))
    shot = case.shots[min(shot_index, len(case.shots) - 1)]
    # the background plays on (10 fps bank) and pans across the wider frame
    src = bank[(shot["frame"] + int(t * 10)) % len(bank)]
    dx = int(np.clip(30 + shot["pan"] * t / DURATION * 2, 0, src.shape[1] - FRAME_W))
    frame = _grade(src[17:17 + FRAME_H, dx:dx + FRAME_W], shot)
    if case.face:
        jitter = int(round(2 * np.sin(t * 2.1)))
        _paste_face(frame, case.face, case.face_size,
                    (case.face_xy[0] + jitter, case.face_xy[1]))
    if case.second_face:
        size = max(40, case.face_size // 2)
        x = FRAME_W - size - 12 if case.face_xy[0] < FRAME_W / 2 else 12
        _paste_face(frame, case.second_face, size, (x, 20))
    return frame


def _load(path: str) -> np.ndarray:
    import soundfile as sf

    y, sr = sf.read(path, dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    if sr != SR:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return y


def _rms_db(y: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(y.astype(np.float64) ** 2)) + 1e-12)


def _trim(y: np.ndarray) -> np.ndarray:
    frame = 320
    n = len(y) // frame
    db = 10 * np.log10((y[:n * frame].reshape(n, frame) ** 2).mean(1) + 1e-12)
    loud = np.flatnonzero(db > db.max() - 35)
    if not len(loud):
        return y
    return y[max(0, loud[0] - 3) * frame:(loud[-1] + 4) * frame]


def render_audio(case: Case) -> np.ndarray:
    """Return the case's 16 kHz mono sound track."""
    n = int(DURATION * SR)
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    # room tone: low, slightly low-passed noise at about -60 dBFS
    out = np.convolve(rng.standard_normal(n), np.ones(4) / 4, mode="same").astype(np.float32)
    out *= 10 ** (-60 / 20) / (np.sqrt(np.mean(out ** 2)) + 1e-12)
    speech_db = -23.0
    if case.speech:
        pos = int(0.3 * SR)
        for path in case.speech:
            y = _trim(_load(path))
            y = y * 10 ** ((speech_db - _rms_db(y)) / 20)
            take = min(len(y), n - pos)
            if take <= SR // 4:
                break
            out[pos:pos + take] += y[:take]
            pos += take + int(0.25 * SR)
    if case.music:
        y = _load(case.music)
        a = int(case.music_offset * SR)
        y = y[a:a + n]
        if len(y) < n:
            y = np.pad(y, (0, n - len(y)))
        level = speech_db + case.music_gain_db if case.speech else case.music_gain_db
        y = y * 10 ** ((level - _rms_db(y)) / 20)
        out += y.astype(np.float32)
    return np.clip(out, -1, 1).astype(np.float32)


# ---------------------------------------------------------------------------------------
# analysis (the real analyzers) and the cache


# models no analyzer reads (music generation and score tools): adding or retraining one must
# not throw away hours of cached analysis
NOT_ANALYSIS = ("melody_", "style_classifier", "basic_pitch", "instrument", "omr")


def models_fingerprint() -> str:
    """Hash of the ONNX models and the analyzer code: a swapped model re-runs the analysis."""
    h = hashlib.sha256()
    for path in sorted((REPO / "models").glob("*.onnx.sha256")):
        if not path.name.startswith(NOT_ANALYSIS):
            h.update(path.read_bytes())
    for rel in ("scorer/audio", "scorer/vision", "scorer/text", "scorer/music/film_music.py",
                "scorer/music/emotion.py"):
        p = REPO / rel
        for f in sorted([p] if p.is_file() else p.glob("*.py")):
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def analyze_case(case: Case) -> dict:
    """Run the real analyzers on one case; return {"tracks": {name: Track}, "shots": [...]}."""
    from scorer.music.film_music import analyze_film_music
    from scorer.pipeline import AnalysisSettings
    from scorer.project import Project
    from scorer.vision import default_analyzers

    project = Project(title=case.id)
    settings = AnalysisSettings(transcriber="none")
    analyzers = default_analyzers(settings)
    every = [a for a in analyzers if getattr(a, "every_frame", False)]
    import cv2

    step_every = 1.0 / EVERY_FPS
    n_every = int(DURATION * EVERY_FPS)
    sample_every = int(round(EVERY_FPS / SAMPLE_FPS))
    for k in range(n_every):
        t = k * step_every
        frame = render_frame(case, t)
        small = cv2.resize(frame, (EVERY_W, EVERY_W * FRAME_H // FRAME_W),
                           interpolation=cv2.INTER_AREA)
        for a in every:
            a.process_every_frame(t, small)
        if k % sample_every == 0:
            for a in analyzers:
                a.process_frame(t, frame)
    for a in analyzers:
        a.finish(project)
    audio = render_audio(case)
    from scorer.audio import analyze_audio

    analyze_audio(audio, SR, project, settings)
    analyze_film_music(audio, SR, project, settings)
    return {"tracks": project.tracks, "shots": list(project.shots)}


def cached_analysis(case: Case, fingerprint: str) -> dict:
    """Return the case's Tracks from the cache, running the analyzers on a miss."""
    from scorer.track import Track

    key = hashlib.sha256(json.dumps(asdict(case), sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / fingerprint / f"{case.id}-{key}.json"
    if path.exists():
        data = json.loads(path.read_text())
        return {"tracks": {k: Track.from_dict(v) for k, v in data["tracks"].items()},
                "shots": data["shots"]}
    result = analyze_case(case)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps({"tracks": {k: t.to_dict() for k, t in result["tracks"].items()},
                               "shots": result["shots"]}))
    tmp.replace(path)
    return result
