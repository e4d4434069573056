"""A hummed or played tune dropped on the suggestions panel becomes the seed of generation."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from conftest import drop_file
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent

from scorer import media
from scorer import project as projectio
from scorer.errors import ModelError
from scorer.project import Cue, Project
from ui import core

# "Mary had a little lamb": (MIDI pitch, 16ths)
TUNE = [(64, 4), (62, 4), (60, 4), (62, 4), (64, 4), (64, 4), (64, 8), (62, 4), (62, 4),
        (62, 8), (64, 4), (67, 4), (67, 8)]


@pytest.fixture
def project_file(clip, tmp_path):
    project = Project(title="two_scenes", media=media.probe(clip), shots=[6.0],
                      cues=[Cue("1M1", 0.0, 6.0, valence=0.5, arousal=0.6, key="G"),
                            Cue("1M2", 6.0, 12.0, valence=-0.4, arousal=-0.5, key="D",
                                mode="minor")])
    path = tmp_path / "two_scenes.scorer.json"
    projectio.save(project, path)
    return path


def _played_tune(path):
    """Render the tune on a piano (TimGM6mb) at 100 BPM into a WAV file."""
    import io

    import pretty_midi

    from scorer.music.render import render_midi, timgm6mb

    pm = pretty_midi.PrettyMIDI(initial_tempo=100)
    inst = pretty_midi.Instrument(0)
    t = 0.3
    for pitch, steps in TUNE:
        inst.notes.append(pretty_midi.Note(96, pitch, t, t + steps * 0.15 * 0.9))
        t += steps * 0.15
    pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    soundfile.write(path, render_midi(buf.getvalue(), sf2=timgm6mb(), sr=22050).mean(axis=1),
                    22050)
    return path


def _need_models():
    from scorer.models import find_model

    try:
        find_model("basic_pitch")
        find_model("melody_folk")
    except ModelError as exc:
        pytest.skip(f"model missing: {exc}")
    if not core.available("generate"):
        pytest.skip("generation not available")


def test_dropped_tune_seeds_the_generated_melody(window, qtbot, project_file, tmp_path,
                                                  screenshots):
    _need_models()
    win = window
    win.open_project(project_file)
    win.panel.show_cue("1M1")
    field = win.panel.seed_melody
    tune = _played_tune(tmp_path / "hummed tune.wav")
    drop_file(field, tune)
    assert field.path() == str(tune)
    assert "hummed tune.wav" in field.label.text()
    win.grab().save(str(screenshots / "seed_melody_dropped.png"))

    win.panel.style.setCurrentIndex(win.panel.style.findData("folk"))
    win.panel.regenerate_button.click()
    qtbot.waitUntil(lambda: "generate" not in win.tasks, timeout=120_000)
    made = [s for s in win.doc.suggestions_for("1M1") if s.params.get("seed_melody")]
    assert len(made) == 1, win.status.text()
    assert made[0].params["seed_melody"] == str(tune)
    assert "hummed tune.wav" in made[0].title
    win.panel.select_suggestion(made[0].id)
    win.grab().save(str(screenshots / "seed_melody_generated.png"))
    # the melody opens with the hummed tune's intervals, in the cue's key (G)
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(made[0].path)
    melody = next(i for i in pm.instruments if i.name == "Melody")
    pitches = [n.pitch for n in sorted(melody.notes, key=lambda n: n.start)][:7]
    assert np.diff(pitches).tolist() == np.diff([p for p, _ in TUNE[:7]]).tolist()
    assert pitches[2] % 12 == 7  # the tune's C (tonic) is the cue's G
    # back to the bundled seed
    field.clear_button.click()
    assert field.path() == ""


def test_a_tune_with_no_notes_fails_with_the_file_named(window, qtbot, project_file,
                                                         tmp_path):
    _need_models()
    win = window
    win.open_project(project_file)
    win.panel.show_cue("1M2")
    quiet = tmp_path / "silence.wav"
    soundfile.write(quiet, np.zeros(44100, np.float32), 44100)
    drop_file(win.panel.seed_melody, quiet)
    before = len(win.doc.suggestions_for("1M2"))
    win.panel.regenerate_button.click()
    qtbot.waitUntil(lambda: "generate" not in win.tasks, timeout=120_000)
    assert "silence.wav" in win.status.text() and "no notes" in win.status.text()
    assert len(win.doc.suggestions_for("1M2")) == before


def test_other_files_are_not_taken_as_a_seed(window, tmp_path):
    field = window.panel.seed_melody
    letter = tmp_path / "letter.docx"
    letter.write_bytes(b"PK\x03\x04")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(letter))])
    enter = QDragEnterEvent(field.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    field.dragEnterEvent(enter)  # the field itself refuses it (the window may take it)
    assert not enter.isAccepted()
    assert not field.set_path(str(letter))
    assert field.path() == "" and "not audio, a score (image or PDF) or MIDI" in \
        field.label.text()
    pdf = tmp_path / "melody.pdf"  # a PDF score is taken (its first page is read)
    pdf.write_bytes(b"%PDF-1.4\n")
    assert field.set_path(str(pdf)) and field.path() == str(pdf)


def test_a_dropped_score_image_is_taken_and_a_blank_one_fails_named(window, qtbot, project_file,
                                                                     tmp_path):
    import cv2

    field = window.panel.seed_melody
    blank = tmp_path / "blank score.png"
    cv2.imwrite(str(blank), np.full((300, 600), 255, np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(blank))])
    enter = QDragEnterEvent(field.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    field.dragEnterEvent(enter)
    assert enter.isAccepted()
    try:
        from scorer.models import find_model

        find_model("melody_folk")
    except ModelError as exc:
        pytest.skip(f"model missing: {exc}")
    if not core.available("generate"):
        pytest.skip("generation not available")
    win = window
    win.open_project(project_file)
    win.panel.show_cue("1M2")
    drop_file(win.panel.seed_melody, blank)
    assert win.panel.seed_melody.path() == str(blank)
    before = len(win.doc.suggestions_for("1M2"))
    win.panel.regenerate_button.click()
    qtbot.waitUntil(lambda: "generate" not in win.tasks, timeout=120_000)
    assert "blank score.png" in win.status.text() and "no music staff" in win.status.text()
    assert len(win.doc.suggestions_for("1M2")) == before
