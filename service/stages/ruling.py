"""Ruling: table ruling lines found in the page image, and the cells they enclose.

Long horizontal and vertical strokes are kept by morphological opening with kernels
far longer than any character stroke; they become line segments, and segments that
touch form tables. Row and column edges are the clustered segment positions; a base
cell is merged with its neighbour wherever the ruling between them is missing, which
is how a 一级指标 cell spanning six rows becomes one Cell with row_span=6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..document import Cell, Document, Page, Table
from ..registry import register


@dataclass
class Segment:
    a0: float  # start along the line
    a1: float  # end along the line
    pos: float  # position across the line (y for horizontal, x for vertical)


@register("stages", "ruling")
def make_ruling(min_table_width: float = 0.15, coverage: float = 0.6) -> "RulingStage":
    return RulingStage(min_table_width=min_table_width, coverage=coverage)


class RulingStage:
    def __init__(self, min_table_width: float = 0.15, coverage: float = 0.6):
        self.min_table_width = min_table_width  # fraction of the page width
        self.coverage = coverage  # share of a cell side a ruling must cover to count

    def __call__(self, doc: Document) -> Document:
        for page in doc.pages:
            if page.image is None:
                continue
            page.tables = find_tables(page.gray, page.scale, self.min_table_width, self.coverage)
        return doc


def _binarise(gray: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 12)


def _segments(mask: np.ndarray, horizontal: bool, min_len: int) -> list[Segment]:
    import cv2

    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for x, y, w, h, _ in stats[1:]:
        if horizontal and w >= min_len and h <= max(12, w // 8):
            out.append(Segment(x, x + w, y + h / 2))
        elif not horizontal and h >= min_len and w <= max(12, h // 8):
            out.append(Segment(y, y + h, x + w / 2))
    return out


def _cluster(values: list[float], tol: float) -> list[float]:
    if not values:
        return []
    values = sorted(values)
    groups = [[values[0]]]
    for v in values[1:]:
        if v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [float(np.mean(g)) for g in groups]


def find_tables(gray: np.ndarray, scale: float, min_table_width: float = 0.15, coverage: float = 0.6) -> list[Table]:
    """Ruled tables in a grey page image; boxes in points (pixels / scale)."""
    import cv2

    h_img, w_img = gray.shape[:2]
    bw = _binarise(gray)
    hk = max(15, w_img // 35)
    vk = max(15, h_img // 70)
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    # Bridge small breaks (scan noise, a stamp over a line) along each direction.
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 9)))
    hsegs = _segments(horiz, True, hk)
    vsegs = _segments(vert, False, vk)
    if not hsegs or not vsegs:
        return []
    grid = cv2.dilate(cv2.bitwise_or(horiz, vert), cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    _, _, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    tol = max(4.0, 0.004 * max(w_img, h_img))
    tables = []
    for x, y, w, h, _ in stats[1:]:
        if w < min_table_width * w_img or h < 3 * tol:
            continue
        region = (x - tol, y - tol, x + w + tol, y + h + tol)
        hs = [s for s in hsegs if region[1] <= s.pos <= region[3] and s.a0 >= region[0] and s.a1 <= region[2]]
        vs = [s for s in vsegs if region[0] <= s.pos <= region[2] and s.a0 >= region[1] and s.a1 <= region[3]]
        table = _table(hs, vs, tol, coverage, scale)
        if table is not None:
            tables.append(table)
    tables.sort(key=lambda t: (t.box[1], t.box[0]))
    return tables


def _covered(segs: list[Segment], pos: float, a0: float, a1: float, tol: float, coverage: float) -> bool:
    """Do segments at ``pos`` cover at least ``coverage`` of [a0, a1]?"""
    spans = sorted((max(s.a0, a0), min(s.a1, a1)) for s in segs if abs(s.pos - pos) <= tol and s.a1 > a0 and s.a0 < a1)
    total, end = 0.0, a0
    for s0, s1 in spans:
        s0 = max(s0, end)
        if s1 > s0:
            total += s1 - s0
            end = s1
    return total >= coverage * (a1 - a0)


def _table(hs: list[Segment], vs: list[Segment], tol: float, coverage: float, scale: float) -> Table | None:
    rows = _cluster([s.pos for s in hs], tol)
    cols = _cluster([s.pos for s in vs], tol)
    if len(rows) < 2 or len(cols) < 2:
        return None
    nr, nc = len(rows) - 1, len(cols) - 1
    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not _covered(vs, cols[c + 1], rows[r], rows[r + 1], tol, coverage):
                join(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and not _covered(hs, rows[r + 1], cols[c], cols[c + 1], tol, coverage):
                join(r * nc + c, (r + 1) * nc + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            groups.setdefault(find(r * nc + c), []).append((r, c))
    cells = []
    for members in groups.values():
        r0 = min(r for r, _ in members)
        r1 = max(r for r, _ in members)
        c0 = min(c for _, c in members)
        c1 = max(c for _, c in members)
        box = (cols[c0] / scale, rows[r0] / scale, cols[c1 + 1] / scale, rows[r1 + 1] / scale)
        cells.append(Cell(box=box, row=r0, col=c0, row_span=r1 - r0 + 1, col_span=c1 - c0 + 1))
    cells.sort(key=lambda c: (c.row, c.col))
    if len(cells) < 2:
        return None
    return Table(
        box=(cols[0] / scale, rows[0] / scale, cols[-1] / scale, rows[-1] / scale),
        ruled=True,
        row_edges=[r / scale for r in rows],
        col_edges=[c / scale for c in cols],
        cells=cells,
    )
