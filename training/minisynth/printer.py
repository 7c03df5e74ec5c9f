"""The printer: lays forms out on pages and draws the digital PDF, recording every character.

Layout is done here, not by a PDF library, because the ground truth needs to know where
each character lands and which field it belongs to, and because real pagination (rows
split at the page break, long cells running on, headers repeated or not, 续上页
markers) is the point of the exercise. Each block of a form is a ruled grid; blocks touch,
so the page shows one table, as printed forms do.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from service.contract import Form, FormType
from service.labels import FieldLabel as L

from .forms import FONTS, FUND_LAYOUTS, Style

PAD = 3.0  # cell padding (points)
OPS = re.compile(r"^([≥≤=<>＞＜]+)?(\d+(?:\.\d+)?)?(.*)$")


@dataclass
class Char:
    text: str
    box: tuple[float, float, float, float]
    label: str


@dataclass
class PageRecord:
    width: float
    height: float
    chars: list[Char] = field(default_factory=list)
    rects: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass
class CellText:
    """What one cell prints: wrapped lines, and the label every character gets."""

    text: str
    label: L
    align: str = "left"  # left | center


class Printer:
    """Accumulates pages; `flush_pdf` draws them with fpdf2."""

    _fonts_cache: dict = {}

    def __init__(self, style: Style, rng: random.Random):
        self.style = style
        self.rng = rng
        self.width, self.height = (842.0, 595.0) if style.landscape else (595.0, 842.0)
        self.margin = rng.uniform(36, 56)
        self.top = self.margin + rng.uniform(0, 14)
        self.bottom = self.height - self.margin
        self.pages: list[PageRecord] = []
        self.y = self.top
        self.size = style.size
        self.line_h = style.size * 1.32
        from fpdf import FPDF

        self.measure = FPDF(unit="pt")
        path, index = FONTS[style.font]
        self.measure.add_font("f", fname=path, collection_font_number=index)
        self.measure.set_font("f", size=self.size)
        self._widths: dict[str, float] = {}

    # -- pages and text
    @property
    def page_no(self) -> int:
        return len(self.pages)

    def new_page(self) -> None:
        self.pages.append(PageRecord(self.width, self.height))
        self.y = self.top

    def char_width(self, ch: str) -> float:
        w = self._widths.get(ch)
        if w is None:
            w = self.measure.get_string_width(ch)
            self._widths[ch] = w
        return w

    def wrap(self, text: str, width: float) -> list[str]:
        lines, cur, cur_w = [], "", 0.0
        for ch in text:
            w = self.char_width(ch)
            if cur and cur_w + w > width:
                lines.append(cur)
                cur, cur_w = "", 0.0
            cur += ch
            cur_w += w
        if cur:
            lines.append(cur)
        return lines

    def put_line(self, text: str, x: float, top: float, label: L, page: PageRecord | None = None) -> None:
        page = page or self.pages[-1]
        for ch in text:
            w = self.char_width(ch)
            if not ch.isspace():
                page.chars.append(Char(ch, (round(x, 2), round(top, 2), round(x + w, 2), round(top + self.size, 2)), label.value))
            x += w

    def put_lines(self, lines: list[str], box, label: L, align: str = "left", valign: str = "top", page: PageRecord | None = None) -> None:
        x0, y0, x1, y1 = box
        block_h = len(lines) * self.line_h
        top = y0 + PAD if valign == "top" else y0 + max(PAD, (y1 - y0 - block_h) / 2)
        for k, line in enumerate(lines):
            lw = sum(self.char_width(c) for c in line)
            x = x0 + PAD if align == "left" else x0 + max(PAD, (x1 - x0 - lw) / 2)
            self.put_line(line, x, top + k * self.line_h + (self.line_h - self.size) / 2, label, page)

    def free_line(self, text: str, label: L, align: str = "center", size_factor: float = 1.0, gap: float = 4.0) -> None:
        if self.y + self.line_h * size_factor > self.bottom:
            self.new_page()
        lw = sum(self.char_width(c) for c in text) * size_factor
        x = (self.width - lw) / 2 if align == "center" else self.margin
        saved = self.size
        self.size = saved * size_factor
        page = self.pages[-1]
        for ch in text:
            w = self.char_width(ch) * size_factor
            if not ch.isspace():
                page.chars.append(Char(ch, (round(x, 2), round(self.y, 2), round(x + w, 2), round(self.y + self.size, 2)), label.value))
            x += w
        self.size = saved
        self.y += self.line_h * size_factor + gap

    # -- grids
    def row_height(self, cells: list[tuple[float, float, CellText | None]]) -> tuple[float, list[list[str]]]:
        wrapped = [self.wrap(c.text, x1 - x0 - 2 * PAD) if c else [] for x0, x1, c in cells]
        n = max((len(w) for w in wrapped), default=1)
        pad = PAD * (2 if self.style.ruled else 2.6)
        return max(1, n) * self.line_h + pad, wrapped

    def draw_row(self, cells, wrapped, height: float, valign: str | None = None) -> None:
        for (x0, x1, cell), lines in zip(cells, wrapped):
            box = (x0, self.y, x1, self.y + height)
            if self.style.ruled:
                self.pages[-1].rects.append(box)
            if cell and lines:
                self.put_lines(lines, box, cell.label, cell.align, valign or self.style.valign)
        self.y += height

    def grid_row(self, cells: list[tuple[float, float, CellText | None]], min_height: float = 0.0) -> None:
        """An atomic row: moves to a new page first when it does not fit."""
        height, wrapped = self.row_height(cells)
        height = max(height, min_height)
        if self.y + height > self.bottom:
            self.new_page()
        self.draw_row(cells, wrapped, height)


def columns(x0: float, width: float, weights: list[float]) -> list[tuple[float, float]]:
    total = sum(weights)
    xs = [x0]
    for w in weights:
        xs.append(xs[-1] + width * w / total)
    return list(zip(xs, xs[1:]))


def printed(value, dash: str) -> str:
    if value is None:
        return dash
    if isinstance(value, float):
        return f"{value:.2f}" if value != int(value) or dash == "——" else f"{int(value)}"
    return str(value)


class FormPrinter:
    """Prints one form through a Printer; updates the truth with what was printed."""

    def __init__(self, printer: Printer, form: Form, rng: random.Random):
        self.p = printer
        self.form = form
        self.rng = rng
        self.style = printer.style
        self.x0 = printer.margin
        self.width = printer.width - 2 * printer.margin
        self.split_rows = 0

    def print(self) -> None:
        p, form = self.p, self.form
        start_page = p.page_no
        p.free_line(form.title or "", L.title, size_factor=1.6, gap=2)
        p.free_line(f"（{form.year}年度）", L.title, gap=6)
        self._header_block()
        self._funds_block()
        self._goals_block()
        self._indicator_table()
        if self.rng.random() < 0.3:
            p.y += 6
            for line in self.rng.sample(
                ["评价结论：项目总体完成情况良好，达到预期绩效目标。", "存在问题：部分指标量化程度有待提高。", "改进措施：进一步加强绩效目标管理。"], 2
            ):
                p.free_line(line, L.other, align="left", gap=2)
            p.free_line(f"项目负责人：{self.form.project_lead}    财务负责人：        填表人：", L.other, align="left")
        form.pages = list(range(start_page, p.page_no + 1))

    def _kv(self, key: str, value: str | None, label: L):
        return [CellText(key, L.key, "center"), CellText(printed(value, self.style.dash) if value else self.style.dash, label if value else label)]

    def _header_block(self) -> None:
        form, p = self.form, self.p
        cols = columns(self.x0, self.width, [1.1, 2.0, 1.1, 2.0])
        if form.form_type is FormType.project:
            rows = [
                [("项目名称", form.project_name, L.project_name)],
                [("主管部门", form.department, L.department), ("实施单位", form.implementing_unit, L.implementing_unit)],
                [("项目负责人", form.project_lead, L.project_lead), ("联系电话", form.contact_phone, L.contact_phone)],
            ]
        else:
            rows = [[("部门名称", form.project_name, L.project_name)]]
            if form.department:
                rows.append([("主管部门", form.department, L.department), ("财政处室", self.rng.choice(["行政政法处", "教科文处", "经济建设处"]), L.other)])
            rows.append([(self.rng.choice(["部门联系人", "联系人"]), form.project_lead, L.project_lead), ("联系电话", form.contact_phone, L.contact_phone)])
        for row in rows:
            cells = []
            if len(row) == 1:
                key, value, label = row[0]
                cells = [(cols[0][0], cols[0][1], CellText(key, L.key, "center")), (cols[1][0], cols[3][1], CellText(value or "", label))]
            else:
                for k, (key, value, label) in enumerate(row):
                    kc, vc = cols[2 * k], cols[2 * k + 1]
                    cells += [(kc[0], kc[1], CellText(key, L.key, "center")), (vc[0], vc[1], CellText(value or "", label))]
            p.grid_row(cells)

    def _funds_block(self) -> None:
        p, form, style = self.p, self.form, self.style
        layout = FUND_LAYOUTS[style.fund_layout]
        weights = [0.9, 2.0] + [1.0] * len(layout)
        cols = columns(self.x0, self.width, weights)
        labels = {"initial_budget": L.fund_initial, "annual_budget": L.fund_annual, "executed": L.fund_executed,
                  "weight": L.fund_weight, "execution_rate": L.fund_rate, "score": L.fund_score}
        rows = [[None, CellText("", L.other)] + [CellText(h, L.key, "center") for _, h in layout]]
        for k, fund in enumerate(form.funds):
            item = fund.item if k == 0 or self.rng.random() < 0.5 else ("其中：" if k == 1 else "") + fund.item
            cells = [None, CellText(item, L.fund_item)]
            for key, _ in layout:
                value = getattr(fund, key)
                text = (f"{value:.2f}%" if key == "execution_rate" else _money(value)) if value is not None else style.dash
                cells.append(CellText(text, labels[key], "center"))
            rows.append(cells)
        if "initial_budget" not in dict(layout):
            for fund in form.funds:
                fund.initial_budget = None
        heights = [p.row_height([(c[0], c[1], t) for c, t in zip(cols, r)]) for r in rows]
        total = sum(h for h, _ in heights)
        if p.y + total > p.bottom:
            p.new_page()
        top = p.y
        for (h, wrapped), r in zip(heights, rows):
            p.draw_row([(c[0], c[1], t) for c, t in zip(cols[1:], r[1:])], wrapped[1:], h)
        left = (cols[0][0], top, cols[0][1], p.y)
        if style.ruled:
            p.pages[-1].rects.append(left)
        p.put_lines(p.wrap("项目资金（万元）", cols[0][1] - cols[0][0] - 2 * PAD), left, L.key, "center", "middle")

    def _goals_block(self) -> None:
        p, form = self.p, self.form
        cols = columns(self.x0, self.width, [0.9, 3.0, 3.0])
        header = [(cols[1][0], cols[1][1], CellText("预期目标", L.key, "center")), (cols[2][0], cols[2][1], CellText("实际完成情况", L.key, "center"))]
        body = [(cols[1][0], cols[1][1], CellText(form.goals.expected or "", L.goal_expected)),
                (cols[2][0], cols[2][1], CellText(form.goals.actual or "", L.goal_actual))]
        h1, w1 = p.row_height(header)
        h2, w2 = p.row_height(body)
        if p.y + h1 + h2 > p.bottom:
            p.new_page()
        top = p.y
        p.draw_row(header, w1, h1)
        p.draw_row(body, w2, h2)
        left = (cols[0][0], top, cols[0][1], p.y)
        if self.style.ruled:
            p.pages[-1].rects.append(left)
        p.put_lines(p.wrap("年度总体目标", cols[0][1] - cols[0][0] - 2 * PAD), left, L.key, "center", "middle")

    # -- the indicator table, with pagination
    def _indicator_table(self) -> None:
        p, form, style, rng = self.p, self.form, self.style, self.rng
        from .forms import COLUMN_ORDERS

        order = COLUMN_ORDERS[style.column_order]
        for missing in ("level1", "level2", "deviation"):
            if missing not in order:
                for ind in form.indicators:
                    setattr(ind, missing, None)  # not printed, so not in the truth
        col_w = {"level1": 1.0, "level2": 1.1, "name": 1.9, "target": 1.5, "actual": 1.7, "weight": 0.7, "score": 0.8,
                 "deviation": 1.9, "op": 0.6, "value": 0.8, "unit": 0.8, "seq": 0.45, "note": 1.4, "adjusted": 1.3}
        left_w = 0.5 if style.left_label else 0.0
        weights = ([left_w] if left_w else []) + [col_w[c] for c in order]
        cols = columns(self.x0, self.width, weights)
        left_col = cols[0] if left_w else None
        cols = cols[1:] if left_w else cols
        col_of = dict(zip(order, cols))
        header_cells = [(col_of[c][0], col_of[c][1], CellText(style.headers[c], L.key, "center")) for c in order]
        # Level-1 labels may carry the group's points, e.g. 产出指标（50分）: the truth keeps the printed text.
        if style.level1_points:
            sums: dict[str, float] = {}
            for ind in form.indicators:
                sums[ind.level1] = sums.get(ind.level1, 0) + (ind.weight or 0)
            printed_l1 = {k: f"{k}（{v:g}分）" for k, v in sums.items() if k}
            for ind in form.indicators:
                if ind.level1:
                    ind.level1 = printed_l1[ind.level1]
        # Rows in each level group, told to a group's first row (0 for the others).
        group_size: dict[int, dict[str, int]] = {}
        for c in ("level1", "level2"):
            prev_key, first = object(), None
            for ind in form.indicators:
                key = ind.level1 if c == "level1" else (ind.level1, ind.level2)
                group_size.setdefault(id(ind), {})[c] = 0
                if key != prev_key:
                    first, prev_key = ind, key
                group_size[id(first)][c] += 1
        for sizes in group_size.values():
            for c, n in sizes.items():
                if n > 2:
                    sizes[c] = 0  # tall enough already
        rows = []
        seq = 0
        for ind in form.indicators:
            seq += 1
            texts = {}
            for c in order:
                if c in ("level1", "level2"):
                    continue
                texts[c] = self._cell_text(c, ind, seq)
            rows.append((ind, texts))
        # The page may not hold even the header: start the table on a new page then.
        if p.y + 3 * p.line_h + 4 * PAD > p.bottom:
            p.new_page()
        seg_top = p.y
        first_segment = True
        self._header_row(header_cells)
        # Merged level cells: (column, text, top, bottom, page) per page segment of a group.
        groups: list[tuple[str, str | None, float, float, int]] = []
        open_groups: dict[str, list] = {}  # column → [text, top, group key]

        def close_groups() -> None:
            for c in ("level1", "level2"):
                g = open_groups.pop(c, None)
                if g and p.y - g[1] > 1.0:  # a group opened just before its row moved to the next page is empty
                    groups.append((c, g[0], g[1], p.y, p.page_no))

        def reopen(ind) -> None:
            for c in ("level1", "level2"):
                if c in col_of:
                    key = ind.level1 if c == "level1" else (ind.level1, ind.level2)
                    open_groups[c] = [getattr(ind, c), p.y, key]

        for ind, texts in rows:
            for c in ("level1", "level2"):
                if c not in col_of:
                    continue
                key = ind.level1 if c == "level1" else (ind.level1, ind.level2)
                g = open_groups.get(c)
                if g is None or g[2] != key:
                    if g and p.y - g[1] > 1.0:
                        groups.append((c, g[0], g[1], p.y, p.page_no))
                    open_groups[c] = [getattr(ind, c), p.y, key]
            cells = [(col_of[c][0], col_of[c][1], CellText(t, lab, "center" if c in ("weight", "score", "seq", "op", "unit") else "left"))
                     for c, (t, lab) in texts.items()]
            height, wrapped = p.row_height(cells)
            # A merged level cell of one or two rows must still hold its text.
            for c in ("level1", "level2"):
                if c in col_of and group_size[id(ind)][c] and getattr(ind, c):
                    lines = p.wrap(getattr(ind, c), col_of[c][1] - col_of[c][0] - 2 * PAD)
                    need = len(lines) * p.line_h + 2 * PAD
                    height = max(height, need / group_size[id(ind)][c])
            ind.page = p.page_no
            remaining = p.bottom - p.y
            if height > remaining:
                lines_fit = int((remaining - 2 * PAD) // p.line_h)
                max_lines = max(len(w) for w in wrapped)
                if style.split_rows and lines_fit >= 1 and max_lines > lines_fit and rng.random() < 0.8:
                    part1 = [w[:lines_fit] for w in wrapped]
                    part2 = [w[lines_fit:] for w in wrapped]
                    p.draw_row(cells, part1, remaining, "top")
                    close_groups()
                    seg_top = self._page_break(left_col, seg_top, first_segment, header_cells)
                    first_segment = False
                    reopen(ind)
                    h2 = max(len(w) for w in part2) * p.line_h + 2 * PAD
                    p.draw_row(cells, part2, h2, "top")
                    ind.__pydantic_extra__["page_end"] = p.page_no
                    self.split_rows += 1
                    continue
                close_groups()
                seg_top = self._page_break(left_col, seg_top, first_segment, header_cells)
                first_segment = False
                reopen(ind)
                ind.page = p.page_no
            p.draw_row(cells, wrapped, height)
            ind.__pydantic_extra__["page_end"] = p.page_no
        close_groups()
        self._draw_groups(groups, col_of)
        self._left_label(left_col, seg_top, first_segment)
        self._total_rows(col_of, cols, left_col)

    def _cell_text(self, c: str, ind, seq: int) -> tuple[str, L]:
        style = self.style
        if c == "seq":
            return str(seq), L.other
        if c == "note":
            return self.rng.choice(["反映项目完成情况", "考核任务完成进度", "", "反映资金使用效率"]), L.other
        if c == "adjusted":
            return ind.target or style.dash, L.other
        if c in ("op", "value", "unit"):
            m = OPS.match(ind.target or "")
            op, value, unit = (m.group(1) or "", m.group(2) or "", m.group(3) or "") if m else ("", "", "")
            if not value:
                op, value, unit = "", ind.target or style.dash, ""
            return {"op": op, "value": value, "unit": unit}[c], L.target
        value = getattr(ind, c)
        label = {"name": L.name, "target": L.target, "actual": L.actual, "weight": L.weight, "score": L.score, "deviation": L.deviation}[c]
        if c in ("weight", "score"):
            text = printed(value, style.dash) if value is not None else style.dash
            if value is not None:
                text = f"{value:.2f}" if c == "score" and self.rng.random() < 0.5 else f"{value:g}"
            return text, label
        if value is None:
            return style.dash, label
        return value, label

    def _header_row(self, header_cells) -> None:
        p = self.p
        height, wrapped = p.row_height(header_cells)
        p.draw_row(header_cells, wrapped, height, "middle" if self.style.ruled else "top")

    def _page_break(self, left_col, seg_top, first_segment, header_cells) -> float:
        """Close the page, open the next with its marker line and header; returns the table's new top."""
        p, style = self.p, self.style
        self._left_label(left_col, seg_top, first_segment)
        p.new_page()
        if style.marker and not style.marker_in_column:
            p.free_line(style.marker if style.marker != "续表" else "（续表）", L.marker, align="left", gap=2)
        top = p.y
        if style.header_repeat:
            self._header_row(header_cells)
        return top

    def _left_label(self, left_col, top, first_segment) -> None:
        if not left_col:
            return
        p, style = self.p, self.style
        box = (left_col[0], top, left_col[1], p.y)
        p.pages[-1].rects.append(box)
        text = "绩效指标" if first_segment else (style.marker if style.marker and style.marker_in_column else "")
        label = L.key if first_segment else L.marker
        if text:
            p.put_lines(p.wrap(text, left_col[1] - left_col[0] - 2 * PAD), box, label, "center", "middle")

    def _draw_groups(self, groups, col_of) -> None:
        """Merged level cells, one rectangle per page segment of each group."""
        p, style = self.p, self.style
        by_page: dict[int, list] = {}
        for g in groups:
            by_page.setdefault(g[4], []).append(g)
        printed_once: set[tuple[str, str | None]] = set()
        for page_no in sorted(by_page):
            page = p.pages[page_no - 1]
            for c, text, top, bottom, _ in by_page[page_no]:
                x0, x1 = col_of[c]
                box = (x0, top, x1, bottom)
                if style.ruled:
                    page.rects.append(box)
                if not text:
                    continue
                lines = p.wrap(text, x1 - x0 - 2 * PAD)
                fits = len(lines) * p.line_h + 2 * PAD <= bottom - top + 0.5
                # Printed in the first segment that holds it; reprinted on later pages if the style does.
                if fits and ((c, text) not in printed_once or style.reprint_levels):
                    printed_once.add((c, text))
                    label = L.level1 if c == "level1" else L.level2
                    p.put_lines(lines, box, label, "center", "middle", page)

    def _total_rows(self, col_of, cols, left_col) -> None:
        p, form, style = self.p, self.form, self.style
        start = left_col[0] if left_col else cols[0][0]
        end = self.x0 + self.width
        cells = []
        first_num = min(col_of[c][0] for c in ("weight", "score") if c in col_of)
        cells.append((start, first_num, CellText(self.rng.choice(["总分", "合计", "自评总分"]), L.key, "center")))
        # weight and score columns may not be adjacent: print them in their own columns, dashes between.
        ordered = sorted((col_of[c][0], col_of[c][1], c) for c in col_of if col_of[c][0] >= first_num - 0.01)
        for x0, x1, c in ordered:
            if c == "weight":
                cells.append((x0, x1, CellText("100", L.total_weight, "center")))
            elif c == "score":
                cells.append((x0, x1, CellText(f"{form.total_score:.2f}", L.total_score, "center")))
            else:
                cells.append((x0, x1, CellText(style.dash, L.other, "center")))
        cells = [c for c in cells if c[1] <= end + 0.01]
        p.grid_row(cells)
        if self.rng.random() < 0.5:
            cols2 = columns(start, end - start, [1, 3])
            p.grid_row([(cols2[0][0], cols2[0][1], CellText("评分等级", L.key, "center")),
                        (cols2[1][0], cols2[1][1], CellText(form.grade or "", L.grade))])
        else:
            form.grade = None


