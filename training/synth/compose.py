"""Forms (and other documents bound with them) as layout sections, in the chosen style.

Each section's cells carry the field label their characters get in tokens.jsonl. What a
cell prints and what the truth says come from the same strings (``printed_*`` helpers), so
the two cannot drift apart.
"""

from __future__ import annotations

import random

from service.labels import FieldLabel as L

from . import vocab
from .content import FormSpec, FundSpec, IndicatorSpec
from .layout import Cell, Row, Section
from .style import COLUMN_ORDERS, FUND_LAYOUTS, WIDTHS, Style

FUND_LABELS = {
    "initial_budget": L.fund_initial, "annual_budget": L.fund_annual, "executed": L.fund_executed,
    "weight": L.fund_weight, "execution_rate": L.fund_rate, "score": L.fund_score,
}
IND_LABELS = {
    "level1": L.level1, "level2": L.level2, "name": L.name, "target": L.target, "actual": L.actual,
    "weight": L.weight, "score": L.score, "deviation": L.deviation, "op": L.target, "value": L.target,
    "unit": L.target, "unit_col": L.target, "seq": L.other, "note": L.other, "nature": L.other,
}


def num(value: float, decimals: int | None) -> str:
    """A number as printed: fixed decimals, or as short as exact (up to 6 decimals)."""
    if decimals is None:
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return f"{value:.{decimals}f}"


def decimals_needed(values: list[float | None]) -> int:
    need = 0
    for v in values:
        if v is None:
            continue
        text = f"{v:.6f}".rstrip("0")
        need = max(need, len(text.split(".")[1]) if "." in text else 0)
    return need


def fund_layout_for(spec: FormSpec, style: Style) -> list[tuple[str, str]]:
    if spec.fund_weight is None:
        return FUND_LAYOUTS["unweighted"]
    return FUND_LAYOUTS[style.fund_layout if style.fund_layout != "unweighted" else "full"]


def indicator_columns(spec: FormSpec, style: Style) -> list[str]:
    cols = list(style.columns or COLUMN_ORDERS[style.column_order])
    if not spec.levels:
        cols = [c for c in cols if c not in ("level1", "level2")]
    return cols


def target_cells(ind: IndicatorSpec, cols: list[str]) -> dict[str, str]:
    """The printed text of the target cell(s): one cell, 性质|值|单位, or value|计量单位."""
    target = ind.target or ""
    parts = ind.target_parts
    if "op" in cols:
        if parts is None:
            return {"op": "", "value": target, "unit": ""}
        op, value, unit = parts
        if ind.nature == "定性":
            return {"op": "", "value": value, "unit": unit}
        return {"op": op, "value": value, "unit": unit}
    if "unit_col" in cols:
        if parts is None or ind.nature == "定性" or not parts[2]:
            return {"target": target, "unit_col": ""}
        op, value, unit = parts
        return {"target": (op if op != "=" else "") + value, "unit_col": unit}
    return {"target": target}


def printed_target(ind: IndicatorSpec, cols: list[str]) -> str | None:
    """The contract target: the target cells' texts joined in reading order."""
    cells = target_cells(ind, cols)
    return "".join(cells[c] for c in cols if c in cells) or None


