"""Face detector, expression model floor, quality factors, tracking, no-face clips."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from scorer import media
from scorer.project import Project
from scorer.vision.faces import LABELS, Face, FaceAnalyzer, FaceDetector, face_quality

# Floor for the shipped model's accuracy on FER2013 PrivateTest; see models/face_expression.md
# (measured 0.657; human accuracy is about 0.65; a 0.62 floor catches a broken conversion or
# preprocessing mismatch -- chance is 0.14, always-"happy" is 0.25 -- with room for platform
# numerics).
EXPRESSION_ACCURACY_FLOOR = 0.62


def _frame(shared_data: Path, name: str, width: int = 480) -> np.ndarray:
    img = cv2.cvtColor(cv2.imread(str(shared_data / "video" / name)), cv2.COLOR_BGR2RGB)
    h, w = img.shape[:2]
    return cv2.resize(img, (width, int(round(h * width / w))), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def analyzer():
    return FaceAnalyzer()


@pytest.fixture(scope="module")
def detector():
    return FaceDetector()


@pytest.mark.data
def test_detector_finds_the_labelled_faces(shared_data, detector):
    single = detector.detect(_frame(shared_data, "single_face.jpg"))
    assert len(single) == 1
    # five people in the group photo, all facing the camera
    multi = detector.detect(_frame(shared_data, "multi_face.jpg"))
    assert len(multi) == 5
    centres = sorted(((f.box[0] + f.box[2]) / 2) for f in multi)
    assert np.min(np.diff(centres)) > 20  # five distinct faces, not duplicates


def test_detector_finds_nothing_in_blank_or_noise(detector):
    rng = np.random.default_rng(1)
    frames = [np.zeros((270, 480, 3), np.uint8), np.full((270, 480, 3), 200, np.uint8),
              rng.integers(0, 256, (270, 480, 3), dtype=np.uint8),
              cv2.GaussianBlur(rng.integers(0, 256, (270, 480, 3), dtype=np.uint8), (9, 9), 3)]
    for frame in frames:
        assert detector.detect(frame) == []


@pytest.mark.data
def test_detector_finds_most_fer_crops(shared_data, detector):
    # FER2013 crops are tight 48x48 faces; padded so the face fills half the frame as in a
    # close-up. Some crops are occluded or half-turned, so not all are found.
    files = sorted((shared_data / "faces" / "fer2013" / "test").glob("*/PrivateTest_*.jpg"))
    files = files[::60]
    found = 0
    for path in files:
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        rgb = cv2.copyMakeBorder(np.repeat(grey[..., None], 3, 2), 24, 24, 24, 24,
                                 cv2.BORDER_REPLICATE)
        found += len(detector.detect(rgb)) > 0
    assert found / len(files) >= 0.6


@pytest.mark.data
def test_expression_accuracy_on_held_out_split(shared_data):
    from scorer.vision.evaluate import evaluate, load_fer_split

    images, labels = load_fer_split(shared_data / "faces" / "fer2013", "PrivateTest")
    result = evaluate(images, labels)
    print(f"FER2013 PrivateTest accuracy {result['accuracy']:.4f} (n={result['n']})")
    assert result["n"] > 3000
    assert result["accuracy"] >= EXPRESSION_ACCURACY_FLOOR


@pytest.mark.data
def test_smiling_group_reads_happy_and_positive(shared_data):
    analyzer = FaceAnalyzer()
    analyzer.process_frame(0.0, _frame(shared_data, "multi_face.jpg"))
    track = analyzer.track()
    assert LABELS[int(np.argmax(track.probs[0]))] == "happy"
    assert track.valence[0] > 0.4 and track.confidence[0] > 0.5
    assert track.probs[0].sum() == pytest.approx(1.0, abs=1e-4)


@pytest.mark.data
def test_small_blurred_and_profile_faces_get_lower_confidence(shared_data, analyzer):
    frame = _frame(shared_data, "single_face.jpg")
    sharp = analyzer.analyse_frame(frame)[0]
    # the same face at a quarter of the size, in a frame of the same size
    small_frame = np.zeros_like(frame)
    small = cv2.resize(frame, (frame.shape[1] // 5, frame.shape[0] // 5))
    small_frame[100:100 + small.shape[0], 100:100 + small.shape[1]] = small
    smalls = analyzer.analyse_frame(small_frame)
    assert all(f.quality < 0.5 * sharp.quality for f in smalls)
    blurred = analyzer.analyse_frame(cv2.GaussianBlur(frame, (0, 0), 6))
    assert all(f.quality < 0.5 * sharp.quality for f in blurred)
    # profile: the nose far off the eyes' midline (keypoints as a turned head gives them)
    crop = np.full((48, 48), 128, np.uint8)
    crop[::4] = 0  # texture so sharpness is not the limiting factor
    eyes = np.array([[40.0, 50.0], [60.0, 50.0]])
    frontal = Face(np.array([20.0, 20.0, 100.0, 100.0]), 0.9,
                   np.vstack([eyes, [[50.0, 65.0], [50.0, 80.0], [25.0, 55.0], [75.0, 55.0]]]))
    profile = Face(frontal.box, 0.9, frontal.keypoints.copy())
    profile.keypoints[2, 0] = 66.0  # nose 0.8 eye distances to the side
    assert face_quality(profile, crop) < 0.2 * face_quality(frontal, crop)
    assert face_quality(frontal, crop) > 0.5


def test_tracking_smooths_a_one_frame_flip(analyzer):
    a = FaceAnalyzer(detector=analyzer.detector, expression=analyzer.expression)
    box = np.array([100.0, 100.0, 180.0, 180.0])
    happy = np.eye(len(LABELS))[LABELS.index("happy")]
    sad = np.eye(len(LABELS))[LABELS.index("sad")]
    for i, p in enumerate([happy, happy, happy, sad, happy]):
        face = Face(box + i, 0.9, np.zeros((6, 2)), quality=0.8, probs=p)
        matched = a._update_tracks(i * 0.25, [face])
        if i == 3:
            # the single "sad" frame is damped, not followed
            after_flip = matched[0][0].probs.copy()
    assert len(a._tracks) == 1 and matched[0][0].observations == 5
    assert after_flip[LABELS.index("happy")] > after_flip[LABELS.index("sad")]
    assert matched[0][0].probs[LABELS.index("happy")] > after_flip[LABELS.index("happy")]
    # a face far away starts its own track
    far = Face(box + 300, 0.9, np.zeros((6, 2)), quality=0.8, probs=sad)
    a._update_tracks(1.25, [far])
    assert len(a._tracks) == 2


@pytest.mark.data
def test_clip_without_faces_gives_confidence_zero(shared_data):
    analyzer = FaceAnalyzer()
    for frame in media.iter_frames(shared_data / "video" / "no_face.mp4", fps=4.0,
                                   max_width=480):
        analyzer.process_frame(frame.time, frame.image)
    project = Project()
    analyzer.finish(project)
    track = project.tracks["faces"]
    assert len(track) >= 12
    assert np.all(track.confidence == 0)
    assert np.all(track.valence == 0) and np.all(track.arousal == 0)
    assert np.all(track.features["face_count"] == 0)


@pytest.mark.data
def test_clip_with_a_face_gives_confidence(shared_data):
    analyzer = FaceAnalyzer()
    for frame in media.iter_frames(shared_data / "video" / "single_face.mp4", fps=4.0,
                                   max_width=480):
        analyzer.process_frame(frame.time, frame.image)
    track = analyzer.track()
    assert np.mean(track.confidence > 0) > 0.8
