"""Ruling: table ruling lines found in the page image, and the cells they enclose.

The page is reduced to a working resolution of about 100 dpi by keeping the darkest
pixel of each block (a thin ruling keeps its full darkness) and binarised there, so a
300 dpi scan costs what a rendered digital page costs. Long horizontal and vertical strokes are kept by morphological
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
from typing import NamedTuple

from pydantic import BaseModel, Field

from ..document import Cell, Document, Table
from ..registry import register

WORK_DPI = 100.0  # line finding resolution: rulings survive, cost stays flat


class RulingOptions(BaseModel):
    """Sizes in points, so they hold at any scan resolution."""

    min_table_width: float = Field(default=0.15, description="narrowest table, as a fraction of the page width")
    coverage: float = Field(default=0.6, description="share of a cell side a ruling must cover to separate cells")
    horizontal_kernel_pt: float = Field(default=10.0, description="shortest horizontal ruling piece kept")
    vertical_kernel_pt: float = Field(default=10.0, description="shortest vertical ruling piece kept")
    gap_pt: float = Field(default=6.0, description="breaks in a ruling up to this long are bridged")
    merge_pt: float = Field(default=2.5, description="parallel rulings closer than this are one grid line")
    long_pt: float = Field(default=100.0, description="a ruling this long need not end on others, one crossing will do")
    cross_pt: float = Field(default=2.0, description="how near a ruling must come to another to cross it")
    min_fill: float = Field(default=0.8, description="share of a bridged ruling's length that must be ink")
    bridge_min_pt: float = Field(default=14.0, description="pieces shorter than this (character strokes) are not joined")
    min_cell_pt: float = Field(default=6.0, description="no cell is thinner: a band this thin has a false side")


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


class Segment(NamedTuple):
    a0: float  # start along the line (working pixels)
    a1: float  # end along the line
    pos: float  # position across the line: y for horizontal, x for vertical


def find_tables(gray: np.ndarray, scale: float, options: RulingOptions | None = None) -> list[Table]:
    """Ruled tables in a grey page image of ``scale`` pixels per point; boxes in points."""
    import cv2

    opt = options or RulingOptions()
    dpi = scale * 72.0
    k = max(1, int(dpi / WORK_DPI + 0.25))  # 150 dpi → 1, 200 → 2, 240 → 2, 300 → 3
    if dpi > 150:
        gray = cv2.blur(gray, (3, 3))  # scan grain would otherwise speckle the mask
    if k > 1:
        gray = _darkest_of_blocks(gray, k)
    s = scale / k  # working pixels per point
    bw = _binarise(np.ascontiguousarray(gray), s * 72.0)
    hk = max(8, round(opt.horizontal_kernel_pt * s))
    vk = max(6, round(opt.vertical_kernel_pt * s))
    gap = max(3, round(opt.gap_pt * s))
    rect = cv2.getStructuringElement
    horiz = cv2.morphologyEx(bw, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (hk, 1)))
    vert = cv2.morphologyEx(bw, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, vk)))
    tol = max(2.0, opt.merge_pt * s)
    bridge_min = opt.bridge_min_pt * s
    align = max(1.5, 1.0 * s)
    hsegs = _segments(horiz, True, hk, gap, bridge_min, align, opt.min_fill)
    vsegs = _segments(vert, False, vk, gap, bridge_min, align, opt.min_fill)
    hsegs, vsegs, groups = _rulings(hsegs, vsegs, max(2.0, opt.cross_pt * s), opt.long_pt * s)
    w_img = bw.shape[1]
    tables = []
    for h_ids, v_ids in groups:
        hs = [hsegs[i] for i in h_ids]
        vs = [vsegs[i] for i in v_ids]
        if max(x.a1 for x in hs) - min(x.a0 for x in hs) < opt.min_table_width * w_img:
            continue
        table = _table(hs, vs, tol, opt.min_cell_pt * s, opt.coverage, s)
        if table is not None:
            tables.append(table)
    tables.sort(key=lambda t: (t.box[1], t.box[0]))
    return tables


def _darkest_of_blocks(gray: np.ndarray, k: int) -> np.ndarray:
    """The image at 1/k size, each pixel the darkest of its k×k block: a 1-px ruling keeps its
    full darkness (an average would fade it to 1/k)."""
    h, w = (gray.shape[0] // k) * k, (gray.shape[1] // k) * k
    whole = gray[:h, :w]
    out = whole[0::k, 0::k].copy()
    for i in range(k):
        for j in range(k):
            if i or j:
                np.minimum(out, whole[i::k, j::k], out=out)
    return out


def _binarise(gray: np.ndarray, dpi: float) -> np.ndarray:
    import cv2

    block = int(round(dpi / 8)) | 1  # about 3 mm: wider than any ruling, narrower than a cell
    block = min(max(block, 11), 61)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 20)


def _segments(
    strokes: np.ndarray, horizontal: bool, min_len: int, gap: int, bridge_min: float, align: float, min_fill: float
) -> list[Segment]:
    """Thin straight pieces of ``strokes``, collinear ones joined across breaks up to ``gap``.

    Only pieces at least ``bridge_min`` long are joined: a ruling broken by a worn scan
    leaves long pieces, while joining a short character stroke to a ruling's end would
    carry the ruling into the text of the next cell. A joined run must be mostly ink.
    """
    mask = strokes if horizontal else np.ascontiguousarray(strokes.T)  # work along rows either way
    pieces = _pieces(mask, min_len)
    pieces.sort(key=lambda p: p[2])
    lines: list[list[tuple[float, float, float]]] = []  # pieces on one line: positions chained within align
    for piece in pieces:
        if lines and piece[2] - lines[-1][-1][2] <= align:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    runs: list[list[float]] = []  # [a0, a1, pos, inked length]
    for line in lines:
        line.sort()
        current: list[float] | None = None
        for a0, a1, pos in line:
            if current is not None and a0 - current[1] <= gap:
                overlap = max(0.0, current[1] - a0)
                if overlap > 0 or (a1 - a0 >= bridge_min and current[1] - current[0] >= bridge_min):
                    current[3] += a1 - a0 - min(overlap, a1 - a0)
                    current[1] = max(current[1], a1)
                    current[2] = (current[2] + pos) / 2
                    continue
            current = [a0, a1, pos, a1 - a0]
            runs.append(current)
    return [Segment(a0, a1, pos) for a0, a1, pos, inked in runs if inked >= min_fill * (a1 - a0)]


def _pieces(mask: np.ndarray, min_len: int, depth: int = 0) -> list[tuple[float, float, float]]:
    """(x0, x1, y) of the thin horizontal lines in ``mask``, one or more per connected component.

    Across a component the line lies where most of its ink is, so a character stroke
    touching it does not shift it; along it the line spans only where that band is inked.
    What is left off the band (a second line touching the first where two blocks of a form
    meet a point or two apart) is searched again.
    """
    import cv2

    # 16-bit labels are 4x faster; the mask holds only long strokes, so fewer than 65,535 of them.
    ltype = cv2.CV_16U if np.count_nonzero(mask) // max(min_len, 1) < 65000 else cv2.CV_32S
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    out: list[tuple[float, float, float]] = []
    for x, y, w, h, _ in stats[1:]:
        if w < min_len:
            continue
        sub = mask[y : y + h, x : x + w]
        across = sub.sum(axis=1, dtype=np.float64)
        band = np.flatnonzero(across >= 0.5 * across.max())
        b0, b1 = int(band[0]), int(band[-1]) + 1
        if b1 - b0 > max(6, w // 15):  # thin and long only; a slight residual skew thickens a long line
            continue
        weights = across[band]
        centre = y + float((band * weights).sum() / weights.sum()) + 0.5
        inked = np.concatenate(([False], sub[b0:b1].any(axis=0), [False]))
        edges = np.flatnonzero(np.diff(inked.astype(np.int8)))
        for start, end in zip(edges[::2], edges[1::2]):
            if end - start >= min_len:
                out.append((float(x + start), float(x + end), centre))
        if depth < 2 and h > b1 - b0:
            # Off the band, the line's fringe goes with it, but only alongside its ink: beside
            # its end a line one pixel over may run on (主管部门's value | 实施单位 ruled at
            # 267.5 pt, the fund table's column under it at 268.6 pt).
            along = inked[1:-1]
            rest = sub.copy()
            rest[b0:b1] = 0
            rest[max(0, b0 - 1)][along] = 0
            if b1 < h:
                rest[b1][along] = 0
            if np.count_nonzero(rest) >= min_len:
                out += [(a0 + x, a1 + x, pos + y) for a0, a1, pos in _pieces(rest, min_len, depth + 1)]
    return out


def _rulings(
    hsegs: list[Segment], vsegs: list[Segment], tol: float, long: float
) -> tuple[list[Segment], list[Segment], list[tuple[list[int], list[int]]]]:
    """Keep the segments that are rulings; group them into tables.

    A ruling ends where it meets a ruling of the other direction, at both ends: dashes in
    cells, title strokes, the flat top of a pen loop and the side of a seal end in the open.
    A long one (``long``) needs only one crossing anywhere: the top ruling of a table
    without side borders whose first row is one wide cell.
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
    end = 1.5 * tol  # a ruling may stop a little short of, or run a little past, the one it meets
    h_starts = cross & (np.abs(v[None, :, 2] - h[:, None, 0]) <= end)
    h_ends = cross & (np.abs(v[None, :, 2] - h[:, None, 1]) <= end)
    v_starts = cross & (np.abs(h[:, None, 2] - v[None, :, 0]) <= end)
    v_ends = cross & (np.abs(h[:, None, 2] - v[None, :, 1]) <= end)
    long_h = h[:, 1] - h[:, 0] >= long
    long_v = v[:, 1] - v[:, 0] >= long
    keep_h = np.ones(len(h), dtype=bool)
    keep_v = np.ones(len(v), dtype=bool)
    while True:  # dropping one segment can leave another without its anchor
        live = cross & keep_h[:, None] & keep_v[None, :]
        ok_h = (long_h & live.any(axis=1)) | ((live & h_starts).any(axis=1) & (live & h_ends).any(axis=1))
        ok_v = (long_v & live.any(axis=0)) | ((live & v_starts).any(axis=0) & (live & v_ends).any(axis=0))
        new_h, new_v = keep_h & ok_h, keep_v & ok_v
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


