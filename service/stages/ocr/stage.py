"""The ``ocr`` stage: one Token per character on every page that has no text layer.

Speed comes from the ruling stage, which runs first and leaves the ruled cells in
``Page.tables``: inside a cell, text lines are found by projection (lines.py) and only
recognised, with no detection model. Detection runs once per page on what lies outside
every cell (title, text blocks, borderless tables), with the cells blanked out. All
line crops of a page are then recognised together, in batches of similar width; lines
of full-height (CJK) glyphs are read squeezed, which the recogniser reads as well in
about half the time (see base.recognise).
"""

from __future__ import annotations

import re

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...document import Document, Page, Token
from ...registry import create, register
from .base import NARROW_GLYPH_SCALE, CharRead, LineRead, OcrBackend
from .fixture import FixtureOcr
from .lines import LineBand, ink_mask, row_runs, split_lines, trim_borders, typical_line_height

log = logging.getLogger("jixiao.ocr")

# Paper-white border around a line crop, in line heights: PP-OCR recognisers were trained
# on detector boxes that leave about this much margin above and below the glyphs; at the
# ends less is enough, and every column costs recognition time.
CROP_PAD_Y = 0.3
CROP_PAD_X = 0.15
# A detected box this much taller than wide is a vertical stack of upright characters ...
VERTICAL_RATIO = 1.5
# ... and holds several characters when it is at least this many line heights tall.
MERGE_LINES = 1.6
# Ink this close to the paper's edge (points) is not read: scanner shadows, skew wedges.
EDGE_MARGIN_PT = 12.0
# Ink at least this many line heights tall holds CJK glyphs and may be read squeezed;
# lines of digits, Latin and punctuation alone are shorter (about 0.7).
CJK_HEIGHT = 0.85
# ... unless shorter than this many line heights: squeezing a glyph or two saves little and
# loses a narrow one beside them ("分)" read as "分", at full confidence).
SHORT_LINE = 3.0
SHORT_LINE_SCALE = 0.85
# A lone thin bar in a cell is a placeholder, which PP-OCR reads as 一 or 。 or drops;
# it is read from its shape instead: "——" (em dashes, one per line height) when at least
# DASH_MIN_WIDTH line heights wide, "-" when at most HYPHEN_MAX_WIDTH; between the two
# it may be 一 and goes to the recogniser. A slash alone in a cell ("/") likewise.
DASH_MIN_WIDTH = 1.4
HYPHEN_MAX_WIDTH = 0.6
BAR_MAX_HEIGHT = 0.4
BAR_MIN_FILL = 0.6  # share of a bar's columns that hold ink: "——" is two strokes with a small gap
DASH = "\u2014"
BAR_CONFIDENCE = 0.9  # a shape rule, not a model's probability: high, short of certain


@dataclass
class LineCrop:
    """A line image cut from the page, its ink mask, where its top-left pixel sits on the
    page, and the height and width of its ink (pixels, padding excluded)."""

    image: np.ndarray
    ink: np.ndarray
    x: int
    y: int
    ink_height: int
    ink_width: int
    bar: str | None = None  # a placeholder's text ("——", "-" or "/"), emitted without recognition
    glyphs: list[StackedGlyph] | None = None  # set when the crop is a vertical stack laid side by side
    wrapped_tail: bool = False  # the last line of a ruled cell's text, under a line that fills the cell
    alone: bool = False  # the only line of a ruled cell


@dataclass
class StackedGlyph:
    """One glyph of a vertical stack: its ink box on the page (pixels) and the columns
    [left, right) it occupies in the side-by-side crop."""

    box: tuple[int, int, int, int]
    left: int
    right: int


class OcrStage:
    """Adds character tokens (boxes in points, recognition confidence) to OCR pages."""

    def __init__(
        self, backend: OcrBackend | FixtureOcr, rec_width_scale: float = 0.55, min_line_confidence: float = 0.7
    ):
        self.backend = backend
        self.rec_width_scale = rec_width_scale
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
                page.tokens.extend(read_page(page, self.backend, self.rec_width_scale, self.min_line_confidence))
        return doc


def read_page(
    page: Page, backend: OcrBackend, rec_width_scale: float = 0.55, min_line_confidence: float = 0.7
) -> list[Token]:
    """Character tokens of one page image: ruled cells by projection, the rest by detection."""
    gray = page.gray
    assert gray is not None
    ink, paper = ink_mask(gray)
    cell_crops, line_height = _cell_lines(page, gray, ink, paper)
    free_crops = _detected_lines(page, gray, ink, paper, backend, line_height)
    crops = cell_crops + free_crops
    if line_height is None and free_crops:
        line_height = float(np.percentile([c.ink_height for c in free_crops], 75))
    tokens: list[Token] = []
    to_read: list[LineCrop] = []
    for crop in crops:
        if crop.bar:
            tokens += _bar_tokens(crop, page.scale)
        else:
            to_read.append(crop)
    if not to_read:
        return tokens
    scales = [_width_scale(c, line_height, rec_width_scale) for c in to_read]
    reads = backend.read_lines([c.image for c in to_read], scales)
    _reread_dark_cores(to_read, reads, backend, paper, min_line_confidence)
    _reread_widened(to_read, reads, backend, paper, scales, min_line_confidence)
    for k, (crop, read) in enumerate(zip(to_read, reads)):
        read = _decimal_point(_simplified(_drop_edge_specks(read)))
        read = _lone_operator(crop, read, min_line_confidence, line_height) or _lone_one(crop, read, line_height) or read
        above = reads[k - 1].text if k and crop.wrapped_tail else ""  # a cell's lines are read in order
        read = _wrapped_full_stop(crop, read, line_height, min_line_confidence, above) or read
        floor = NUMBER_MIN_CONFIDENCE if NUMBER_READ.fullmatch(read.text) else min_line_confidence
        if read.confidence < floor or _scribble(read) or _speck(crop, read, line_height) or _arc(crop, read, line_height):
            # Seals, pen marks and specks read back as doubtful strings ("園39582EXEIA", 0.3-0.6);
            # printed text in a cell reads at 0.9 or more even on poor scans.
            continue
        if crop.glyphs:
            tokens += _stack_tokens(crop.glyphs, read, page.scale)
        else:
            tokens += _char_tokens(crop, read, page.scale, line_height)
    return [t for t in tokens if t.text not in MARK_SYMBOLS]


def _reread_dark_cores(
    crops: list[LineCrop], reads: list[LineRead], backend: OcrBackend, paper: int, floor: float
) -> None:
    """Doubtful reads of a lone number again, cut to its dark strokes: a faint pen stroke
    beside a printed "1" widens the crop and the pair reads as one glyph ("吧" at 0.25).
    A retry counts only when it reads a number with confidence; crops and reads are
    replaced in place."""
    retries: dict[int, LineCrop] = {}
    for k, (crop, read) in enumerate(zip(crops, reads)):
        if crop.glyphs or read.confidence >= floor:
            continue
        core = _dark_core(crop, paper)
        if core is not None:
            retries[k] = core
    if not retries:
        return
    again = backend.read_lines([c.image for c in retries.values()], [NARROW_GLYPH_SCALE] * len(retries))
    for (k, core), read in zip(retries.items(), again):
        if NUMBER_READ.fullmatch(read.text) and read.confidence >= RETRY_CONFIDENCE:
            crops[k], reads[k] = core, read


RETRY_CONFIDENCE = 0.9
SEAL_CONTRAST = 0.25  # of the paper-to-ink range: how much darker print is than a grey seal
MIN_CROP_ASPECT = 2.5  # width / height a doubtful narrow crop is widened to with paper


