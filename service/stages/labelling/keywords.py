"""The header-keyword labeller: printed keys and column headers give tokens their field.

A fallback to the learned token classifier. It reads each table row by row: a row of
known column headers sets the meaning of the columns below it (by x position, kept
across pages for continuation pages printed without a header row); a known key cell
(项目名称, 主管部门 …) labels the cell to its right. It breaks where a province prints
headers it does not know, drops them, or drops the ruling lines in odd ways — the
cases the classifier exists for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ...document import Cell, Document, Page, Table
from ...geometry import text_of
from ...labels import FieldLabel as L
from ...registry import register


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


HEADER_KEYS: dict[str, L] = {
    "项目名称": L.project_name,
    "部门名称": L.project_name,
    "单位名称": L.project_name,
    "部门（单位）名称": L.project_name,
    "预算单位": L.project_name,
    "主管部门": L.department,
    "主管部门及代码": L.department,
    "实施单位": L.implementing_unit,
    "项目负责人": L.project_lead,
    "部门联系人": L.project_lead,
    "联系人": L.project_lead,
    "联系电话": L.contact_phone,
    "财政处室": L.other,
    "填报日期": L.other,
}

FUND_COLUMNS: list[tuple[str, L]] = [
    ("年初预算数", L.fund_initial),
    ("年初预算", L.fund_initial),
    ("全年预算数", L.fund_annual),
    ("调整后预算数", L.fund_annual),
    ("全年预算", L.fund_annual),
    ("全年执行数", L.fund_executed),
    ("预算执行数", L.fund_executed),
    ("执行数", L.fund_executed),
    ("预算执行率", L.fund_rate),
    ("执行率", L.fund_rate),
    ("分值", L.fund_weight),
    ("权重", L.fund_weight),
    ("得分", L.fund_score),
]

INDICATOR_COLUMNS: list[tuple[str, L]] = [
    ("一级指标", L.level1),
    ("二级指标", L.level2),
    ("三级指标", L.name),
    ("指标名称", L.name),
    ("绩效指标", L.name),  # one flat name column (department forms)
    ("年度指标值", L.target),
    ("年初指标值", L.target),
    ("指标值", L.target),
    ("实际完成值", L.actual),
    ("全年实际值", L.actual),
    ("全年完成值", L.actual),
    ("完成值", L.actual),
    ("指标权重", L.weight),
    ("指标分值", L.weight),
    ("分值", L.weight),
    ("权重", L.weight),
    ("分数", L.weight),
    ("指标得分", L.score),
    ("得分", L.score),
    ("偏差原因分析及改进措施", L.deviation),
    ("未完成原因及拟采取的改进措施", L.deviation),
    ("未完成原因分析", L.deviation),
    ("偏差原因", L.deviation),
    ("调整指标值", L.other),
    ("指标说明", L.other),
    ("指标解释", L.other),
    ("评分标准", L.other),
    ("序号", L.other),
    ("得分系数", L.other),
    ("是否核心指标", L.other),
    ("度量单位", L.target),
    ("计量单位", L.target),
    ("指标性质", L.target),
]

GOAL_COLUMNS: list[tuple[str, L]] = [
    ("预期目标", L.goal_expected),
    ("年度目标", L.goal_expected),
    ("实际完成情况", L.goal_actual),
    ("实际完成", L.goal_actual),
]

BLOCK_LABELS = ("项目资金（万元）", "预算执行情况（万元）", "年度总体目标", "绩效指标", "年度绩效指标")
BLOCK_KEYS = ("项目资金", "预算执行情况", "年度总体目标", "总体目标", "绩效指标", "年度绩效指标", "资金情况")
TOTAL_KEYS = ("总分", "合计", "自评总分", "总计", "综合得分")
# exact labels only: indicator names end in 等级 too (网络安全等级, 信用等级)
GRADE_KEYS = ("评分等级", "自评等级", "绩效等级", "评价等级", "绩效评价等级", "综合评价等级", "自评结果等级", "等级")
MARKERS = ("续上页", "接上页", "续表", "续前页", "续上", "接上")  # the last two: a marker wrapped in a narrow cell
FUND_ITEMS = (
    "年度资金总额",
    "资金总额",
    "财政拨款",
    "财政资金",
    "上年结转",
    "财政专户",
    "单位资金",
    "其他资金",
    "基本支出",
    "项目支出",
    "自有资金",
)
YEAR_LINE = re.compile(r"^[（]?\d{4}年度?[）]?$")


def match_column(text: str, columns: list[tuple[str, L]]) -> L | None:
    """The field of a column header, tolerating wrapped or bracketed variants (分值（分）)."""
    t = re.sub(r"[（].*?[）]|（[A-Za-z]）", "", text) or text
    for key, label in columns:
        if t == key or t.startswith(key):
            return label
    for key, label in columns:
        if len(t) >= 2 and key in t:
            return label
    for key, label in columns:
        # A header wrapped over two lines of a borderless table: its first line alone.
        if (len(t) >= 4 or t == "序") and key.startswith(t):
            return label
    return None


def _whole_key(text: str) -> bool:
    """A column header printed in full (brackets aside): 二级指标, 分值（分）."""
    t = re.sub(r"[（(].*?[）)]", "", text) or text
    return any(t == key for key, _ in INDICATOR_COLUMNS + FUND_COLUMNS + GOAL_COLUMNS)


def is_marker(text: str) -> bool:
    return any(m in text for m in MARKERS) and len(text) <= 8


@dataclass
class ColumnMap:
    """Column meanings as x intervals, relative to the table (ruled) or the page (borderless)."""

    intervals: list[tuple[float, float, L]] = field(default_factory=list)

    def field_at(self, x0: float, x1: float) -> L | None:
        best, best_overlap = None, 0.0
        for a, b, label in self.intervals:
            overlap = min(x1, b) - max(x0, a)
            if overlap > best_overlap:
                best, best_overlap = label, overlap
        if best is None and self.intervals:
            cx = (x0 + x1) / 2
            best = min(self.intervals, key=lambda iv: abs((iv[0] + iv[1]) / 2 - cx))[2]
        return best


@dataclass
class _State:
    in_form: bool = False
    section: str = "none"  # header | funds | goals | indicators | other | none
    columns: ColumnMap = field(default_factory=ColumnMap)
    ruled: bool = True


@register("labellers", "keywords")
class KeywordLabeller:
    def __call__(self, doc: Document) -> Document:
        state = _State()
        for page in doc.pages:
            for token in page.tokens:
                token.label, token.label_confidence = L.other.value, None
            self._label_page(page, state)
        return doc

    # -- page walk in reading order: outside lines and tables by their top edge
    def _label_page(self, page: Page, state: _State) -> None:
        items: list[tuple[float, object]] = [(min(page.tokens[i].box[1] for i in line), line) for line in page.lines]
        items += [(t.box[1], t) for t in page.tables]
        for _, item in sorted(items, key=lambda it: it[0]):
            if isinstance(item, Table):
                self._label_table(page, item, state)
            else:
                self._label_line(page, item, state)

    def _set(self, page: Page, ids: list[int], label: L) -> None:
        for i in ids:
            page.tokens[i].label = label.value

    def _label_line(self, page: Page, line: list[int], state: _State) -> None:
        text = norm("".join(page.tokens[i].text for i in line))
        if "绩效自评表" in text or "绩效自评情况表" in text:
            self._set(page, line, L.title)
            state.in_form, state.section = True, "header"
        elif YEAR_LINE.match(text) and state.in_form and state.section == "header":
            self._set(page, line, L.title)
        elif is_marker(text):
            self._set(page, line, L.marker)
        elif "评价结论" in text or "存在问题" in text:
            state.section = "none"

    @staticmethod
    def _is_free_line(text: str, state: _State) -> bool:
        return (
            "绩效自评表" in text
            or "绩效自评情况表" in text
            or (YEAR_LINE.match(text) is not None and state.section == "header")
            or is_marker(text)
        )

    # -- tables
    def _rows(self, table: Table) -> list[list[Cell]]:
        rows: dict[int, list[Cell]] = {}
        for cell in table.cells:
            rows.setdefault(cell.row, []).append(cell)
        return [sorted(rows[r], key=lambda c: c.box[0]) for r in sorted(rows)]

    def _rel(self, page: Page, table: Table, cell_box) -> tuple[float, float]:
        if table.ruled:
            x0, x1 = table.box[0], table.box[2]
        else:
            x0, x1 = 0.0, page.width
        w = max(x1 - x0, 1.0)
        return ((cell_box[0] - x0) / w, (cell_box[2] - x0) / w)

    def _label_table(self, page: Page, table: Table, state: _State) -> None:
        prev_header: list[tuple[Cell, str]] | None = None
        for row in self._rows(table):
            texts = [(cell, norm(text_of(page.tokens, cell.tokens))) for cell in row]
            texts = [(c, t) for c, t in texts if t]
            if not texts:
                continue
            if not table.ruled and self._is_free_line("".join(t for _, t in texts), state):
                # a title or marker line the geometry took for a row of cells
                self._label_line(page, [i for c, _ in texts for i in c.tokens], state)
                continue
            if not table.ruled and prev_header and self._header_tail(texts, prev_header):
                for cell, _ in texts:
                    self._set(page, cell.tokens, L.key)
                continue
            prev_header = None
            kind = self._row_kind([t for _, t in texts], state)
            if kind in ("funds", "indicators", "goals"):
                columns = {"funds": FUND_COLUMNS, "indicators": INDICATOR_COLUMNS, "goals": GOAL_COLUMNS}[kind]
                cmap = self._header_map(page, table, texts, columns)
                if kind == "indicators" and state.section == "indicators" and state.columns.intervals and self._is_subheader(texts):
                    cmap = self._refine(state.columns, cmap)
                state.section, state.columns, state.ruled = kind, cmap, table.ruled
                state.in_form = True
                for cell, _ in texts:
                    self._set(page, cell.tokens, L.key)
                prev_header = texts
                continue
            if kind == "header":
                self._label_key_values(page, texts)
                state.section, state.in_form = "header", True
                continue
            if kind == "total":
                self._label_total(page, table, texts, state)
                continue
            if kind == "other":
                state.section, state.in_form = "other", False
                continue
            self._label_data_row(page, table, texts, state)

    def _row_kind(self, texts: list[str], state: _State) -> str:
        if any(t in HEADER_KEYS for t in texts):
            return "header"
        # "总" alone: 总分 letter-spaced, its 分 lost to the scan
        if any(t.startswith(k) for t in texts for k in TOTAL_KEYS) or any(t in GRADE_KEYS or t == "总" for t in texts):
            return "total"
        ind = [match_column(t, INDICATOR_COLUMNS) for t in texts]
        names = {L.name, L.level1, L.level2}
        values = {L.target, L.actual}
        if sum(x is not None for x in ind) >= 3 and names & set(ind) and values & set(ind):
            return "indicators"
        if any(k in t for t in texts for k in ("指标解释", "评分标准", "评分细则")) and not values & set(ind):
            return "other"
        funds = [match_column(t, FUND_COLUMNS) for t in texts]
        if sum(x is not None for x in funds) >= 3 and any(("预算" in t or "执行" in t) for t in texts):
            return "funds"
        goals = [match_column(t, GOAL_COLUMNS) for t in texts]
        if L.goal_expected in goals and L.goal_actual in goals:
            return "goals"
        if state.section == "indicators" and sum(x is not None for x in ind) >= 2 and all(
            x is not None or any(k in t for k in BLOCK_KEYS) for x, t in zip(ind, texts)
        ):
            return "indicators"  # a second header row (Sichuan's 指标性质 | 指标值 | 度量单位)
        return "data"

    def _is_subheader(self, texts: list[tuple[Cell, str]]) -> bool:
        return not any(match_column(t, INDICATOR_COLUMNS) in (L.level1, L.level2, L.name) for _, t in texts)

    def _refine(self, old: ColumnMap, sub: ColumnMap) -> ColumnMap:
        """Overlay a second header row's narrower columns on the first row's."""
        def covered(iv) -> bool:  # shared edges and ruling widths do not count
            return any(min(iv[1], s[1]) - max(iv[0], s[0]) > 0.3 * min(iv[1] - iv[0], s[1] - s[0]) for s in sub.intervals)

        keep = [iv for iv in old.intervals if not covered(iv)]
        return ColumnMap(sorted(keep + sub.intervals))

    def _header_map(self, page: Page, table: Table, texts, columns) -> ColumnMap:
        intervals = []
        has_unit = any(match_column(t, columns) is L.target and ("单位" in t) for _, t in texts)
        for cell, t in texts:
            label = match_column(t, columns)
            if label is None:
                continue
            if t.startswith("指标性质") and not has_unit:
                label = L.other  # 定量/定性, not an operator column
            box = cell.box if table.ruled else self._column_box(table, cell.box)
            a, b = self._rel(page, table, box)
            intervals.append((a, b, label))
        return ColumnMap(intervals)

    @staticmethod
    def _column_box(table: Table, box):
        """Borderless: widen a box to the whitespace gutters around it (header text is narrower than its column)."""
        edges = table.col_edges
        cx0 = max((e for e in edges if e <= box[0] + 0.5), default=box[0])
        cx1 = min((e for e in edges if e >= box[2] - 0.5), default=box[2])
        return (cx0, box[1], cx1, box[3])

    def _header_tail(self, texts, prev_header) -> bool:
        """A borderless header wraps onto a second line: each piece completes the key above.

        A key printed whole (二级指标) needs no more than a bracketed aside (（分）); below
        it sits the rest of a data cell cut by the page break (服务对象满|意度指标)."""
        for cell, t in texts:
            above = [ht for hc, ht in prev_header if min(hc.box[2], cell.box[2]) - max(hc.box[0], cell.box[0]) > 0]
            if not above or any(ch.isdigit() for ch in t) or len(t) > 6:
                return False
            if all(_whole_key(ht) for ht in above) and t[0] not in "（(":
                return False
        return True

    def _label_key_values(self, page: Page, texts) -> None:
        pending: L | None = None
        for cell, t in texts:
            key = next((k for k in HEADER_KEYS if t.endswith(k) and len(t) > len(k)), None)
            if pending is not None and key is not None and len(cell.tokens) == len(t):
                # Borderless: a value ran into the next key with no gap ("…农业农村局实施单位").
                cut = len(cell.tokens) - len(key)
                ordered = sorted(cell.tokens, key=lambda i: page.tokens[i].box[0])
                self._set(page, ordered[:cut], pending)
                self._set(page, ordered[cut:], L.key)
                pending = HEADER_KEYS[key]
                continue
            if t in HEADER_KEYS:
                self._set(page, cell.tokens, L.key)
                pending = HEADER_KEYS[t]
            elif pending is not None and any(ch.isalnum() for ch in t):
                self._set(page, cell.tokens, pending)
                pending = None

    def _label_total(self, page: Page, table: Table, texts, state: _State) -> None:
        numbers = []
        grade_next = False
        for cell, t in texts:
            if any(t.startswith(k) for k in TOTAL_KEYS) or t in GRADE_KEYS or t == "总":
                self._set(page, cell.tokens, L.key)
                grade_next = t in GRADE_KEYS
                continue
            if grade_next:
                self._set(page, cell.tokens, L.grade)
                grade_next = False
                continue
            if re.fullmatch(r"[-+]?\d+(\.\d+)?分?", t):
                numbers.append(cell)
            elif t in ("优", "良", "中", "差", "优秀", "良好", "合格", "不合格", "较好", "一般"):
                self._set(page, cell.tokens, L.grade)
        if state.section == "indicators" and state.columns.intervals:
            for cell in numbers:
                f = state.columns.field_at(*self._rel(page, table, cell.box))
                label = {L.weight: L.total_weight, L.score: L.total_score}.get(f)
                if label is None:
                    label = L.total_score if cell is numbers[-1] else L.total_weight
                self._set(page, cell.tokens, label)
        elif numbers:
            self._set(page, numbers[-1].tokens, L.total_score)
            for cell in numbers[:-1]:
                self._set(page, cell.tokens, L.total_weight)
        state.section = "none"

    def _label_data_row(self, page: Page, table: Table, texts, state: _State) -> None:
        if state.section not in ("funds", "goals", "indicators"):
            for cell, t in texts:
                if is_marker(t):
                    self._set(page, cell.tokens, L.marker)
            return
        first_value_x = min((a for a, _, _ in state.columns.intervals), default=0.0)
        for cell, t in texts:
            if is_marker(t):
                self._set(page, cell.tokens, L.marker)
                continue
            a, b = self._rel(page, table, cell.box)
            # a block's label, or (left of the columns) a wrapped piece of one: "标" of 绩效指|标,
            # which elsewhere is the rest of a level cell cut by the page break
            left = b <= first_value_x + 0.01
            if any(t.startswith(k) for k in BLOCK_KEYS) or (not table.ruled and left and any(t in k for k in BLOCK_LABELS)):
                self._set(page, cell.tokens, L.key)
                continue
            if state.section == "funds":
                if left or any(k in t for k in FUND_ITEMS):
                    self._set(page, cell.tokens, L.fund_item)
                    continue
            if t in ("定量", "定性"):  # an indicator's kind (指标性质), never its target
                self._set(page, cell.tokens, L.other)
            elif table.ruled:
                label = state.columns.field_at(a, b)
                self._set(page, cell.tokens, label or L.other)
            else:
                # Borderless: decide per token, a segment may run across two columns.
                for i in cell.tokens:
                    box = self._column_box(table, page.tokens[i].box)
                    label = state.columns.field_at(*self._rel(page, table, box))
                    page.tokens[i].label = (label or L.other).value
