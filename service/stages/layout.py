"""Layout: put every token into its table cell, and find borderless tables.

Ruled tables come from the ruling stage; here each token goes to the smallest cell
containing its centre. Tokens in no cell are grouped into text lines; runs of lines
that split into aligned segments become a borderless table (ruled=False) whose cells
are the segments, one grid row per text line, columns from the vertical gutters of
the whole run. Rows of a borderless table are merged later, in reconstruction, where
token labels say which line starts a new indicator.
"""

from __future__ import annotations

import numpy as np

from ..document import Cell, Document, Page, Table
from ..geometry import char_height, group_lines, union
from ..registry import register


@register("stages", "layout")
def make_layout(min_table_lines: int = 2) -> "LayoutStage":
    return LayoutStage(min_table_lines=min_table_lines)


class LayoutStage:
    def __init__(self, min_table_lines: int = 2):
        self.min_table_lines = min_table_lines

    def __call__(self, doc: Document) -> Document:
        for page in doc.pages:
            outside = assign_tokens_to_cells(page)
            page.lines = group_lines(page.tokens, outside)
            find_borderless_tables(page, self.min_table_lines)
        return doc


def assign_tokens_to_cells(page: Page) -> list[int]:
    """Fill Cell.tokens; return the indices of tokens that fall in no cell."""
    cells = [cell for table in page.tables for cell in table.cells]
    for cell in cells:
        cell.tokens = []
    if not page.tokens:
        return []
    boxes = np.array([t.box for t in page.tokens], dtype=np.float64)
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    if not cells:
        return list(range(len(page.tokens)))
    cb = np.array([c.box for c in cells], dtype=np.float64)
    inside = (
        (cx[:, None] >= cb[None, :, 0])
        & (cx[:, None] <= cb[None, :, 2])
        & (cy[:, None] >= cb[None, :, 1])
        & (cy[:, None] <= cb[None, :, 3])
    )
    area = (cb[:, 2] - cb[:, 0]) * (cb[:, 3] - cb[:, 1])
    # Smallest containing cell wins (a cell nested in a merged one is the more precise).
    masked = np.where(inside, area[None, :], np.inf)
    best = masked.argmin(axis=1)
    has_cell = np.isfinite(masked[np.arange(len(best)), best])
    outside: list[int] = []
    for i, (ok, c) in enumerate(zip(has_cell, best)):
        if ok:
            cells[c].tokens.append(i)
        else:
            outside.append(i)
    return outside


def _segments(page: Page, line: list[int], gap: float) -> list[list[int]]:
    segs: list[list[int]] = [[line[0]]]
    for prev, cur in zip(line, line[1:]):
        if page.tokens[cur].box[0] - page.tokens[prev].box[2] > gap:
            segs.append([cur])
        else:
            segs[-1].append(cur)
    return segs


def find_borderless_tables(page: Page, min_table_lines: int = 2) -> None:
    """Turn runs of multi-segment text lines into tables built from text geometry."""
    if len(page.lines) < min_table_lines:
        return
    h = char_height(page.tokens, [i for line in page.lines for i in line])
    gap = 0.45 * h  # column padding; characters in a cell sit closer
    segs = [_segments(page, line, gap) for line in page.lines]
    tops = [min(page.tokens[i].box[1] for i in line) for line in page.lines]
    bottoms = [max(page.tokens[i].box[3] for i in line) for line in page.lines]
    page_width = page.width

    def wide_paragraph(k: int) -> bool:
        x0 = min(page.tokens[i].box[0] for i in page.lines[k])
        x1 = max(page.tokens[i].box[2] for i in page.lines[k])
        return len(segs[k]) == 1 and (x1 - x0) > 0.6 * page_width

    runs: list[list[int]] = []
    current: list[int] = []
    for k in range(len(page.lines)):
        breaks = wide_paragraph(k) or (current and tops[k] - bottoms[current[-1]] > 3.0 * h)
        if breaks:
            if current:
                runs.append(current)
            current = [] if wide_paragraph(k) else [k]
            continue
        current.append(k)
    if current:
        runs.append(current)

    used: set[int] = set()
    for run in runs:
        for block in _blocks(page, run, segs, h):
            multi = [k for k in block if len(segs[k]) >= 2]
            if len(multi) < min_table_lines:
                continue
            block = block[block.index(multi[0]) : block.index(multi[-1]) + 1]
            table = _table_from_lines(page, block, segs, h)
            if table is not None:
                page.tables.append(table)
                used.update(block)
    if used:
        page.lines = [line for k, line in enumerate(page.lines) if k not in used]


def _gutters(page: Page, lines: list[list[int]], x0: float, x1: float, h: float) -> list[float]:
    """Centres of the vertical strips no token of these lines covers."""
    res = 0.5
    n = int((x1 - x0) / res) + 2
    covered = np.zeros(n, dtype=bool)
    for line in lines:
        for i in line:
            b = page.tokens[i].box
            covered[max(0, int((b[0] - x0) / res)) : int((b[2] - x0) / res) + 1] = True
    edges, k = [], 0
    min_gutter = max(2.0, 0.4 * h) / res
    while k < n:
        if not covered[k]:
            start = k
            while k < n and not covered[k]:
                k += 1
            if 0 < start and k < n and k - start >= min_gutter:
                edges.append(x0 + (start + k) / 2 * res)
            continue
        k += 1
    return edges


def _blocks(page: Page, run: list[int], segs, h: float) -> list[list[int]]:
    """Split a run of lines where the column structure changes (header block, funds, goals, indicators).

    A line that would close most of the block's gutters (a paragraph, a differently
    ruled block) starts a new block.
    """
    x0 = min(page.tokens[i].box[0] for k in run for i in page.lines[k])
    x1 = max(page.tokens[i].box[2] for k in run for i in page.lines[k])
    blocks: list[list[int]] = []
    current: list[int] = []
    for k in run:
        if len(current) >= 2:
            before = len(_gutters(page, [page.lines[j] for j in current], x0, x1, h))
            after = len(_gutters(page, [page.lines[j] for j in current + [k]], x0, x1, h))
            if before >= 2 and after < 0.5 * before:
                blocks.append(current)
                current = []
        current.append(k)
    if current:
        blocks.append(current)
    return blocks


def _table_from_lines(page: Page, run: list[int], segs: list[list[list[int]]], h: float) -> Table | None:
    ids = [i for k in run for i in page.lines[k]]
    x0 = min(page.tokens[i].box[0] for i in ids)
    x1 = max(page.tokens[i].box[2] for i in ids)
    edges = [x0] + _gutters(page, [page.lines[k] for k in run], x0, x1, h) + [x1]
    if len(edges) < 3:
        return None
    cells: list[Cell] = []
    row_edges: list[float] = []
    for row, k in enumerate(run):
        row_edges.append(min(page.tokens[i].box[1] for i in page.lines[k]))
        for seg in segs[k]:
            sb = union([page.tokens[i].box for i in seg])
            cols = [c for c in range(len(edges) - 1) if sb[0] < edges[c + 1] and sb[2] > edges[c]]
            col = cols[0] if cols else 0
            cells.append(
                Cell(box=sb, row=row, col=col, col_span=max(1, len(cols)), tokens=sorted(seg, key=lambda i: page.tokens[i].box[0]))
            )
    row_edges.append(max(page.tokens[i].box[3] for i in page.lines[run[-1]]))
    return Table(
        box=union([c.box for c in cells]),
        ruled=False,
        row_edges=row_edges,
        col_edges=edges,
        cells=cells,
    )