def _reread_widened(
    crops: list[LineCrop], reads: list[LineRead], backend: OcrBackend, paper: int, scales: list[float], floor: float
) -> None:
    """Doubtful reads of a narrow crop again, with paper on both sides: a glyph or two alone
    in a crop narrower than the recogniser's text lines reads badly (a lone % as '' or 'o',
    and as % at 0.95 once widened). A retry counts only when it reads with confidence."""
    retries: dict[int, LineCrop] = {}
    for k, (crop, read) in enumerate(zip(crops, reads)):
        h, w = crop.image.shape[:2]
        if crop.glyphs or read.confidence >= floor or w >= MIN_CROP_ASPECT * h:
            continue
        pad = int(round((MIN_CROP_ASPECT * h - w) / 2))
        image = np.pad(crop.image, ((0, 0), (pad, pad)) + ((0, 0),) * (crop.image.ndim - 2), constant_values=paper)
        retries[k] = LineCrop(image=image, ink=np.pad(crop.ink, ((0, 0), (pad, pad))), x=crop.x - pad, y=crop.y,
                              ink_height=crop.ink_height, ink_width=crop.ink_width, bar=crop.bar)
    if not retries:
        return
    again = backend.read_lines([c.image for c in retries.values()], [scales[k] for k in retries])
    for (k, wide), read in zip(retries.items(), again):
        if read.text and read.confidence >= RETRY_CONFIDENCE:
            crops[k], reads[k] = wide, read


