"""Render training lines for the score-image recogniser (models/omr.onnx) from music21's corpus.

Usage: python models/training/omr_data.py --out DIR [--essen 700 --irish 300 --chorale 150]

Tunes: Essen folksongs, O'Neill's 1850 collection (both ABC in music21's corpus) and the soprano
line of Bach chorales. Each tune is split into one-system lines of 2-5 bars; each line is
written as MEI (clef, key signature, the time signature on a tune's first line, notes with
their printed accidentals, beams per beat) and engraved by verovio in one of four music
fonts with random spacing, rasterised with Qt's SVG renderer, given print-like damage
(margins, rotation, resolution loss, blur, contrast, noise, JPEG) and cut into a staff strip by
the app's own :func:`scorer.music.omr.staff_strips`. Labels are the printed symbols
(:data:`scorer.music.omr.VOCAB`).

The split is by tune (a hash of its source and number): test tunes are never seen in training.
Writes DIR/{train,val,test}.pkl (strips as uint8, symbol lists, tune ids, true MIDI notes).
Training only: needs verovio (extra ``train``) and PySide6's QtSvg.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from scorer.music import omr  # noqa: E402

_DUR = {"whole": "1", "half": "2", "quarter": "4", "eighth": "8", "16th": "16", "32nd": "32"}
_SHARPS = "FCGDAEB"
FONTS = ("Leipzig", "Bravura", "Leland", "Gootville")


def split_of(tune_id: str) -> str:
    """Train / val / test by a hash of the tune id (80 / 8 / 12 %)."""
    h = int(hashlib.sha1(tune_id.encode()).hexdigest()[:8], 16) % 100
    return "test" if h < 12 else "val" if h < 20 else "train"


# ---------------------------------------------------------------------------- corpus -> tunes
def tune_from_score(score, tune_id: str) -> dict | None:
    """Measures of printed events of a monophonic tune, or None when it has what we skip.

    Skipped: tuplets, grace notes, chords, double accidentals, odd values, key or meter changes,
    meters outside the vocabulary, pitches outside A2..C7.
    """
    from music21 import stream

    part = score.parts[0] if hasattr(score, "parts") and len(score.parts) else score
    measures = list(part.getElementsByClass(stream.Measure))
    if len(measures) < 2:
        return None
    keys = list(part.recurse().getElementsByClass("KeySignature"))
    times = list(part.recurse().getElementsByClass("TimeSignature"))
    if not times or len({t.ratioString for t in times}) != 1 or len({k.sharps for k in keys}) > 1:
        return None
    meter = times[0].ratioString
    if f"time.{meter}" not in omr.INDEX:
        return None
    fifths = keys[0].sharps if keys else 0
    if abs(fifths) > 7:
        return None
    out = []
    midi = []
    for m in measures:
        events = []
        for el in m.recurse().notesAndRests:
            d = el.duration
            if el.isChord or d.isGrace or d.tuplets or d.type not in _DUR or d.dots > 1:
                return None
            if el.isRest:
                events.append({"rest": True, "dur": _DUR[d.type], "dots": d.dots,
                               "offset": float(el.offset), "q": float(d.quarterLength)})
                midi.append((None, float(d.quarterLength)))
                continue
            p = el.pitch
            alter = int(p.accidental.alter) if p.accidental is not None else 0
            if p.accidental is not None and p.accidental.alter != alter or abs(alter) > 1:
                return None
            pos = f"{p.step}{p.octave}"
            if f"n.{pos}" not in omr.INDEX:
                return None
            tie = el.tie.type if el.tie is not None else None
            events.append({"rest": False, "pos": pos, "step": p.step, "oct": p.octave,
                           "alter": alter, "dur": _DUR[d.type], "dots": d.dots,
                           "tie": tie, "offset": float(el.offset), "q": float(d.quarterLength),
                           "midi": p.midi})
            midi.append((p.midi, float(d.quarterLength)))
        if events:
            out.append(events)
    # ties only between equal pitches (some ABC files mark slurs as ties)
    flat = [e for ms in out for e in ms]
    for a, b in zip(flat[:-1], flat[1:], strict=True):
        ok = (not a["rest"] and not b["rest"] and a["tie"] in ("start", "continue")
              and b["tie"] in ("stop", "continue") and a["midi"] == b["midi"])
        a["tie_out"] = ok
        b["tie_in"] = ok
    return {"id": tune_id, "fifths": fifths, "meter": meter, "measures": out}


def collect(n_essen: int, n_irish: int, n_chorale: int, seed: int = 0) -> list[dict]:
    """Parse tunes from music21's corpus (a fixed random choice of files)."""
    from music21 import corpus

    rng = random.Random(seed)
    tunes: list[dict] = []
    for folder, want in (("essenFolksong", n_essen), ("oneills1850", n_irish)):
        paths = sorted(p for p in corpus.getPaths() if f"/{folder}/" in str(p))
        rng.shuffle(paths)
        got = 0
        for path in paths:
            if got >= want:
                break
            opus = corpus.parse(path)
            scores = list(opus.scores) if hasattr(opus, "scores") else [opus]
            for k, sc in enumerate(scores):
                if got >= want:
                    break
                t = tune_from_score(sc, f"{folder}/{Path(path).stem}/{k}")
                if t is not None:
                    tunes.append(t)
                    got += 1
        print(f"{folder}: {got} tunes", flush=True)
    got = 0
    for k, chorale in enumerate(corpus.chorales.Iterator()):
        if got >= n_chorale:
            break
        try:
            sop = chorale.parts[0]
        except (AttributeError, IndexError):
            continue
        t = tune_from_score(sop, f"chorale/{k}")
        if t is not None:
            tunes.append(t)
            got += 1
    print(f"chorales: {got} soprano lines", flush=True)
    return tunes


