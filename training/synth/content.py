"""The content model: internally consistent 绩效自评表 as they are filled in.

``random_spec`` draws a ``FormSpec``: every cell's printed text plus the facts the printer
needs (paragraphs of the goal cells, the operator/value/unit parts of a target for
split-column templates, level-only and placeholder rows, text blocks after the table).
``FormSpec.form()`` is the contract ``Form`` for it; ``random_form`` returns that directly.

Invariants (for every form with a weighted fund row): Σ indicator weights + fund weight = 100;
score ≤ weight; Σ scores (indicators + fund) = total_score; execution_rate =
round(executed / annual_budget × 100, 2); executed ≤ annual_budget; a row not scored in full
has a deviation reason; a missed target is never scored in full; grade matches the total
(优 ≥ 90, 良 80–90, 中 60–80, 差 < 60).
"""

from __future__ import annotations

import random
import re
from pydantic import BaseModel, Field

from service.contract import Form, FormType, FundRow, Goals, Indicator

from . import vocab

DASH_RE = re.compile(r"^[—―－\-–_/／\\、.。…·]*$")


def contract_text(printed: str | None) -> str | None:
    """A printed cell as the contract holds it: whitespace dropped, dashes and blanks → None."""
    if printed is None:
        return None
    text = re.sub(r"\s+", "", printed)
    if not text or DASH_RE.match(text):
        return None
    return text


def grade_of(total: float) -> str:
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    if total >= 60:
        return "中"
    return "差"


class IndicatorSpec(BaseModel):
    """One printed indicator row (texts as printed; numbers as values)."""

    level1: str | None = None
    level2: str | None = None
    name: str | None = None
    target: str | None = None
    actual: str | None = None
    weight: float | None = None
    score: float | None = None
    deviation: str | None = None
    # (operator, value, unit) when the target splits into 指标性质 | 指标值 | 度量单位.
    target_parts: tuple[str, str, str] | None = None
    nature: str = "定量"  # 指标性质 column of some templates (not a contract field)
    note: str | None = None  # 指标说明 column (not a contract field)
    level_only: bool = False  # an empty level-2 category: a row with no indicator

    def indicator(self) -> Indicator | None:
        """The contract row, or None for rows that carry no indicator (level-only, "……")."""
        if self.level_only:
            return None
        values = {k: contract_text(getattr(self, k)) for k in ("name", "target", "actual", "deviation")}
        if not any(values.values()) and self.weight is None and self.score is None:
            return None
        return Indicator(level1=contract_text(self.level1), level2=contract_text(self.level2),
                         weight=self.weight, score=self.score, **values)


class FundSpec(BaseModel):
    label: str  # as printed, e.g. "其中：当年财政拨款"
    kind: str
    initial_budget: float | None = None
    annual_budget: float | None = None
    executed: float | None = None
    weight: float | None = None
    execution_rate: float | None = None
    score: float | None = None

    def row(self) -> FundRow:
        item = re.sub(r"^其中[:：]\s*", "", self.label.strip())
        return FundRow(item=item, item_kind=self.kind, initial_budget=self.initial_budget,
                       annual_budget=self.annual_budget, executed=self.executed, weight=self.weight,
                       execution_rate=self.execution_rate, score=self.score)