def _dark_core(crop: LineCrop, paper: int) -> LineCrop | None:
    """The crop cut to the pixels at least half as dark as its darkest, where that is a
    glyph or two narrower than the crop's ink; None otherwise."""
    import cv2

    gray = crop.image if crop.image.ndim == 2 else cv2.cvtColor(crop.image, cv2.COLOR_RGB2GRAY)
    darkest = float(np.percentile(gray, 0.5))
    if paper - darkest < 40:
        return None
    dark = gray < (paper + darkest) / 2
    rows, cols = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    if len(rows) < 4 or len(cols) < 2:
        return None
    h, w = int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
    if w > 0.8 * crop.ink_width or w > 3 * h:
        # A grey seal's darker ticks spread the dark pixels across the crop: the one glyph
        # printed clearly darker than all of them (a weight's "1" under a seal) is retried
        # alone. A black seal (bitonal scans) is as dark as print: nothing to tell there.
        n, labels, stats, _ = cv2.connectedComponentsWithStats(dark.astype(np.uint8), connectivity=8)
        if n < 3:
            return None
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        darkest_of = [float(np.percentile(gray[labels == j], 10)) for j in range(1, n)]
        others = [d for j, d in enumerate(darkest_of, start=1) if j != k]
        if min(others) - darkest_of[k - 1] < SEAL_CONTRAST * (paper - darkest):
            return None
        dark = labels == k
        x0, y0, w, h = (int(stats[k, i]) for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
        rows, cols = np.arange(y0, y0 + h), np.arange(x0, x0 + w)
        if h < 4 or w > 0.8 * crop.ink_width or w > 3 * h:
            return None
    pad = max(2, int(round(CROP_PAD_Y * h)))
    y0, x0 = int(rows[0]), int(cols[0])
    # Only the dark strokes and their edges: the grey smudge that made the read doubtful goes.
    keep = cv2.dilate(dark[y0 : y0 + h, x0 : x0 + w].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    pixels = np.where(keep, gray[y0 : y0 + h, x0 : x0 + w], paper).astype(np.uint8)
    image = cv2.copyMakeBorder(pixels, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper)
    ink = np.pad(crop.ink[y0 : y0 + h, x0 : x0 + w], pad)
    return LineCrop(image=image, ink=ink, x=crop.x + x0 - pad, y=crop.y + y0 - pad, ink_height=h, ink_width=w)


# What ticks and crosses made by pen read as; the forms print none of them.
MARK_SYMBOLS = set("☑☐☒✓✔✗✘")


SCRIBBLE_CONFIDENCE = 0.8
# A short number alone in its line (a weight, a score) often reads with less confidence
# than text: the recogniser has little context. Seal fragments rarely read below 0.5 as
# clean numbers like these.
NUMBER_READ = re.compile(r"\d{1,3}(\.\d{1,2})?%?")
NUMBER_MIN_CONFIDENCE = 0.55


def _simplified(read: LineRead) -> LineRead:
    """The read with traditional characters made simplified. The recogniser knows both
    scripts and now and then reads 绩 as 績 or 题 as 題; these forms are printed in
    simplified Chinese (GB2312), so a character outside GB2312 that has a simplified form
    in GB2312 is that form. Rare characters of names, outside GB2312 too, have none and stay."""
    text = "".join(_to_simplified(ch) for ch in read.text)
    if text == read.text:
        return read
    chars = [c.model_copy(update={"text": _to_simplified(c.text)}) for c in read.chars]
    return LineRead(text=text, confidence=read.confidence, chars=chars)


def _in_gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@lru_cache(maxsize=4096)
def _to_simplified(char: str) -> str:
    if char.isascii() or _in_gb2312(char):
        return char
    simplified = _t2s().convert(char)
    return simplified if len(simplified) == 1 and _in_gb2312(simplified) else char


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


# A speck or pen stroke beside a value reads as a doubtful mark at the line's end (": 1",
# "≥85%."); on its own it would drag the line below the confidence floor.
EDGE_MARKS = set(":：.,，、;；'`·")
EDGE_MARK_CONFIDENCE = 0.5


def _width_scale(crop: LineCrop, line_height: float | None, squeeze: float) -> float:
    """How wide a crop is read: a line of CJK glyphs squeezed, less when short (CJK_HEIGHT,
    SHORT_LINE); digits, Latin and punctuation a little wide (NARROW_GLYPH_SCALE)."""
    if not line_height or crop.ink_height < CJK_HEIGHT * line_height:
        return NARROW_GLYPH_SCALE
    return squeeze if crop.ink_width >= SHORT_LINE * line_height else SHORT_LINE_SCALE


def _drop_edge_specks(read: LineRead) -> LineRead:
    """The read without doubtful punctuation at either end, its confidence recomputed."""
    chars = list(read.chars)
    while chars and chars[0].text in EDGE_MARKS and chars[0].confidence < EDGE_MARK_CONFIDENCE:
        chars.pop(0)
    while chars and chars[-1].text in EDGE_MARKS and chars[-1].confidence < EDGE_MARK_CONFIDENCE:
        chars.pop()
    # A Latin full stop after a unit, a percent sign, a closing bracket or a CJK glyph is
    # dust whatever its confidence: Chinese text ends in 。, and a point follows only digits.
    if len(chars) >= 2 and chars[-1].text == "." and (chars[-2].text in "%)" or not chars[-2].text.isascii()):
        chars.pop()
    if len(chars) == len(read.chars):
        return read
    confidence = float(np.mean([c.confidence for c in chars])) if chars else 0.0
    return LineRead(text="".join(c.text for c in chars), confidence=confidence, chars=chars)


def _decimal_point(read: LineRead) -> LineRead:
    """A point between digits read as a comma ("2,00", "92,45%"): a thousands separator
    groups three digits, so a comma with one or two digits after it is a decimal point,
    unless a list goes on after them (1,2,3)."""
    texts = [c.text for c in read.chars]
    fixed = list(texts)
    for k, t in enumerate(texts):
        if t != "," or k == 0 or not texts[k - 1].isascii() or not texts[k - 1].isdigit():
            continue
        after = 0
        while k + 1 + after < len(texts) and texts[k + 1 + after].isascii() and texts[k + 1 + after].isdigit():
            after += 1
        before = k - 1
        while before >= 0 and texts[before].isascii() and texts[before].isdigit():
            before -= 1
        listed = (k + 1 + after < len(texts) and texts[k + 1 + after] in ",，、") or (before >= 0 and texts[before] in ",，、")
        if after in (1, 2) and not listed:
            fixed[k] = "."
    if fixed == texts:
        return read
    chars = [c.model_copy(update={"text": t}) for c, t in zip(read.chars, fixed)]
    return LineRead(text="".join(fixed), confidence=read.confidence, chars=chars)


WRAPPED_PUNCTUATION = set("。，、；：）”")


def _speck(crop: LineCrop, read: LineRead, line_height: float | None) -> bool:
    """Dirt read as text: one glyph from a dot alone in its line (as 一, · or .), its ink
    under a quarter of a line height both ways, or a row of specks read as glyphs no line
    that flat can hold ("十二4" from dots 3 px high). Placeholder dashes are found before
    reading, and a sentence's 。 or ， may wrap onto a line of its own."""
    if not line_height or crop.ink_height >= FLAT_LINE * line_height:
        return False
    if any(c.text not in FLAT_GLYPHS for c in read.chars):
        return True
    return (
        len(read.chars) == 1
        and read.chars[0].text not in WRAPPED_PUNCTUATION
        and crop.ink_width < 0.25 * line_height
    )


FLAT_LINE = 0.25  # line heights: a line of ink this low holds only flat marks
FLAT_GLYPHS = set("一—–-_~～…·.,，、。")


def _arc(crop: LineCrop, read: LineRead, line_height: float | None) -> bool:
    """A curved stroke read as dashes: ink half a line high or more that reads as 一 or —
    alone is the arc of a seal's ring (or a pen's) crossing the cell; a printed dash is a few
    pixels high, and a cell's own placeholder dash is found before reading."""
    return bool(
        line_height
        and read.chars
        and all(c.text in DASH_READS for c in read.chars)
        and crop.ink_height >= ARC_HEIGHT * line_height
    )


DASH_READS = set("一—–-_~～")
ARC_HEIGHT = 0.5  # line heights


def _lone_one(crop: LineCrop, read: LineRead, line_height: float | None) -> LineRead | None:
    """A lone upright stroke read as I, l or | is the digit 1, as a weight or a score prints
    it: forms print no Latin letter alone in a cell (Kaiti's 1 reads as I about half the time,
    and _scribble then drops it). The stroke must stand most of a line high and be narrow."""
    if not line_height or len(read.chars) != 1 or read.chars[0].text not in UPRIGHT_STROKE_READS:
        return None
    if not (ONE_MIN_HEIGHT * line_height <= crop.ink_height <= ONE_MAX_HEIGHT * line_height):
        return None
    if crop.ink_width > ONE_MAX_WIDTH * line_height:
        return None
    char = read.chars[0].model_copy(update={"text": "1"})
    return LineRead(text="1", confidence=read.confidence, chars=[char])


UPRIGHT_STROKE_READS = set("IlL|丨ı!")
# line heights: a digit stands 0.7 of a line high; a ruling line's stub runs the cell's height
ONE_MIN_HEIGHT, ONE_MAX_HEIGHT, ONE_MAX_WIDTH = 0.55, 1.1, 0.4


def _scribble(read: LineRead) -> bool:
    """Pen marks read as a few doubtful Latin letters ("X", "MK"): forms print none alone
    (units and codes come with digits or CJK), so an all-letter line read with doubt is a mark."""
    text = "".join(c.text for c in read.chars)
    return bool(text) and text.isascii() and text.isalpha() and read.confidence < SCRIBBLE_CONFIDENCE


def _cell_lines(page: Page, gray: np.ndarray, ink: np.ndarray, paper: int) -> tuple[list[LineCrop], float | None]:
    """Line crops of every ruled cell, and the page's typical text line height in pixels."""
    h_img, w_img = gray.shape
    page_gray = gray  # copied before the first pen stroke is painted out
    inners: list[tuple[int, int, np.ndarray]] = []  # (x, y, ink) of each cell's inside
    for table in page.tables:
        if not table.ruled:
            continue
        for cell in table.cells:
            x0, y0, x1, y1 = page.pixel_box(cell.box)
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w_img, x1), min(h_img, y1)
            if x1 - x0 < 4 or y1 - y0 < 4:
                continue
            cell_ink = ink[y0:y1, x0:x1]
            ix0, iy0, ix1, iy1 = trim_borders(cell_ink)
            if ix1 > ix0 and iy1 > iy0:
                inners.append((x0 + ix0, y0 + iy0, cell_ink[iy0:iy1, ix0:ix1]))
    line_height = typical_line_height([ink for _, _, ink in inners])
    crops: list[LineCrop] = []
    for x, y, inner in inners:
        strokes = _stray_marks(inner, line_height) if line_height else None
        if strokes is not None:
            # Painted out of the mask and the pixels: left in, a stroke down a cell fuses
            # its lines into one band and reads as a column of 1s, and a speck of dust
            # widens a line's crop until its one glyph reads as another.
            inner = inner & ~strokes
            gray = gray.copy() if gray is page_gray else gray
            gray[y : y + inner.shape[0], x : x + inner.shape[1]][strokes] = paper
        bands = split_lines(inner, line_height)
        if line_height and _is_vertical_stack(bands, line_height):
            crops.append(_stack_crop(gray, inner, x, y, bands, line_height, paper))
            continue
        for k, band in enumerate(bands):
            bar = _bar_text(band, inner, line_height, alone=len(bands) == 1) if line_height else None
            if bar and len(bands) > 1:
                continue  # a flat stroke beside text lines is a pen mark or underline, not a placeholder
            crop = _crop(gray, inner, x, y, band, line_height, paper)
            crop.bar = bar
            crop.alone = len(bands) == 1
            crop.wrapped_tail = bool(
                line_height and k > 0 and k == len(bands) - 1
                and bands[k - 1].x1 - bands[k - 1].x0 >= inner.shape[1] - WRAP_SLACK * line_height
            )
            crops.append(crop)
    return crops, line_height


# A pen stroke is this many text lines tall and at most this share of its height wide;
# printed glyphs stand one line high, a vertical word is glyphs apart.
PEN_STROKE_LINES = 1.8
PEN_STROKE_SLENDER = 0.3
# Dust: a speck under this share of a line height both ways, this many line heights clear
# of any printed glyph (a decimal point or a colon's dot sits close to its neighbours; 。
# and ， are larger).
DUST_SIZE = 0.15
DUST_CLEARANCE = 0.6


def _stray_marks(ink: np.ndarray, line_height: float) -> np.ndarray | None:
    """The mask of a cell's ink that is not print: long thin strokes across its text lines
    (a pen's tick or line) and specks of dust standing apart; None when there is none."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return None
    x0, y0, w, h = (stats[1:, k] for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    pen = (h >= PEN_STROKE_LINES * line_height) & (w <= PEN_STROKE_SLENDER * h)
    speck = (w < DUST_SIZE * line_height) & (h < DUST_SIZE * line_height)
    print_ = ~speck & ~pen
    if speck.any() and print_.any():
        # Clearance along the speck's own text line from printed glyphs, not from other
        # specks (dust comes in sprays) nor from the lines above and below.
        x1, y1 = x0 + w, y0 + h
        p = np.flatnonzero(print_)
        reach = 0.3 * line_height
        on_line = (y0[p][None, :] < y1[:, None] + reach) & (y1[p][None, :] > y0[:, None] - reach)
        gap_x = np.maximum(x0[p][None, :] - x1[:, None], x0[:, None] - x1[p][None, :])
        gap = np.where(on_line, np.maximum(gap_x, 0), np.iinfo(np.int32).max)
        speck &= gap.min(axis=1) >= DUST_CLEARANCE * line_height
    else:
        speck[:] = False  # specks alone in a cell are the placeholder or points they were printed as
    found = np.flatnonzero(pen | speck) + 1
    return np.isin(labels, found) if len(found) else None


def _is_vertical_stack(bands: list[LineBand], line_height: float) -> bool:
    """Several bands of one glyph each, one above the other (续上页 written down a narrow
    cell): read side by side, so the recogniser sees the word and not lone characters."""
    if len(bands) < 2:
        return False
    return all(
        0.5 * line_height <= b.y1 - b.y0 <= 1.3 * line_height and b.x1 - b.x0 <= 1.3 * line_height for b in bands
    )


def _stack_crop(
    gray: np.ndarray, ink: np.ndarray, x: int, y: int, bands: list[LineBand], line_height: float, paper: int
) -> LineCrop:
    """One crop holding a vertical stack's glyphs left to right; ``ink`` is the mask of the
    region whose top-left pixel is page pixel (x, y)."""
    height = max(b.y1 - b.y0 for b in bands)
    gap = max(2, int(round(0.2 * line_height)))
    py, px = max(2, int(round(CROP_PAD_Y * line_height))), max(2, int(round(CROP_PAD_X * line_height)))
    pieces, masks, glyphs = [], [], []
    left = px
    for b in bands:
        top = (height - (b.y1 - b.y0)) // 2
        piece = np.full((height, b.x1 - b.x0), paper, np.uint8)
        piece[top : top + b.y1 - b.y0] = gray[y + b.y0 : y + b.y1, x + b.x0 : x + b.x1]
        mask = np.zeros((height, b.x1 - b.x0), bool)
        mask[top : top + b.y1 - b.y0] = ink[b.y0 : b.y1, b.x0 : b.x1]
        pieces += [piece, np.full((height, gap), paper, np.uint8)]
        masks += [mask, np.zeros((height, gap), bool)]
        glyphs.append(StackedGlyph(box=(x + b.x0, y + b.y0, x + b.x1, y + b.y1), left=left, right=left + b.x1 - b.x0))
        left += b.x1 - b.x0 + gap
    image = np.pad(np.hstack(pieces[:-1]), ((py, py), (px, px)), constant_values=paper)
    stack_ink = np.pad(np.hstack(masks[:-1]), ((py, py), (px, px)))
    return LineCrop(
        image=image,
        ink=stack_ink,
        x=glyphs[0].box[0],
        y=glyphs[0].box[1],
        ink_height=height,
        ink_width=image.shape[1] - 2 * px,
        glyphs=glyphs,
    )


def _bar_text(band: LineBand, inner: np.ndarray, line_height: float, alone: bool) -> str | None:
    """The placeholder a lone stroke in a cell stands for, if the band is one: a flat bar
    ("——" or "-") clear of the cell's edges and narrower than the cell (a leftover piece
    of ruling line touches an edge or spans the cell), or a slash alone in its cell."""
    inner_h, inner_w = inner.shape
    margin = 0.15 * line_height
    width, height = band.x1 - band.x0, band.y1 - band.y0
    if alone and _is_slash(_main_stroke(inner[band.y0 : band.y1, band.x0 : band.x1]), line_height):
        return "/"
    if not (
        height <= BAR_MAX_HEIGHT * line_height
        and width <= 0.8 * inner_w
        and band.y0 > margin
        and band.y1 < inner_h - margin
        and width >= 0.15 * line_height
    ):
        return None
    if alone and inner[band.y0 : band.y1, band.x0 : band.x1].any(axis=0).mean() < BAR_MIN_FILL:
        return None  # specks strung along a blank cell, or a blurred glyph, not a stroke: for the recogniser
    if width >= DASH_MIN_WIDTH * line_height:
        return DASH * max(1, int(round(width / line_height)))
    # flat and low: 。 and · are about as tall as wide
    if width <= HYPHEN_MAX_WIDTH * line_height and height <= min(0.25 * line_height, 0.7 * width):
        return "-"
    return None


def _main_stroke(ink: np.ndarray) -> np.ndarray:
    """The band's largest connected mark, cropped to its box, where it holds nearly all the
    ink: scanner specks at a cell's edges otherwise stretch a lone "/" across the cell."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 2:
        return ink
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[k, cv2.CC_STAT_AREA] < 0.7 * int(ink.sum()):
        return ink
    x, y, w, h = (int(v) for v in stats[k, :4])
    return labels[y : y + h, x : x + w] == k