# ---------------------------------------------------------------------------- lines -> MEI
def lines_of(tune: dict, rng: random.Random) -> list[dict]:
    """Cut a tune into lines of 2-5 bars with their printed symbols and MEI."""
    ms = tune["measures"]
    out = []
    i = 0
    while i < len(ms):
        n = rng.randint(2, 5)
        chunk = ms[i:i + n]
        if len(chunk) < 2 and out:  # a lone last bar joins the line before
            prev = out.pop()
            chunk = prev["_measures"] + chunk
            first = prev["_first"]
        else:
            first = i == 0
        out.append({"_measures": chunk, "_first": first})
        i += n
    return [line_symbols(tune, d["_measures"], d["_first"]) for d in out]


def line_symbols(tune: dict, measures: list[list[dict]], first: bool) -> dict:
    key_alter = ({s: 1 for s in _SHARPS[:tune["fifths"]]} if tune["fifths"] >= 0
                 else {s: -1 for s in _SHARPS[::-1][:-tune["fifths"]]})
    symbols = ["clef.G2"]
    if tune["fifths"]:
        symbols.append(f"key.{tune['fifths']:+d}")
    if first:
        symbols.append(f"time.{tune['meter']}")
    beat = 1.5 if tune["meter"].endswith("/8") else 1.0
    mei_measures = []
    notes = []
    for m_i, events in enumerate(measures):
        bar: dict[str, int] = {}
        xml = []
        group: list[str] = []
        group_beat = None

        def flush(group=group, xml=xml):
            if len(group) > 1:
                xml.append("<beam>" + "".join(group) + "</beam>")
            else:
                xml.extend(group)
            group.clear()

        for k, e in enumerate(events):
            dots = f' dots="{e["dots"]}"' if e["dots"] else ""
            if e["rest"]:
                flush()
                xml.append(f'<rest dur="{e["dur"]}"{dots}/>')
                symbols.append(f"r.{e['dur']}")
                notes.append((None, e["q"]))
            else:
                last_in_line = m_i + 1 == len(measures) and k + 1 == len(events)
                tie_in = bool(e.get("tie_in")) and not (m_i == 0 and k == 0)
                tie_out = bool(e.get("tie_out")) and not last_in_line
                expected = bar.get(e["pos"], key_alter.get(e["step"], 0))
                # a note tied over the barline keeps its pitch without a new accidental
                shown = e["alter"] != expected and not (tie_in and k == 0)
                accid = ""
                ges = {1: "s", -1: "f", 0: "n"}[e["alter"]]
                if shown:
                    accid = f' accid="{ges}"'
                    symbols.append("acc." + {1: "#", -1: "b", 0: "n"}[e["alter"]])
                    bar[e["pos"]] = e["alter"]
                elif e["alter"]:
                    accid = f' accid.ges="{ges}"'
                symbols.append(f"n.{e['pos']}")
                symbols.append(f"d.{e['dur']}")
                if e["dots"]:
                    symbols.append("dot")
                tie = {(True, True): ' tie="m"', (True, False): ' tie="t"',
                       (False, True): ' tie="i"', (False, False): ""}[(tie_in, tie_out)]
                if tie_out:
                    symbols.append("tie")
                if tie_in and notes and notes[-1][0] == e["midi"]:
                    notes[-1] = (e["midi"], notes[-1][1] + e["q"])
                else:
                    notes.append((e["midi"], e["q"]))
                el = (f'<note pname="{e["step"].lower()}" oct="{e["oct"]}" dur="{e["dur"]}"'
                      f'{dots}{accid}{tie}/>')
                b = int(e["offset"] // beat)
                if int(e["dur"]) >= 8 and (group_beat is None or b == group_beat):
                    group.append(el)
                    group_beat = b
                elif int(e["dur"]) >= 8:
                    flush()
                    group.append(el)
                    group_beat = b
                else:
                    flush()
                    group_beat = None
                    xml.append(el)
            if e["rest"]:
                group_beat = None
        flush()
        symbols.append("bar")
        mei_measures.append(f'<measure n="{m_i + 1}"><staff n="1"><layer n="1">'
                            + "".join(xml) + "</layer></staff></measure>")
    f5 = tune["fifths"]
    key = f"{abs(f5)}{'s' if f5 > 0 else 'f'}" if f5 else "0"
    num, den = tune["meter"].split("/")
    meter = f' meter.count="{num}" meter.unit="{den}"' if first else ""
    mei = ('<?xml version="1.0" encoding="UTF-8"?>'
           '<mei xmlns="http://www.music-encoding.org/ns/mei" meiversion="5.0"><meiHead>'
           '<fileDesc><titleStmt><title/></titleStmt><pubStmt/></fileDesc></meiHead><music>'
           '<body><mdiv><score><scoreDef><staffGrp><staffDef n="1" lines="5" clef.shape="G" '
           f'clef.line="2" keysig="{key}"{meter}/></staffGrp></scoreDef><section>'
           + "".join(mei_measures) + "</section></score></mdiv></body></music></mei>")
    return {"symbols": symbols, "mei": mei, "notes": notes, "fifths": tune["fifths"]}


# ---------------------------------------------------------------------------- engraving
def _flatten_svg(svg: str) -> str:
    """Qt's SVG renderer skips nested <svg>: turn verovio's inner one into a scaled group."""
    m = re.search(r'<svg class="definition-scale"[^>]*viewBox="0 0 (\d+) (\d+)"[^>]*>', svg)
    w = int(re.search(r'width="(\d+)px"', svg).group(1))
    h = int(re.search(r'height="(\d+)px"', svg).group(1))
    svg = (svg[:m.start()] + f'<g transform="scale({w / int(m.group(1))},{h / int(m.group(2))})">'
           + svg[m.end():])
    i = svg.rfind("</svg>")
    j = svg.rfind("</svg>", 0, i)
    return svg[:j] + "</g>" + svg[j + 6:]


def engrave(mei: str, rng: random.Random, tk) -> np.ndarray:
    """MEI -> grayscale page (uint8) through verovio and QSvgRenderer."""
    tk.setOptions({"pageWidth": 6000, "adjustPageWidth": True, "adjustPageHeight": True,
                   "header": "none", "footer": "none", "breaks": "none",
                   "scale": rng.randint(35, 60), "font": rng.choice(FONTS),
                   "spacingLinear": rng.uniform(0.15, 0.35),
                   "spacingNonLinear": rng.uniform(0.5, 0.7),
                   "staffLineWidth": rng.uniform(0.12, 0.25),
                   "pageMarginLeft": 40, "pageMarginRight": 40, "pageMarginTop": 40,
                   "pageMarginBottom": 40})
    if not tk.loadData(mei):
        raise ValueError("verovio could not load the MEI")
    return rasterise(tk.renderToSVG(1))


def rasterise(svg_text: str) -> np.ndarray:
    """Verovio's SVG of a page -> grayscale page (uint8) through QSvgRenderer."""
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    svg = _flatten_svg(svg_text)
    r = QSvgRenderer(QByteArray(svg.encode()))
    size = r.defaultSize()
    img = QImage(size.width(), size.height(), QImage.Format.Format_Grayscale8)
    img.fill(QColor(255, 255, 255))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    r.render(p)
    p.end()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width()].copy()