def _money(value: float) -> str:
    text = f"{value:.6f}".rstrip("0")
    if "." in text and len(text.split(".")[1]) < 2:
        text = f"{value:.2f}"
    return text.rstrip(".")


def print_rubric(printer: Printer, rng: random.Random) -> None:
    """A scoring rubric printed in the same file: not a self-evaluation form (all labels O)."""
    p = printer
    if p.y + 200 > p.bottom:
        p.new_page()
    p.free_line("项目支出绩效评价指标体系及评分标准", L.other, size_factor=1.4)
    cols = columns(p.margin, p.width - 2 * p.margin, [1, 1, 1.4, 2.2, 2.4, 0.6])
    p.grid_row([(a, b, CellText(h, L.other, "center")) for (a, b), h in zip(cols, ["一级指标", "二级指标", "三级指标", "指标解释", "评分标准", "分值"])])
    rows = [
        ("决策", "项目立项", "立项依据充分性", "项目立项是否符合法律法规和发展规划", "符合得满分，否则酌情扣分", "5"),
        ("过程", "资金管理", "资金到位率", "实际到位资金与预算资金的比率", "到位率100%得满分，每降低1%扣0.5分", "5"),
        ("产出", "产出数量", "实际完成率", "项目实施的实际产出数与计划产出数的比率", "完成率×分值", "10"),
        ("效益", "项目效益", "满意度", "服务对象对项目实施效果的满意程度", "≥90%得满分，每降低1%扣1分", "10"),
    ]
    for row in rng.sample(rows, rng.randint(2, 4)):
        p.grid_row([(a, b, CellText(t, L.other)) for (a, b), t in zip(cols, row)])