class FormSpec(BaseModel):
    form_type: FormType
    title: str  # first title line as printed
    year_line: str | None  # "（2020年度）" printed under the title, or None when the year is in the title
    year: int
    project_name: str
    department: str | None = None
    implementing_unit: str | None = None
    project_lead: str | None = None
    contact_phone: str | None = None
    extra_header: list[tuple[str, str]] = Field(default_factory=list)  # (key, value) with no contract field
    funds: list[FundSpec] = Field(default_factory=list)
    goals_expected: list[str] = Field(default_factory=list)  # paragraphs
    goals_actual: list[str] = Field(default_factory=list)
    has_actual_goals: bool = True  # some department forms print one 年度总体目标 cell only
    indicators: list[IndicatorSpec] = Field(default_factory=list)
    levels: bool = True  # False: a flat indicator list without 一级/二级 columns
    total_weight: float = 100.0
    total_score: float = 0.0
    grade: str = "优"
    after_blocks: list[tuple[str, str]] = Field(default_factory=list)  # (heading, text) after the table
    signatures: list[str] = Field(default_factory=list)
    note: str | None = None  # 注：… under the table

    @property
    def fund_weight(self) -> float | None:
        return self.funds[0].weight if self.funds else None

    def form(self, grade_printed: bool = True) -> Form:
        """The contract form: what a perfect reader returns for this printed form."""
        indicators = [i for i in (s.indicator() for s in self.indicators) if i is not None]
        return Form(
            form_type=self.form_type,
            title=contract_text(self.title),
            year=self.year,
            project_name=contract_text(self.project_name),
            department=contract_text(self.department),
            implementing_unit=contract_text(self.implementing_unit),
            project_lead=contract_text(self.project_lead),
            contact_phone=contract_text(self.contact_phone),
            funds=[f.row() for f in self.funds],
            goals=Goals(expected=contract_text("".join(self.goals_expected)),
                        actual=contract_text("".join(self.goals_actual)) if self.has_actual_goals else None),
            indicators=indicators,
            total_score=self.total_score,
            grade=self.grade if grade_printed else None,
        )


# ----------------------------------------------------------------------------- small draws


def person(rng: random.Random) -> str:
    given = "".join(rng.choice(vocab.GIVEN_CHARS) for _ in range(rng.choice([1, 2, 2])))
    return rng.choice(vocab.SURNAMES) + given


