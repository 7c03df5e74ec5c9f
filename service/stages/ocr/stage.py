"""The ``ocr`` stage: one Token per character on every page that has no text layer.

Speed comes from the ruling stage, which runs first and leaves the ruled cells in
``Page.tables``: inside a cell, text lines are found by projection (lines.py) and only
recognised, with no detection model. Detection runs once per page on what lies outside
every table (title, text blocks, borderless tables), with the tables blanked out. All
line crops of a page are then recognised together, in batches of similar width.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...document import Document, Page, Token
from ...registry import create, register
from .base import LineRead, OcrBackend
from .fixture import FixtureOcr
from .lines import LineBand, ink_threshold, split_lines, trim_borders, typical_line_height

log = logging.getLogger("jixiao.ocr")

# White border around a line crop, in line heights: PP-OCR recognisers were trained on
# detector boxes that leave about this much margin around the glyphs.
CROP_PAD = 0.25
# A detected box this much taller than wide is a vertical stack of upright characters.
VERTICAL_RATIO = 1.5
# ... and holds several characters when it is at least this many line heights tall.
MERGE_LINES = 1.6


@dataclass
class LineCrop:
    """A line image cut from the page, and where its top-left pixel sits on the page."""

    image: np.ndarray
    x: int
    y: int


class OcrStage:
    """Adds character tokens (boxes in points, recognition confidence) to OCR pages."""

    def __init__(self, backend: OcrBackend | FixtureOcr, min_line_confidence: float = 0.3):
        self.backend = backend
        self.min_line_confidence = min_line_confidence

    def __call__(self, doc: Document) -> Document:
        for page in doc.pages:
            if page.text_source != "ocr":
                continue
            if isinstance(self.backend, FixtureOcr):
                page.tokens.extend(self.backend.page_tokens(doc.source, page.number))
            elif page.image is None:
                page.warnings.append("ocr: the page has no image to read")
            else:
                page.tokens.extend(read_page(page, self.backend, self.min_line_confidence))
        return doc


def read_page(page: Page, backend: OcrBackend, min_line_confidence: float = 0.3) -> list[Token]:
    """Character tokens of one page image: ruled cells by projection, the rest by detection."""
    gray = page.gray
    assert gray is not None
    threshold = ink_threshold(gray)
    paper = int(np.percentile(gray[::8, ::8], 90))
    cell_crops, line_height = _cell_lines(page, gray, threshold, paper)
    free_crops = _detected_lines(page, gray, threshold, paper, backend, line_height)
    crops = cell_crops + free_crops
    if not crops:
        return []
    reads = backend.read_lines([c.image for c in crops])
    tokens: list[Token] = []
    for crop, read in zip(crops, reads):
        if read.confidence < min_line_confidence:
            continue  # specks and ruling residue read as 一 or 丨 come back near zero
        tokens += _char_tokens(crop, read, threshold, page.scale)
    return tokens


def _cell_lines(page: Page, gray: np.ndarray, threshold: int, paper: int) -> tuple[list[LineCrop], float | None]:
    """Line crops of every ruled cell, and the page's typical text line height in pixels."""
    h_img, w_img = gray.shape
    inners: list[tuple[int, int, np.ndarray]] = []  # (x, y, ink) of each cell's inside
    for table in page.tables:
        if not table.ruled:
            continue
        for cell in table.cells:
            x0, y0, x1, y1 = page.pixel_box(cell.box)
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w_img, x1), min(h_img, y1)
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            ink = gray[y0:y1, x0:x1] < threshold
            ix0, iy0, ix1, iy1 = trim_borders(ink)
            if ix1 > ix0 and iy1 > iy0:
                inners.append((x0 + ix0, y0 + iy0, ink[iy0:iy1, ix0:ix1]))
    line_height = typical_line_height([ink for _, _, ink in inners])
    crops: list[LineCrop] = []
    for x, y, ink in inners:
        for band in split_lines(ink, line_height):
            crops.append(_crop(gray, x, y, band, line_height, paper))
    return crops, line_height


