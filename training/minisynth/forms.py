"""The content model: internally consistent forms (the ground truth) and how each is printed.

`random_form` draws a form the way finance bureaus fill them in; `random_style` draws how
a province's software prints it (column set and order, header words, fonts, ruling,
pagination habits). The printer turns (form, style) into pages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from service.contract import Form, FormType, FundRow, Goals, Indicator

from . import vocab

FONTS = {
    "noto-sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "noto-serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "wqy-zenhei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "wqy-microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
}

# Indicator column orders seen in published forms (ids are kept in the manifest).
COLUMN_ORDERS = {
    "standard": ["level1", "level2", "name", "target", "actual", "weight", "score", "deviation"],
    "weight-first": ["level1", "level2", "name", "weight", "target", "actual", "score", "deviation"],
    "target-first": ["level1", "level2", "target", "name", "actual", "weight", "score", "deviation"],
    "no-deviation": ["level1", "level2", "name", "target", "actual", "weight", "score"],
    "sichuan": ["level1", "level2", "name", "op", "value", "unit", "actual", "weight", "score", "deviation"],
    "with-notes": ["seq", "level1", "level2", "name", "note", "target", "actual", "weight", "score", "deviation"],
    "flat": ["seq", "name", "target", "actual", "weight", "score", "deviation"],
    "flat-adjusted": ["name", "target", "adjusted", "actual", "weight", "score", "deviation"],
}

HEADER_WORDS = {
    "level1": ["一级指标"],
    "level2": ["二级指标"],
    "name": ["三级指标"],
    "target": ["年度指标值", "指标值", "年度指标值（A）", "年初指标值"],
    "actual": ["实际完成值", "完成值", "全年实际值", "全年完成值", "实际完成值（B）"],
    "weight": ["分值", "权重", "指标权重（分）", "指标分值", "分数"],
    "score": ["得分", "指标得分（分）"],
    "deviation": ["偏差原因分析及改进措施", "未完成原因分析", "未完成原因及拟采取的改进措施"],
    "op": ["指标性质"],
    "value": ["指标值"],
    "unit": ["度量单位"],
    "seq": ["序号"],
    "note": ["指标说明"],
    "adjusted": ["调整指标值"],
}
FLAT_NAME_WORDS = ["指标名称", "三级指标"]

FUND_LAYOUTS = {
    "full": [("initial_budget", "年初预算数"), ("annual_budget", "全年预算数"), ("executed", "全年执行数"),
             ("weight", "分值"), ("execution_rate", "执行率"), ("score", "得分")],
    "adjusted": [("initial_budget", "年初预算"), ("annual_budget", "调整后预算数"), ("executed", "预算执行数"),
                 ("execution_rate", "预算执行率"), ("weight", "权重"), ("score", "得分")],
    "no-initial": [("annual_budget", "全年预算数"), ("executed", "全年执行数"), ("weight", "分值"),
                   ("execution_rate", "执行率"), ("score", "得分")],
}


@dataclass
class Style:
    font: str = "noto-sans"
    size: float = 9.0
    landscape: bool = False
    ruled: bool = True
    column_order: str = "standard"
    headers: dict[str, str] = field(default_factory=dict)
    fund_layout: str = "full"
    header_repeat: bool = False
    marker: str | None = "续上页"  # 续上页 | 续表 | 接上页 | None
    marker_in_column: bool = True  # in the left 绩效指标 column, else a line above the table
    left_label: bool = True  # the merged 绩效指标 column at the table's left
    valign: str = "top"  # top | middle
    reprint_levels: bool = True  # level cells repeat their text on a continuation page
    level1_points: bool = False  # "产出指标（50分）"
    dash: str = "——"
    split_rows: bool = True  # rows may break across pages

    def tags(self) -> dict[str, object]:
        return {
            "font": self.font, "font_size": self.size, "orientation": "landscape" if self.landscape else "portrait",
            "ruled": self.ruled, "column_order": self.column_order, "fund_layout": self.fund_layout,
            "header_repeat": self.header_repeat, "marker": self.marker or "none",
            "marker_place": "column" if self.marker_in_column else "line", "valign": self.valign,
            "level1_points": self.level1_points,
        }


def random_style(rng: random.Random, form_type: FormType, exclude: dict[str, set[str]] | None = None) -> Style:
    """A printing style; ``exclude`` maps a tag to values never to draw (withheld styles)."""
    exclude = exclude or {}

    def pick(tag: str, options: list, weights: list[float] | None = None):
        allowed = [(o, w) for o, w in zip(options, weights or [1.0] * len(options)) if str(o).lower() not in exclude.get(tag, set())]
        if not allowed:
            allowed = list(zip(options, weights or [1.0] * len(options)))
        return rng.choices([o for o, _ in allowed], [w for _, w in allowed])[0]

    flat = form_type is FormType.department and rng.random() < 0.6
    orders = ["flat", "flat-adjusted"] if flat else ["standard", "weight-first", "target-first", "no-deviation", "sichuan", "with-notes"]
    order = pick("column_order", orders, None if flat else [4, 1, 1, 1, 1, 1])
    style = Style(
        font=pick("font", list(FONTS)),
        size=rng.choice([8.0, 8.5, 9.0, 9.5, 10.0, 10.5]),
        landscape=pick("orientation", ["portrait", "landscape"], [4, 1]) == "landscape",
        ruled=pick("ruled", [True, False], [5, 1]),
        column_order=order,
        fund_layout=pick("fund_layout", list(FUND_LAYOUTS)),
        header_repeat=pick("header_repeat", [True, False]),
        marker=pick("marker", ["续上页", "续表", "接上页", None], [2, 1, 1, 2]),
        marker_in_column=rng.random() < 0.5,
        left_label=not flat and rng.random() < 0.7,
        valign=rng.choice(["top", "top", "middle"]),
        reprint_levels=rng.random() < 0.6,
        level1_points=not flat and rng.random() < 0.2,
        dash=rng.choice(["——", "——", "—", "-", "/", ""]),
    )
    style.headers = {k: rng.choice(v) for k, v in HEADER_WORDS.items()}
    style.headers["name"] = rng.choice(FLAT_NAME_WORDS) if flat else "三级指标"
    if not style.ruled:
        style.left_label = False
        style.marker_in_column = False
    return style


def _text(value: str | None) -> str | None:
    """The contract's rule: a blank or dash-only cell is null."""
    return None if value is None or value.strip("—-/ ") == "" else value


