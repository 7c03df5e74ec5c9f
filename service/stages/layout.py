"""Layout: put every token into its table cell, and find borderless tables.

Ruled tables come from the ruling stage; here each token goes to the smallest cell
containing its centre. Tokens in no cell are grouped into text lines; runs of lines
that split into aligned segments become a borderless table (ruled=False) whose cells
are the segments stacked into cells, columns from the vertical gutters of the whole
run, rows from vertical spacing (see _borderless_rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


# Full-width punctuation is drawn small inside a full-width advance: its box leaves a gap.
OPENING_PUNCT = set("（《「『【〔“‘")
CLOSING_PUNCT = set("，。、；：！？）》」』】〕”’")
CENTRED_PUNCT = set("：；·")
PUNCT = OPENING_PUNCT | CLOSING_PUNCT | CENTRED_PUNCT


def _segments(page: Page, line: list[int], gap: float) -> list[list[int]]:
    segs: list[list[int]] = [[line[0]]]
    for prev, cur in zip(line, line[1:]):
        allowed = gap
        # Full-width punctuation sits anywhere in its square (fonts differ), so the gap
        # around it may look wide; no cell begins with closing punctuation.
        if page.tokens[prev].text[-1:] in CLOSING_PUNCT or page.tokens[cur].text[:1] in PUNCT:
            allowed += gap * 1.2
        if _glyph_gap(page, prev, cur) > allowed:
            segs.append([cur])
        else:
            segs[-1].append(cur)
    if len(segs) >= 4 and _letter_spaced(page, segs, gap / 0.45):
        return [list(line)]  # a spaced-out title or key (项 目 名 称), not columns
    return segs


def _glyph_gap(page: Page, left: int, right: int) -> float:
    a, b = page.tokens[left], page.tokens[right]
    gap = b.box[0] - a.box[2]
    if page.text_source != "ocr" and _ideograph(a.text) and _ideograph(b.text):
        # a text layer's boxes hug the ink: a narrow glyph (产 in a kaiti) leaves a gap that
        # its square, as wide as it is tall, fills
        square = [max(t.box[2] - t.box[0], t.box[3] - t.box[1]) for t in (a, b)]
        gap = min(gap, (b.box[0] + b.box[2]) / 2 - (a.box[0] + a.box[2]) / 2 - sum(square) / 2)
    return gap


def _letter_spaced(page: Page, segs: list[list[int]], h: float) -> bool:
    """Short pieces at an even pitch: one text printed with wide letter spacing (at most a
    few characters apart; short cells of a row, 长期 | 好 | 1 | 1, stand further apart)."""
    if any(sum(len(page.tokens[i].text.strip()) for i in seg) > 2 for seg in segs):
        return False
    gaps = [page.tokens[b[0]].box[0] - page.tokens[a[-1]].box[2] for a, b in zip(segs, segs[1:])]
    if max(gaps) > 3 * h:
        return False
    # two-character pieces come from a pitch with gaps of about one character
    mid = float(np.median(gaps))
    return all(abs(g - mid) <= 0.35 * mid + 2.0 for g in gaps) or max(gaps) <= 2.5 * min(gaps)


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

    # CJK glyphs are square, so a larger print is wider too; OCR boxes are only taller
    # (a detection box spans a wrapped cell's lines), so width decides where there are ideographs.
    ideographs = [i for line in page.lines for i in line if _ideograph(page.tokens[i].text)]
    w = float(np.median([page.tokens[i].box[2] - page.tokens[i].box[0] for i in ideographs])) if ideographs else 0.0

    def heading(k: int) -> bool:  # printed larger than the body: a title, never a table row
        tall = float(np.median([page.tokens[i].box[3] - page.tokens[i].box[1] for i in page.lines[k]])) > 1.3 * h
        own = [page.tokens[i].box[2] - page.tokens[i].box[0] for i in page.lines[k] if _ideograph(page.tokens[i].text)]
        # a lone glyph (the end of a wrapped cell) is measured as wide as its OCR box: no evidence
        return tall and (len(own) >= 2 and float(np.median(own)) > 1.25 * w or not own and len(page.lines[k]) >= 2)

    runs: list[list[int]] = []
    current: list[int] = []
    for k in range(len(page.lines)):
        apart = wide_paragraph(k) or heading(k)
        if apart or (current and tops[k] - bottoms[current[-1]] > 3.0 * h):
            if current:
                runs.append(current)
            current = [] if apart else [k]
            continue
        current.append(k)
    if current:
        runs.append(current)

    line_gap = _page_line_gap(page, segs, h)
    used: set[int] = set()
    for run in runs:
        for block in _blocks(page, run, segs, h):
            multi = [k for k in block if len(segs[k]) >= 2]
            if len(multi) < min_table_lines:
                continue
            block = _with_aligned_ends(page, block, multi, segs, h)
            wrapped_header = _header_lines_above(page, run, block, used, h)
            table = _table_from_lines(page, block, segs, h, wrapped_header, line_gap)
            if table is not None:
                page.tables.append(table)
                used.update(block + wrapped_header)
    if used:
        page.lines = [line for k, line in enumerate(page.lines) if k not in used]


def _ideograph(text: str) -> bool:
    return len(text) == 1 and "\u4e00" <= text <= "\u9fff"


def _gutters(page: Page, lines: list[list[int]], x0: float, x1: float, h: float, crossing: int = 0) -> list[float]:
    """Centres of the vertical strips no token of these lines covers.

    With ``crossing``, also strips that so many lines cover at most where three lines or
    more have text close by on either side: OCR reads two header cells close together as
    one (实际完成值分值) and that one line would hide the gutter of a whole column.
    """
    res = 0.5
    n = int((x1 - x0) / res) + 2
    covered = np.zeros(n, dtype=int)
    straddled = np.zeros(n, dtype=int)
    for line in lines:
        here = np.zeros(n, dtype=bool)
        for seg in _segments(page, line, 0.45 * h):  # a segment covers its whole width, punctuation gaps too
            b = _seg_box(page, seg)
            here[max(0, int((b[0] - x0) / res)) : int((b[2] - x0) / res) + 1] = True
        covered += here
        inside = np.flatnonzero(here)
        # the line's gaps between two of its segments, as narrow as a column's padding
        for a, b in zip(inside, inside[1:]):
            if 1 < b - a <= 4 * h / res:
                straddled[a + 1 : b] += 1
    min_gutter = max(2.0, 0.4 * h) / res

    def strips(free: np.ndarray, width: float) -> list[tuple[int, int]]:
        out, k = [], 0
        while k < n:
            if free[k]:
                start = k
                while k < n and free[k]:
                    k += 1
                if 0 < start and k < n and k - start >= width:
                    out.append((start, k))
                continue
            k += 1
        return out

    clear = strips(covered == 0, min_gutter)
    # a strip freed by the crossing lines adds a gutter inside a column, never widens one;
    # it is wider than a gap a text layer leaves between two glyphs of one word (产 出指标)
    crossed = [(a, b) for a, b in strips((covered <= crossing) & (straddled >= 3), 0.6 * h / res)
               if not any(a <= c0 and c1 <= b for c0, c1 in clear)] if crossing else []
    return sorted(x0 + (a + b) / 2 * res for a, b in clear + crossed)


def _blocks(page: Page, run: list[int], segs, h: float) -> list[list[int]]:
    """Split a run of lines where the column structure changes (header block, funds, goals, indicators).

    A line whose text runs across the block's gutters (a paragraph, a block with other
    columns), or whose gaps the block's text runs across, starts a new block.
    """
    x0 = min(page.tokens[i].box[0] for k in run for i in page.lines[k])
    x1 = max(page.tokens[i].box[2] for k in run for i in page.lines[k])
    blocks: list[list[int]] = []
    current: list[int] = []
    for k in run:
        # the columns of the last few lines with columns (one-segment lines say nothing of them)
        columned = [j for j in current if len(segs[j]) >= 2][-6:]
        if len(columned) < 2:
            # a row of many cells after paragraphs (the goals) that show too few columns to compare;
            # short pieces are no paragraphs (the rest of a row cut by the page break, above its table)
            if (len(current) >= 3 and len(segs[k]) >= 4 and max(len(segs[j]) for j in current) <= 3
                    and max(b[2] - b[0] for b in (_seg_box(page, seg) for j in current for seg in segs[j])) > 8 * h):
                blocks.append(current)
                current = []
        else:
            gutters = _gutters(page, [page.lines[j] for j in columned], x0, x1, h)
            spans = [_seg_box(page, seg) for seg in segs[k]]
            crossed = sum(any(b[0] < g < b[2] for b in spans) for g in gutters)
            within = sum(spans[0][0] < g < spans[-1][2] for g in gutters)
            # and the other way round: the block's text runs across this line's gaps
            # (all of a gap: in a column of centred text a wide cell above covers the middle
            # of the gap beside a narrow one, and leaves the gutter free)
            above = [_seg_box(page, seg) for j in columned for seg in segs[j]]
            gaps = [(a[2], b[0]) for a, b in zip(spans, spans[1:])]
            bridged = sum(_covered(above, g0, g1, max(2.0, 0.4 * h)) for g0, g1 in gaps)
            # (one narrow piece running across a gutter or two is a cell wrapped wider than
            # its column's other text, not a paragraph)
            narrow = len(spans) == 1 and spans[0][2] - spans[0][0] < 0.3 * (x1 - x0)
            # a row of two more cells than any of the block's (the funds' header under the
            # header block's key | value | key | value) starts a table of its own
            most = max(len(segs[j]) for j in columned)
            wider = most <= 4 and len(spans) >= max(5, most + 2)
            if (crossed >= 2 and crossed >= 0.5 * within and not narrow) or wider \
                    or (len(gaps) >= 4 and bridged >= 0.5 * len(gaps)):
                # The new block begins where the rows part: a line closer to this one than
                # to the line above it (a wrapped header's first line) goes with it.
                # Lines overlapping the next one in height by a fifth of a line or more are the
                # same row's cells printed at other heights (a header with wrapped cells): they
                # go along too. (Lines of paragraphs side by side touch, and stay.)
                moved: list[int] = []
                while current:
                    nxt = moved[0] if moved else k
                    if _gap(page, current[-1], nxt) < -0.2 * h:
                        moved.insert(0, current.pop())
                    elif len(current) >= 3 and len(moved) < 2 and _gap(page, current[-1], nxt) < _gap(page, current[-2], current[-1]) - 0.1 * h:
                        moved.insert(0, current.pop())
                    else:
                        break
                if current:
                    blocks.append(current)
                current = moved
        current.append(k)
    if current:
        blocks.append(current)
    return blocks


def _covered(spans: list[tuple[float, float, float, float]], x0: float, x1: float, hole: float) -> bool:
    """Do the spans cover x0..x1, leaving no strip as wide as ``hole`` (a gutter) free?"""
    reach = x0
    for b in sorted(spans):
        if b[0] >= x1:
            break
        if b[0] - reach >= hole:
            return False
        reach = max(reach, b[2])
        if reach >= x1:
            return True
    return x1 - reach < hole


def _with_aligned_ends(page: Page, block: list[int], multi: list[int], segs, h: float) -> list[int]:
    """The block from its first to its last multi-segment line, plus one-segment lines just
    beyond those that keep to its columns (the rest of a tall cell printed beside short ones)."""
    a, b = block.index(multi[0]), block.index(multi[-1])
    x0 = min(page.tokens[i].box[0] for k in multi for i in page.lines[k])
    x1 = max(page.tokens[i].box[2] for k in multi for i in page.lines[k])
    gutters = _gutters(page, [page.lines[k] for k in multi], x0, x1, h)

    # a cell wider than its column's other text wraps over lines of its own inside the block
    inner = [union([page.tokens[i].box for i in page.lines[k]]) for k in block[a : b + 1] if len(segs[k]) == 1]

    def fits(k: int, neighbour: int) -> bool:
        box = union([page.tokens[i].box for i in page.lines[k]])
        near = abs(_gap(page, k, neighbour) if k < neighbour else _gap(page, neighbour, k)) <= 1.0 * h
        in_columns = x0 - h <= box[0] and box[2] <= x1 + h and not any(box[0] < g < box[2] for g in gutters)
        like_inner = any(abs(box[0] - o[0]) <= 0.5 * h and box[2] <= o[2] + h for o in inner)
        return near and (in_columns or like_inner)

    while a > 0 and fits(block[a - 1], block[a]):
        a -= 1
    while b < len(block) - 1 and fits(block[b + 1], block[b]):
        b += 1
    return block[a : b + 1]


def _header_lines_above(page: Page, run: list[int], block: list[int], used: set[int], h: float) -> list[int]:
    """Lines just above the block that overlap its first row by a quarter line or more: the
    upper lines of header cells wrapped over two or three lines while their neighbours have
    one ("指标得" over "分（分）", the others centred between). Wider than their column, they
    may run across a gutter, so they join the table without shaping its columns."""
    above: list[int] = []
    k = run.index(block[0])
    x0 = min(page.tokens[i].box[0] for j in block for i in page.lines[j])
    x1 = max(page.tokens[i].box[2] for j in block for i in page.lines[j])
    while k > 0:
        upper, lower = run[k - 1], (above[0] if above else block[0])
        if upper in used:
            break
        box = _seg_box(page, page.lines[upper])
        if _gap(page, upper, lower) > -0.25 * h or box[0] < x0 - h or box[2] > x1 + h:
            break
        above.insert(0, upper)
        k -= 1
    return above


def _seg_box(page: Page, seg: list[int]) -> tuple[float, float, float, float]:
    return union([page.tokens[i].box for i in seg])


def _gap(page: Page, upper: int, lower: int) -> float:
    return min(page.tokens[i].box[1] for i in page.lines[lower]) - max(page.tokens[i].box[3] for i in page.lines[upper])


def _page_line_gap(page: Page, segs: list[list[list[int]]], h: float) -> float | None:
    """The gap between two lines of one paragraph or cell on this page, centre to centre
    less a character height (as `_borderless_rows` measures OCR boxes): the lowest cluster
    of the distances from each text segment to the next one below it. Print styles space
    lines from 1.15 to 1.5 times the type size, and OCR boxes are taller than the type, so
    the gap says more than any fixed share of the character height. Rows of a table are
    as close on some pages: a pitch that three columns show at the same height is two
    rows', not a wrapped cell's, and is left out. None where the page shows no such lines."""
    boxes = [(k, _seg_box(page, seg)) for k, line_segs in enumerate(segs) for seg in line_segs]
    pairs = []
    for k, b in boxes:
        below = [d for j, d in boxes if j > k and d[1] > b[1]
                 and min(b[2], d[2]) - max(b[0], d[0]) > 0.5 * min(b[2] - b[0], d[2] - d[0])]
        if below:
            d = min(below, key=lambda box: box[1])
            pairs.append(((b[1] + b[3]) / 2, (d[1] + d[3]) / 2))

    def row_pitch(upper: float, lower: float) -> bool:
        # two table rows, seen in three columns or more at once (a cell wraps in one or two)
        return sum(abs(u - upper) < 0.3 * h and abs(v - lower) < 0.3 * h for u, v in pairs) >= 3

    pitches = sorted(p for p in ((v - u) / h for u, v in pairs if not row_pitch(u, v)) if 0.8 <= p <= 2.5)
    # the lowest five or more within 0.15 of a character of each other (a stray few are noise)
    cluster = next((c for c in ([q for q in pitches if p <= q <= p + 0.15] for p in pitches) if len(c) >= 5), None)
    if cluster is None:
        return None
    gap = (float(np.median(cluster)) - 1.0) * h
    return gap if gap <= 0.6 * h else None


def _table_from_lines(
    page: Page, run: list[int], segs: list[list[list[int]]], h: float, loose: Sequence[int] = (),
    line_gap: float | None = None,
) -> Table | None:
    """A table of the lines ``run`` with columns at their gutters; each segment of the
    ``loose`` lines (above the run) goes to the column holding most of it."""
    ids = [i for k in run for i in page.lines[k]]
    x0 = min(page.tokens[i].box[0] for i in ids)
    x1 = max(page.tokens[i].box[2] for i in ids)
    shaping = _column_shaping(page, run, segs, x0, x1, h)
    edges = [x0] + _gutters(page, [page.lines[k] for k in shaping], x0, x1, h, crossing=1) + [x1]
    if len(edges) < 3:
        return None
    pieces: list[_Piece] = []
    for k in list(loose) + run:
        for seg in segs[k]:
            sb = _seg_box(page, seg)
            cols = [c for c in range(len(edges) - 1) if sb[0] < edges[c + 1] and sb[2] > edges[c]]
            if k in loose and cols:
                overlap = [min(sb[2], edges[c + 1]) - max(sb[0], edges[c]) for c in cols]
                cols = [cols[int(np.argmax(overlap))]]
            pieces.append(_Piece(cols[0] if cols else 0, max(1, len(cols)), sb, list(seg)))
    cells, row_edges = _borderless_rows(page, pieces, h, line_gap)
    return Table(box=union([c.box for c in cells]), ruled=False, row_edges=row_edges, col_edges=edges, cells=cells)


def _column_shaping(page: Page, run: list[int], segs: list[list[list[int]]], x0: float, x1: float, h: float) -> list[int]:
    """The lines whose gaps give the table its columns: all but the summary rows (总分,
    自评等级) at its foot, whose labels are centred over merged cells and so run across a
    gutter of the lines above them. They are the lines below the last line with most of
    the columns that keeps to those gutters; a summary row may show most columns itself
    (自评总分 | 100 | / | 89.07 | /), so the last few such lines are tested too."""
    most = max(len(segs[k]) for k in run)
    full = [n for n, k in enumerate(run) if len(segs[k]) >= 0.6 * most]

    def between(g: float, spans: list) -> bool:  # text on either side of the gutter
        return any(b[2] < g for b in spans) and any(g < b[0] for b in spans)

    def gutters(lines: list[int]) -> list[float]:
        # a gutter only one line shows may be a gap inside a cell ("项目 资金" over "（万元）")
        upper = [[_seg_box(page, seg) for seg in segs[k]] for k in lines]
        return [g for g in _gutters(page, [page.lines[k] for k in lines], x0, x1, h)
                if sum(between(g, spans) for spans in upper) >= 2]

    def crosses(k: int, gutters: list[float]) -> bool:
        spans = [_seg_box(page, seg) for seg in segs[k]]
        return any(b[0] < g < b[2] for b in spans for g in gutters)

    last = full[-1]
    for n in reversed(full[-3:]):
        if n < 2 or not crosses(run[n], gutters(run[:n])):
            last = n
            break
    kept = gutters(run[: last + 1])
    return run[: last + 1] + [k for k in run[last + 1 :] if not crosses(k, kept)]


@dataclass
class _Piece:
    """A text segment of one line in a borderless table, or several stacked into a cell."""

    col: int
    col_span: int
    box: tuple[float, float, float, float]
    tokens: list[int]
    last_centre: float = 0.0  # the vertical centre of its lowest line
    first_centre: float = 0.0  # and of its highest

    def __post_init__(self) -> None:
        self.last_centre = self.last_centre or self.centre
        self.first_centre = self.first_centre or self.centre

    @property
    def centre(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    def absorb(self, lower: "_Piece") -> None:
        """Take the piece below as this cell's next lines."""
        self.box = union([self.box, lower.box])
        self.last_centre = lower.last_centre
        self.tokens += lower.tokens
        self.col_span = max(self.col_span, lower.col_span)

    def core(self, margin: float) -> tuple[float, float]:
        """Top and bottom of its text by line centres: OCR boxes of the lines of two rows
        printed close together overlap, where their centres stay a row apart."""
        return self.first_centre - margin, self.last_centre + margin


