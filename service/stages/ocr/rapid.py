"""The default backend: PaddleOCR's PP-OCRv6 models as ONNX, shipped in rapidocr's wheel.

rapidocr supplies the models, the detector's pre/post-processing and the ONNX sessions;
recognition batching and the CTC decode (with character positions) are ours, so line
crops of similar width share a batch and every character keeps its x-extent.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

import numpy as np

from ...registry import register
from .base import LineRead, Quad, ctc_decode, rec_input

REC_HEIGHT = 48  # the PP-OCRv6 recogniser's fixed input height
# Crops narrower than this ratio are padded up to it within a batch; 320/48 is PaddleOCR's
# training shape, but short cell texts read as well with less padding and cost less.
MIN_WIDTH_RATIO = 4.0


class RapidOcr:
    """PP-OCRv6 detection and recognition on onnxruntime (see ``get_rapidocr``)."""

    name = "rapidocr"

    def __init__(self, threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16):
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ImportError("the rapidocr backend needs rapidocr: pip install jixiao") from exc

        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        engine = RapidOCR(
            params={
                "Global.log_level": "warning",
                "Global.use_cls": False,
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "Det.limit_side_len": det_limit_side_len,
                "Det.limit_type": "max",
            }
        )
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        # rapidocr 3 loads its models lazily on first use; load them now, once.
        self._det = engine._load_det_model()
        rec = engine._load_rec_model()
        self._rec_session = rec.session
        self._charset: list[str] = list(rec.postprocess_op.character)
        self.rec_batch_size = rec_batch_size
        self._lock = threading.Lock()  # onnxruntime sessions are shared by threads of one worker

    def read_lines(self, crops: list[np.ndarray]) -> list[LineRead]:
        results: list[LineRead | None] = [None] * len(crops)
        ratios = [c.shape[1] / max(c.shape[0], 1) for c in crops]
        order = np.argsort(ratios, kind="stable")
        for start in range(0, len(crops), self.rec_batch_size):
            batch = order[start : start + self.rec_batch_size]
            ratio = max(MIN_WIDTH_RATIO, max(ratios[i] for i in batch))
            width = int(np.ceil(REC_HEIGHT * ratio / 8) * 8)
            inputs, widths = zip(*(rec_input(crops[i], REC_HEIGHT, width) for i in batch))
            with self._lock:
                probs = self._rec_session(np.stack(inputs))
            for row, i in enumerate(batch):
                results[i] = ctc_decode(probs[row], self._charset, width, widths[row], crops[i].shape[:2])
        return [r for r in results if r is not None]

    def detect(self, image: np.ndarray) -> list[Quad]:
        import cv2

        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        with self._lock:
            out = self._det(image)
        if out.boxes is None:
            return []
        return [[(float(x), float(y)) for x, y in box] for box in out.boxes]


@lru_cache(maxsize=4)
def get_rapidocr(threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16) -> RapidOcr:
    """One RapidOcr per process and setting: pipelines built again reuse the loaded models."""
    return RapidOcr(threads=threads, det_limit_side_len=det_limit_side_len, rec_batch_size=rec_batch_size)


@register("ocr", "rapidocr")
def make_rapidocr(threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16) -> RapidOcr:
    return get_rapidocr(threads, det_limit_side_len, rec_batch_size)
