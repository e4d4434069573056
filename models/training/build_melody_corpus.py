"""Parse and cache the melody corpora (music21's bundled collections) for train_melody.py.

Usage: python models/training/build_melody_corpus.py [--styles folk irish chorale] [--limit 2000]
The cache goes to the user data folder (scorer.music.corpus.cache_dir()); nothing is committed.
"""

from __future__ import annotations

import argparse
import collections
import logging
import time

from scorer.music import corpus

LIMITS = {"folk": 2000, "irish": 1500, "chorale": 500}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--styles", nargs="+", default=list(corpus.STYLES))
    parser.add_argument("--limit", type=int, default=0, help="tunes per style (0: defaults)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    for style in args.styles:
        t0 = time.time()
        data = corpus.load_or_build(style, limit=args.limit or LIMITS[style])
        modes = collections.Counter(t["mode"] for t in data["tunes"])
        steps = sum(len(t["tokens"]) for t in data["tunes"])
        print(f"{style}: {len(data['tunes'])} tunes ({dict(modes)}), {steps} steps, "
              f"skipped {data.get('skipped')}, {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