def _borderless_rows(page: Page, pieces: list[_Piece], h: float, line_gap: float | None = None) -> tuple[list[Cell], list[float]]:
    """Stack a column's lines into cells and cells into rows, from vertical spacing alone.

    Lines of one cell sit one line pitch apart; rows are further apart (cell padding).
    Rows are the runs of overlapping cells. A cell beside two stacked cells of another
    column (or beside none, in such a column) is merged over rows (一级指标 printed once, centred beside its
    indicators) and joins no run: its column is divided into consecutive blocks, each
    centred on (or topped by) its text.
    """
    by_col: dict[int, list[_Piece]] = {}
    for piece in sorted(pieces, key=lambda p: p.box[1]):
        by_col.setdefault(piece.col, []).append(piece)
    # A text layer's boxes are exact. OCR boxes grow and shrink with the detector's padding
    # while their centres hardly move: there, gaps run centre to centre less a character height.
    scanned = page.text_source == "ocr"

    def gap(upper: _Piece, lower: _Piece) -> float:
        return lower.centre - upper.last_centre - h if scanned else lower.box[1] - upper.box[3]

    def overlap(a: _Piece, b: _Piece) -> bool:
        return min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]) > 0

    # from each line to the next one below it that shares some width (a key and its value
    # side by side in one column each have their own)
    gaps = []
    for col in by_col.values():
        for n, a in enumerate(col):
            b = next((b for b in col[n + 1 :] if b.box[1] > a.box[1] and overlap(a, b)), None)
            if b is not None:
                gaps.append(gap(a, b))
    limit = _noisy_cell_gap(gaps, h, line_gap) if scanned else _cell_gap(gaps, h, line_gap)
    stacked: dict[int, list[_Piece]] = {}
    for col, column in by_col.items():
        cells: list[_Piece] = []
        for piece in column:
            # the cell just above with which the line shares some width (side-by-side segments stay apart)
            above = [
                c for c in cells
                if min(c.box[2], piece.box[2]) - max(c.box[0], piece.box[0]) > 0
                and -0.5 * h < gap(c, piece) <= limit
            ]
            if above:
                last = max(above, key=lambda c: c.box[3])
                last.absorb(piece)
            else:
                cells.append(_Piece(piece.col, piece.col_span, piece.box, list(piece.tokens)))
        stacked[col] = sorted(cells, key=lambda c: (c.box[1], c.box[0]))
    if scanned:
        _join_wrapped_ends(stacked, gap, h)
    cells = [c for col in stacked.values() for c in col]
    margin = 0.3 * h if scanned else 0.5 * h
    spanning = {id(c) for c in cells if _spans_rows(c, cells)}
    merged_cols = {c.col for c in cells if id(c) in spanning}
    # in a column merged over rows, a cell beside nothing sits centred between rows
    spanning |= {id(c) for c in cells if c.col in merged_cols and not _beside(c, cells)}
    bands = _bands([c.core(margin) for c in cells if id(c) not in spanning])
    # A left column with text beside fewer than half the rows holds merged categories even
    # where each text happens to sit beside one row only (centred over three, say); its
    # text then makes no row of its own.
    left = sorted(stacked)[:2]
    merged_left = {col for col in left if len(bands) >= 4 and 2 * len(stacked[col]) < len(bands)}
    if merged_left - merged_cols:
        merged_cols |= merged_left
        bands = _bands([c.core(margin) for c in cells if id(c) not in spanning and c.col not in merged_left])
    if not bands:
        bands = [[min(c.core(margin)[0] for c in cells), max(c.core(margin)[1] for c in cells)]]
    # the first row with text in most columns, of the first two (the second under a 续表 line):
    # the header (or a body row, where it makes no difference)
    header = next((k for k, (t, b) in enumerate(bands[:2])
                   if 2 * len({c.col for c in cells if t - 1 <= c.core(margin)[0] < b}) >= max(len(stacked), 6)), None)
    rows: dict[int, list[tuple[_Piece, int]]] = {}
    # right to left: a category's block is cut where its subcategories' blocks are (一级 over 二级)
    for col, column in sorted(stacked.items(), reverse=True):
        if col in merged_cols:
            inner = {k for _, k in rows.get(col + 1, [])} if col + 1 in merged_cols else None
            rows[col] = list(zip(column, _merged_blocks(column, bands, margin, header, inner)))
        else:
            rows[col] = [(c, next(k for k, (t, b) in enumerate(bands) if c.core(margin)[0] < b + 1e-6 or k == len(bands) - 1))
                         for c in column]
    out = [
        Cell(
            box=cell.box,
            row=k,
            col=cell.col,
            col_span=cell.col_span,
            tokens=[i for line in group_lines(page.tokens, cell.tokens) for i in line],
        )
        for placed in rows.values()
        for cell, k in placed
    ]
    out.sort(key=lambda c: (c.row, c.box[0]))
    return out, [t for t, _ in bands] + [bands[-1][1]]