def phone(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
    area = rng.choice(["010", "021", "022", "023", "028", "0551", "0311", "027", "0571", "020"])
    digits = "".join(rng.choice("0123456789") for _ in range(8 if len(area) == 3 else 7))
    digits = rng.choice("2345678") + digits[1:]
    return rng.choice([f"{area}-{digits}", digits, f"{area}{digits}"]) if kind < 0.9 else digits


def money(rng: random.Random, low: float, high: float) -> float:
    """万元 with 2, 4 or 6 decimals (many budgets are whole 元 amounts, i.e. 4 decimals)."""
    value = rng.uniform(low, high)
    return round(value, rng.choice([2, 2, 4, 6, 6]))


def fmt_num(value: float, decimals: int | None = None) -> str:
    if decimals is None:
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return f"{value:.{decimals}f}"


def date_text(rng: random.Random, year: int, month_lo: int = 1, month_hi: int = 12) -> str:
    month = rng.randint(month_lo, month_hi)
    return f"{year}年{month}月{rng.randint(1, 28)}日"


# ----------------------------------------------------------------------------- indicators


class _Row(BaseModel):
    name: str
    target: str | None
    actual: str | None
    parts: tuple[str, str, str] | None = None
    nature: str = "定量"
    met: bool = True


def _op_text(op: str, style: int) -> str:
    """Operators as the templates print them (full-width ＝ occurs in real forms)."""
    if op == "=":
        return ["=", "＝", ""][style % 3]
    return op


def _quantity(rng: random.Random, year: int, met: bool) -> _Row:
    obj, unit = rng.choice(vocab.COUNT_OBJECTS)
    n = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 19, 20, 24, 30, 45, 50, 100, 120, 200, 500, 540, 1000, 6400])
    op = rng.choice(["≥", "≥", "≥", "=", ""])
    if rng.random() < 0.08 and unit == "万字":  # a target with a sub-target in brackets
        return _Row(name=obj, target=f"≥{n * 8}万字（每种语言≥{n}万字）", actual=f"{n * 8 * 10000 + rng.randint(0, 99999)}字" if met else f"{n * 7 * 10000}字",
                    met=met, parts=("≥", f"{n * 8}", "万字（每种语言≥" + f"{n}万字）"))
    actual_n = (n if op == "=" else n + rng.randint(0, max(1, n // 3))) if met else max(0, n - rng.randint(1, max(1, n // 2)))
    actual = rng.choice([f"{actual_n}{unit}", str(actual_n), f"{actual_n}{unit}"])
    if op == "" and rng.random() < 0.5:
        actual = f"{actual_n}{unit}"
    target = f"{_op_text(op, rng.randint(0, 2)) if op == '=' else op}{n}{unit}"
    return _Row(name=obj, target=target, actual=actual, met=met, parts=(op or "=", str(n), unit))


def _percent(rng: random.Random, year: int, met: bool) -> _Row:
    name, direction = rng.choice(vocab.QUALITY_PERCENT)
    if direction == "<=":
        p = rng.choice([0.1, 0.3, 0.5, 1, 2, 5])
        val = rng.uniform(0, p) if met else rng.uniform(p * 1.2, p * 4)
        target, op = f"≤{p:g}%", "≤"
    elif direction == "=":
        p = 100
        val = 100.0 if met else rng.uniform(90, 99.5)
        target, op = rng.choice(["=100%", "＝100%", "100%"]), "="
    else:
        p = rng.choice([85, 90, 95, 96, 98, 99, 99.9, 99.99])
        val = rng.uniform(p, 100) if met else rng.uniform(p - 8, p - 0.05)
        target, op = f"≥{p:g}%", "≥"
    decimals = rng.choice([0, 1, 2, 2, 3])
    val = min(val, 100.0)
    text = f"{val:.{decimals}f}"
    # the printed actual must still meet/miss once rounded
    if met and ((op == "≥" and float(text) < p) or (op == "≤" and float(text) > p)):
        text = f"{p:g}"
    if not met and ((op == "≥" and float(text) >= p) or (op == "≤" and float(text) <= p) or (op == "=" and float(text) >= 100)):
        text = f"{(p - 1) if op != '≤' else p * 2:g}"
    return _Row(name=name, target=target, actual=f"{text}%", met=met, parts=(op, f"{p:g}", "%"))


def _quality_text(rng: random.Random, year: int, met: bool) -> _Row:
    name, target, actual = rng.choice(vocab.QUALITY_TEXT)
    if target.startswith("=0"):
        return _Row(name=name, target=rng.choice(["=0次", "＝0次", "0次"]), actual="0" if met else f"{rng.randint(1, 3)}次",
                    met=met, parts=("=", "0", "次"))
    act = actual.format(date=date_text(rng, year + (0 if met else 1), 1, 12)) if met else rng.choice(["未通过验收", "部分符合", "基本符合"])
    return _Row(name=name, target=target, actual=act, met=met, nature="定性", parts=("=", target, ""))


def _time(rng: random.Random, year: int, met: bool) -> _Row:
    if rng.random() < 0.25:
        name, unit, limit = rng.choice(vocab.TIME_LIMITS)
        got = rng.randint(1, limit) if met else limit + rng.randint(1, 5)
        return _Row(name=name, target=f"≤{limit}{unit}", actual=f"{got}{unit}", met=met, parts=("≤", str(limit), unit))
    name = rng.choice(vocab.TIME_DEADLINE)
    month = rng.randint(3, 12)
    form = rng.randint(0, 5)
    if form == 0:
        target = f"{year}年{month}月底前"
    elif form == 1:
        target = f"{month}月前"
    elif form == 2:
        target = "年底前"
        month = 12
    elif form == 3:
        target = f"{year}年{month}月{rng.choice([15, 20, 30 if month != 2 else 28])}日前"
    elif form == 4:
        target = f"{year}年{rng.choice(['上半年', '第三季度', '12月31日前'])}"
        month = 6 if "上半年" in target else 9 if "三季度" in target else 12
    else:
        target = "按期完成"
        month = 12
    if met:
        # "M月前" ends when month M begins and "M月D日前" may fall before a day-28 date: met means a month earlier
        last = month - 1 if form in (1, 3) else month
        actual = rng.choice([date_text(rng, year, max(1, last - 3), last), date_text(rng, year, max(1, last - 2), last) + "完成", "按期完成"])
        if target == "按期完成":
            actual = rng.choice(["按期完成", "完成"])
    else:
        late = month + rng.randint(1, 3)
        actual = date_text(rng, year + 1, 1, 3) if late > 12 else date_text(rng, year, late, late)
        if target == "按期完成":
            actual = "未按期完成"
    return _Row(name=name, target=target, actual=actual, met=met, nature="定性", parts=("=", target, ""))


def _cost(rng: random.Random, year: int, met: bool) -> _Row:
    obj = rng.choice(vocab.COST_OBJECTS)
    name = rng.choice(vocab.COST_NAMES).format(x=obj)
    if rng.random() < 0.15:
        name = "结余率（计算方法为：结余数/预算数）"
        p = rng.choice([5, 10])
        got = rng.uniform(0, p) if met else rng.uniform(p + 1, p + 10)
        return _Row(name=name, target=f"≤{p}%", actual=f"{got:.2f}%", met=met, parts=("≤", str(p), "%"))
    budget = money(rng, 1, 4000)
    spent = round(budget * rng.uniform(0.6, 1.0), rng.choice([2, 4, 6])) if met else round(budget * rng.uniform(1.01, 1.2), 2)
    spent = min(spent, budget) if met else spent
    actual = rng.choice([f"{fmt_num(spent)}万元", fmt_num(spent)])
    return _Row(name=name, target=f"≤{fmt_num(budget)}万元", actual=actual, met=met, parts=("≤", fmt_num(budget), "万元"))


def _benefit(rng: random.Random, year: int, met: bool, level2: str) -> _Row:
    if level2.startswith("经济"):
        name, target = rng.choice(vocab.ECONOMIC)
    elif level2.startswith("生态"):
        name, target = rng.choice(vocab.ECOLOGICAL)
    elif level2.startswith("可持续"):
        name, target = rng.choice(vocab.SUSTAINABLE)
    else:
        name, target = rng.choice(vocab.SOCIAL), rng.choice(vocab.SOCIAL_TARGETS)
    if "{" in target:
        n, p, y = rng.randint(10, 500), rng.choice([30, 40, 85, 90, 95]), rng.choice([3, 5, 10])
        m = fmt_num(money(rng, 10, 900))
        target = target.format(n=n, p=p, y=y, m=m)
        op = target[0] if target[0] in "≥≤=" else "="
        value = re.search(r"[\d.]+", target).group(0)  # type: ignore[union-attr]
        unit = target[len(op) + len(value):] if target[0] in "≥≤=" else ""
        if met:
            actual = target.lstrip("≥≤=") if op != "≤" else f"{float(value) * 0.9:g}{unit}"
        else:
            actual = f"{float(value) * 0.7:g}{unit}" if op != "≤" else f"{float(value) * 1.3:g}{unit}"
        return _Row(name=name, target=target, actual=actual, met=met, parts=(op, value, unit))
    if met:
        actual = rng.choice(vocab.SOCIAL_ACTUALS_MET + [target])
        if rng.random() < 0.25:  # a descriptive actual, as in the 2020 forms
            actual = rng.choice(["保障了", "有效提升了", "进一步完善了"]) + name.split("，")[0].lstrip("提升保障完善提供") + "，" + rng.choice(vocab.SOCIAL_ACTUALS_MET)
    else:
        actual = rng.choice(["部分实现", "效果不明显", "有待提升", "基本实现"])
    return _Row(name=name, target=target, actual=actual, met=met, nature="定性", parts=("=", target, ""))


def _satisfaction(rng: random.Random, year: int, met: bool) -> _Row:
    name = rng.choice(vocab.SATISFACTION)
    if "投诉" in name:
        return _Row(name=name, target=rng.choice(["=0次", "＝0次", "≤10次"]), actual="0次" if met else f"{rng.randint(11, 20)}次",
                    met=met, parts=("=", "0", "次"))
    p = rng.choice([80, 85, 90, 95])
    if met:
        actual = rng.choice([f"{rng.uniform(p, 100):.2f}%", f"{rng.randint(p, 100)}%"])
    else:
        actual = rng.choice([f"{rng.uniform(p - 10, p - 0.5):.2f}%", "未开展满意度调查"])
    return _Row(name=name, target=f"≥{p}%", actual=actual, met=met, parts=("≥", str(p), "%"))


LEVELS: dict[str, list[str]] = {
    "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
    "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}
DEPARTMENT_LEVELS: dict[str, list[str]] = {
    "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
    "效益指标": ["社会效益指标", "经济效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}


def _row_for(rng: random.Random, year: int, level2: str, met: bool) -> _Row:
    if level2.startswith("数量"):
        return _quantity(rng, year, met)
    if level2.startswith("质量"):
        return _percent(rng, year, met) if rng.random() < 0.65 else _quality_text(rng, year, met)
    if level2.startswith("时效"):
        return _time(rng, year, met)
    if level2.startswith("成本"):
        return _cost(rng, year, met)
    if level2.startswith("服务对象"):
        return _satisfaction(rng, year, met)
    return _benefit(rng, year, met, level2)


def _split_weights(rng: random.Random, total: float, n: int) -> list[float]:
    """n positive weights that add up to total exactly, in whole, half or quarter points."""
    if n <= 0:
        return []
    for step in (1.0, 0.5, 0.25):
        units = int(round(total / step))
        if units >= n and abs(units * step - total) < 1e-9:
            break
    else:
        raise ValueError("too many rows for the points")
    # Dirichlet-like split: each row at least one unit, the rest spread unevenly.
    extra = units - n
    cuts = sorted(rng.randint(0, extra) for _ in range(n - 1))
    parts = [b - a for a, b in zip([0] + cuts, cuts + [extra])]
    return [(1 + p) * step for p in parts]


def _level1_points(n_rows: dict[str, int], total: float, rng: random.Random) -> dict[str, float]:
    """Points per 一级指标 in the usual proportions (产出 50, 效益 30, 满意度 10 of 90)."""
    names = [k for k, v in n_rows.items() if v > 0]
    base = {"产出指标": rng.choice([50, 50, 40, 60, 45]), "效益指标": rng.choice([30, 30, 40, 20, 35]), "满意度指标": 10}
    raw = {k: base[k] for k in names}
    s = sum(raw.values())
    points = {k: round(total * v / s) for k, v in raw.items()}
    diff = total - sum(points.values())
    points[names[0]] += diff
    # at least a quarter point per row
    for k in names:
        points[k] = max(points[k], n_rows[k] * 0.25)
    diff = total - sum(points.values())
    biggest = max(names, key=lambda k: points[k] - n_rows[k] * 0.25)
    points[biggest] += diff
    return points


def _deviation(rng: random.Random) -> str:
    k = rng.choice([1, 1, 2, 2, 3])
    return "".join(rng.sample(vocab.DEVIATION_SENTENCES, k)).rstrip("。") + rng.choice(["。", "。", ""])


def _indicators(rng: random.Random, form_type: FormType, year: int, n: int, total_points: float, levels: bool,
                points_in_label: bool, met_rate: float = 0.8) -> list[IndicatorSpec]:
    catalogue = LEVELS if form_type is FormType.project else DEPARTMENT_LEVELS
    # rows per level1: the usual shape is many 产出 rows, fewer 效益, one or two 满意度
    share = {"产出指标": 0.6, "效益指标": 0.3, "满意度指标": 0.1}
    counts = {k: 0 for k in catalogue}
    for _ in range(n):
        k = rng.choices(list(catalogue), [share[k] for k in catalogue])[0]
        counts[k] += 1
    if n >= 3:
        for k in catalogue:  # every level1 present when there are rows enough
            if counts[k] == 0:
                donor = max(counts, key=counts.get)  # type: ignore[arg-type]
                counts[donor] -= 1
                counts[k] += 1
    points = _level1_points(counts, total_points, rng)
    specs: list[IndicatorSpec] = []
    names_used: set[str] = set()
    for l1, l2s in catalogue.items():
        count = counts[l1]
        if count == 0:
            continue
        weights = _split_weights(rng, points[l1], count)
        if rng.random() < 0.5 and count > 1:  # equal weights are common when they divide evenly
            if (points[l1] / count) * 4 == int((points[l1] / count) * 4):
                weights = [points[l1] / count] * count
        label = f"{l1}（{fmt_num(points[l1])}分）" if points_in_label else l1
        if points_in_label and rng.random() < 0.4:
            label = f"{l1}({fmt_num(points[l1])}分)"
        # level2 categories used, in template order; rows spread over them
        k2 = min(len(l2s), max(1, rng.randint(1, count)))
        used = sorted(rng.sample(range(len(l2s)), k2))
        assignment = sorted(rng.choice(used) for _ in range(count))
        for j in used:  # each chosen category gets at least one row when possible
            if j not in assignment and count >= len(used):
                assignment[assignment.index(max(set(assignment), key=assignment.count))] = j
                assignment.sort()
        empty_category = rng.random() < 0.06 and len(used) < len(l2s)
        prev_l2 = None
        for w, j in zip(weights, assignment):
            l2 = l2s[j]
            if empty_category and prev_l2 is not None and l2 != prev_l2:
                spare = [c for c in l2s if c not in {l2s[u] for u in used}]
                specs.append(IndicatorSpec(level1=label if levels else None, level2=spare[0] if levels else None, level_only=True))
                empty_category = False
            prev_l2 = l2
            met = rng.random() < met_rate
            for _ in range(6):  # prefer a name not used yet in this form
                row = _row_for(rng, year, l2, met)
                if row.name not in names_used:
                    break
            name = row.name
            suffixes = ["（二）", "2", "（续）", "（第二批）", "（三）", "3", "（其他）"]
            k = 0
            while name in names_used:
                name = f"{row.name}{suffixes[k]}" if k < len(suffixes) else f"{row.name}（{k}）"
                k += 1
            names_used.add(name)
            if met:
                score = w
            else:
                score = round(w * rng.choice([0, 0.5, 0.6, 0.8, 0.9, rng.uniform(0.3, 0.95)]), 2)
                if score >= w:
                    score = round(w - 0.01 if w > 0.01 else 0, 2)
            deviation = None if score == w else _deviation(rng)
            if score == w and rng.random() < 0.05:
                deviation = rng.choice(["无", "无偏差", "0"])
            specs.append(IndicatorSpec(level1=label if levels else None, level2=l2 if levels else None, name=name,
                                       target=row.target, actual=row.actual, weight=w, score=score, deviation=deviation,
                                       target_parts=row.parts, nature=row.nature,
                                       note=rng.choice([None, "反映" + name + "情况", "考核" + name])))
    # template leftovers: a named placeholder row ("指标2") or a "……" row at the end of a level
    if specs and rng.random() < 0.08:
        last = next(s for s in reversed(specs) if not s.level_only)
        specs.append(IndicatorSpec(level1=last.level1, level2=last.level2, name=rng.choice(["指标2", "指标3", "……"])))
    return specs


# ----------------------------------------------------------------------------- forms


def _department_name(rng: random.Random) -> tuple[str, str]:
    """(主管部门, a place prefix) such as ("北京市政务服务管理局", "北京市")."""
    r = rng.random()
    if r < 0.35:
        place = rng.choice(vocab.PROVINCES_MUNI)
        agency = rng.choice(vocab.AGENCIES)[0]
    elif r < 0.65:
        place = rng.choice(vocab.PROVINCES)
        agency = rng.choice(vocab.AGENCIES)[1]
    else:
        place = rng.choice(vocab.CITIES)
        agency = rng.choice(vocab.AGENCIES)[0].replace("委员会", "局") if rng.random() < 0.5 else rng.choice(vocab.AGENCIES)[0]
    if rng.random() < 0.15 and place in vocab.PROVINCES_MUNI:
        place += rng.choice(vocab.DISTRICTS)
    return place + agency, place


def _unit_name(rng: random.Random, department: str, place: str) -> str:
    r = rng.random()
    if r < 0.3:
        return department + rng.choice(["本级", "（本级）", "机关"])
    if r < 0.4:
        return department
    return place + rng.choice(vocab.UNIT_SUFFIXES) if rng.random() < 0.5 else department.replace(place, place, 1) + rng.choice(vocab.UNIT_SUFFIXES)


def _paragraphs(rng: random.Random, templates: list[str], ctx: dict, numbered: bool, k: int) -> list[str]:
    chosen = rng.sample(templates, min(k, len(templates)))
    out = []
    for i, t in enumerate(chosen):
        text = t.format(**ctx)
        out.append(f"{i + 1}.{text}" if numbered and k > 1 else text)
    return out


def _funds(rng: random.Random, form_type: FormType, weighted: bool, fund_weight: float) -> list[FundSpec]:
    annual = money(rng, 3, 5000)
    full = rng.random() < 0.35
    executed = annual if full else round(annual * rng.uniform(0.55, 0.999), 6)
    executed = min(executed, annual)
    rate = round(executed / annual * 100, 2)
    weight = fund_weight if weighted else None
    score = round(fund_weight * min(rate, 100.0) / 100, 2) if weighted else None
    r = rng.random()
    initial = annual if r < 0.45 else (0.0 if r < 0.5 else round(annual * rng.uniform(0.7, 1.15), 6))
    total = FundSpec(label="年度资金总额", kind="total", initial_budget=initial, annual_budget=annual, executed=executed,
                     weight=weight, execution_rate=rate, score=score)
    rows = [total]
    prefix = rng.choice(["其中：", "其中：", "其中:"])
    if form_type is FormType.department and rng.random() < 0.35:
        share = rng.uniform(0.3, 0.8)
        b_annual = round(annual * share, 6)
        b_exec = round(executed * share, 6)
        rows.append(FundSpec(label=prefix + "基本支出", kind="basic", annual_budget=b_annual, executed=b_exec,
                             initial_budget=round(initial * share, 6) if initial else initial,
                             execution_rate=round(b_exec / b_annual * 100, 2) if rng.random() < 0.4 else None))
        p_annual, p_exec = round(annual - b_annual, 6), round(executed - b_exec, 6)
        rows.append(FundSpec(label="项目支出", kind="project", annual_budget=p_annual, executed=p_exec,
                             initial_budget=round(initial - rows[-1].initial_budget, 6) if initial else initial))
        return rows
    approp_label = rng.choice(["当年财政拨款", "当年财政拨款", "本年财政拨款", "财政资金", "财政拨款"])
    carry = rng.random() < 0.25
    share = rng.uniform(0.6, 0.95) if carry else 1.0
    a_annual = round(annual * share, 6) if carry else annual
    a_exec = min(a_annual, round(executed * share, 6)) if carry else executed
    appropriation = FundSpec(label=prefix + approp_label, kind="appropriation", initial_budget=initial if not carry else round(initial * share, 6),
                             annual_budget=a_annual, executed=a_exec)
    if not carry and rng.random() < 0.3:  # the single source repeats the total's rate and score
        appropriation.execution_rate, appropriation.weight, appropriation.score = rate, weight, score
    rows.append(appropriation)
    c_annual = round(annual - a_annual, 6) if carry else None
    c_exec = round(executed - a_exec, 6) if carry else None
    rows.append(FundSpec(label="上年结转资金", kind="carryover", annual_budget=c_annual, executed=c_exec,
                         initial_budget=None if not carry else 0.0 if rng.random() < 0.5 else None))
    if rng.random() < 0.2:
        rows.append(FundSpec(label="财政专户管理资金", kind="special_account"))
    if rng.random() < 0.2:
        rows.append(FundSpec(label="单位资金", kind="unit"))
    rows.append(FundSpec(label="其他资金", kind="other"))
    return rows


def random_spec(rng: random.Random, form_type: FormType | None = None, n_indicators: int | None = None,
                met_rate: float = 0.8) -> FormSpec:
    """A consistent form with everything the printer needs; ``met_rate`` is the chance that an
    indicator meets its target and scores in full (most forms score 85 or more: grade 优 or 良)."""
    if form_type is None:
        form_type = FormType.department if rng.random() < 0.25 else FormType.project
    year = rng.randint(2016, 2024)
    department, place = _department_name(rng)
    topic = rng.choice(vocab.TOPICS)
    if form_type is FormType.project:
        title = "项目支出绩效自评表"
        project_name = rng.choice(vocab.PROJECT_NAMES).format(topic=topic, year=year)
        unit = _unit_name(rng, department, place)
        extra: list[tuple[str, str]] = []
        dept_field: str | None = department
    else:
        title = rng.choice(["部门整体支出绩效自评表", "部门整体支出绩效自评表", "部门（单位）整体支出绩效自评表"])
        project_name = department if rng.random() < 0.6 else _unit_name(rng, department, place)
        unit = None
        dept_field = department if rng.random() < 0.4 else None
        extra = [("财政处室", rng.choice(vocab.FINANCE_DIVISIONS))] if rng.random() < 0.6 else []
    year_line: str | None = rng.choice([f"（{year}年度）", f"（{year}年度）", f"({year}年度)"])
    if rng.random() < 0.2:
        title, year_line = f"{year}年度{title}", None
    levels = form_type is FormType.project or rng.random() < 0.5
    weighted = form_type is FormType.project or rng.random() < 0.6
    fund_weight = rng.choice([10.0, 10.0, 10.0, 20.0, 5.0]) if weighted else 0.0
    funds = _funds(rng, form_type, weighted, fund_weight)
    if n_indicators is None:
        n_indicators = rng.choices([rng.randint(1, 5), rng.randint(6, 18), rng.randint(19, 35), rng.randint(36, 80)], [1, 6, 3, 1])[0]
    points_in_label = levels and rng.random() < 0.2
    indicators = _indicators(rng, form_type, year, n_indicators, 100.0 - fund_weight, levels, points_in_label, met_rate)
    ctx = dict(topic=topic, year=year, next_year=year + 1, n=rng.randint(2, 120), m=rng.randint(100, 5000), k=rng.randint(2, 30),
               p=rng.choice([95, 98, 100]), money=fmt_num(funds[0].executed or 0))
    k = rng.choice([1, 2, 3, 3, 4])
    numbered = rng.random() < 0.7
    goals_expected = _paragraphs(rng, vocab.GOAL_PARAGRAPHS, ctx, numbered, k)
    goals_actual = _paragraphs(rng, vocab.ACTUAL_PARAGRAPHS, ctx, numbered, max(1, k + rng.choice([-1, 0, 0, 1])))
    scores = [i.score for i in indicators if i.score is not None]
    total = round(sum(scores) + (funds[0].score or 0.0), 2)
    after: list[tuple[str, str]] = []
    if rng.random() < 0.3:
        after = [("评价结论", rng.choice(vocab.CONCLUSIONS)), ("存在问题", rng.choice(vocab.PROBLEMS)), ("改进措施", rng.choice(vocab.IMPROVEMENTS))]
        after = after[: rng.choice([1, 3, 3])]
    note = None
    if rng.random() < 0.1:
        note = f"注：{rng.choice(['该项目为' + str(year) + '年12月追加项目', '全年执行数为截至' + str(year) + '年12月31日数据', '偏差原因分析及改进措施一栏在未完成指标时填写'])}。"
    return FormSpec(
        form_type=form_type, title=title, year_line=year_line, year=year, project_name=project_name,
        department=dept_field, implementing_unit=unit, project_lead=person(rng), contact_phone=phone(rng),
        extra_header=extra, funds=funds, goals_expected=goals_expected, goals_actual=goals_actual,
        has_actual_goals=form_type is FormType.project or rng.random() < 0.7,
        indicators=indicators, levels=levels, total_score=total, grade=grade_of(total), after_blocks=after,
        signatures=rng.choice(vocab.SIGNATURES) if rng.random() < 0.5 else [], note=note,
    )


def random_form(rng: random.Random, form_type: FormType | None = None) -> Form:
    """An internally consistent contract form (see the module docstring for the invariants)."""
    return random_spec(rng, form_type).form()