def draw_pdf(printer: Printer, path) -> None:
    """Draw the recorded pages: ruling rectangles, then each text run at its recorded place."""
    from fpdf import FPDF

    style = printer.style
    pdf = FPDF(unit="pt", format=(printer.width, printer.height))
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_auto_page_break(False)
    font_path, index = FONTS[style.font]
    pdf.add_font("f", fname=font_path, collection_font_number=index)
    for page in printer.pages:
        pdf.add_page()
        pdf.set_line_width(0.6)
        for x0, y0, x1, y1 in page.rects:
            pdf.rect(x0, y0, x1 - x0, y1 - y0)
        for run in _runs(page.chars):
            size = run[0].box[3] - run[0].box[1]
            pdf.set_font("f", size=size)
            text = "".join(c.text for c in run)
            pdf.text(run[0].box[0], run[0].box[1] + size * 0.88, text)
    pdf.output(str(path))


def _runs(chars: list[Char]) -> list[list[Char]]:
    """Consecutive characters on one baseline, drawn as one string (they were laid out that way)."""
    runs: list[list[Char]] = []
    for ch in chars:
        if runs:
            last = runs[-1][-1]
            if abs(last.box[1] - ch.box[1]) < 0.01 and abs(last.box[3] - ch.box[3]) < 0.01 and abs(ch.box[0] - last.box[2]) < 0.05:
                runs[-1].append(ch)
                continue
        runs.append([ch])
    return runs


from datetime import datetime, timezone  # noqa: E402

_FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