def _join_wrapped_ends(stacked: dict[int, list[_Piece]], gap, h: float) -> None:
    """Join to the cell above it a cell of a few glyphs that nothing of another column
    stands beside and that lies nearer to that cell than to the next one below: the last
    line of a wrapped cell (设备数 / 量), which OCR jitter set a little too far for
    `_noisy_cell_gap`."""
    def alone(c: _Piece) -> bool:
        return not any(min(o.box[3], c.box[3]) - max(o.box[1], c.box[1]) > 0
                       for col, column in stacked.items() if col != c.col for o in column)

    def under(a: _Piece, b: _Piece) -> bool:
        return min(a.box[2], b.box[2]) - max(a.box[0], b.box[0]) > 0

    for column in stacked.values():
        k = 1
        while k < len(column):
            upper, cell = column[k - 1], column[k]
            below = next((b for b in column[k + 1 :] if under(cell, b)), None)
            near = gap(upper, cell)
            if (len(cell.tokens) <= 3 and under(upper, cell) and near <= 0.75 * h and alone(cell)
                    and (below is None or near < gap(cell, below) - 0.2 * h)):
                upper.absorb(cell)
                del column[k]
                continue
            k += 1


def _bands(spans: list[tuple[float, float]]) -> list[list[float]]:
    """The rows: runs of overlapping spans, top to bottom."""
    bands: list[list[float]] = []
    for top, bottom in sorted(spans):
        if bands and top < bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], bottom)
        else:
            bands.append([top, bottom])
    return bands