def _crop(gray: np.ndarray, x: int, y: int, band: LineBand, line_height: float | None, paper: int) -> LineCrop:
    """The band's pixels with a paper-white margin (never the neighbouring ruling lines)."""
    import cv2

    pad = max(2, int(round(CROP_PAD * (line_height or (band.y1 - band.y0)))))
    inner = gray[y + band.y0 : y + band.y1, x + band.x0 : x + band.x1]
    image = cv2.copyMakeBorder(inner, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper)
    return LineCrop(image=image, x=x + band.x0 - pad, y=y + band.y0 - pad)


def _detected_lines(
    page: Page, gray: np.ndarray, threshold: int, paper: int, backend: OcrBackend, line_height: float | None
) -> list[LineCrop]:
    """Line crops of the text outside every table, found by the detector."""
    masked = gray
    if page.tables:
        masked = gray.copy()
        for table in page.tables:
            x0, y0, x1, y1 = page.pixel_box(table.box)
            m = 4  # ruling lines are drawn on the table's edge, not inside it
            masked[max(0, y0 - m) : y1 + m, max(0, x0 - m) : x1 + m] = paper
    ink = masked < threshold
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    cols = np.flatnonzero(ink.sum(axis=0) >= 2)
    if len(rows) == 0 or len(cols) == 0:
        return []
    margin = 16
    oy, ox = max(0, int(rows[0]) - margin), max(0, int(cols[0]) - margin)
    region = masked[oy : int(rows[-1]) + margin + 1, ox : int(cols[-1]) + margin + 1]
    crops: list[LineCrop] = []
    for quad in backend.detect(region):
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        x0, x1 = max(0, int(min(xs))), min(region.shape[1], int(np.ceil(max(xs))))
        y0, y1 = max(0, int(min(ys))), min(region.shape[0], int(np.ceil(max(ys))))
        if x1 - x0 < 3 or y1 - y0 < 3:
            continue
        box_h, box_w = y1 - y0, x1 - x0
        if box_h > VERTICAL_RATIO * box_w and (line_height is None or box_h > MERGE_LINES * line_height):
            sub_ink = region[y0:y1, x0:x1] < threshold
            for band in split_lines(sub_ink, line_height):
                crops.append(_crop(masked, ox + x0, oy + y0, band, line_height, paper))
        else:
            crops.append(LineCrop(image=region[y0:y1, x0:x1], x=ox + x0, y=oy + y0))
    return crops


def _char_tokens(crop: LineCrop, read: LineRead, threshold: int, scale: float) -> list[Token]:
    """One token per character: the CTC x-extent, tightened to the ink it covers."""
    ink = crop.image < threshold
    h, w = ink.shape
    tokens: list[Token] = []
    for ch in read.chars:
        a, b = int(np.floor(ch.x0)), int(np.ceil(ch.x1))
        a, b = max(0, min(a, w - 1)), max(a + 1, min(b, w))
        piece = ink[:, a:b]
        cols = np.flatnonzero(piece.any(axis=0))
        rows = np.flatnonzero(piece.any(axis=1))
        if len(cols) and len(rows):
            x0, x1, y0, y1 = a + cols[0], a + cols[-1] + 1, rows[0], rows[-1] + 1
        else:
            x0, x1, y0, y1 = a, b, 0, h
        box = (
            (crop.x + x0) / scale,
            (crop.y + y0) / scale,
            (crop.x + x1) / scale,
            (crop.y + y1) / scale,
        )
        tokens.append(Token(text=ch.text, box=tuple(float(v) for v in box), confidence=round(ch.confidence, 4)))
    return tokens


@register("stages", "ocr")
def make_ocr_stage(
    backend: str = "rapidocr",
    det_limit_side_len: int = 960,
    rec_batch_size: int = 16,
    threads: int = 2,
    min_line_confidence: float = 0.3,
    **backend_options: Any,
) -> OcrStage:
    """``backend``: rapidocr | paddleocr | fixture; other keywords go to the backend (e.g. a fixture's path)."""
    engine = create(
        "ocr",
        backend,
        det_limit_side_len=det_limit_side_len,
        rec_batch_size=rec_batch_size,
        threads=threads,
        **backend_options,
    )
    return OcrStage(engine, min_line_confidence=min_line_confidence)
