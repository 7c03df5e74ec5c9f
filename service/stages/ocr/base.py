"""What an OCR backend must do, and the CTC decoding the PP-OCR backends share.

A backend reads text-line crops (``read_lines``) and finds text lines in an image
(``detect``). Character positions come from the CTC decode: every character a
recogniser emits sits at the output frames where it fired, and frames map linearly
onto the crop's width, so each character gets an x-extent within its crop.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel

# A text line's quadrilateral in image pixels: four (x, y) corners, clockwise from top-left.
Quad = list[tuple[float, float]]


class CharRead(BaseModel):
    """One recognised character: its x-extent in crop pixels and its own confidence."""

    text: str
    x0: float
    x1: float
    confidence: float


class LineRead(BaseModel):
    """The recognition of one line crop."""

    text: str
    confidence: float  # mean of the character confidences (0 when nothing was read)
    chars: list[CharRead]


@runtime_checkable
class OcrBackend(Protocol):
    """A text-line recogniser and detector, loaded once per process."""

    name: str

    def read_lines(self, crops: list[np.ndarray], width_scales: list[float] | None = None) -> list[LineRead]:
        """Read each crop (grey or RGB uint8, one text line) into one LineRead, same order.

        ``width_scales`` (one per crop, default 1.0) reads a crop squeezed (or stretched)
        horizontally; see ``recognise``.
        """
        ...

    def detect(self, image: np.ndarray) -> list[Quad]:
        """Text-line quadrilaterals in ``image`` pixels, top to bottom."""
        ...


def rec_width(crop_shape: tuple[int, ...], height: int, width_scale: float) -> int:
    """The width a crop takes at the recogniser's input ``height``, squeezed by ``width_scale``."""
    h, w = crop_shape[:2]
    return max(1, int(np.ceil(height * w / max(h, 1) * width_scale)))