def _beside(cell: _Piece, cells: list[_Piece]) -> dict[int, list[_Piece]]:
    """Cells of other columns that share some height with this one, by column."""
    out: dict[int, list[_Piece]] = {}
    for other in cells:
        if other.col != cell.col and min(other.box[3], cell.box[3]) - max(other.box[1], cell.box[1]) > 0:
            out.setdefault(other.col, []).append(other)
    return out


def _spans_rows(cell: _Piece, cells: list[_Piece]) -> bool:
    """Printed once beside several rows: it shares height with two stacked cells of another column."""
    for column in _beside(cell, cells).values():
        column.sort(key=lambda c: c.box[1])
        if any(b.box[1] >= a.box[3] for a, b in zip(column, column[1:])):
            return True
    return False


def _cell_gap(gaps: list[float], h: float, line_gap: float | None = None) -> float:
    """The largest vertical gap between two lines of one cell.

    Line gaps inside cells are all alike (one pitch); gaps between rows are larger by the
    cell padding. The first clear jump in the sorted gaps separates the two. Without one,
    gaps under 0.6 of a character height are line gaps. A table of one-line rows (a header
    block) shows only row gaps, at two paddings: where the page's own line gap
    (`_page_line_gap`) is narrower than the lower group, that group is rows too.
    """
    ordered = sorted(g for g in gaps if g > -0.5 * h)
    jump = max(1.5, 0.2 * h)
    widest_line_gap = line_gap + 0.2 * h if line_gap is not None else 0.9 * h
    for a, b in zip(ordered, ordered[1:]):
        if b - a >= jump:
            return (a + b) / 2 if a <= widest_line_gap else min(ordered[0], widest_line_gap) - 0.01
    # all alike: lines of paragraphs (stacked) or rows of single lines (apart)
    return 0.6 * h