def damage(page: np.ndarray, rng: random.Random) -> np.ndarray:
    """Print-like damage: margins, rotation, resolution, blur, contrast, noise, JPEG."""
    import cv2

    g = page
    t, b, lft, rgt = (rng.randint(0, 60) for _ in range(4))
    g = cv2.copyMakeBorder(g, t, b, lft, rgt, cv2.BORDER_CONSTANT, value=255)
    s = rng.uniform(0.8, 1.4)
    g = cv2.resize(g, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1
                   else cv2.INTER_LINEAR)
    if rng.random() < 0.7:
        h, w = g.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-1.5, 1.5), 1.0)
        g = cv2.warpAffine(g, m, (w, h), borderValue=255)
    f = g.astype(np.float32) / 255.0
    if rng.random() < 0.6:
        f = cv2.GaussianBlur(f, (0, 0), rng.uniform(0.3, 0.9))
    paper, ink = rng.uniform(0.75, 1.0), rng.uniform(0.0, 0.35)
    f = ink + (paper - ink) * f
    if rng.random() < 0.5:  # uneven lighting
        h, w = f.shape
        f = f * (1 - rng.uniform(0, 0.15) * np.linspace(0, 1, w)[None, :] ** 2)
    np_rng = np.random.default_rng(rng.randrange(1 << 30))
    f = f + np_rng.normal(0, rng.uniform(0, 0.06), f.shape)
    g = np.clip(f * 255, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", g, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(30, 90)])
        g = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return g


def clean_strip(page: np.ndarray) -> np.ndarray | None:
    strips = omr.staff_strips(page)
    return strips[0] if len(strips) == 1 else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--essen", type=int, default=700)
    ap.add_argument("--irish", type=int, default=300)
    ap.add_argument("--chorale", type=int, default=150)
    ap.add_argument("--variants", type=int, default=2, help="damaged copies per training line")
    ap.add_argument("--fixture", help="also write a held-out test line as PNG + notes here")
    args = ap.parse_args()
    import verovio

    verovio.enableLog(verovio.LOG_OFF)
    tk = verovio.toolkit()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    cache = out / f"tunes_{args.essen}_{args.irish}_{args.chorale}.pkl"
    if cache.exists():  # parsing the corpus is the slow part of a rerun
        with open(cache, "rb") as fh:
            tunes = pickle.load(fh)
    else:
        tunes = collect(args.essen, args.irish, args.chorale)
        with open(cache, "wb") as fh:
            pickle.dump(tunes, fh)
    print(f"{len(tunes)} tunes parsed in {time.time() - t0:.0f} s", flush=True)
    rng = random.Random(1)
    sets = {"train": [], "val": [], "test": []}
    failed = 0
    for n_tune, tune in enumerate(tunes):
        split = split_of(tune["id"])
        for li, line in enumerate(lines_of(tune, rng)):
            try:
                page = engrave(line["mei"], rng, tk)
            except ValueError:
                failed += 1
                continue
            base = {"symbols": line["symbols"], "notes": line["notes"], "tune": tune["id"],
                    "fifths": line["fifths"], "line": li}
            variants = []
            if split != "train":
                s = clean_strip(page)
                if s is not None:
                    variants.append(dict(base, clean=True))
                    variants[-1]["image"] = (s * 255).astype(np.uint8)
            for _ in range(args.variants if split == "train" else 1):
                damaged = damage(page, rng)
                s = clean_strip(damaged)
                if s is None:
                    failed += 1
                    continue
                variants.append(dict(base, clean=False, image=(s * 255).astype(np.uint8)))
                if args.fixture and split == "test" and not (out / "fixture_done").exists() \
                        and len(line["notes"]) >= 10 and tune["fifths"] != 0:
                    import json

                    import cv2

                    fx = Path(args.fixture)
                    fx.mkdir(parents=True, exist_ok=True)
                    small = cv2.resize(damaged, None, fx=0.8, fy=0.8,
                                       interpolation=cv2.INTER_AREA)
                    cv2.imwrite(str(fx / "omr_line.png"), small)
                    (fx / "omr_line.json").write_text(json.dumps({
                        "tune": tune["id"], "fifths": tune["fifths"],
                        "notes": [[p, q] for p, q in line["notes"]],
                        "note": "a held-out test tune line (music21 corpus), damaged as in "
                                "training; notes are music21's MIDI pitches and quarter "
                                "lengths (ties joined)"}, indent=1))
                    (out / "fixture_done").write_text("1")
            sets[split].extend(variants)
        if n_tune % 100 == 0:
            print(f"{n_tune}/{len(tunes)} tunes, {sum(map(len, sets.values()))} strips, "
                  f"{failed} failed, {time.time() - t0:.0f} s", flush=True)
    for name, items in sets.items():
        with open(out / f"{name}.pkl", "wb") as fh:
            pickle.dump(items, fh)
        print(f"{name}: {len(items)} strips, {len({i['tune'] for i in items})} tunes")
    print(f"done in {time.time() - t0:.0f} s, {failed} failed")


if __name__ == "__main__":
    main()