def _grade(total: float) -> str:
    for floor, grade in vocab.GRADES:
        if total >= floor:
            return grade
    return "差"


def _split_weights(rng: random.Random, total: float, n: int) -> list[float]:
    """n positive weights summing exactly to total, in halves or whole points."""
    if n == 0:
        return []
    step = 0.5 if total / n < 3 else 1.0
    units = int(round(total / step))
    if units < n:
        step = total / n
        return [round(step, 4)] * n
    cuts = sorted(rng.sample(range(1, units), n - 1)) if n > 1 else []
    parts = [b - a for a, b in zip([0] + cuts, cuts + [units])]
    return [p * step for p in parts]


def random_form(rng: random.Random, form_type: FormType | None = None, n_indicators: int | None = None) -> Form:
    """An internally consistent form: weights sum to 100, scores ≤ weights and add up to the total."""
    form_type = form_type or (FormType.department if rng.random() < 0.25 else FormType.project)
    year = rng.randint(2016, 2024)
    city = rng.choice(vocab.CITIES)
    department = city + rng.choice(vocab.AGENCIES)
    if form_type is FormType.project:
        title = "项目支出绩效自评表"
        name = rng.choice(vocab.PROJECT_TOPICS) + rng.choice(vocab.PROJECT_SUFFIX)
        unit = city + rng.choice(vocab.UNITS) if rng.random() < 0.8 else department
    else:
        title = "部门整体支出绩效自评表"
        name = department if rng.random() < 0.6 else city + rng.choice(vocab.UNITS)
        unit = None
    form = Form(
        form_type=form_type, title=title, year=year, project_name=name,
        department=department if form_type is FormType.project or rng.random() < 0.5 else None,
        implementing_unit=unit, project_lead=vocab.person(rng), contact_phone=vocab.phone(rng),
    )
    # Funds (万元): executed never exceeds the annual budget.
    annual = vocab.money(rng, 5, 3000)
    executed = round(annual * rng.uniform(0.82, 1.0), 6) if rng.random() < 0.8 else annual
    rate = round(executed / annual * 100, 2)
    fund_weight = 10.0
    fund_score = round(fund_weight * min(rate, 100.0) / 100, 2)
    initial = round(annual * rng.uniform(0.8, 1.1), rng.choice((2, 4, 6))) if rng.random() < 0.85 else annual
    funds = [FundRow(item="年度资金总额", item_kind="total", initial_budget=initial, annual_budget=annual,
                     executed=executed, weight=fund_weight, execution_rate=rate, score=fund_score)]
    if form_type is FormType.department and rng.random() < 0.5:
        basic = round(annual * rng.uniform(0.4, 0.8), 2)
        subs = [("基本支出", "basic", basic), ("项目支出", "project", round(annual - basic, 6))]
    else:
        appropriation = rng.choice(["当年财政拨款", "本年财政拨款", "财政资金", "财政拨款"])
        share = rng.choice([1.0, 1.0, rng.uniform(0.6, 0.95)])
        subs = [(appropriation, "appropriation", round(annual * share, 6)), ("上年结转资金", "carryover", round(annual * (1 - share), 6) if share < 1 else None)]
        if rng.random() < 0.3:
            subs.append((rng.choice(["财政专户管理资金", "单位资金"]), rng.choice(["special_account", "unit"]), None))
        subs.append(("其他资金", "other", None))
    for item, kind, value in subs:
        funds.append(FundRow(item=item, item_kind=kind, initial_budget=round(value * initial / annual, 6) if value is not None else None, annual_budget=value,
                             executed=round(value * executed / annual, 6) if value is not None else None))
    form.funds = funds
    # Goals: numbered paragraphs.
    k = rng.randint(1, 3)
    form.goals = Goals(
        expected="".join(f"{i + 1}.{g}" for i, g in enumerate(rng.sample(vocab.EXPECTED_GOALS, k))),
        actual="".join(f"{i + 1}.{g.format(n=rng.randint(100, 3000), p=rate)}" for i, g in enumerate(rng.sample(vocab.ACTUAL_GOALS, k))),
    )
    # Indicators.
    n = n_indicators or rng.choices([rng.randint(1, 4), rng.randint(6, 25), rng.randint(26, 80)], [1, 6, 2])[0]
    rows: list[tuple[str | None, str | None, str, str]] = []
    if form_type is FormType.department and rng.random() < 0.6:
        for i in range(n):
            nm, kind = vocab.DEPARTMENT_INDICATORS[i % len(vocab.DEPARTMENT_INDICATORS)]
            rows.append((None, None, nm if i < len(vocab.DEPARTMENT_INDICATORS) else f"{nm}（{i // len(vocab.DEPARTMENT_INDICATORS) + 1}）", kind))
    else:
        level1s = list(vocab.INDICATORS)
        share = [0.6, 0.3, 0.1]
        counts = [max(1, round(n * s)) for s in share][: max(1, min(3, n))]
        counts[0] += n - sum(counts)
        for l1, count in zip(level1s, counts):
            level2s = list(vocab.INDICATORS[l1])
            used: dict[str, int] = {}
            chosen_l2 = sorted(rng.sample(level2s, min(len(level2s), max(1, min(count, rng.randint(1, len(level2s)))))), key=level2s.index)
            for j in range(count):
                l2 = chosen_l2[min(j * len(chosen_l2) // count, len(chosen_l2) - 1)]
                nm, kind = rng.choice(vocab.INDICATORS[l1][l2])
                used[nm] = used.get(nm, 0) + 1
                if used[nm] > 1 and kind != "placeholder":
                    nm = f"{nm}（{used[nm]}）"
                rows.append((l1, l2, nm, kind))
    weights = _split_weights(rng, 100 - fund_weight, len(rows))
    indicators = []
    for (l1, l2, nm, kind), w in zip(rows, weights):
        met = rng.random() < 0.8
        target, actual = vocab.make_value(kind, rng, year, met)
        score = w if met else round(w * rng.uniform(0.5, 0.95), 2)
        deviation = None if met and rng.random() < 0.85 else rng.choice(vocab.DEVIATION_REASONS)
        indicators.append(Indicator(level1=l1, level2=l2, name=nm, target=_text(target), actual=_text(actual),
                                    weight=w, score=score, deviation=deviation))
    form.indicators = indicators
    form.total_score = round(fund_score + sum(i.score for i in indicators), 2)
    form.grade = _grade(form.total_score)
    return form