def _cluster(values: list[float], weights: list[float], tol: float) -> list[tuple[float, float]]:
    """Positions within ``tol`` of their neighbour are one line: (length-weighted mean, total length)."""
    if not values:
        return []
    order = np.argsort(values)
    groups: list[list[int]] = [[int(order[0])]]
    for i in order[1:]:
        if values[i] - values[groups[-1][-1]] <= tol:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    return [
        (float(np.average([values[i] for i in g], weights=[weights[i] for i in g])), float(sum(weights[i] for i in g)))
        for g in groups
    ]


def _trim_thin_ends(lines: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Drop outer lines that close a band thinner than any cell (strokes of a title or footer
    printed against the table, not a row of it)."""
    while len(lines) > 2 and lines[1][0] - lines[0][0] < min_gap:
        lines = lines[1:]
    while len(lines) > 2 and lines[-1][0] - lines[-2][0] < min_gap:
        lines = lines[:-1]
    return lines


def _open_side_edges(hs: list[Segment], cols: list[float], tol: float) -> list[float]:
    """Edges where several horizontal rulings end together beyond the outermost vertical."""
    extra = []
    for ends, outside in (([s.a0 for s in hs], lambda e: e < cols[0] - 3 * tol), ([s.a1 for s in hs], lambda e: e > cols[-1] + 3 * tol)):
        beyond = sorted(e for e in ends if outside(e))
        if len(beyond) >= 2:
            # the most common end position among them (several rows stop at the same x)
            clusters = [pos for pos, _ in _cluster(beyond, [1.0] * len(beyond), tol)]
            counts = [sum(1 for e in beyond if abs(e - c) <= tol) for c in clusters]
            best = int(np.argmax(counts))
            if counts[best] >= 2:
                extra.append(clusters[best])
    return extra


class _LocalLines:
    """The segments of each grid line: how much of a stretch they cover, and where they run there."""

    def __init__(self, segs: list[Segment], lines: list[float], tol: float):
        self.lines = lines
        self.members: list[list[Segment]] = [[] for _ in lines]
        if not lines:
            return
        arr = np.asarray(lines)
        for seg in segs:
            k = int(np.abs(arr - seg.pos).argmin())
            if abs(lines[k] - seg.pos) <= 2 * tol:
                self.members[k].append(seg)
        for members in self.members:
            members.sort()

    def covered(self, k: int, a0: float, a1: float, coverage: float) -> bool:
        """Do line k's segments cover at least ``coverage`` of [a0, a1]?"""
        total, end = 0.0, a0
        for seg in self.members[k]:  # sorted by start
            if seg.a0 >= a1:
                break
            s0, s1 = max(seg.a0, end), min(seg.a1, a1)
            if s1 > s0:
                total += s1 - s0
                end = s1
        return total >= coverage * (a1 - a0)

    def side(self, k: int, a0: float, a1: float) -> float:
        """Where line k runs along [a0, a1]: parts of one grid line drawn a point or two apart
        (blocks of a form printed one under another) each keep their place."""
        weight = total = 0.0
        for seg in self.members[k]:
            overlap = min(seg.a1, a1) - max(seg.a0, a0)
            if overlap > 0:
                weight += overlap
                total += overlap * seg.pos
        return total / weight if weight else self.lines[k]


def _table(
    hs: list[Segment], vs: list[Segment], tol: float, min_gap: float, coverage: float, scale: float
) -> Table | None:
    row_lines = _cluster([s.pos for s in hs], [s.a1 - s.a0 for s in hs], tol)
    col_lines = _cluster([s.pos for s in vs], [s.a1 - s.a0 for s in vs], tol)
    if col_lines:
        col_lines = sorted(col_lines + [(e, 0.0) for e in _open_side_edges(hs, [c for c, _ in col_lines], tol)])
    row_lines = _trim_thin_ends(row_lines, min_gap)
    col_lines = _trim_thin_ends(col_lines, min_gap)
    rows, row_support = [r for r, _ in row_lines], [w for _, w in row_lines]
    cols, col_support = [c for c, _ in col_lines], [w for _, w in col_lines]
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

    at_rows = _LocalLines(hs, rows, tol)
    at_cols = _LocalLines(vs, cols, tol)
    # right[r][c]: a ruling closes cell (r, c) on its right; below[r][c]: on its bottom.
    right = [[c + 1 < nc and at_cols.covered(c + 1, rows[r], rows[r + 1], coverage) for c in range(nc)] for r in range(nr)]
    below = [[r + 1 < nr and at_rows.covered(r + 1, cols[c], cols[c + 1], coverage) for c in range(nc)] for r in range(nr)]
    # A band thinner than any cell, ruled on both sides in some row or column, has one false
    # side (a stroke of handwriting or text beside a ruling): open the less supported one.
    for c in range(1, nc - 1):
        if cols[c + 1] - cols[c] < min_gap:
            for r in range(nr):
                if right[r][c - 1] and right[r][c]:
                    if col_support[c] < col_support[c + 1]:
                        right[r][c - 1] = False
                    else:
                        right[r][c] = False
    for r in range(1, nr - 1):
        if rows[r + 1] - rows[r] < min_gap:
            for c in range(nc):
                if below[r - 1][c] and below[r][c]:
                    if row_support[r] < row_support[r + 1]:
                        below[r - 1][c] = False
                    else:
                        below[r][c] = False
    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not right[r][c]:
                join(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and not below[r][c]:
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
        x0 = at_cols.side(c0, rows[r0], rows[r1])
        x1 = at_cols.side(c1, rows[r0], rows[r1])
        y0 = at_rows.side(r0, cols[c0], cols[c1])
        y1 = at_rows.side(r1, cols[c0], cols[c1])
        cells.append(
            Cell.model_construct(  # typed values built here; validation would cost more than the stage
                box=(x0 / scale, y0 / scale, x1 / scale, y1 / scale),
                row=row_index[r0],
                col=col_index[c0],
                row_span=row_index[r1] - row_index[r0],
                col_span=col_index[c1] - col_index[c0],
                tokens=[],
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