def _noisy_cell_gap(gaps: list[float], h: float, line_gap: float | None = None) -> float:
    """`_cell_gap` for OCR boxes, whose jitter fills the jump between line and row gaps.

    The gaps up to a character height still fall into the two groups; the best two-way
    split of them (Otsu's) separates the groups when they are far apart for their spread.
    Its lower group must be line gaps: no wider than the page's own (``line_gap``, see
    `_page_line_gap`) by a fifth of a character, or without that measure, 0.6 of one.
    """
    most = line_gap + 0.2 * h if line_gap is not None else 0.6 * h
    ordered = sorted(g for g in gaps if -0.5 * h < g <= 1.0 * h)
    values = np.array(ordered)
    best, split = 0.0, None
    for k in range(1, len(values)):
        score = k * (len(values) - k) * (values[k:].mean() - values[:k].mean()) ** 2
        if score > best:
            best, split = score, k
    if split is not None:
        low, high = values[:split], values[split:]
        spread = max(float(np.sqrt((low.var() * len(low) + high.var() * len(high)) / len(values))), 0.05 * h)
        if high.mean() - low.mean() >= max(1.5, 0.2 * h, 3 * spread) and low.mean() <= most:
            return float(low[-1] + high[0]) / 2
    return most


def _merged_blocks(
    cells: list[_Piece], bands: list[list[float]], margin: float, header: int | None = None, inner: set[int] | None = None,
) -> list[int]:
    """The first row of each cell of a column merged over rows.

    The column's rows are cut into consecutive blocks, one per cell, each cell centred in
    its block (or at its top, for top-aligned printing); rows above the first block (continued
    from the previous page) and below the last (totals) belong to none. Chosen by dynamic programming over block ends.
    Centring alone leaves several cuts alike (a block one row later and one row longer);
    the first rows of the blocks of the column to the right (``inner``: the subcategories)
    are where a category's block may begin at no extra cost. A cell in the ``header`` row
    (二级指标) takes that row alone.
    """
    n, m = len(bands), len(cells)
    if m > n:
        return [min(range(n), key=lambda k: abs((bands[k][0] + bands[k][1]) / 2 - c.centre)) for c in cells]
    top, bottom = cells[0].core(margin)
    if header is not None and m >= 2 and n >= header + 2 and bands[header][0] - 1 <= top and bottom <= bands[header][1] + 1:
        # printed within the header row (二级指标): it holds no block of body rows, whose
        # first rows may continue a category from the previous page
        rest = {k - header - 1 for k in inner if k > header} if inner is not None else None
        return [header] + [s + header + 1 for s in _merged_blocks(cells[1:], bands[header + 1 :], margin, inner=rest)]
    best: list[int] | None = None
    best_cost = float("inf")
    # rows before the first block or after the last (a block continued from the previous
    # page, a total row) cost a little, so that a centred text takes its whole block
    row = float(np.median([b - t for t, b in bands]))
    free = 0.1 * row
    for aligned in ("middle", "top"):
        def cost(c: _Piece, s: int, e: int) -> float:
            off = 0.0 if inner is None or s in inner else row
            if aligned == "top":
                return off + abs(bands[s][0] - c.core(margin)[0])
            return off + abs((bands[s][0] + bands[e][1]) / 2 - c.centre)

        # table[j][s]: least cost placing cells j.. with cell j's block starting at row s
        inf = float("inf")
        table = [[inf] * (n + 1) for _ in range(m + 1)]
        choice = [[0] * (n + 1) for _ in range(m + 1)]
        table[m][n] = 0.0
        for j in range(m - 1, -1, -1):
            for s in range(n - 1, -1, -1):
                for nxt in range(s + 1, n + 1):
                    rest = table[j + 1][nxt] if j + 1 < m else free * (n - nxt)
                    if rest == inf:
                        continue
                    total = cost(cells[j], s, nxt - 1) + rest
                    if total < table[j][s]:
                        table[j][s], choice[j][s] = total, nxt
        start = min(range(n), key=lambda s: table[0][s] + free * s)
        # most forms centre their merged cells: top alignment must fit twice as well
        total = (table[0][start] + free * start) * (2.0 if aligned == "top" else 1.0)
        if total < best_cost:
            best_cost, starts, s = total, [], start
            for j in range(m):
                starts.append(s)
                s = choice[j][s]
            best = starts
    return best or [0] * m
