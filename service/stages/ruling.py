"""Ruling: table ruling lines found in the page image, and the cells they enclose.

The page is binarised at its own resolution, then reduced to a working resolution of
about 100 dpi (ink kept wherever any was), so a 300 dpi scan costs what a rendered
digital page costs. Long horizontal and vertical strokes are kept by morphological
opening with kernels longer than any character stroke, small breaks are bridged, and
each stroke becomes a line segment. A segment counts as a ruling only if it crosses at
least two rulings of the other direction: dashes ("——") in cells, underlines, title
strokes and stamp arcs do not. Rulings that cross each other form one table.

Row and column edges are the clustered ruling positions (close parallel lines merge);
horizontal rulings that all stop at the same place beyond the last vertical give the
table an edge there (forms printed without left/right borders). A base cell is merged
with its neighbour wherever the ruling between them is missing, which is how a 一级指标
cell spanning six rows becomes one Cell with row_span=6; edges no cell uses are then
dropped, so row and column indices count real grid lines only.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from ..document import Cell, Document, Table
from ..registry import register

WORK_DPI = 100.0  # line finding resolution: rulings survive, cost stays flat


class RulingOptions(BaseModel):
    """Sizes in points, so they hold at any scan resolution."""

    min_table_width: float = Field(default=0.15, description="narrowest table, as a fraction of the page width")
    coverage: float = Field(default=0.6, description="share of a cell side a ruling must cover to separate cells")
    horizontal_kernel_pt: float = Field(default=24.0, description="shortest horizontal ruling piece kept")
    vertical_kernel_pt: float = Field(default=12.0, description="shortest vertical ruling piece kept")
    gap_pt: float = Field(default=6.0, description="breaks in a ruling up to this long are bridged")
    merge_pt: float = Field(default=3.5, description="parallel rulings closer than this are one grid line")
    long_pt: float = Field(default=100.0, description="a ruling this long needs to cross only one other")


@register("stages", "ruling")
def make_ruling(**options) -> "RulingStage":
    return RulingStage(RulingOptions(**options))


class RulingStage:
    """Fills Page.tables with ruled tables (cells without tokens) on every page with an image."""

    def __init__(self, options: RulingOptions | None = None):
        self.options = options or RulingOptions()

    def __call__(self, doc: Document) -> Document:
        for page in doc.pages:
            if page.image is None:
                continue
            page.tables = find_tables(page.gray, page.scale, self.options)
        return doc


class Segment(BaseModel):
    a0: float  # start along the line (working pixels)
    a1: float  # end along the line
    pos: float  # position across the line: y for horizontal, x for vertical


def find_tables(gray: np.ndarray, scale: float, options: RulingOptions | None = None) -> list[Table]:
    """Ruled tables in a grey page image of ``scale`` pixels per point; boxes in points."""
    import cv2

    opt = options or RulingOptions()
    dpi = scale * 72.0
    bw = _binarise(gray, dpi)
    factor = min(1.0, WORK_DPI / dpi)
    if factor < 1.0:
        # Area-average then keep any pixel with real ink share: a 1-px line at 300 dpi survives.
        bw = cv2.resize(bw, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        bw = np.where(bw > 50, 255, 0).astype(np.uint8)
    s = scale * factor  # working pixels per point
    hk = max(8, round(opt.horizontal_kernel_pt * s))
    vk = max(6, round(opt.vertical_kernel_pt * s))
    gap = max(3, round(opt.gap_pt * s))
    rect = cv2.getStructuringElement
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (hk, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, vk)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (gap, 1)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, gap)))
    tol = max(2.0, opt.merge_pt * s)
    hsegs = _segments(horiz, horizontal=True, min_len=hk)
    vsegs = _segments(vert, horizontal=False, min_len=vk)
    hsegs, vsegs, groups = _rulings(hsegs, vsegs, tol, opt.long_pt * s)
    w_img = bw.shape[1]
    tables = []
    for h_ids, v_ids in groups:
        hs = [hsegs[i] for i in h_ids]
        vs = [vsegs[i] for i in v_ids]
        if max(x.a1 for x in hs) - min(x.a0 for x in hs) < opt.min_table_width * w_img:
            continue
        table = _table(hs, vs, tol, opt.coverage, s)
        if table is not None:
            tables.append(table)
    tables.sort(key=lambda t: (t.box[1], t.box[0]))
    return tables


def _binarise(gray: np.ndarray, dpi: float) -> np.ndarray:
    import cv2

    if dpi > 150:
        gray = cv2.blur(gray, (3, 3))  # scan noise would otherwise speckle the mask
    block = int(round(dpi / 8)) | 1  # about 3 mm: wider than any ruling, narrower than a cell
    block = min(max(block, 11), 61)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)


def _segments(mask: np.ndarray, horizontal: bool, min_len: int) -> list[Segment]:
    import cv2

    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for x, y, w, h, _ in stats[1:]:
        length, thick = (w, h) if horizontal else (h, w)
        # Thin and long; a slight residual skew makes a long line a few pixels thick.
        if length >= min_len and thick <= max(6, length // 15):
            if horizontal:
                out.append(Segment(a0=x, a1=x + w, pos=y + h / 2))
            else:
                out.append(Segment(a0=y, a1=y + h, pos=x + w / 2))
    return out


def _rulings(
    hsegs: list[Segment], vsegs: list[Segment], tol: float, long: float
) -> tuple[list[Segment], list[Segment], list[tuple[list[int], list[int]]]]:
    """Keep segments crossing ≥ 2 of the other direction (≥ 1 if ``long``); group them into tables.

    The single-crossing allowance keeps the top ruling of a table without side borders
    whose first row is one wide cell.
    """
    if not hsegs or not vsegs:
        return [], [], []
    h = np.array([(s.a0, s.a1, s.pos) for s in hsegs])
    v = np.array([(s.a0, s.a1, s.pos) for s in vsegs])
    cross = (
        (v[None, :, 2] >= h[:, None, 0] - tol)
        & (v[None, :, 2] <= h[:, None, 1] + tol)
        & (h[:, None, 2] >= v[None, :, 0] - tol)
        & (h[:, None, 2] <= v[None, :, 1] + tol)
    )
    need_h = np.where(h[:, 1] - h[:, 0] >= long, 1, 2)
    need_v = np.where(v[:, 1] - v[:, 0] >= long, 1, 2)
    keep_h = np.ones(len(h), dtype=bool)
    keep_v = np.ones(len(v), dtype=bool)
    while True:  # dropping one segment can leave another with too few crossings
        live = cross & keep_h[:, None] & keep_v[None, :]
        new_h = keep_h & (live.sum(axis=1) >= need_h)
        new_v = keep_v & (live.sum(axis=0) >= need_v)
        if (new_h == keep_h).all() and (new_v == keep_v).all():
            break
        keep_h, keep_v = new_h, new_v
    hi = np.flatnonzero(keep_h)
    vi = np.flatnonzero(keep_v)
    if len(hi) == 0 or len(vi) == 0:
        return [], [], []
    sub = cross[np.ix_(hi, vi)]
    # Connected components of the bipartite crossing graph: one per table.
    n_h = len(hi)
    parent = list(range(n_h + len(vi)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(*np.nonzero(sub)):
        ra, rb = find(int(a)), find(n_h + int(b))
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for k in range(n_h):
        groups.setdefault(find(k), ([], []))[0].append(k)
    for k in range(len(vi)):
        groups.setdefault(find(n_h + k), ([], []))[1].append(k)
    kept_h = [hsegs[i] for i in hi]
    kept_v = [vsegs[i] for i in vi]
    return kept_h, kept_v, [g for g in groups.values() if g[0] and g[1]]


def _cluster(values: list[float], weights: list[float], tol: float) -> list[float]:
    """Positions within ``tol`` of their neighbour are one line, at their length-weighted mean."""
    if not values:
        return []
    order = np.argsort(values)
    groups: list[list[int]] = [[int(order[0])]]
    for i in order[1:]:
        if values[i] - values[groups[-1][-1]] <= tol:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    return [float(np.average([values[i] for i in g], weights=[weights[i] for i in g])) for g in groups]


def _open_side_edges(hs: list[Segment], cols: list[float], tol: float) -> list[float]:
    """Edges where several horizontal rulings end together beyond the outermost vertical."""
    extra = []
    for ends, outside in (([s.a0 for s in hs], lambda e: e < cols[0] - 3 * tol), ([s.a1 for s in hs], lambda e: e > cols[-1] + 3 * tol)):
        beyond = sorted(e for e in ends if outside(e))
        if len(beyond) >= 2:
            # the most common end position among them (several rows stop at the same x)
            clusters = _cluster(beyond, [1.0] * len(beyond), tol)
            counts = [sum(1 for e in beyond if abs(e - c) <= tol) for c in clusters]
            best = int(np.argmax(counts))
            if counts[best] >= 2:
                extra.append(clusters[best])
    return extra


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
    rows = _cluster([s.pos for s in hs], [s.a1 - s.a0 for s in hs], tol)
    cols = _cluster([s.pos for s in vs], [s.a1 - s.a0 for s in vs], tol)
    if len(cols) >= 1:
        cols = sorted(cols + _open_side_edges(hs, cols, tol))
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
    spans = []
    for members in groups.values():
        r0, r1 = min(r for r, _ in members), max(r for r, _ in members) + 1
        c0, c1 = min(c for _, c in members), max(c for _, c in members) + 1
        # Merging can produce an L shape only from a broken scan; take its bounding rectangle.
        spans.append((r0, r1, c0, c1))
    # Keep only grid lines some cell starts or ends on (a stray stroke adds none).
    used_rows = sorted({r for r0, r1, _, _ in spans for r in (r0, r1)})
    used_cols = sorted({c for _, _, c0, c1 in spans for c in (c0, c1)})
    row_index = {r: k for k, r in enumerate(used_rows)}
    col_index = {c: k for k, c in enumerate(used_cols)}
    cells = []
    seen = set()
    for r0, r1, c0, c1 in spans:
        key = (r0, r1, c0, c1)
        if key in seen:
            continue
        seen.add(key)
        cells.append(
            Cell(
                box=(cols[c0] / scale, rows[r0] / scale, cols[c1] / scale, rows[r1] / scale),
                row=row_index[r0],
                col=col_index[c0],
                row_span=row_index[r1] - row_index[r0],
                col_span=col_index[c1] - col_index[c0],
            )
        )
    if len(cells) < 2:
        return None
    cells.sort(key=lambda c: (c.row, c.col))
    return Table(
        box=(cols[0] / scale, rows[0] / scale, cols[-1] / scale, rows[-1] / scale),
        ruled=True,
        row_edges=[rows[r] / scale for r in used_rows],
        col_edges=[cols[c] / scale for c in used_cols],
        cells=cells,
    )
