"""Text-emotion corpora from ../shared/data, mapped to Ekman's six + neutral, with their splits.

Mapping to ``LABELS`` (anger, disgust, fear, joy, neutral, sadness, surprise):

- GoEmotions: its own ``ekman/`` grouping (Demszky et al. 2020); comments with exactly one
  Ekman label; official train/dev/test.
- ISEAR: joy, fear, anger, sadness, disgust kept; shame and guilt dropped (no Ekman class
  holds them). No official split: held out by subject (the ``ID`` field), 20%.
- SemEval-2018 E-c (11 emotions, multi-label): anger, disgust, fear, surprise as named;
  joy, love, optimism -> joy; sadness, pessimism -> sadness; anticipation and trust dropped;
  a tweet with no emotion -> neutral. Kept only when the mapped set is one class. No
  official test here (only the train file is shared): held out by tweet id hash, 20%.
- MELD: its seven labels are Ekman's six + neutral already; official train/dev.
- EmoBank: valence and arousal 1..5 per sentence; official train/dev/test.

Embeddings are cached per corpus and split under ``--cache`` (``/work/cache/speechtext`` by
default) because MiniLM embeds about 80 sentences a second on one shared core.
"""

from __future__ import annotations

import csv
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
LABELS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
CACHE = Path(os.environ.get("SCORER_TEXT_CACHE", "/work/cache/speechtext"))
# GoEmotions train is subsampled (all 4.9k dev and 5.0k test comments are kept): 2 shared cores
GOEMOTIONS_TRAIN_MAX = 8000
EMOBANK_TRAIN_MAX = 5000  # of 8,062; dev and test are whole


def data_root() -> Path:
    root = os.environ.get("SCORER_SHARED_DATA") or str(REPO.parent / "shared" / "data")
    return Path(root) / "text"


def _held_out(key: str, share: float = 0.2) -> bool:
    return int(hashlib.md5(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def goemotions(split: str) -> tuple[list[str], np.ndarray]:
    texts, ys = [], []
    path = data_root() / "goemotions" / "ekman" / f"{split}.tsv"
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            ids = row[1].split(",")
            if len(ids) != 1:
                continue  # multi-label comments are ambiguous for a single-label head
            texts.append(row[0].replace("[NAME]", "Alex").replace("[RELIGION]", "religion"))
            ys.append(int(ids[0]))
    ys = np.array(ys)
    if split == "train" and len(texts) > GOEMOTIONS_TRAIN_MAX:
        keep = np.sort(
            np.random.default_rng(0).choice(len(texts), GOEMOTIONS_TRAIN_MAX, replace=False)
        )
        texts, ys = [texts[i] for i in keep], ys[keep]
    return texts, ys


def isear(split: str) -> tuple[list[str], np.ndarray]:
    texts, ys = [], []
    with open(data_root() / "isear.csv", encoding="utf-8", errors="replace", newline="") as h:
        for row in csv.DictReader(h, delimiter="|"):
            label = row.get("Field1", "")
            if label not in LABELS:
                continue  # shame, guilt
            if _held_out("isear" + row["ID"]) != (split == "test"):
                continue
            text = " ".join(row["SIT"].replace("á", "").split())
            if text:
                texts.append(text)
                ys.append(LABELS.index(label))
    return texts, np.array(ys)


_SEMEVAL_MAP = {
    "anger": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "surprise": "surprise",
    "joy": "joy",
    "love": "joy",
    "optimism": "joy",
    "sadness": "sadness",
    "pessimism": "sadness",
}


def semeval(split: str) -> tuple[list[str], np.ndarray]:
    texts, ys = [], []
    path = data_root() / "semeval2018-ec" / "2018-E-c-En-train.txt"
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if _held_out("semeval" + row["ID"]) != (split == "test"):
                continue
            on = {name for name, value in row.items() if value == "1"}
            mapped = {_SEMEVAL_MAP[n] for n in on if n in _SEMEVAL_MAP}
            if not on:
                mapped = {"neutral"}
            if len(mapped) != 1:
                continue
            texts.append(row["Tweet"])
            ys.append(LABELS.index(mapped.pop()))
    return texts, np.array(ys)


def meld(split: str) -> tuple[list[str], np.ndarray]:
    texts, ys = [], []
    with open(
        data_root() / "meld" / f"{split}_sent_emo.csv", encoding="utf-8", newline=""
    ) as handle:
        for row in csv.DictReader(handle):
            text = row["Utterance"].replace("\x92", "'").replace("\x97", " - ")
            texts.append(" ".join(text.split()))
            ys.append(LABELS.index(row["Emotion"]))
    return texts, np.array(ys)


def emobank(split: str) -> tuple[list[str], np.ndarray]:
    """EmoBank sentences and their (valence, arousal) on 1..5."""
    texts, ys = [], []
    with open(data_root() / "emobank" / "emobank.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["split"] == split and row["text"].strip():
                texts.append(row["text"])
                ys.append((float(row["V"]), float(row["A"])))
    ys = np.array(ys)
    if split == "train" and len(texts) > EMOBANK_TRAIN_MAX:
        keep = np.sort(np.random.default_rng(0).choice(len(texts), EMOBANK_TRAIN_MAX,
                                                        replace=False))
        texts, ys = [texts[i] for i in keep], ys[keep]
    return texts, ys


CORPORA = {
    "goemotions": (goemotions, ("train", "dev", "test")),
    "isear": (isear, ("train", "test")),
    "semeval": (semeval, ("train", "test")),
    "meld": (meld, ("train", "dev")),
    "emobank": (emobank, ("train", "dev", "test")),
}


def load(corpus: str, split: str, cache: Path = CACHE) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, targets and MiniLM embeddings of one corpus split (embeddings cached)."""
    texts, ys = CORPORA[corpus][0](split)
    digest = hashlib.md5("\n".join(texts).encode()).hexdigest()[:10]
    path = cache / f"minilm_{corpus}_{split}_{digest}.npy"
    if path.exists():
        return texts, ys, np.load(path)
    sys.path.insert(0, str(REPO))
    from scorer.text.embedding import embed

    print(f"embedding {corpus}/{split}: {len(texts)} sentences", flush=True)
    x = embed(texts)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, x)
    tmp.replace(path)
    return texts, ys, x


if __name__ == "__main__":
    # fill the cache, smallest corpora first, so a cut-short run still leaves whole splits
    for name in ("meld", "semeval", "isear", "emobank", "goemotions"):
        for part in sorted(CORPORA[name][1], key=lambda s: s == "train"):  # held-out first
            load(name, part)
