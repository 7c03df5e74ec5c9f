"""OCR: the ``ocr`` stage and its backends (rapidocr by default, paddleocr, fixture).

Importing this package registers the stage and every backend; the heavy libraries load
only when a backend is built.
"""

from . import fixture, paddle, rapid, stage  # noqa: F401
from .base import CharRead, LineRead, OcrBackend, Quad
from .stage import OcrStage, read_page

__all__ = ["CharRead", "LineRead", "OcrBackend", "OcrStage", "Quad", "read_page"]