def _is_slash(ink: np.ndarray, line_height: float) -> bool:
    """One thin stroke leaning right as it rises: the "/" placeholder, which PP-OCR reads
    as 1 when it stands alone. A 1 or 丨 is upright, a 7 has a bar on top; 了 or / inside
    text is never alone."""
    height, width = ink.shape
    if not (0.5 * line_height <= height <= 1.3 * line_height and 0.15 * height <= width <= 0.7 * height):
        return False
    if ink.mean() > 0.65:  # a thick stroke fills about half its box at 150 dpi, a blot more
        return False
    rows = np.flatnonzero(ink.any(axis=1))
    if len(rows) < 0.8 * height:
        return False  # broken into pieces: not one stroke
    widths = np.array([np.ptp(np.flatnonzero(ink[r])) + 1 for r in rows])
    if widths[: max(1, len(rows) // 6)].max() > 0.6 * width:
        return False  # a bar across the top: 7, not /
    xs = np.array([np.flatnonzero(ink[r]).mean() for r in rows])
    slope = np.polyfit(rows, xs, 1)[0]  # columns per row; "/" moves left going down
    return bool(slope < -0.2)


def _crop(
    gray: np.ndarray, ink: np.ndarray, x: int, y: int, band: LineBand, line_height: float | None, paper: int
) -> LineCrop:
    """The band's pixels with a paper-white margin (never the neighbouring ruling lines);
    ``ink`` is the mask of the region whose top-left pixel is page pixel (x, y)."""
    import cv2

    h = max(line_height or 0.0, band.y1 - band.y0)
    py, px = max(2, int(round(CROP_PAD_Y * h))), max(2, int(round(CROP_PAD_X * h)))
    pixels = gray[y + band.y0 : y + band.y1, x + band.x0 : x + band.x1]
    image = cv2.copyMakeBorder(pixels, py, py, px, px, cv2.BORDER_CONSTANT, value=paper)
    band_ink = np.pad(ink[band.y0 : band.y1, band.x0 : band.x1], ((py, py), (px, px)))
    return LineCrop(
        image=image,
        ink=band_ink,
        x=x + band.x0 - px,
        y=y + band.y0 - py,
        ink_height=band.y1 - band.y0,
        ink_width=band.x1 - band.x0,
    )


def _detected_lines(
    page: Page, gray: np.ndarray, ink: np.ndarray, paper: int, backend: OcrBackend, line_height: float | None
) -> list[LineCrop]:
    """Line crops of the text outside every table, found by the detector."""
    masked, ink = gray, ink.copy()  # the caller's ink mask stays whole
    cells = [cell for table in page.tables if table.ruled for cell in table.cells]
    if cells:
        # Blank the cells, not whole tables: text in a part of a table the ruling stage
        # left without cells still reaches the detector.
        masked = gray.copy()
        m = 4  # ruling lines lie on a cell's edge, half outside its box
        for cell in cells:
            x0, y0, x1, y1 = page.pixel_box(cell.box)
            masked[max(0, y0 - m) : y1 + m, max(0, x0 - m) : x1 + m] = paper
            ink[max(0, y0 - m) : y1 + m, max(0, x0 - m) : x1 + m] = False
    # Scanner shadows and skew wedges hug the paper's edges; forms print nothing there.
    edge = max(8, int(EDGE_MARGIN_PT * page.scale))
    ink[:edge], ink[-edge:], ink[:, :edge], ink[:, -edge:] = False, False, False, False
    blocks = []
    for oy, oy1, ox, ox1 in _text_blocks(ink, line_height):
        region, region_ink = masked[oy:oy1, ox:ox1], ink[oy:oy1, ox:ox1]
        quads = backend.detect(region)
        found = [c for quad in quads for c in _detected_crops(quad, region, region_ink, ox, oy, masked, line_height, paper)]
        blocks.append((ox, oy, region_ink, quads, found))
    crops = [c for *_, found in blocks for c in found]
    if not crops:
        return crops
    lh = line_height or float(np.median([c.ink_height for c in crops]))
    # How dark print is on this page: a seal's colour was faded out of the grey page by ingest.
    darkest = [float(np.percentile(c.image[c.ink], 10)) for c in crops if c.ink.shape == c.image.shape[:2] and c.ink.any()]
    print_level = paper - 0.5 * (paper - float(np.percentile(darkest, 25))) if darkest else float(paper)
    for ox, oy, region_ink, quads, found in blocks:
        crops += _missed_glyphs(quads, found, region_ink, ox, oy, masked, lh, paper, print_level)
    for crop in crops:
        if _lone_slash(crop.ink, lh):
            crop.bar = "/"
    return crops


def _lone_slash(ink: np.ndarray, line_height: float) -> bool:
    """Whether a line crop found outside ruled cells is one "/", the placeholder of a blank
    cell of a borderless table, which the recogniser reads as "1". The detector or the
    glyph's own size says it is one line: a "/" reaches from ascender to descender, taller
    than the digits and CJK glyphs the line height is measured on."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0 or len(cols) > 0.8 * len(rows):
        return False
    glyph = _main_stroke(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    return _is_slash(glyph, max(line_height, glyph.shape[0]))


def _missed_glyphs(
    quads: list, found: list[LineCrop], region_ink: np.ndarray, ox: int, oy: int, gray: np.ndarray,
    line_height: float, paper: int, print_level: float,
) -> list[LineCrop]:
    """Crops of the glyph-sized ink no detected box covers, a line's worth each, beside the
    text that was found: in its row, or a line above or below it.

    The detector sees a large block at a third of a 300 dpi scan's resolution, where a lone
    narrow glyph (a weight of "1" in a borderless table, a ")" wrapped onto a line of its
    own) is a smudge of 3 x 6 pixels it passes over; the recogniser reads it well at full
    size. Specks, rules and strokes taller than a line are not glyphs; marks away from the
    text, or lighter than ``print_level`` (the ring of a seal by the signatures), are left
    alone.
    """
    import cv2

    covered = np.zeros(region_ink.shape, np.uint8)
    pad = max(2, int(round(0.2 * line_height)))
    for quad in quads:
        cv2.fillPoly(covered, [np.round(np.asarray(quad)).astype(np.int32)], 1)
    covered = cv2.dilate(covered, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(region_ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    # Wholly outside every box: the part of a glyph a box cut through was read with it.
    touched = np.zeros(n, bool)
    touched[np.unique(labels[covered > 0])] = True
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    glyph = ~touched[1:] & (h >= MISSED_GLYPH_MIN * line_height) & (h <= MISSED_GLYPH_MAX * line_height) & (w <= MISSED_GLYPH_MAX * line_height)
    if not glyph.any():
        return []
    # Glyphs of one line joined across the gaps between them (a "12" or "3.5")
    keep = np.isin(labels, np.flatnonzero(glyph) + 1)
    joined = cv2.dilate(keep.astype(np.uint8), np.ones((1, max(3, int(0.6 * line_height))), np.uint8))
    _, _, boxes, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    crops = []
    reach = max(3, int(0.6 * line_height)) // 2
    lines = np.array([(c.x - ox, c.y - oy, c.x - ox + c.image.shape[1], c.y - oy + c.image.shape[0]) for c in found]).reshape(-1, 4)
    region = gray[oy : oy + region_ink.shape[0], ox : ox + region_ink.shape[1]]
    for x, y, bw, bh, _ in boxes[1:]:
        x0, x1 = x + reach, x + bw - reach  # the dilation's reach undone
        same_row = np.minimum(lines[:, 3], y + bh) - np.maximum(lines[:, 1], y) >= 0.5 * bh
        stacked = (np.minimum(lines[:, 2], x1) > np.maximum(lines[:, 0], x0)) & (
            np.maximum(lines[:, 1] - (y + bh), y - lines[:, 3]) <= line_height
        )
        if not (same_row | stacked).any():
            continue
        glyph_ink = keep[y : y + bh, x0:x1]
        if not glyph_ink.any() or np.percentile(region[y : y + bh, x0:x1][glyph_ink], 10) > print_level:
            continue
        band = LineBand(x0=int(x0), y0=int(y), x1=int(max(x1, x0 + 1)), y1=int(y + bh))
        crops.append(_crop(gray, keep, ox, oy, band, line_height, paper))
    return crops


# A glyph stands between these many line heights tall (a digit 0.7, a CJK glyph 1.0);
# specks, dashes and full stops are lower, strokes of a seal or a signature taller.
MISSED_GLYPH_MIN = 0.55
MISSED_GLYPH_MAX = 1.4


def _text_blocks(ink: np.ndarray, line_height: float | None) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) of the page's ink blocks separated by blank bands of rows.

    The title above a table and the signatures below it are detected as two small images
    rather than one page-sized one: detection time grows with the area it is given.
    """
    gap = 3 * (line_height or 20.0)
    margin = 16
    h, w = ink.shape
    blocks = []
    for a, b in row_runs(ink):
        if blocks and a - blocks[-1][1] < gap:
            blocks[-1][1] = b
        else:
            blocks.append([a, b])
    out = []
    for a, b in blocks:
        cols = np.flatnonzero(ink[a:b].sum(axis=0) >= 2)
        if len(cols) == 0 or int(ink[a:b].sum()) < 30:
            continue  # specks
        out.append((max(0, a - margin), min(h, b + margin), max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin)))
    return out


def _detected_crops(
    quad: list[tuple[float, float]],
    region: np.ndarray,
    region_ink: np.ndarray,
    ox: int,
    oy: int,
    masked: np.ndarray,
    line_height: float | None,
    paper: int,
) -> list[LineCrop]:
    """The line crop(s) of one detected box; a tall narrow box is a vertical stack of characters."""
    crops: list[LineCrop] = []
    xs = [p[0] for p in quad]
    ys = [p[1] for p in quad]
    x0, x1 = max(0, int(min(xs))), min(region.shape[1], int(np.ceil(max(xs))))
    y0, y1 = max(0, int(min(ys))), min(region.shape[0], int(np.ceil(max(ys))))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return crops
    box_ink = region_ink[y0:y1, x0:x1]
    box_h, box_w = y1 - y0, x1 - x0
    if box_h > VERTICAL_RATIO * box_w and (line_height is None or box_h > MERGE_LINES * line_height):
        bands = split_lines(box_ink, line_height)
        if line_height and _is_vertical_stack(bands, line_height):
            return [_stack_crop(masked, box_ink, ox + x0, oy + y0, bands, line_height, paper)]
        for band in bands:
            crops.append(_crop(masked, box_ink, ox + x0, oy + y0, band, line_height, paper))
        return crops
    ink_rows = np.flatnonzero(box_ink.any(axis=1))
    ink_cols = np.flatnonzero(box_ink.any(axis=0))
    if len(ink_rows):
        crops.append(
            LineCrop(
                image=region[y0:y1, x0:x1],
                ink=box_ink,
                x=ox + x0,
                y=oy + y0,
                ink_height=int(ink_rows[-1] - ink_rows[0] + 1),
                ink_width=int(ink_cols[-1] - ink_cols[0] + 1),
            )
        )
    return crops


def _char_tokens(crop: LineCrop, read: LineRead, scale: float, line_height: float | None) -> list[Token]:
    """One token per character: the CTC x-extent, snapped to the ink gaps between glyphs
    and tightened to the ink it covers within the line's own rows (a seal or a stroke
    crossing the line must not stretch a glyph)."""
    ink = crop.ink
    h, w = ink.shape
    lh = line_height or crop.ink_height or h
    per_row = ink.sum(axis=1)
    if per_row.sum():
        centre = int(np.searchsorted(np.cumsum(per_row), per_row.sum() / 2))  # the ink's median row
        lo, hi = max(0, int(centre - 0.75 * lh)), min(h, int(np.ceil(centre + 0.75 * lh)))
    else:
        lo, hi = 0, h
    band = ink[lo:hi]
    col_ink = band.any(axis=0)
    band_rows = band.sum(axis=1)
    core = band_rows >= CORE_ROW_SHARE * band_rows.max() if band_rows.any() else band_rows > 0
    spans = _snap_to_gaps([(c.x0, c.x1) for c in read.chars], col_ink, lh)
    # rows_upto[:, j]: ink pixels of each row in columns < j, so a span's rows are one subtraction
    rows_upto = np.concatenate([np.zeros((hi - lo, 1), np.int32), np.cumsum(band, axis=1, dtype=np.int32)], axis=1)
    tokens: list[Token] = []
    dust = False
    for ch, (a, b) in zip(read.chars, spans):
        cols = np.flatnonzero(col_ink[a:b])
        rows = _rows_on_line(np.flatnonzero(rows_upto[:, b] - rows_upto[:, a]), core)
        if len(cols) and len(rows):
            x0, x1, y0, y1 = a + int(cols[0]), a + int(cols[-1]) + 1, lo + int(rows[0]), lo + int(rows[-1]) + 1
        else:
            x0, x1, y0, y1 = a, b, lo, hi
        box = ((crop.x + x0) / scale, (crop.y + y0) / scale, (crop.x + x1) / scale, (crop.y + y1) / scale)
        text = ch.text
        if line_height and y1 - y0 < DUST_GLYPH * line_height and _stands_tall(text) \
                and _detached(ink, x0, x1, y0, y1, slack=0.15 * line_height):
            dust = True  # a speck read as a digit, a capital or a character: none is this low
            continue
        if text in OR_EQUAL and (_has_underbar(ink[y0:y1, x0:x1]) or _parallel_bar(_dark_strokes(crop.image[y0:y1, x0:x1]))):
            text = OR_EQUAL[text]
        tokens.append(Token(text=text, box=box, confidence=round(ch.confidence, 4)))
    if dust and all(t.text in SPECK_READS for t in tokens):
        return []  # the rest of a line of specks ("2." from two dots)
    return tokens


# A line's core: the rows holding at least this share of its densest row's ink (its text
# band, not the speck of dust or the stub of a ruling above or below it).
CORE_ROW_SHARE = 0.2


def _rows_on_line(rows: np.ndarray, core: np.ndarray) -> np.ndarray:
    """A character's ink rows without the runs of rows apart from the line's core: a speck
    under a decimal point would stretch the point's box a line low, and the point would be
    read into a line of its own ("4" "00" then "." : 400.). Runs broken by one blank row
    are one run; where no run meets the core, all are kept."""
    if len(rows) == 0:
        return rows
    breaks = np.flatnonzero(np.diff(rows) > 2) + 1
    runs = [run for run in np.split(rows, breaks) if core[run].any()]
    return np.concatenate(runs) if runs else rows


def _detached(ink: np.ndarray, x0: int, x1: int, y0: int, y1: int, slack: float) -> bool:
    """Whether the ink in the box is marks of its own (within ``slack`` pixels), not the
    edge of a glyph reaching out of it (a character span the decoder placed off its glyph)."""
    import cv2

    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    inside = np.unique(labels[y0:y1, x0:x1])
    inside = inside[inside > 0]
    left, top, w, h = (stats[inside, k] for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    within = (left >= x0 - slack) & (left + w <= x1 + slack) & (top >= y0 - slack) & (top + h <= y1 + slack)
    return bool(len(inside)) and bool(within.all())


DUST_GLYPH = 0.4  # line heights: a digit or a capital stands 0.7 of a line high, a CJK character 0.9


def _stands_tall(text: str) -> bool:
    """A digit, a capital letter or a CJK character other than 一 and 二: glyphs that stand
    at least two thirds of a line high (a lowercase letter may stand half)."""
    return (text.isascii() and (text.isdigit() or text.isupper())) or ("\u4e00" <= text <= "\u9fff" and text not in "一二")


# What PP-OCR makes of ≥ ≤ = printed alone in a cell (Sichuan's 指标性质 column): with no
# context it reads "c" or ">" at 0.15-0.5, under the confidence floor, and Noto Serif's ⩾
# as "V" at 0.7-0.9 (a V counts only alone in its cell: a pen's tick beside a score reads V too).
OPERATOR_MISREADS = set("><＞＜＝cCzZsS2日")
ALONE_OPERATOR_MISREADS = set("Vv")
OPERATORS = "≥≤="
# Marks read beside a lone glyph from dust or the stub of a ruling line; the shape test
# looks at the glyph's own strokes.
SPECK_READS = set(".,。、·'lI|")


FULL_STOP_MISREADS = set("oO0°。")
FULL_STOP_SIZE = 0.5  # line heights, both ways: 。 is a small ring; a digit 0 stands 0.7 high
FULL_STOP_MIN = 0.28  # a 。 stands a third of a line high, a speck of dust a fifth
WRAP_SLACK = 2.0  # line heights a line that wrapped may fall short of its cell's width


def _wrapped_full_stop(
    crop: LineCrop, read: LineRead, line_height: float | None, floor: float, above: str = ""
) -> LineRead | None:
    """A sentence's 。 wrapped alone onto the last line of its cell, which the recogniser reads
    without context as 'o' at 0.4, or on a poor scan (a blurred dot) as '8' or nothing, so the
    sentence lost its stop; None where the crop is not one small glyph. ``above`` is the
    read of the line above when the crop is a wrapped tail (``LineCrop.wrapped_tail``)."""
    if crop.glyphs or not line_height:
        return None
    if crop.wrapped_tail and read.confidence < floor and above and "\u4e00" <= above[-1] <= "\u9fff":
        # Under a full line of Chinese, anything read in doubt of a lone glyph the size of a
        # stop is the stop (a cell's text ends with 。, never with ， or 、); dust beside it
        # widens the crop and spoils the read, so it is not counted.
        blob = _lone_glyph(crop.ink, line_height)
    elif len(read.chars) == 1 and read.chars[0].text in FULL_STOP_MISREADS:
        small = max(crop.ink_width, crop.ink_height) <= FULL_STOP_SIZE * line_height
        blob = (0, crop.ink.shape[1]) if small else None
    else:
        blob = None
    if blob is None:
        return None
    x0, x1 = blob
    return LineRead(text="。", confidence=0.9, chars=[CharRead(text="。", x0=float(x0), x1=float(x1), confidence=0.9)])


def _lone_glyph(ink: np.ndarray, line_height: float) -> tuple[int, int] | None:
    """The columns [x0, x1) of the one glyph in a crop's ink, specks of dust aside, where it
    is the size of a 。 (FULL_STOP_MIN to FULL_STOP_SIZE line heights both ways); else None."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    glyphs = np.flatnonzero((w >= DUST_SIZE * line_height) | (h >= DUST_SIZE * line_height))
    if len(glyphs) != 1:
        return None
    k = int(glyphs[0])
    if not FULL_STOP_MIN * line_height <= min(w[k], h[k]) <= max(w[k], h[k]) <= FULL_STOP_SIZE * line_height:
        return None
    x0 = int(stats[1 + k, cv2.CC_STAT_LEFT])
    return x0, x0 + int(w[k])


def _lone_operator(crop: LineCrop, read: LineRead, floor: float, line_height: float | None) -> LineRead | None:
    """The read of a crop that is one glyph shaped like ≥, ≤ or = where the recogniser read
    a look-alike, or Latin letters in doubt ("S R" or "é" for a blurred ≤, "W" for a blurred
    =); None where the shape does not decide."""
    glyphs = [c.text for c in read.chars if c.text not in SPECK_READS]
    # a lone 二 is = too: no form prints 二 alone in a cell
    misreads = OPERATOR_MISREADS | ALONE_OPERATOR_MISREADS if crop.alone else OPERATOR_MISREADS
    look_alike = len(glyphs) == 1 and glyphs[0] in misreads | set(OPERATORS) | {"＝", "二"}
    garbled = read.confidence < floor and _latin(read.text)
    if crop.glyphs or not glyphs or not (look_alike or garbled):
        return None  # read as anything else: pen marks, seals, text
    strokes = _without_specks(_dark_strokes(crop.image))
    rows, cols = np.flatnonzero(strokes.any(axis=1)), np.flatnonzero(strokes.any(axis=0))
    aspect = LOOK_ALIKE_ASPECT if look_alike else ONE_GLYPH_ASPECT
    if len(rows) == 0 or np.ptp(cols) + 1 > aspect * (np.ptp(rows) + 1):
        return None  # not one glyph
    read_as_operator = look_alike and glyphs[0] in set(OPERATORS) | {"＝"}
    if not read_as_operator and (not line_height or np.ptp(cols) + 1 < OPERATOR_MIN_WIDTH * line_height):
        return None  # a speck or a colon
    text = _operator_shape(strokes, read_or_equal=glyphs[0] in "≥≤")
    if text is None and not set(glyphs) & set("≥≤") and _two_bars(crop.image, rows, cols):
        text = "="  # a blurred = whose bars the threshold fused into one blob
    if text is None or (read_as_operator and text != glyphs[0].replace("＝", "=")):
        return None  # an operator read doubtfully is confirmed by its shape, never turned into another
    h, w = crop.ink.shape
    return LineRead(text=text, confidence=0.9, chars=[CharRead(text=text, x0=0.0, x1=float(w), confidence=0.9)])


OPERATOR_MIN_WIDTH = 0.3  # line heights: ≥ ≤ = stand about half a line wide
# Width over height of one glyph's strokes; a small = read as 二 or = is 12 px wide over 7
# (e00064), wider than the shapes a seal's specks leave of a doubtful Latin read.
ONE_GLYPH_ASPECT = 1.5
LOOK_ALIKE_ASPECT = 2.0


def _latin(text: str) -> bool:
    """Only Latin letters (é too) and ASCII punctuation: what a blurred operator reads as."""
    return all((ch.isalpha() and ord(ch) < 0x250) or (ch.isascii() and not ch.isalnum()) for ch in text if not ch.isspace())


def _two_bars(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether the glyph in ``rows`` x ``cols`` of a grey crop is at least as wide as it is
    high and is two dark bands of rows over a lighter band all across (the bars of =; 口 and
    0 have dark sides), from the grey levels: on a blurred scan no threshold keeps the gap."""
    if len(cols) < len(rows):
        return False
    gray = image if image.ndim == 2 else image.mean(axis=2)
    glyph = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32)
    darkness = (float(np.median(gray)) - glyph).clip(0)
    dark = darkness.sum(axis=1) >= 0.6 * darkness.sum(axis=1).max()
    edges = np.flatnonzero(np.diff(np.concatenate([[0], dark.astype(np.int8), [0]])))
    if len(edges) != 4:
        return False
    gap = darkness[edges[1] : edges[2]]
    return float(gap.max()) <= 0.75 * float(darkness[dark].max())


def _dark_strokes(image: np.ndarray) -> np.ndarray:
    """The crop's strokes by Otsu's threshold: the page's ink mask is made for finding
    faint strokes and fuses the bar of a small ≥ with its arms."""
    import cv2

    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    _, dark = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return dark > 0


def _without_specks(strokes: np.ndarray) -> np.ndarray:
    """The strokes less dust beside the glyph: components clear of the largest one's
    columns, or under a tenth of its area (the bars of = and the apart bar of ≥ lie
    under the chevron or each other)."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(strokes.astype(np.uint8), connectivity=8)
    if n <= 2:
        return strokes
    areas, left, width = (stats[1:, k] for k in (cv2.CC_STAT_AREA, cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH))
    big = int(areas.argmax())
    reach = 0.25 * width[big]
    beside = (left + width > left[big] - reach) & (left < left[big] + width[big] + reach)
    keep = np.flatnonzero(beside & (areas >= areas.max() / 10)) + 1
    return np.isin(labels, keep)


def _operator_shape(ink: np.ndarray, read_or_equal: bool = False) -> str | None:
    """≥, ≤ or = from a lone glyph's strokes. Two flat bars are =. A chevron whose top arm
    starts at one side and whose widest reach at mid height is on the other is ≥ (pointing
    right) or ≤, when a flat bar lies apart under it or its lower third holds more ink than
    its upper (the bar fused with the lower arm on a scan), or the recogniser read ≥ or ≤
    (``read_or_equal``: a small serif ⩾ hides its bar from every shape test, not from it).
    Digits fail: 2, 3 and 7 start their top across the middle."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if len(rows) == 0 or rows[-1] - rows[0] < 3 or len(cols) < 4:
        return None
    glyph = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = glyph.shape
    if w < 0.6 * h:
        return None
    filled = glyph.any(axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], filled.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2]))
    if len(runs) == 2 and all(b - a <= 0.45 * h and np.ptp(np.flatnonzero(glyph[a:b].any(axis=0))) + 1 >= 0.7 * w for a, b in runs):
        return "="
    top = glyph[: max(1, h // 5)]
    top_centre = (float(np.flatnonzero(top.any(axis=0)).mean()) + 0.5) / w  # pixel centres: symmetric for ≥ and ≤
    middle = glyph[int(0.3 * h) : int(0.6 * h)]
    mid_cols = np.flatnonzero(middle.any(axis=0))
    if len(mid_cols) == 0:
        return None
    third = max(1, h // 3)
    upper, lower = int(glyph[:third].sum()), int(glyph[h - third :].sum())
    a, b = runs[-1]
    bar_apart = len(runs) == 2 and b - a <= 0.35 * h and np.ptp(np.flatnonzero(glyph[a:b].any(axis=0))) + 1 >= 0.7 * w
    if not (read_or_equal or bar_apart or lower >= 1.15 * max(upper, 1) or _parallel_bar(glyph)):
        return None
    if top_centre <= 0.35 and mid_cols[-1] >= 0.85 * (w - 1):
        return "≥"
    if top_centre >= 0.65 and mid_cols[0] <= 0.15 * (w - 1):
        return "≤"
    return None


# PP-OCR reads ≥ and ≤ as > and < about as often as not; the bar under the glyph decides.
OR_EQUAL = {">": "≥", "<": "≤", "＞": "≥", "＜": "≤"}


def _parallel_bar(glyph: np.ndarray) -> bool:
    """The slanted bar of ⩾ or ⩽, drawn along the lower arm (Noto, AR PL fonts): rows of the
    lower half of the strokes cross two of them, rows of the upper half one. A > or ＞ crosses
    one stroke a row throughout; where the bar fuses with the arm on a small scan this cannot tell."""
    rows = np.flatnonzero(glyph.any(axis=1))
    if len(rows) == 0:
        return False
    edges = np.diff(np.pad(glyph[rows[0] : rows[-1] + 1].astype(np.int8), ((0, 0), (1, 1))), axis=1)
    runs = (edges == 1).sum(axis=1)
    h = len(runs)
    return bool((runs[h // 2 :] >= 2).sum() >= max(2, 0.1 * h) and not (runs[: h // 2] >= 2).any())


def _has_underbar(glyph: np.ndarray) -> bool:
    """A separate flat stroke across the bottom of the glyph (the bar of ≥ and ≤)."""
    if glyph.size == 0:
        return False
    rows = np.flatnonzero(glyph.any(axis=1))
    if len(rows) < 4:
        return False
    bottom = rows[-1]
    run = bottom
    while run - 1 in set(rows.tolist()):
        run -= 1  # the rows of the lowest stroke
    height, width = rows[-1] - rows[0] + 1, glyph.shape[1]
    stroke = glyph[run : bottom + 1]
    cols = np.flatnonzero(stroke.any(axis=0))
    if run > rows[0] and bottom - run + 1 <= 0.35 * height and len(cols) > 0 and cols[-1] - cols[0] + 1 >= 0.6 * width:
        return True
    # Bold or slanted (⩾) bars fuse with the lower arm: the lower half then holds clearly
    # more ink than the upper, where a bare > or < is symmetric.
    mid = (rows[0] + rows[-1] + 1) // 2
    upper, lower = int(glyph[rows[0] : mid].sum()), int(glyph[mid : rows[-1] + 1].sum())
    return lower >= 1.2 * max(upper, 1)


def _snap_to_gaps(spans: list[tuple[float, float]], col_ink: np.ndarray, line_height: float) -> list[tuple[int, int]]:
    """Character column spans [a, b) moved onto the ink.

    CTC positions are coarse (a frame is 8 input pixels, about one digit) and drift
    towards the end of a line, so where they overshoot the text's ink extent (the ink
    clusters, blank gaps under a third of a line height inside, that the spans overlap;
    a seal or a mark beyond a wide gap is left out) they are squeezed onto it. Each
    boundary between two characters then moves to the blank column nearest it, within a
    sixth of their spacing.
    """
    w = len(col_ink)
    if not spans:
        return []
    cuts = [float(spans[0][0])] + [(spans[k][1] + spans[k + 1][0]) / 2 for k in range(len(spans) - 1)]
    cuts.append(float(spans[-1][1]))
    extent = _text_extent(col_ink, cuts[0], cuts[-1], max(2, int(line_height / 3)))
    if extent is not None and cuts[-1] > cuts[0]:
        # only ever squeeze: ink reaching further may be a seal touching the text
        t0, t1 = max(extent[0], cuts[0]), min(extent[1], cuts[-1])
        if t1 > t0:
            stretch = (t1 - t0) / (cuts[-1] - cuts[0])
            cuts = [t0 + (c - cuts[0]) * stretch for c in cuts]
    blank = np.flatnonzero(~col_ink)
    for k in range(1, len(cuts) - 1):
        reach = (cuts[k + 1] - cuts[k - 1]) / 6
        near = blank[np.abs(blank - cuts[k]) <= reach] if len(blank) else blank
        if len(near):
            cuts[k] = float(near[np.argmin(np.abs(near - cuts[k]))])
    out = []
    for k in range(len(spans)):
        a = max(0, min(int(np.floor(cuts[k])), w - 1))
        b = max(a + 1, min(int(np.ceil(cuts[k + 1])), w))
        out.append((a, b))
    return out


def _text_extent(col_ink: np.ndarray, lo: float, hi: float, gap: int) -> tuple[int, int] | None:
    """[start, end) of the ink clusters (inner blank gaps under ``gap``) overlapping [lo, hi)."""
    runs = _blank_runs(~col_ink, 1)  # ink runs: blank runs of the inverted profile
    clusters: list[list[int]] = []
    for a, b in runs:
        if clusters and a - clusters[-1][1] < gap:
            clusters[-1][1] = b
        else:
            clusters.append([a, b])
    hit = [c for c in clusters if c[1] > lo and c[0] < hi]
    if not hit:
        return None
    return hit[0][0], hit[-1][1]


def _blank_runs(col_ink: np.ndarray, min_width: int) -> list[tuple[int, int]]:
    """Runs [g0, g1) of at least ``min_width`` blank columns, left to right."""
    padded = np.concatenate([[True], col_ink, [True]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= min_width]


def _stack_tokens(glyphs: list[StackedGlyph], read: LineRead, scale: float) -> list[Token]:
    """Characters read from a side-by-side stack, put back on their glyphs' page boxes
    (a glyph read as k characters is split into k equal parts)."""
    def distance(glyph: StackedGlyph, x: float) -> float:
        return 0.0 if glyph.left <= x < glyph.right else min(abs(x - glyph.left), abs(x - glyph.right))

    owner: list[list[int]] = [[] for _ in glyphs]
    for i, ch in enumerate(read.chars):
        centre = (ch.x0 + ch.x1) / 2
        owner[min(range(len(glyphs)), key=lambda g: distance(glyphs[g], centre))].append(i)
    tokens: list[Token] = []
    for glyph, ids in zip(glyphs, owner):
        x0, y0, x1, y1 = glyph.box
        step = (x1 - x0) / max(1, len(ids))
        for n, i in enumerate(ids):
            ch = read.chars[i]
            box = ((x0 + n * step) / scale, y0 / scale, (x0 + (n + 1) * step) / scale, y1 / scale)
            tokens.append(Token(text=ch.text, box=box, confidence=round(ch.confidence, 4)))
    return tokens


def _bar_tokens(crop: LineCrop, scale: float) -> list[Token]:
    """The bar's characters spread evenly across its ink."""
    assert crop.bar
    rows = np.flatnonzero(crop.ink.any(axis=1))
    cols = np.flatnonzero(crop.ink.any(axis=0))
    x0, x1, y0, y1 = int(cols[0]), int(cols[-1]) + 1, int(rows[0]), int(rows[-1]) + 1
    step = (x1 - x0) / len(crop.bar)
    return [
        Token(
            text=ch,
            box=(
                (crop.x + x0 + k * step) / scale,
                (crop.y + y0) / scale,
                (crop.x + x0 + (k + 1) * step) / scale,
                (crop.y + y1) / scale,
            ),
            confidence=BAR_CONFIDENCE,
        )
        for k, ch in enumerate(crop.bar)
    ]


@register("stages", "ocr")
def make_ocr_stage(
    backend: str = "rapidocr",
    det_limit_side_len: int = 960,
    rec_batch_size: int = 16,
    rec_width_scale: float = 0.55,
    threads: int = 2,
    min_line_confidence: float = 0.7,
    **backend_options: Any,
) -> OcrStage:
    """The ocr stage and its backend (rapidocr | paddleocr | fixture); other keywords go to
    the backend (e.g. a fixture's ``path``). ``rec_width_scale``: how far lines of CJK
    glyphs are squeezed before recognition (1.0: not at all)."""
    engine = create(
        "ocr",
        backend,
        det_limit_side_len=det_limit_side_len,
        rec_batch_size=rec_batch_size,
        threads=threads,
        **backend_options,
    )
    return OcrStage(engine, rec_width_scale=rec_width_scale, min_line_confidence=min_line_confidence)