def rec_input(crop: np.ndarray, height: int, width: int, width_scale: float = 1.0) -> tuple[np.ndarray, int]:
    """A crop resized to ``height``, its width squeezed by ``width_scale`` (at most
    ``width``), right-padded to ``width`` and normalised to [-1, 1] in CHW order as PP-OCR
    recognisers expect; also returns the resized width before padding.
    """
    import cv2

    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    resized_w = min(width, rec_width(crop.shape, height, width_scale))
    img = cv2.resize(crop, (resized_w, height)).astype(np.float32)
    out = np.zeros((3, height, width), dtype=np.float32)
    out[:, :, :resized_w] = (img.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out, resized_w


def ctc_decode(
    probs: np.ndarray, charset: list[str], input_width: int, resized_width: int, crop_size: tuple[int, int]
) -> LineRead:
    """Greedy CTC decode of one line's frame probabilities [T, C] with character positions.

    ``charset[0]`` is the blank. A character's confidence is its best frame probability
    (never rounded up or corrected: a doubtful digit keeps its doubt). Its x-extent runs
    between the midpoints to its neighbours' centres, in crop pixels; ``crop_size`` is
    the crop's (height, width).
    """
    crop_height, crop_width = crop_size
    idx = probs.argmax(axis=1)
    best = probs.max(axis=1)
    frames = len(idx)
    px_per_frame = input_width / frames
    last_frame = min(frames, int(np.ceil(resized_width / px_per_frame)))
    to_crop = crop_width / resized_width
    runs: list[tuple[int, int, int, float]] = []  # (char index, first frame, last frame, conf)
    f = 0
    while f < last_frame:
        k = int(idx[f])
        g = f
        while g + 1 < last_frame and idx[g + 1] == k:
            g += 1
        if k != 0:
            runs.append((k, f, g, float(best[f : g + 1].max())))
        f = g + 1
    centres = [(a + b + 1) / 2 * px_per_frame * to_crop for _, a, b, _ in runs]
    # An outer edge with no neighbour: CJK glyphs are about as wide as the line is high.
    default_half = 0.5 * crop_height
    chars: list[CharRead] = []
    for n, (k, _, _, conf) in enumerate(runs):
        c = centres[n]
        left = (centres[n - 1] + c) / 2 if n > 0 else c - default_half
        right = (centres[n + 1] + c) / 2 if n + 1 < len(runs) else c + default_half
        if n > 0 and n + 1 == len(runs):
            right = min(right, c + (c - left))
        if n == 0 and len(runs) > 1:
            left = max(left, c - (right - c))
        text = charset[k] if k < len(charset) else ""
        chars.append(CharRead(text=text, x0=max(0.0, left), x1=min(float(crop_width), right), confidence=conf))
    kept = [c for c in chars if c.text.strip()]
    conf = float(np.mean([c.confidence for c in kept])) if kept else 0.0
    return LineRead(text="".join(c.text for c in chars).strip(), confidence=conf, chars=kept)


REC_HEIGHT = 48  # PP-OCR recognisers' fixed input height
# Lines of digits and Latin letters are read a little wider than they are: at 1.0 a run
# of repeats ("100.00" -> "100.0") sometimes merges where the text is small in its crop.
NARROW_GLYPH_SCALE = 1.15
MIN_REC_WIDTH = 32  # narrower inputs leave the CTC head too few frames for one glyph


def recognise(
    crops: list[np.ndarray],
    run: Callable[[np.ndarray], np.ndarray],
    charset: list[str],
    batch_size: int,
    width_scales: list[float],
) -> list[LineRead]:
    """Read line crops with a PP-OCR CTC recogniser ``run`` (a [B,3,48,W] batch in,
    [B,T,C] frame probabilities out), in batches of similar input width.

    Recognition time grows with the input width, so a crop may be read squeezed to
    ``width_scales[i]`` of its width. CJK glyphs and full-width punctuation survive that;
    digits and Latin letters are narrow, and a squeezed run of repeats ("100.00")
    collapses in the CTC decode. So a squeezed line that reads any digit or letter, or anything doubtful,
    is read again at full width.
    """
    reads = _recognise_pass(crops, run, charset, batch_size, width_scales)
    again = [i for i, r in enumerate(reads) if width_scales[i] < 1.0 and not _survives_squeezing(r)]
    if again:
        scales = [NARROW_GLYPH_SCALE] * len(again)
        redo = _recognise_pass([crops[i] for i in again], run, charset, batch_size, scales)
        for i, read in zip(again, redo):
            reads[i] = read
    return reads


# Squeezed reads below this character confidence are read again at full width.
SQUEEZED_MIN_CONFIDENCE = 0.9


def _survives_squeezing(read: LineRead) -> bool:
    """A squeezed read to keep: confident, and no digits or Latin letters (narrow glyphs
    whose repeats, 100 or 11, merge when squeezed; CJK and punctuation keep their width)."""
    def keeps(text: str) -> bool:
        # str.isalnum() holds for CJK ideographs too, hence the explicit range
        return "\u4e00" <= text <= "\u9fff" or not unicodedata.normalize("NFKC", text).isalnum()

    return bool(read.chars) and all(c.confidence >= SQUEEZED_MIN_CONFIDENCE and keeps(c.text) for c in read.chars)


def _recognise_pass(
    crops: list[np.ndarray],
    run: Callable[[np.ndarray], np.ndarray],
    charset: list[str],
    batch_size: int,
    width_scales: list[float],
) -> list[LineRead]:
    results: list[LineRead | None] = [None] * len(crops)
    widths = [max(MIN_REC_WIDTH, rec_width(c.shape, REC_HEIGHT, ws)) for c, ws in zip(crops, width_scales)]
    for batch in _width_batches(widths, batch_size):
        # a multiple of 8: the recognisers' horizontal stride
        width = int(np.ceil(max(MIN_BATCH_WIDTH, *(widths[i] for i in batch)) / 8) * 8)
        inputs, resized = zip(*(rec_input(crops[i], REC_HEIGHT, width, width_scales[i]) for i in batch))
        probs = run(np.stack(inputs))
        for row, i in enumerate(batch):
            results[i] = ctc_decode(probs[row], charset, width, resized[row], crops[i].shape[:2])
    return [r for r in results if r is not None]


# A batch is padded to its widest crop, and recognition time grows with the padded width:
# in fixed batches of 16 a third of the columns read were padding.
BATCH_WIDTH_RATIO = 1.2
# Short crops are still padded to two glyphs' width: a lone glyph read with little paper
# beside it reads worse ("0" as "O").
MIN_BATCH_WIDTH = 96


def _width_batches(widths: list[int], batch_size: int) -> list[list[int]]:
    """Crop indices in batches of similar width: narrowest first, a new batch once it
    holds ``batch_size`` crops or the next is ``BATCH_WIDTH_RATIO`` times its narrowest."""
    batches: list[list[int]] = []
    for i in np.argsort(widths, kind="stable").tolist():
        if not batches or len(batches[-1]) >= batch_size or widths[i] > BATCH_WIDTH_RATIO * widths[batches[-1][0]]:
            batches.append([])
        batches[-1].append(i)
    return batches
