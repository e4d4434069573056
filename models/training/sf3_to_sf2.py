"""Decode a SoundFont 3 (Ogg Vorbis samples, MuseScore's format) into a plain SoundFont 2.

The renderer (``midirenderer``) reads SF2 only, and Debian's MuseScore General
(``apt-get install -y musescore-general-soundfont-small``, MIT) ships as SF3. Used only to make
instrument-recognition training data (models/training/instrument_data.py); the app never
needs it.

In SF3 a compressed sample (sample type bit 0x10) has its start and end as byte offsets of its
Ogg stream in the ``smpl`` chunk and its loop points in frames relative to its own start; the
SF2 written here has 16-bit PCM with 46 zero frames after each sample (as the SF2 standard asks)
and absolute frame offsets everywhere.

    .venv/bin/python models/training/sf3_to_sf2.py IN.sf3 OUT.sf2
"""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np
import soundfile

SHDR = struct.Struct("<20sIIIIIbbHH")  # 46 bytes per sample header
PAD = 46


def _chunks(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        cid, size = struct.unpack_from("<4sI", data, pos)
        yield cid, pos + 8, size
        pos += 8 + size
        # RIFF pads odd chunks to even length, but some SF3 writers do not: pad only when the
        # byte after the chunk does not start a chunk id
        if size & 1 and not data[pos:pos + 4].isalnum():
            pos += 1


def _chunk(cid: bytes, body: bytes) -> bytes:
    return struct.pack("<4sI", cid, len(body)) + body + (b"\0" if len(body) & 1 else b"")


def convert(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"sfbk":
        raise SystemExit(f"{src}: not a SoundFont")
    lists = {}
    for cid, off, size in _chunks(data, 12, len(data)):
        if cid == b"LIST":
            lists[data[off:off + 4]] = (off + 4, off + size)
    info_lo, info_hi = lists[b"INFO"]
    sdta_lo, sdta_hi = lists[b"sdta"]
    pdta_lo, pdta_hi = lists[b"pdta"]
    smpl = next(data[o:o + s] for c, o, s in _chunks(data, sdta_lo, sdta_hi) if c == b"smpl")
    pdta = [(c, data[o:o + s]) for c, o, s in _chunks(data, pdta_lo, pdta_hi)]
    info = []
    for c, o, s in _chunks(data, info_lo, info_hi):
        body = data[o:o + s]
        if c == b"ifil":
            body = struct.pack("<HH", 2, 1)
        info.append(_chunk(c, body))
    shdr = next(b for c, b in pdta if c == b"shdr")
    pcm, out_headers, pos = [], [], 0
    for i in range(len(shdr) // SHDR.size):
        name, start, end, lstart, lend, rate, key, corr, link, stype = SHDR.unpack_from(
            shdr, i * SHDR.size)
        if name.startswith(b"EOS") and i == len(shdr) // SHDR.size - 1:
            out_headers.append(SHDR.pack(name, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            break
        if stype & 0x10:
            audio, _ = soundfile.read(io.BytesIO(smpl[start:end]), dtype="int16",
                                      always_2d=True)
            frames = audio[:, 0]
            lstart, lend = lstart + pos, lend + pos
        else:
            frames = np.frombuffer(smpl[2 * start:2 * end], "<i2")
            lstart, lend = lstart - start + pos, lend - start + pos
        n = len(frames)
        pcm.append(frames.astype("<i2").tobytes() + b"\0" * (2 * PAD))
        out_headers.append(SHDR.pack(name, pos, pos + n, lstart, lend, rate, key, corr, link,
                                     stype & ~0x10))
        pos += n + PAD
    pdta_out = b"".join(_chunk(c, b"".join(out_headers) if c == b"shdr" else b)
                        for c, b in pdta)
    body = (b"sfbk" + _chunk(b"LIST", b"INFO" + b"".join(info))
            + _chunk(b"LIST", b"sdta" + _chunk(b"smpl", b"".join(pcm)))
            + _chunk(b"LIST", b"pdta" + pdta_out))
    dst.write_bytes(_chunk(b"RIFF", body))


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