class Composer:
    """Builds the sections of one document in one style."""

    def __init__(self, style: Style, body_width: float, rng: random.Random, measure):
        self.style = style
        self.measure = measure
        self.width = body_width
        self.rng = rng
        self.size = style.size
        self.ruled = style.table == "ruled"

    # ------------------------------------------------------------------ helpers
    def _widths(self, rel: list[float], rows: list[Row] | None = None, key: str = "") -> list[float]:
        """Column widths in proportion to rel (jittered per style), widened so no number wraps."""
        if self.style.jitter_seed and key:
            rel = [r * random.Random(f"{self.style.jitter_seed}/{key}/{j}").uniform(0.8, 1.25) for j, r in enumerate(rel)]
        total = sum(rel)
        widths = [self.width * r / total for r in rel]
        if not rows:
            return widths
        need = [0.0] * len(widths)
        pad = 2 * (2.5 if self.ruled else 4.0) + 1
        for row in rows:
            for cell in row.cells:
                if cell.colspan != 1 or not cell.paras:
                    continue
                text = "".join(cell.paras)
                if len(text) <= 12 and all(ch in "0123456789.,%-—/+" for ch in text):
                    size = cell.size or self.size
                    need[cell.col] = max(need[cell.col], sum(self.measure(ch, size) for ch in text) + pad)
        for _ in range(3):  # widen the narrow ones, take the room from the others in proportion
            short = [j for j, w in enumerate(widths) if need[j] > w + 1e-6]
            if not short:
                break
            extra = sum(need[j] - widths[j] for j in short)
            for j in short:
                widths[j] = need[j]
            rest = [j for j in range(len(widths)) if j not in short]
            pool = sum(widths[j] for j in rest)
            for j in rest:
                widths[j] -= extra * widths[j] / pool
        return widths

    def _section(self, rel: list[float], rows: list[Row], tag: tuple, **kw) -> Section:
        outer_only = kw.pop("outer_only", False)
        key = kw.pop("key", "")
        kw.setdefault("line_gap", self.style.line_gap)
        kw.setdefault("rule_width", self.style.rule_width)
        return Section(col_widths=self._widths(rel, rows, key), rows=rows, ruled=self.ruled, size=self.size, tag=tag,
                       outer_only=not self.ruled and outer_only,
                       pad_x=2.5 if self.ruled else 4.0, **kw)

    def _key(self, col: int, text: str, **kw) -> Cell:
        return Cell(col=col, paras=[text], label=L.key.value, halign="center", valign="middle", **kw)

    def dash(self) -> str:
        return self.style.dash

    # ------------------------------------------------------------------ a form
    def form_sections(self, spec: FormSpec, k: int) -> list[Section]:
        tag = ("form", k)
        s = self.style
        out: list[Section] = []
        title_rows = [Row([Cell(col=0, paras=[spec.title], label=L.title.value, halign="center", size=self.size + self.style.title_extra)], splittable=False)]
        if spec.year_line:
            title_rows.append(Row([Cell(col=0, paras=[spec.year_line], label=L.title.value, halign="center", size=self.size + 2)], splittable=False))
        out.append(Section(col_widths=[self.width], rows=title_rows, ruled=False, size=self.size, tag=tag, gap_before=28,
                           keep_with_next=160, pad_y=3))
        if self.rng.random() < 0.3:  # 填报单位 / 金额单位 line over the table (no contract field)
            unit = spec.implementing_unit or spec.project_name
            left = self.rng.choice(["填报单位（盖章）：", "填报单位：", "单位名称："]) + unit
            right = self.rng.choice(["金额单位：万元", "单位：万元", "填报日期：" + f"{spec.year + 1}年{self.rng.randint(1, 4)}月{self.rng.randint(1, 28)}日"])
            out.append(Section(col_widths=self._widths([6.5, 3.5]), rows=[Row([
                Cell(col=0, paras=[left], label=L.other.value), Cell(col=1, paras=[right], label=L.other.value, halign="right")],
                splittable=False)], ruled=False, size=self.size, tag=tag, gap_before=2, pad_x=0.5))
        out.append(self._header(spec, tag))
        out.append(self._funds(spec, tag))
        out.append(self._goals(spec, tag))
        out.append(self._indicators(spec, k, tag))
        out += self._after(spec, tag)
        return out

    def _header(self, spec: FormSpec, tag: tuple) -> Section:
        rows: list[Row] = []
        department = spec.form_type.value == "department"
        name_key = "项目名称" if not department else self.rng.choice(["部门（单位）名称", "部门名称", "单位名称"])
        rows.append(Row([self._key(0, name_key), Cell(col=1, colspan=3, paras=[spec.project_name], label=L.project_name.value, valign="middle")]))
        pairs: list[tuple[str, str | None, str]] = []
        if spec.department is not None:
            pairs.append(("主管部门", spec.department, L.department.value))
        if spec.implementing_unit is not None:
            pairs.append(("实施单位", spec.implementing_unit, L.implementing_unit.value))
        for key, value in spec.extra_header:
            pairs.append((key, value, L.other.value))
        lead_key = "项目负责人" if not department else self.rng.choice(["部门联系人", "联系人"])
        pairs.append((lead_key, spec.project_lead, L.project_lead.value))
        pairs.append(("联系电话", spec.contact_phone, L.contact_phone.value))
        # two key/value pairs per row; an odd one out spans the row
        i = 0
        while i < len(pairs):
            if (len(pairs) - i) % 2 == 0:
                (k1, v1, l1), (k2, v2, l2) = pairs[i], pairs[i + 1]
                rows.append(Row([self._key(0, k1), Cell(col=1, paras=[v1 or ""], label=l1, valign="middle"),
                                 self._key(2, k2), Cell(col=3, paras=[v2 or ""], label=l2, valign="middle")]))
                i += 2
            else:
                k1, v1, l1 = pairs[i]
                rows.append(Row([self._key(0, k1), Cell(col=1, colspan=3, paras=[v1 or ""], label=l1, valign="middle")]))
                i += 1
        return self._section([1.5, 3.8, 1.5, 3.8], rows, tag, gap_before=4, outer_only=True, key="head")

    def fund_text(self, spec: FormSpec, fund: FundSpec, field: str) -> str:
        value = getattr(fund, field)
        if value is None:
            return self.dash()
        if field == "execution_rate":
            return f"{value:.2f}%" if self.style.rate_percent else f"{value:.2f}"
        if field in ("weight", "score"):
            return num(value, self.style.weight_decimals if field == "weight" else self.style.score_decimals)
        d = self.style.money_decimals
        money = [getattr(f, c) for f in spec.funds for c in ("initial_budget", "annual_budget", "executed")]
        need = decimals_needed(money)
        text = num(value, None if d is None else max(d, need))
        if self.style.money_commas:
            whole, _, frac = text.partition(".")
            text = f"{int(whole):,}" + (f".{frac}" if frac else "")
        return text

    def _funds(self, spec: FormSpec, tag: tuple) -> Section:
        layout = fund_layout_for(spec, self.style)
        label = "项目资金（万元）" if spec.form_type.value == "project" else self.rng.choice(["部门资金（万元）", "年度资金（万元）", "资金情况（万元）"])
        if self.rng.random() < 0.3:
            label = label.replace("（", "(").replace("）", ")")
        head = [Cell(col=0, rowspan=len(spec.funds) + 1, paras=[label], label=L.key.value, halign="center", valign="middle"),
                Cell(col=1, paras=[""], label=L.other.value)]
        head += [self._key(2 + j, text) for j, (_, text) in enumerate(layout)]
        rows = [Row(head, splittable=False)]
        money_align = self.rng.choice(["center", "center", "right"])
        for fund in spec.funds:
            indent = "" if fund.kind == "total" or fund.label.startswith("其中") else self.rng.choice(["", "    "])
            cells = [Cell(col=1, paras=[indent + fund.label], label=L.fund_item.value, valign="middle")]
            for j, (field, _) in enumerate(layout):
                cells.append(Cell(col=2 + j, paras=[self.fund_text(spec, fund, field)], label=FUND_LABELS[field].value,
                                  halign=money_align if field in ("initial_budget", "annual_budget", "executed") else "center", valign="middle"))
            rows.append(Row(cells, splittable=False))
        rel = [1.2, 2.4] + [1.3] * len(layout)
        return self._section(rel, rows, tag, header_rows=1, outer_only=True, key="funds")

    def _goals(self, spec: FormSpec, tag: tuple) -> Section:
        key = self.rng.choice(["年度总体目标", "年度总体目标", "年度主要任务" if spec.form_type.value == "department" else "年度总体目标"])
        if spec.has_actual_goals:
            rows = [
                Row([Cell(col=0, rowspan=2, paras=[key], label=L.key.value, halign="center", valign="middle"),
                     self._key(1, "预期目标"), self._key(2, "实际完成情况")], splittable=False),
                Row([Cell(col=1, paras=spec.goals_expected, label=L.goal_expected.value, valign=self.style.valign),
                     Cell(col=2, paras=spec.goals_actual, label=L.goal_actual.value, valign=self.style.valign)]),
            ]
            return self._section([1.2, 4.4, 4.4], rows, tag, header_rows=1, outer_only=True)
        rows = [Row([Cell(col=0, paras=[key], label=L.key.value, halign="center", valign="middle"),
                     Cell(col=1, paras=spec.goals_expected, label=L.goal_expected.value, valign=self.style.valign)])]
        return self._section([1.2, 8.8], rows, tag, outer_only=True)

    def indicator_text(self, ind: IndicatorSpec, col: str, seq: int) -> str:
        s = self.style
        if col == "seq":
            return str(seq)
        if col in ("weight", "score"):
            value = getattr(ind, col)
            if value is None:
                return ""
            return num(value, s.weight_decimals if col == "weight" else s.score_decimals)
        if col == "deviation":
            return ind.deviation if ind.deviation is not None else (self.dash() if ind.weight is not None else "")
        if col == "note":
            return ind.note or ""
        if col == "nature":
            return ind.nature if ind.weight is not None else ""
        return getattr(ind, col) or ""

    def _indicators(self, spec: FormSpec, k: int, tag: tuple) -> Section:
        s = self.style
        cols = indicator_columns(spec, s)
        left = 1 if s.left_label and self.ruled else 0
        idx = {c: left + j for j, c in enumerate(cols)}
        headers = dict(s.headers)
        if not spec.levels:
            headers["name"] = s.headers["flat_name"]
        n = len(spec.indicators)
        sichuan = "op" in cols
        header_rows = 2 if sichuan else 1
        head: list[Cell] = []
        head2: list[Cell] = []
        if left:
            key = self.rng.choice(["绩效指标", "绩效指标", "绩效指标完成情况"])
            head.append(Cell(col=0, rowspan=header_rows + n, paras=[key], label=L.key.value, halign="center", valign="middle",
                             continuation=s.level_continuation if s.level_continuation != "reprint" else "blank", marker_text=s.marker))
        for c in cols:
            if sichuan and c in ("op", "value", "unit"):
                head2.append(self._key(idx[c], headers[c]))
                if c == "op":
                    head.append(self._key(idx[c], headers["target"] if headers["target"] != "指标值" else "年度指标值", colspan=3))
                continue
            head.append(self._key(idx[c], headers[c], rowspan=header_rows))
        rows = [Row(head, splittable=False)] + ([Row(head2, splittable=False)] if sichuan else [])
        # level groups: consecutive rows sharing level1 (and level2 within it)
        spans: dict[tuple[str, int], int] = {}
        if s.merge_levels and spec.levels:
            for lvl in ("level1", "level2"):
                start = 0
                for i in range(1, n + 1):
                    same = i < n and getattr(spec.indicators[i], lvl) == getattr(spec.indicators[start], lvl)
                    if lvl == "level2" and same:
                        same = spec.indicators[i].level1 == spec.indicators[start].level1
                    if not same:
                        spans[(lvl, start)] = i - start
                        start = i
        seq = 0
        for i, ind in enumerate(spec.indicators):
            cells: list[Cell] = []
            for c in cols:
                if c in ("level1", "level2"):
                    if s.merge_levels:
                        if (c, i) not in spans:
                            continue
                        cells.append(Cell(col=idx[c], rowspan=spans[(c, i)], paras=[getattr(ind, c) or ""], label=IND_LABELS[c].value,
                                          halign="center", valign="middle", continuation=s.level_continuation, marker_text=s.marker))
                    else:
                        cells.append(Cell(col=idx[c], paras=[getattr(ind, c) or ""], label=IND_LABELS[c].value, halign="center", valign=s.valign))
                    continue
                if c in ("op", "value", "unit", "target", "unit_col"):
                    text = target_cells(ind, cols).get(c, "")
                else:
                    if c == "seq" and not ind.level_only:
                        seq += 1
                    text = self.indicator_text(ind, c, seq) if not ind.level_only else ""
                halign = "center"
                if c in ("name", "deviation", "note") and len(text) > 6:
                    halign = s.name_align if c == "name" else "left"
                elif c in ("target", "actual", "value") and len(text) > 14:
                    halign = "left"
                cells.append(Cell(col=idx[c], paras=[text] if text else [], label=IND_LABELS[c].value, halign=halign, valign=s.valign))
            row_tag = None if ind.indicator() is None else ("ind", k, i)
            rows.append(Row(cells, tag=row_tag, splittable=s.split_rows))
        # total row: 总分 over the leading text columns, the 100 and the total in their columns
        total_cells: list[Cell] = []
        all_cols = (["left"] if left else []) + cols
        run: list[int] | None = None

        def close_run() -> None:
            if run is None:
                return
            first = not total_cells
            text = headers["total"] if first else self.dash()
            total_cells.append(Cell(col=run[0], colspan=run[1] - run[0], paras=[text] if text else [],
                                    label=L.key.value if first else L.other.value, halign="center", valign="middle"))

        for j, c in enumerate(all_cols):
            if c == "weight":
                close_run()
                run = None
                total_cells.append(Cell(col=j, paras=[num(spec.total_weight, s.weight_decimals)], label=L.total_weight.value, halign="center", valign="middle"))
            elif c == "score":
                close_run()
                run = None
                total_cells.append(Cell(col=j, paras=[num(spec.total_score, s.score_decimals)], label=L.total_score.value, halign="center", valign="middle"))
            elif run is None:
                run = [j, j + 1]
            else:
                run[1] = j + 1
        close_run()
        rows.append(Row(total_cells, splittable=False))
        if s.grade_printed:
            gcol = max(2, len(all_cols) - 3)
            rows.append(Row([Cell(col=0, colspan=gcol, paras=[headers["grade"]], label=L.key.value, halign="center", valign="middle"),
                             Cell(col=gcol, colspan=len(all_cols) - gcol, paras=[spec.grade], label=L.grade.value, halign="center", valign="middle")],
                            splittable=False))
        rel = ([0.55] if left else []) + [WIDTHS[c] for c in cols]
        sec = self._section(rel, rows, tag, header_rows=header_rows, repeat_header=s.header_repeat, outer_only=True, key="ind",
                            marker=s.marker if s.marker != "none" and s.marker_place == "line" else None,
                            marker_align=self.rng.choice(["left", "left", "right"]))
        return sec

    def _after(self, spec: FormSpec, tag: tuple) -> list[Section]:
        """评价结论/存在问题/改进措施 rows under the table, then a note and signature lines."""
        out: list[Section] = []
        if spec.after_blocks:
            rows = [Row([Cell(col=0, paras=[h], label=L.other.value, halign="center", valign="middle"),
                         Cell(col=1, paras=[t], label=L.other.value)]) for h, t in spec.after_blocks]
            out.append(self._section([1.2, 8.8], rows, tag, gap_before=0 if self.ruled else 6))
        lines: list[Row] = []
        if spec.note:
            lines.append(Row([Cell(col=0, paras=[spec.note], label=L.other.value)]))
        if spec.signatures:
            gap = "　" * self.rng.randint(4, 8)
            lines.append(Row([Cell(col=0, paras=[gap.join(spec.signatures)], label=L.other.value)], min_height=30))
        if lines:
            out.append(Section(col_widths=[self.width], rows=lines, ruled=False, size=self.size, tag=tag, gap_before=4))
        return out

    # ------------------------------------------------------------------ not a form
    def rubric_sections(self, k: int) -> list[Section]:
        tag = ("other", k)
        rng = self.rng
        title = Section(col_widths=[self.width], rows=[Row([Cell(col=0, paras=[rng.choice(vocab.RUBRIC_TITLES)], label=L.other.value,
                                                                 halign="center", size=self.size + 5)], splittable=False)],
                        ruled=False, size=self.size, tag=tag, gap_before=28, keep_with_next=120, pad_y=4)
        heads = ["一级指标", "二级指标", "三级指标", "指标解释", "评分标准", "分值", "自评得分"]
        rows = [Row([Cell(col=j, paras=[h], label=L.other.value, halign="center", valign="middle") for j, h in enumerate(heads)], splittable=False)]
        chosen = sorted(rng.sample(range(len(vocab.RUBRIC_ROWS)), rng.randint(4, len(vocab.RUBRIC_ROWS))))
        for j in chosen:
            l1, l2, name, expl, rule = vocab.RUBRIC_ROWS[j]
            w = rng.choice([2, 3, 4, 5, 6, 8, 10])
            got = w if rng.random() < 0.7 else round(w * rng.uniform(0.5, 0.95), 1)
            texts = [l1, l2, name, expl, rule, str(w), f"{got:g}"]
            rows.append(Row([Cell(col=c, paras=[t], label=L.other.value, halign="center" if c in (0, 1, 5, 6) else "left", valign="middle")
                             for c, t in enumerate(texts)]))
        table = Section(col_widths=self._widths([1.0, 1.2, 1.6, 3.2, 3.2, 0.8, 0.9]), rows=rows, ruled=True, size=self.size,
                        tag=tag, gap_before=6, header_rows=1, repeat_header=True)
        return [title, table]
