"""A score image as the seed melody: optical music recognition of printed single-staff melodies.

The recogniser (``models/omr.onnx``, card ``models/omr.md``) follows the source paper's design
in a compact form: a residual CNN whose features from two scales are fused, a bidirectional GRU
and CTC over a small symbol vocabulary (:data:`VOCAB`). It reads one staff at a time, so an image
is first cut into staff strips here (:func:`staff_strips`): the page is deskewed, staff lines
are found as rows of ink, each group of five evenly spaced lines becomes one strip of a fixed
height (:data:`HEIGHT`) centred on the staff, so the network always sees the same staff size.
The training script (``models/training/train_omr.py``) cuts its rendered lines with the same
functions.

Symbols are what the page shows, not what sounds: a note is its staff position (``n.F5``: the
line or space of F5), its printed accidental (``acc.#``) if any, its note value (``d.8``), a
dot and a tie. :func:`tokens_to_notes` then applies the key signature and the accidentals in
force in each bar, and joins tied notes, to give sounding MIDI pitches and lengths in quarters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scorer.errors import InputError

HEIGHT = 64  # strip height in pixels: the staff's five lines span 4 of its 12 staff spaces
SPACES = 6.0  # the strip reaches this many staff spaces above and below the middle line
X_SQUEEZE = 1.0  # strip width scale (1: the page aspect kept)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
PDF_SUFFIXES = (".pdf",)
PDF_DPI = 200
PDF_MIN_SIDE = 1200  # pixels along a rendered page's longer side, at least
MAX_PIXELS = 60_000_000  # a page scanned at 600 dpi is about 35 Mpx

KEYS = [f"key.{k:+d}" for k in range(-7, 8) if k]
TIMES = [f"time.{t}" for t in ("2/4", "3/4", "4/4", "5/4", "6/4", "3/2", "2/2", "3/8", "6/8",
                               "9/8", "12/8")]
STEPS = "CDEFGAB"
POSITIONS = [f"n.{s}{o}" for o in range(2, 8) for s in STEPS][5:-6]  # A2 .. C7
VALUES = ("1", "2", "4", "8", "16", "32")
VOCAB = (["<blank>", "clef.G2"] + KEYS + TIMES + ["bar", "acc.#", "acc.b", "acc.n"] + POSITIONS
         + [f"d.{v}" for v in VALUES] + ["dot", "tie"] + [f"r.{v}" for v in VALUES])
INDEX = {t: i for i, t in enumerate(VOCAB)}
_STEP_SEMITONE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SHARP_ORDER = "FCGDAEB"


@dataclass(frozen=True)
class ReadNote:
    """One recognised note or rest: MIDI pitch (None for a rest), length in quarter notes."""

    pitch: int | None
    quarters: float


# ---------------------------------------------------------------------------- image handling
def load_gray(path: str | Path) -> np.ndarray:
    """Read an image file as 8-bit grayscale.

    Raises:
        InputError: Naming the file, when it is missing or is not a readable image or PDF
            (a PDF's first page is read).
    """
    import cv2

    path = Path(path)
    if path.suffix.lower() in PDF_SUFFIXES:
        return _pdf_page_gray(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)  # cv2.imread cannot open every path (unicode)
    except OSError as exc:
        raise InputError(f"cannot read the score image ({exc.strerror or exc})", path) from exc
    gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if gray is None:
        raise InputError("not a readable image (PNG, JPEG, BMP, TIFF or WebP expected)", path)
    if gray.size > MAX_PIXELS:
        raise InputError(f"image too large ({gray.shape[1]}x{gray.shape[0]} pixels)", path)
    return gray


def _pdf_page_gray(path: Path) -> np.ndarray:
    """The first page of a PDF score, rasterised at ``PDF_DPI`` as 8-bit grayscale.

    Raises:
        InputError: Naming the file, when it cannot be opened as a PDF or has no pages.
    """
    import pypdfium2 as pdfium

    if not path.exists():
        raise InputError("no such file", path)
    try:
        document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise InputError(f"not a readable PDF ({exc})", path) from exc
    try:
        if len(document) == 0:
            raise InputError("the PDF has no pages", path)
        # a seed melody is one tune: its first page. At 200 dpi a printed staff space is
        # 10-15 px; a small page (a cropped line) is drawn larger, up to 600 dpi
        page = document[0]
        longest = max(page.get_size())  # points
        scale = max(PDF_DPI / 72, min(600 / 72, PDF_MIN_SIDE / max(longest, 1.0)))
        bitmap = page.render(scale=scale, grayscale=True)
        gray = np.array(bitmap.to_numpy(), dtype=np.uint8, copy=True)
    except pdfium.PdfiumError as exc:
        raise InputError(f"cannot render the PDF's first page ({exc})", path) from exc
    finally:
        document.close()
    if gray.ndim == 3:
        gray = gray[..., 0]
    if gray.size > MAX_PIXELS:
        raise InputError(f"page too large ({gray.shape[1]}x{gray.shape[0]} pixels)", path)
    return gray


def _darkness(gray: np.ndarray) -> np.ndarray:
    """Ink darkness 0 (paper) .. 1 (ink), stretched between the page's paper and ink levels.

    Thin anti-aliased staff lines are grey, not black: a fixed or Otsu threshold loses them,
    so lines are found on this soft map instead.
    """
    g = gray.astype(np.float32)
    paper, ink = np.percentile(g, 75), np.percentile(g, 0.5)
    return np.clip((paper - g) / max(paper - ink, 1.0), 0.0, 1.0)


def _rotate(img: np.ndarray, degrees: float, border: float = 255) -> np.ndarray:
    import cv2

    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def deskew(gray: np.ndarray, max_degrees: float = 3.0) -> np.ndarray:
    """Rotate the page so that staff lines run level (the sharpest row-ink profile wins)."""
    import cv2

    dark = _darkness(gray)
    scale = min(1.0, 900 / max(dark.shape))
    small = cv2.resize(dark, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
        if scale < 1 else dark
    best, best_score = 0.0, -1.0
    for deg in np.arange(-max_degrees, max_degrees + 1e-9, 0.2):
        prof = _rotate(small, float(deg), border=0).sum(axis=1)
        score = float(np.sum(prof ** 2))
        if score > best_score:
            best, best_score = float(deg), score
    return gray if abs(best) < 1e-6 else _rotate(gray, best).astype(gray.dtype)


def _line_rows(dark: np.ndarray) -> list[float]:
    """Rows of long horizontal lines: local maxima of the row darkness profile."""
    from scipy.signal import find_peaks

    prof = dark.mean(axis=1)
    if prof.size < 5:
        return []
    span = float(prof.max() - np.median(prof))
    if span < 0.03:
        return []
    # staff lines are the strongest narrow peaks; note heads and beams make broader, weaker ones
    peaks, _ = find_peaks(prof, prominence=0.15 * span)
    lines = []
    for y in peaks:
        lo, hi = max(0, y - 1), min(len(prof), y + 2)
        seg = prof[lo:hi]
        lines.append(lo + float(np.sum(seg * np.arange(len(seg))) / max(np.sum(seg), 1e-6)))
    return lines


def _near(dark: np.ndarray, y: float) -> np.ndarray:
    """Per column, the darkest of the three rows around ``y``."""
    h = dark.shape[0]
    r = int(round(y))
    return dark[min(max(0, r - 1), h - 1):max(1, min(h, r + 2))].max(axis=0)


def _staff_extent(dark: np.ndarray, rows: list[float]) -> tuple[int, int] | None:
    """Columns a staff's five lines (at ``rows``) run across, or None when they are no staff.

    Staff lines are darker than the spaces between them; noise, text or a photo has no such
    contrast. Thin anti-aliased lines can be pale grey, so "inked" is judged against the
    lines' own darkness, not a fixed level. The staff is the longest run of columns where at
    least three of the five lines are inked (gaps up to a staff space are bridged).
    """
    spacing = float(np.mean(np.diff(rows)))
    lines = np.stack([_near(dark, y) for y in rows])
    spaces = np.stack([_near(dark, (a + b) / 2) for a, b in zip(rows[:-1], rows[1:],
                                                                 strict=True)])
    # the typical darkness of inked line pixels (note heads are darker, lines may be pale)
    inked = lines[lines > 0.05]
    level = float(np.median(inked)) if inked.size else 0.0
    if level < 0.08:
        return None
    good = (lines > 0.5 * level).sum(axis=0) >= 3
    gap = max(1, int(round(spacing)))
    cols = np.flatnonzero(good)
    if cols.size < 2:
        return None
    breaks = np.flatnonzero(np.diff(cols) > gap)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [cols.size - 1]])
    k = int(np.argmax(cols[ends] - cols[starts]))
    x0, x1 = int(cols[starts[k]]), int(cols[ends[k]]) + 1
    if x1 - x0 < 6 * spacing:
        return None
    on, off = float(np.median(lines[:, x0:x1])), float(np.median(spaces[:, x0:x1]))
    # a difference, not a ratio: paper noise lifts both the lines and the spaces
    return (x0, x1) if on - off > 0.06 else None


def find_staves(gray: np.ndarray) -> list[tuple[float, float]]:
    """Find five-line staves in a level page.

    Returns:
        ``(top_line_y, spacing)`` of each staff, top to bottom (pixels).
    """
    dark = _darkness(gray)
    lines = _line_rows(dark)
    prof = dark.mean(axis=1)
    staves: list[tuple[float, float]] = []
    used_to = -1.0
    # five evenly spaced peaks make a staff; beams and heads add peaks between them, so the
    # lines are matched by spacing rather than taken as five consecutive peaks
    for i, top in enumerate(lines):
        if top <= used_to:
            continue
        best = None
        for second in lines[i + 1:]:
            gap = second - top
            if gap < 3:
                continue
            if gap > 60:
                break
            tol = max(1.5, 0.2 * gap)
            rows = [top, second]
            while len(rows) < 5:
                # resampled, blurred lines wander a pixel: step from the last line found
                expect = rows[-1] + (rows[-1] - rows[0]) / (len(rows) - 1)
                near = [y for y in lines if abs(y - expect) <= tol]
                if not near:
                    break
                rows.append(min(near, key=lambda y, e=expect: abs(y - e)))
            if len(rows) < 5:
                continue
            strength = float(sum(prof[int(round(y))] for y in rows))
            if (best is None or strength > best[0]) and _staff_extent(dark, rows) is not None:
                best = (strength, rows)
        if best is not None:
            rows = best[1]
            staves.append((rows[0], float(np.mean(np.diff(rows)))))
            used_to = rows[-1]
    return staves


def strip(gray: np.ndarray, top: float, spacing: float) -> np.ndarray:
    """Cut one staff out of a level page as a network input.

    Returns:
        float32 ``(HEIGHT, W)``, ink 1 and paper 0, the middle line at the middle row.
    """
    import cv2

    h, w = gray.shape
    mid = top + 2 * spacing
    y0, y1 = int(round(mid - SPACES * spacing)), int(round(mid + SPACES * spacing))
    dark = _darkness(gray)
    # the staff lines run across the whole system; text and stray marks beside it do not
    rows = [top + k * spacing for k in range(5)]
    x0, x1 = _staff_extent(dark, rows) or (0, w)
    pad = int(round(spacing))
    x0, x1 = max(0, x0 - pad), min(w, x1 + pad)
    crop = np.zeros((y1 - y0, x1 - x0), np.float32)
    sy0, sy1 = max(0, y0), min(h, y1)
    crop[sy0 - y0:sy1 - y0] = dark[sy0:sy1, x0:x1]
    width = max(8, int(round(crop.shape[1] * HEIGHT / crop.shape[0] * X_SQUEEZE)))
    out = cv2.resize(crop, (width, HEIGHT), interpolation=cv2.INTER_AREA)
    return np.clip(out, 0, 1).astype(np.float32)


def staff_strips(gray: np.ndarray) -> list[np.ndarray]:
    """Deskew a page and cut every staff on it into a network input, top to bottom."""
    level = deskew(gray)
    return [strip(level, top, sp) for top, sp in find_staves(level)]


# ---------------------------------------------------------------------------- decoding
def ctc_greedy(logits: np.ndarray) -> list[str]:
    """Best path CTC decoding of ``(T, len(VOCAB))`` scores: collapse repeats, drop blanks."""
    best = np.asarray(logits).argmax(axis=-1)
    out, prev = [], -1
    for k in best:
        if k != prev and k != 0:
            out.append(VOCAB[int(k)])
        prev = int(k)
    return out


def _key_alters(fifths: int) -> dict[str, int]:
    if fifths >= 0:
        return {s: 1 for s in _SHARP_ORDER[:fifths]}
    return {s: -1 for s in _SHARP_ORDER[::-1][:-fifths]}


def tokens_to_notes(tokens: list[str], fifths: int = 0) -> tuple[list[ReadNote], int]:
    """Turn recognised symbols into sounding notes.

    The key signature and accidentals follow common practice: an accidental holds for its staff
    position to the end of the bar; a tie joins a note to the next one. Symbols out of place
    (a value with no note before it) are skipped rather than guessed at.

    Args:
        tokens: Symbols from :data:`VOCAB` for one or more staves.
        fifths: Key signature in force before the first ``key.*`` symbol.

    Returns:
        The notes and rests, and the key signature (sharps > 0, flats < 0) last read.
    """
    notes: list[ReadNote] = []
    bar: dict[str, int] = {}
    pending_acc: int | None = None
    tie_open = False
    last_pos = ""
    i = 0
    while i < len(tokens):
        t = tokens[i]
        i += 1
        if t.startswith("key."):
            fifths = int(t[4:])
            bar = {}
        elif t == "bar":
            bar = {}
        elif t.startswith("acc."):
            pending_acc = {"#": 1, "b": -1, "n": 0}[t[4:]]
        elif t.startswith(("n.", "r.")):
            if t.startswith("n."):
                if i >= len(tokens) or not tokens[i].startswith("d."):
                    pending_acc = None
                    continue  # a head without a value: not a note we can place in time
                value = tokens[i][2:]
                i += 1
                pos = t[2:]
                if pending_acc is not None:
                    bar[pos] = pending_acc
                alter = bar.get(pos, _key_alters(fifths).get(pos[0], 0))
                pitch: int | None = 12 * (int(pos[1:]) + 1) + _STEP_SEMITONE[pos[0]] + alter
            else:
                value, pitch = t[2:], None
            pending_acc = None
            quarters = 4.0 / int(value)
            if i < len(tokens) and tokens[i] == "dot":
                quarters *= 1.5
                i += 1
            if tie_open and notes and pitch is not None and t[2:] == last_pos:
                # a tied note sounds on at the pitch it started with (no accidental repeats)
                notes[-1] = ReadNote(notes[-1].pitch, notes[-1].quarters + quarters)
            else:
                notes.append(ReadNote(pitch, quarters))
            last_pos = t[2:] if pitch is not None else ""
            tie_open = pitch is not None and i < len(tokens) and tokens[i] == "tie"
            if tie_open:
                i += 1
    return notes, fifths


# ---------------------------------------------------------------------------- the model
def recognise_strip(image: np.ndarray) -> list[str]:
    """Run the recogniser on one strip from :func:`strip` and return its symbols."""
    from scorer.models import session

    sess = session("omr")
    x = np.ascontiguousarray(image[None, None], dtype=np.float32)
    (logits,) = sess.run(None, {sess.get_inputs()[0].name: x})
    return ctc_greedy(logits[0])


def read_score(path: str | Path) -> list[list[str]]:
    """Recognise every staff of a score image.

    Returns:
        The symbols of each staff, top to bottom.

    Raises:
        InputError: Naming the file, when it is unreadable or no five-line staff is found.
    """
    gray = load_gray(path)
    strips = staff_strips(gray)
    if not strips:
        raise InputError("no music staff found in the image (expected a printed single-staff "
                         "melody, five clear staff lines, roughly level)", path)
    return [recognise_strip(s) for s in strips]


def melody_from_symbols(staves: list[list[str]]) -> tuple[list[ReadNote], int]:
    """Join the notes of several staves; a staff without a key signature keeps the last one."""
    fifths = 0
    notes: list[ReadNote] = []
    for symbols in staves:
        part, fifths = tokens_to_notes(symbols, fifths)
        notes.extend(part)
    return notes, fifths


def melody_from_image(path: str | Path) -> tuple[list[ReadNote], int]:
    """Return the notes of a printed melody image and its key signature (fifths)."""
    return melody_from_symbols(read_score(path))


def seed_from_notes(notes: list[ReadNote], fifths: int, path: str | Path,
                    max_steps: int = 64) -> list[str]:
    """Encode read notes as seed melody tokens (C major / A minor, 16th steps).

    Raises:
        InputError: Naming ``path``, when fewer than 8 notes were read or they cannot be
            encoded.
    """
    from music21 import key, note, stream

    from scorer.music.corpus import encode_stream

    pitched = [n for n in notes if n.pitch is not None]
    if len(pitched) < 8:
        raise InputError(f"only {len(pitched)} note(s) read from the score image; a seed melody "
                         "needs 8 or more (is it a printed melody on a five-line staff?)", path)
    part = stream.Part()
    part.insert(0, key.KeySignature(fifths))
    at = 0.0
    for n in notes:
        # 16th steps hold no 32nds: the shortest kept value is a 16th
        q = max(0.25, round(n.quarters * 4) / 4)
        part.insert(at, note.Rest(quarterLength=q) if n.pitch is None
                    else note.Note(n.pitch, quarterLength=q))
        at += q
    enc = encode_stream(part)
    if enc is None:
        raise InputError("the melody read from the score image lies outside the seed range "
                         "(C3..C6 after transposition to C major / A minor)", path)
    return enc["tokens"][:max_steps]


def seed_from_image(path: str | Path, max_steps: int = 64) -> list[str]:
    """Return seed melody tokens (C major / A minor, 16th steps) read from a score image.

    Raises:
        InputError: Naming the file, when it is unreadable, holds no staff, or too few notes
            are read from it.
    """
    notes, fifths = melody_from_image(path)
    return seed_from_notes(notes, fifths, path, max_steps)
