"""Text lines inside ruled cells, found without a detection model.

A ruled cell is a clean rectangle: after trimming the ruling lines at its borders, the
rows that hold ink form one band per text line (a horizontal projection). Vertical
markers such as 续上页 written one character per line become one band per character.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

# Bands whose union is at most this many line heights are one line (二, 三, 〓 have gaps).
MERGE_SPAN = 1.3
# A band taller than this many line heights holds lines that touch; it is cut at its thinnest rows.
SPLIT_HEIGHT = 1.75


class LineBand(BaseModel):
    """A text line inside a crop: rows y0..y1 and columns x0..x1 (ends exclusive), in crop pixels."""

    x0: int
    y0: int
    x1: int
    y1: int


def ink_mask(gray: np.ndarray) -> tuple[np.ndarray, int]:
    """Which pixels are ink, and the paper's typical grey level.

    Scans are lit unevenly and thin strokes (serif hairlines, 一, the placeholder bar ——,
    full-width punctuation) come out light grey, so no single threshold serves a page.
    Ink is what is darker than the local paper: the paper level comes from a grey-level
    closing at a quarter of the resolution (text vanishes in it), and a pixel of the 3x3
    mean (a third of the scanner noise) is ink when it is below that level by more than
    four noise deviations (a robust estimate from the whole page), and by at least 16.
    """
    import cv2

    smooth = cv2.blur(gray, (3, 3))
    h, w = smooth.shape
    small = cv2.resize(smooth, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    # 11 px at quarter size: wider than any stroke, so the closing sees paper everywhere
    paper_small = cv2.blur(cv2.dilate(small, np.ones((11, 11), np.uint8)), (9, 9))
    paper = cv2.resize(paper_small, (w, h), interpolation=cv2.INTER_LINEAR)
    contrast = paper.astype(np.int16) - smooth.astype(np.int16)
    sample = contrast[:: max(1, h // 500), :: max(1, w // 500)]
    centre = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample - centre)))
    return contrast > max(centre + 4 * noise, 16.0), int(np.median(paper_small))


def trim_borders(ink: np.ndarray, max_border: int | None = None) -> tuple[int, int, int, int]:
    """The inner rectangle (x0, y0, x1, y1) of a cell crop with its ruling lines cut off.

    Within ``max_border`` pixels of each edge, a row (column) holding one unbroken ink run
    over half the cell's width (height) is a ruling line; the rectangle starts just inside
    the innermost one of the group nearest the edge. Text seldom makes such runs (its strokes
    break between glyphs) and where bold glyphs fuse, blank rows lie between it and the line.
    """
    h, w = ink.shape
    if max_border is None:
        max_border = max(3, min(h, w) // 5)

    def cut(lines: np.ndarray, limit: int) -> int:
        """How many leading lines (rows of ``lines``) to drop."""
        zone = lines[:limit]
        need = 0.5 * zone.shape[1]
        # only a line that is half ink can hold a run over half its length
        candidates = np.flatnonzero(zone.sum(axis=1) >= need)
        hits = [int(i) for i in candidates if longest_run(zone[i]) >= need]
        if not hits:
            return 0
        # the line is the first group of such rows; a dense text line on a low-resolution
        # scan fuses into long runs too, but blank rows part it from the ruling line
        last = hits[0]
        for i in hits[1:]:
            if i - last > 2:
                break
            last = i
        return last + 2

    by = min(max_border, h // 2)
    bx = min(max_border, w // 2)
    y0 = cut(ink, by)
    y1 = h - cut(ink[::-1], by)
    x0 = cut(ink.T, bx)
    x1 = w - cut(ink.T[::-1], bx)
    return x0, y0, max(x0, x1), max(y0, y1)


def longest_run(line: np.ndarray) -> int:
    """The longest stretch of consecutive True values in a 1-D boolean array."""
    if not line.any():
        return 0
    runs = _runs(line)
    return max(b - a for a, b in runs)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def row_runs(ink: np.ndarray, min_pixels: int = 2) -> list[tuple[int, int]]:
    """Runs of rows holding ink (a row counts when it has at least ``min_pixels`` ink pixels)."""
    return _runs(ink.sum(axis=1) >= min_pixels)


def split_lines(ink: np.ndarray, line_height: float | None = None, min_area: int = 12) -> list[LineBand]:
    """Text-line bands in a binarised crop (True = ink) whose borders are already trimmed.

    ``line_height`` is the page's typical text height in pixels (see ``typical_line_height``);
    without it, the tallest band of the crop stands in.
    """
    profile = ink.sum(axis=1)
    runs = row_runs(ink)
    if not runs:
        return []
    h = line_height or max(b - a for a, b in runs)
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and b - merged[-1][0] <= MERGE_SPAN * h:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    bands: list[tuple[int, int]] = []
    for a, b in merged:
        bands += _cut_tall(profile, a, b, h)
    lines: list[LineBand] = []
    for a, b in bands:
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        if len(cols) == 0 or int(ink[a:b].sum()) < min_area:
            continue  # specks of scan noise
        lines.append(LineBand(x0=int(cols[0]), y0=a, x1=int(cols[-1]) + 1, y1=b))
    return lines


def _cut_tall(profile: np.ndarray, a: int, b: int, h: float) -> list[tuple[int, int]]:
    """Cut a band holding touching lines at its emptiest row, recursively."""
    if b - a <= SPLIT_HEIGHT * h:
        return [(a, b)]
    lo, hi = a + int(0.6 * h), b - int(0.6 * h)
    if hi <= lo:
        return [(a, b)]
    cut = lo + int(np.argmin(profile[lo:hi]))
    return _cut_tall(profile, a, cut, h) + _cut_tall(profile, cut, b, h)


def typical_line_height(inks: list[np.ndarray]) -> float | None:
    """The height of a full text line across many cell crops: the upper quartile of their
    ink-row runs (lines of 一 or 二 or digits are shorter than most); runs under 8 pixels
    (bars, dots, strokes of 二) are no text line at any scan resolution we read."""
    heights = [b - a for ink in inks for a, b in row_runs(ink) if b - a >= 8]
    if not heights:
        return None
    return float(np.percentile(heights, 75))
