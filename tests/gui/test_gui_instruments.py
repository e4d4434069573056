"""Instruments in the library browser: the column, the tooltip and the single-instrument filter.

The window's library is the ``library`` fixture's two MIDI pieces, written without a program
change: General MIDI program 0, an acoustic grand piano.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _searched(qtbot, browser):
    qtbot.waitUntil(lambda: browser.task is None and not browser._debounce.isActive(),
                    timeout=60_000)


def test_browser_lists_and_filters_single_instruments(window, qtbot):
    QTest.keyClick(window, Qt.Key.Key_L, CTRL | SHIFT)
    browser = window.library
    _searched(qtbot, browser)
    assert sorted(browser.titles()) == ["bright_march", "dark_lament"]
    column = [browser.table.horizontalHeaderItem(c).text()
              for c in range(browser.table.columnCount())].index("Instruments")
    assert browser.table.item(0, column).text() == "piano"
    assert "instruments: piano" in browser.table.item(0, 0).toolTip()
    cello = browser.instrument.findData("cello")
    assert cello >= 0 and browser.instrument.findData("snare drum") >= 0
    browser.instrument.setCurrentIndex(cello)
    _searched(qtbot, browser)
    assert browser.titles() == []
    browser.instrument.setCurrentIndex(browser.instrument.findData("piano"))
    _searched(qtbot, browser)
    assert sorted(browser.titles()) == ["bright_march", "dark_lament"]


def test_cue_header_names_the_planned_instruments(window, qtbot, clip, tmp_path):
    from conftest import open_ready, save_two_scene_project

    from scorer.project import Cue

    # sombre strings: cello (GM 42) over piano (0), contrabass (43) and a choir pad (52)
    sombre = {"melody": 42, "harmony": 0, "bass": 43, "pad": 52}
    cues = [Cue("1M1", 0.0, 6.0), Cue("1M2", 6.0, 12.0, instrumentation="sombre_strings",
                                      programs=sombre)]
    open_ready(window, qtbot, save_two_scene_project(clip, tmp_path, cues=cues))
    window.panel.show_cue("1M2")
    assert "sombre strings (cello, double bass, piano)" in window.panel.header.text()
    window.panel.show_cue("1M1")  # no plan: no instruments named
    assert "(cello" not in window.panel.header.text()


def test_film_music_lane_names_the_instruments_heard(window, qtbot, clip, tmp_path):
    import numpy as np

    from scorer import media
    from scorer import project as projectio
    from scorer.project import MusicCaption, Project
    from scorer.track import Track

    times = np.arange(0.5, 12.0, 1.0)
    music = Track("music", times, np.full(len(times), -0.3), np.full(len(times), 0.5),
                  np.full(len(times), 0.9))
    captions = [MusicCaption(1.0, 6.0, "[tense strings build]", "film", ["violin", "cello"]),
                MusicCaption(7.0, 11.0, "[calm music]", "film", None)]
    project = Project(title="film music", media=media.probe(clip), tracks={"music": music},
                      music_captions=captions)
    path = tmp_path / "film.scorer.json"
    projectio.save(project, path)
    window.open_project(path)
    from ui.timeline import CurveItem

    lanes = [item for item in window.timeline.scene().items()
             if isinstance(item, CurveItem) and item.tip is not None]
    assert len(lanes) == 1  # the film-music lane only
    tip = lanes[0].tip
    assert tip(3.0) == "[tense strings build] 1.0-6.0 s; instruments: violin, cello"
    assert tip(8.0).endswith("instruments not read")
    assert tip(6.5) == "no film music captioned here"
