"""Table layout and pagination, done here so every character's page, box and field is known.

A document is a flow of ``Section``s (grids of rows; a title or a paragraph is a one-column
section). Sections stack down the page; a row that does not fit either moves to the next
page or, when it may split, leaves its first lines here and carries only the overflow
lines of each cell into a continuation row on the next page. Merged (rowspan) cells are
cut into one segment per page. Continuation pages may repeat the section's header rows
and carry a 续上页-style marker, as a line above the table or inside the merged columns.

Output: ``LaidPage``s holding draw operations (text lines, rules) and ``Glyph``s, one per
printed character with its box in points (top-left origin) and field label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

PAD_X = 2.5
PAD_Y = 2.0
EPS = 1e-6


@dataclass
class Glyph:
    text: str
    box: tuple[float, float, float, float]
    label: str
    cell: int  # cell instance id on the page (-1 outside tables); groups glyphs into true lines


@dataclass
class TextOp:
    x: float
    baseline: float
    size: float
    text: str


@dataclass
class RuleOp:
    x0: float
    y0: float
    x1: float
    y1: float
    width: float = 0.6


@dataclass
class LaidPage:
    number: int
    width: float
    height: float
    texts: list[TextOp] = field(default_factory=list)
    rules: list[RuleOp] = field(default_factory=list)
    glyphs: list[Glyph] = field(default_factory=list)
    cells: int = 0  # cell ids handed out so far


@dataclass
class Cell:
    col: int
    paras: list[str]
    label: str
    colspan: int = 1
    rowspan: int = 1
    halign: str = "left"  # left | center | right
    valign: str = "top"  # top | middle
    size: float | None = None  # font size, the section's when None
    tag: tuple | None = None  # what the cell holds in the truth, e.g. ("ind", form, row)
    continuation: str = "blank"  # a merged cell's later segments: blank | reprint | marker
    marker_text: str = "续上页"
    marker_label: str = "MARKER"


@dataclass
class Row:
    cells: list[Cell]
    min_height: float = 0.0
    splittable: bool = True
    tag: tuple | None = None  # ("ind", form, row) for indicator rows: pages are recorded per tag


@dataclass
class Section:
    col_widths: list[float]  # points
    rows: list[Row]
    ruled: bool = True
    size: float = 9.0
    line_gap: float = 1.3  # line height / font size
    rule_width: float = 0.6
    gap_before: float = 0.0
    header_rows: int = 0  # leading rows repeated on continuation pages when repeat_header
    repeat_header: bool = False
    marker: str | None = None  # a line above the continuation, e.g. 续上页
    marker_align: str = "left"
    keep_with_next: float = 0.0  # extra room wanted below the header and first body row, else start on a new page
    tag: tuple | None = None  # ("form", k) / ("other", k): pages recorded per tag
    outer_only: bool = False  # borderless variant: rules only above and below the header rows
    pad_x: float = PAD_X
    pad_y: float = PAD_Y


@dataclass
class PageSetup:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    footer: Callable[[int], str] | None = None  # page-number line printed under the body
    footer_size: float = 8.0

    @property
    def body_width(self) -> float:
        return self.width - self.left - self.right


Measure = Callable[[str, float], float]  # (one character, font size) → advance in points


def wrap(paras: list[str], width: float, size: float, measure: Measure) -> list[str]:
    """Break every paragraph at any character (CJK wraps anywhere) to fit width."""
    lines: list[str] = []
    for para in paras:
        line, used = "", 0.0
        for ch in para:
            w = measure(ch, size)
            if line and used + w > width + EPS:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += w
        lines.append(line)
    return lines


@dataclass
class _Frag:
    """A piece of a row on one page."""

    page: int
    y0: float
    y1: float
    lines: dict[int, list[str]]  # cell index → the lines drawn in this piece
    first: bool
    last: bool


class Layout:
    """Places sections on pages; ``run`` returns the pages and where each tagged row printed."""

    def __init__(self, setup: PageSetup, measure: Measure):
        self.setup = setup
        self.measure = measure
        self.pages: list[LaidPage] = []
        self.y = 0.0
        self.row_pages: dict[tuple, list[int]] = {}  # row tag → pages with printed text
        self.section_pages: dict[tuple, list[int]] = {}
        self._target: LaidPage | None = None  # the page being drawn on, when not the last
        self.fresh_y = 0.0  # where content starts on the current page (after markers/headers)
        self._new_page()

    # ------------------------------------------------------------------ pages
    @property
    def page(self) -> LaidPage:
        return self._target or self.pages[-1]

    @property
    def bottom(self) -> float:
        return self.setup.height - self.setup.bottom

    def _new_page(self) -> None:
        s = self.setup
        self.pages.append(LaidPage(number=len(self.pages) + 1, width=s.width, height=s.height))
        self.y = s.top
        self.fresh_y = s.top
        if s.footer is not None:
            text = s.footer(len(self.pages))
            w = sum(self.measure(c, s.footer_size) for c in text)
            self._text_line(text, (s.width - w) / 2, s.height - s.bottom + 14, s.footer_size, "O", -1)

    def _text_line(self, text: str, x: float, top: float, size: float, label: str, cell: int, line_h: float | None = None) -> None:
        """Draw one line whose line box starts at top; glyph boxes are the em boxes."""
        line_h = line_h or size * 1.3
        em_top = top + (line_h - size) / 2
        baseline = em_top + size * 0.88
        page = self.page
        page.texts.append(TextOp(x=x, baseline=baseline, size=size, text=text))
        cx = x
        for ch in text:
            w = self.measure(ch, size)
            if not ch.isspace():
                page.glyphs.append(Glyph(ch, (round(cx, 3), round(em_top, 3), round(cx + w, 3), round(em_top + size, 3)), label, cell))
            cx += w

    def space_left(self) -> float:
        return self.bottom - self.y

    def skip(self, gap: float) -> None:
        self.y = min(self.y + gap, self.bottom)

    def force_page(self) -> None:
        if self.y > self.fresh_y + EPS:
            self._new_page()

    # ------------------------------------------------------------------ sections
    def place(self, sec: Section) -> None:
        xs = [self.setup.left]
        for w in sec.col_widths:
            xs.append(xs[-1] + w)
        line_h = sec.size * sec.line_gap
        n = len(sec.rows)
        # wrapped lines and natural heights
        lines: list[dict[int, list[str]]] = []
        heights: list[float] = []
        for row in sec.rows:
            per: dict[int, list[str]] = {}
            h = row.min_height
            for k, cell in enumerate(row.cells):
                size = cell.size or sec.size
                width = xs[cell.col + cell.colspan] - xs[cell.col] - 2 * sec.pad_x
                per[k] = wrap(cell.paras, width, size, self.measure) if cell.paras else []
                if cell.rowspan == 1:
                    h = max(h, len(per[k]) * size * sec.line_gap + 2 * sec.pad_y)
            lines.append(per)
            heights.append(max(h, line_h + 2 * sec.pad_y))
        # merged cells: grow the last spanned row when the text needs more room
        for r, row in enumerate(sec.rows):
            for k, cell in enumerate(row.cells):
                if cell.rowspan > 1:
                    size = cell.size or sec.size
                    need = len(lines[r][k]) * size * sec.line_gap + 2 * sec.pad_y
                    last = min(n, r + cell.rowspan) - 1
                    have = sum(heights[r : last + 1])
                    if need > have:
                        heights[last] += need - have
        if sec.gap_before:
            if self.y > self.setup.top + EPS:
                self.skip(sec.gap_before)
        # no orphaned title or header rows: room for them and the first body row, or a new page
        lead = sum(heights[: sec.header_rows + 1]) + sec.keep_with_next
        if self.y > self.fresh_y + EPS and self.space_left() < min(lead, self.bottom - self.setup.top - 1):
            self._new_page()
        frags: list[list[_Frag]] = [[] for _ in range(n)]
        for r in range(n):
            self._place_row(sec, r, lines[r], heights[r], frags, xs, line_h)
        self._draw(sec, xs, lines, frags, line_h)
        if sec.tag is not None:
            pages = sorted({f.page for fr in frags for f in fr})
            self.section_pages.setdefault(sec.tag, [])
            self.section_pages[sec.tag] = sorted(set(self.section_pages[sec.tag]) | set(pages))

    def _place_row(self, sec: Section, r: int, cell_lines: dict[int, list[str]], height: float,
                   frags: list[list[_Frag]], xs: list[float], line_h: float) -> None:
        row = sec.rows[r]
        remaining = {k: list(v) for k, v in cell_lines.items() if row.cells[k].rowspan == 1}
        need = height
        first = True
        while True:
            avail = self.space_left()
            if need <= avail + EPS:
                frags[r].append(_Frag(self.page.number, self.y, self.y + need, remaining, first, True))
                self.y += need
                return
            at_top = self.y <= self.fresh_y + EPS  # a fresh page: moving the row gains nothing
            max_lines = max((len(v) for v in remaining.values()), default=0)
            fit = int((avail - 2 * sec.pad_y + EPS) // line_h)
            may_split = (row.splittable and r >= sec.header_rows) or at_top
            if may_split and 1 <= fit < max_lines:
                head = {k: v[:fit] for k, v in remaining.items()}
                frags[r].append(_Frag(self.page.number, self.y, self.bottom, head, first, False))
                remaining = {k: v[fit:] for k, v in remaining.items()}
                rest = max(len(v) for v in remaining.values())
                need = max(rest * line_h + 2 * sec.pad_y, line_h + 2 * sec.pad_y)
                first = False
            elif at_top:
                # taller than a page and unsplittable: print past the margin rather than loop
                frags[r].append(_Frag(self.page.number, self.y, self.y + need, remaining, first, True))
                self.y += need
                return
            self._continue_page(sec, r, frags, xs, line_h)

    def _continue_page(self, sec: Section, r: int, frags: list[list[_Frag]], xs: list[float], line_h: float) -> None:
        self._new_page()
        if not any(frags[: r + 1]):
            return  # the section has not started yet: nothing to continue
        if sec.marker:
            w = sum(self.measure(c, sec.size) for c in sec.marker)
            x = self.setup.left if sec.marker_align == "left" else self.setup.width - self.setup.right - w
            self._text_line(sec.marker, x, self.y, sec.size, "MARKER", -1)
            self.y += line_h + 2
        if sec.repeat_header and sec.header_rows and r >= sec.header_rows:
            self._draw_header_copy(sec, xs, line_h)
        self.fresh_y = self.y

    def _draw_header_copy(self, sec: Section, xs: list[float], line_h: float) -> None:
        """The header rows again at the top of a continuation page (merged cells clipped to them)."""
        heads = sec.rows[: sec.header_rows]
        heights = []
        for row in heads:
            h = row.min_height
            for c in row.cells:
                if c.rowspan == 1:
                    n = len(wrap(c.paras, xs[c.col + c.colspan] - xs[c.col] - 2 * sec.pad_x, c.size or sec.size, self.measure))
                    h = max(h, n * line_h + 2 * sec.pad_y)
            heights.append(max(h, line_h + 2 * sec.pad_y))
        for r, row in enumerate(heads):  # merged header cells need their text's room too
            for c in row.cells:
                last = min(len(heads), r + c.rowspan) - 1
                n = len(wrap(c.paras, xs[c.col + c.colspan] - xs[c.col] - 2 * sec.pad_x, c.size or sec.size, self.measure))
                need = n * line_h + 2 * sec.pad_y
                have = sum(heights[r : last + 1])
                if c.rowspan > 1 and need > have and last < len(heads):
                    heights[last] += need - have
        top = self.y
        for r, row in enumerate(heads):
            y0 = top + sum(heights[:r])
            for c in row.cells:
                last = min(len(heads), r + c.rowspan) - 1
                y1 = top + sum(heights[: last + 1])
                x0, x1 = xs[c.col], xs[c.col + c.colspan]
                size = c.size or sec.size
                ls = wrap(c.paras, x1 - x0 - 2 * sec.pad_x, size, self.measure)
                if c.rowspan > len(heads) - r:  # a merged column label running into the body: keep it blank here
                    ls = []
                self._cell_text(sec, c, ls, x0, x1, y0, y1, size, line_h, "middle")
                if sec.ruled:
                    self._box(x0, y0, x1, y1, sec.rule_width)
        bottom = top + sum(heights)
        if sec.outer_only:
            self.page.rules.append(RuleOp(xs[0], top, xs[-1], top, 0.8))
            self.page.rules.append(RuleOp(xs[0], bottom, xs[-1], bottom, 0.5))
        self.y = bottom

    # ------------------------------------------------------------------ drawing
    def _box(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.6) -> None:
        rules = self.page.rules
        rules += [RuleOp(x0, y0, x1, y0, width), RuleOp(x0, y1, x1, y1, width), RuleOp(x0, y0, x0, y1, width), RuleOp(x1, y0, x1, y1, width)]

    def _cell_text(self, sec: Section, cell: Cell, ls: list[str], x0: float, x1: float, y0: float, y1: float,
                   size: float, line_h: float, valign: str, label: str | None = None) -> None:
        self.page.cells += 1
        cid = self.page.cells
        block = len(ls) * line_h
        top = y0 + sec.pad_y if valign == "top" else y0 + max(sec.pad_y, (y1 - y0 - block) / 2)
        for i, text in enumerate(ls):
            w = sum(self.measure(c, size) for c in text)
            if cell.halign == "center":
                x = x0 + max(sec.pad_x, (x1 - x0 - w) / 2)
            elif cell.halign == "right":
                x = x1 - sec.pad_x - w
            else:
                x = x0 + sec.pad_x
            self._text_line(text, x, top + i * line_h, size, label or cell.label, cid, line_h)

    def _draw(self, sec: Section, xs: list[float], lines: list[dict[int, list[str]]], frags: list[list[_Frag]], line_h: float) -> None:
        by_page = {p.number: p for p in self.pages}
        for r, row in enumerate(sec.rows):
            for k, cell in enumerate(row.cells):
                x0, x1 = xs[cell.col], xs[cell.col + cell.colspan]
                size = cell.size or sec.size
                if cell.rowspan == 1:
                    for f in frags[r]:
                        self._target = by_page[f.page]  # draw on that page
                        ls = f.lines.get(k, [])
                        valign = cell.valign if f.first and f.last else "top"
                        self._cell_text(sec, cell, ls, x0, x1, f.y0, f.y1, size, line_h, valign)
                        if sec.ruled:
                            self._box(x0, f.y0, x1, f.y1, sec.rule_width)
                    continue
                # merged cell: one segment per page over the spanned rows' pieces
                spanned = [f for fr in frags[r : r + cell.rowspan] for f in fr]
                segments: dict[int, list[float]] = {}
                for f in spanned:
                    seg = segments.setdefault(f.page, [f.y0, f.y1])
                    seg[0], seg[1] = min(seg[0], f.y0), max(seg[1], f.y1)
                todo = list(lines[r][k])
                for n_seg, (page_no, (y0, y1)) in enumerate(sorted(segments.items())):
                    self._target = by_page[page_no]
                    if n_seg == 0:
                        room = max(1, int((y1 - y0 - 2 * sec.pad_y + EPS) // line_h))
                        if len(segments) == 1:
                            room = len(todo)
                        here, todo = todo[:room], todo[room:]
                        self._cell_text(sec, cell, here, x0, x1, y0, y1, size, line_h, cell.valign if not todo else "top")
                    elif todo:
                        room = max(1, int((y1 - y0 - 2 * sec.pad_y + EPS) // line_h))
                        if n_seg == len(segments) - 1:
                            room = len(todo)  # never drop text: the last segment takes the rest
                        here, todo = todo[:room], todo[room:]
                        self._cell_text(sec, cell, here, x0, x1, y0, y1, size, line_h, "top")
                    elif cell.continuation == "reprint":
                        self._cell_text(sec, cell, lines[r][k], x0, x1, y0, y1, size, line_h, cell.valign)
                    elif cell.continuation == "marker":
                        ms = wrap([cell.marker_text], x1 - x0 - 2 * sec.pad_x, size, self.measure)
                        self._cell_text(sec, cell, ms, x0, x1, y0, y1, size, line_h, "middle", label=cell.marker_label)
                    if sec.ruled:
                        self._box(x0, y0, x1, y1, sec.rule_width)
        if sec.outer_only:
            for r in range(sec.header_rows):
                for f in frags[r]:
                    self._target = by_page[f.page]
                    self.page.rules.append(RuleOp(xs[0], f.y0, xs[-1], f.y0, 0.8))
                    if r == sec.header_rows - 1:
                        self.page.rules.append(RuleOp(xs[0], f.y1, xs[-1], f.y1, 0.5))
            last = [f for f in frags[-1]] if frags else []
            if last:
                self._target = by_page[last[-1].page]
                self.page.rules.append(RuleOp(xs[0], last[-1].y1, xs[-1], last[-1].y1, 0.8))
        self._target = None
        for r, row in enumerate(sec.rows):
            if row.tag is None:
                continue
            printed = sorted({f.page for f in frags[r] if any(f.lines.get(k) for k in range(len(row.cells)))} or {f.page for f in frags[r]})
            self.row_pages[row.tag] = printed
