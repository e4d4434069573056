"""A score image as the seed melody (scorer.music.omr): staff finding, symbol decoding, bad input.

Expectations are written by hand from music theory or from how the test images were drawn; the
recogniser itself is checked on a committed held-out fixture (tests/fixtures/omr: a line of a
music21 corpus tune that training never saw, rendered by models/training/omr_data.py, with the
notes music21 gives for it).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from scorer.errors import InputError, ModelError
from scorer.music import omr

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "omr"


def _page(staff_tops, spacing, width=900, height=None, angle=0.0, line=1):
    """White page with five-line staves (tops and spacing in pixels) and a few note heads."""
    height = height or int(max(staff_tops) + 10 * spacing)
    img = np.full((height, width), 255, np.uint8)
    for top in staff_tops:
        for k in range(5):
            y = int(round(top + k * spacing))
            cv2.line(img, (40, y), (width - 40, y), 0, line)
        for x in range(120, width - 80, 70):  # heads on alternating lines and spaces
            y = int(top + ((x // 70) % 9) * spacing / 2)
            cv2.ellipse(img, (x, y), (int(spacing * 0.65), int(spacing * 0.45)), -20, 0, 360,
                        0, -1)
    if angle:
        m = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        img = cv2.warpAffine(img, m, (width, height), borderValue=255)
    return img


def _lev(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


# ------------------------------------------------------------------ staves
def test_finds_each_staff_with_its_spacing():
    page = _page([60, 260], spacing=12)
    staves = omr.find_staves(page)
    assert len(staves) == 2
    assert staves[0][0] == pytest.approx(60, abs=1.0) and staves[1][0] == pytest.approx(260, abs=1)
    assert all(sp == pytest.approx(12, abs=0.5) for _, sp in staves)


def test_a_tilted_page_is_levelled_before_the_staves_are_cut():
    page = _page([80, 300], spacing=14, width=1200, angle=1.5)
    assert len(omr.find_staves(page)) < 2  # tilted, the lines smear across rows
    strips = omr.staff_strips(page)
    assert len(strips) == 2
    for s in strips:
        assert s.shape[0] == omr.HEIGHT and s.dtype == np.float32
        # the five lines sit symmetric about the middle row, 1/12 of the height apart
        prof = s.mean(axis=1)
        rows = [int(round(omr.HEIGHT / 2 + k * omr.HEIGHT / (2 * omr.SPACES)))
                for k in (-2, -1, 0, 1, 2)]
        for r in rows:
            assert prof[max(0, r - 1):r + 2].max() > 3 * np.median(prof)


def test_strip_keeps_the_staff_width_and_drops_the_margins():
    page = _page([100], spacing=10, width=800)
    (s,) = omr.staff_strips(page)
    # 720 px of staff (40..760) + a space each side, scaled by 64 / (12 spaces * 10 px)
    assert s.shape[1] == pytest.approx(740 * omr.HEIGHT / 120 * omr.X_SQUEEZE, rel=0.03)


# ------------------------------------------------------------------ symbols -> notes
def test_key_signature_and_accidentals_give_sounding_pitches():
    # G major (F#); bar 1: F5 (F#5 by the key), natural F5, F5 again (still natural in the bar)
    # bar 2: F5 sharp again by the key; flat B4 then B4 (flat holds)
    symbols = ("clef.G2 key.+1 time.3/4 n.F5 d.4 acc.n n.F5 d.4 n.F5 d.4 bar "
               "n.F5 d.4 acc.b n.B4 d.8 n.B4 d.8 r.4 bar").split()
    notes, fifths = omr.tokens_to_notes(symbols)
    assert fifths == 1
    assert [(n.pitch, n.quarters) for n in notes] == [
        (78, 1.0), (77, 1.0), (77, 1.0), (78, 1.0), (70, 0.5), (70, 0.5), (None, 1.0)]


def test_flat_keys_dots_and_ties():
    # B-flat major (B-, E-): dotted quarter B4 tied over the bar to an eighth; E5 flat; a dotted
    # half C5; a sixteenth rest
    symbols = ("clef.G2 key.-2 n.B4 d.4 dot tie bar n.B4 d.8 n.E5 d.8 n.C5 d.2 dot "
               "r.16 bar").split()
    notes, _ = omr.tokens_to_notes(symbols)
    assert [(n.pitch, n.quarters) for n in notes] == [(70, 2.0), (75, 0.5), (72, 3.0),
                                                      (None, 0.25)]


def test_a_tie_over_the_barline_keeps_the_accidental_of_its_start():
    symbols = "clef.G2 acc.# n.C5 d.2 tie bar n.C5 d.4 n.C5 d.4 bar".split()
    notes, _ = omr.tokens_to_notes(symbols)
    assert [(n.pitch, n.quarters) for n in notes] == [(73, 3.0), (72, 1.0)]


def test_stray_symbols_are_skipped_not_guessed():
    notes, _ = omr.tokens_to_notes("clef.G2 d.4 n.G4 bar acc.# n.A4 d.8 tie".split())
    assert [(n.pitch, n.quarters) for n in notes] == [(70, 0.5)]


def test_ctc_greedy_collapses_repeats_and_blanks():
    seq = ["clef.G2", "clef.G2", "<blank>", "n.C5", "<blank>", "n.C5", "d.4", "d.4"]
    logits = np.full((len(seq), len(omr.VOCAB)), -5.0, np.float32)
    for t, s in enumerate(seq):
        logits[t, omr.INDEX[s]] = 3.0
    assert omr.ctc_greedy(logits) == ["clef.G2", "n.C5", "n.C5", "d.4"]


def test_vocabulary_covers_the_treble_staff_and_is_unique():
    assert len(set(omr.VOCAB)) == len(omr.VOCAB) and omr.VOCAB[0] == "<blank>"
    for pos in ("n.A3", "n.C4", "n.F5", "n.C6", "n.A2", "n.C7"):
        assert pos in omr.INDEX


# ------------------------------------------------------------------ bad input
def test_unreadable_pdf_and_blank_images_name_the_file(tmp_path):
    from scorer.music.melody import load_seed

    fake = tmp_path / "tune scan.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(InputError, match="not a readable image") as err:
        load_seed(fake)
    assert "tune scan.png" in str(err.value)
    pdf = tmp_path / "melody.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")  # a header and nothing else
    with pytest.raises(InputError, match="PDF") as err:
        load_seed(pdf)
    assert "melody.pdf" in str(err.value)
    blank = tmp_path / "holiday photo.jpg"
    rng = np.random.default_rng(0)
    cv2.imwrite(str(blank), (rng.random((300, 400)) * 255).astype(np.uint8))
    with pytest.raises(InputError, match="no music staff") as err:
        load_seed(blank)
    assert "holiday photo.jpg" in str(err.value)
    with pytest.raises(InputError, match="not found"):
        load_seed(tmp_path / "missing.png")


# ------------------------------------------------------------------ the model
def _need_model():
    from scorer.models import find_model

    try:
        find_model("omr")
    except ModelError as exc:
        pytest.skip(f"no OMR model: {exc}")


def test_reads_a_held_out_printed_line():
    _need_model()
    truth = json.loads((FIXTURE / "omr_line.json").read_text())
    notes, fifths = omr.melody_from_image(FIXTURE / "omr_line.png")
    assert fifths == truth["fifths"]
    want = [p for p, _ in truth["notes"] if p is not None]
    got = [n.pitch for n in notes if n.pitch is not None]
    assert _lev(got, want) <= 0.2 * len(want), (got, want)
    want_q = [q for _, q in truth["notes"]]
    got_q = [n.quarters for n in notes]
    assert _lev(got_q, want_q) <= 0.3 * len(want_q), (got_q, want_q)


def test_a_pdf_score_reads_like_its_image(tmp_path):
    """A PDF whose first page holds the held-out line gives the same notes as the image."""
    _need_model()
    from PIL import Image

    pdf = tmp_path / "tune.pdf"
    Image.open(FIXTURE / "omr_line.png").convert("L").save(pdf, resolution=150.0)
    truth = json.loads((FIXTURE / "omr_line.json").read_text())
    notes, fifths = omr.melody_from_image(pdf)
    assert fifths == truth["fifths"]
    want = [p for p, _ in truth["notes"] if p is not None]
    got = [n.pitch for n in notes if n.pitch is not None]
    assert _lev(got, want) <= 0.2 * len(want), (got, want)


def test_scorer_score_takes_a_score_image_as_seed(tmp_path, capsys):
    _need_model()
    from scorer import project as project_io
    from scorer.cli import main
    from scorer.models import find_model
    from scorer.project import Cue, Project

    try:
        find_model("melody_folk")
    except ModelError as exc:
        pytest.skip(f"no melody model: {exc}")
    path = tmp_path / "p.scorer.json"
    project_io.save(Project(title="p", cues=[Cue("1M1", 0.0, 8.0, valence=0.3, key="A",
                                                 tempo=100.0)]), path)
    blank = tmp_path / "blank page.png"
    cv2.imwrite(str(blank), np.full((200, 300), 255, np.uint8))
    assert main(["score", str(path), "--seed-melody", str(blank)]) == 2
    err = capsys.readouterr().err
    assert "blank page.png" in err and "no music staff" in err and "Traceback" not in err
    assert not project_io.load(path).suggestions

    image = FIXTURE / "omr_line.png"
    assert main(["score", str(path), "--seed-melody", str(image), "--style", "folk"]) == 0
    made = project_io.load(path).suggestions
    assert len(made) == 1 and made[0].params["seed_melody"] == str(image)
    assert main(["read-score", str(image)]) == 0
    out = capsys.readouterr().out
    assert "staff 1: clef.G2" in out and "seed melody (C/A):" in out
