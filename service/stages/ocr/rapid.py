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
from .base import LineRead, Quad, recognise


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
                # Every batch has its own width: without the arena each run allocates
                # afresh, and recognition takes ~1.6x as long.
                "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
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

    def read_lines(self, crops: list[np.ndarray], width_scales: list[float] | None = None) -> list[LineRead]:
        def run(batch: np.ndarray) -> np.ndarray:
            with self._lock:
                return self._rec_session(batch)

        return recognise(crops, run, self._charset, self.rec_batch_size, width_scales or [1.0] * len(crops))

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
    return RapidOcr(threads, det_limit_side_len, rec_batch_size)


@register("ocr", "rapidocr")
def make_rapidocr(threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16) -> RapidOcr:
    return get_rapidocr(threads, det_limit_side_len, rec_batch_size)
