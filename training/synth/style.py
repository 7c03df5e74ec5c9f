"""The style model: how a province's finance software prints a form.

One ``Style`` per document (one PDF comes out of one system): column set and order, header
words, ruling, orientation, font and size, pagination habits (header repeat, 续上页
markers, split rows), number formats. ``Style.tags()`` is what the manifest records, so
evaluation can select hard subsets and training can withhold styles.
"""

from __future__ import annotations

import random

from pydantic import BaseModel, Field

FONTS: dict[str, tuple[str, int]] = {
    "noto_sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    "noto_serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "wqy_zenhei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "wqy_microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    "kaiti": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),  # AR PL UKai (Debian fonts-arphic-ukai)
}


def available_fonts() -> list[str]:
    """Style fonts whose files are installed (kaiti needs fonts-arphic-ukai)."""
    from pathlib import Path

    return [name for name, (path, _) in FONTS.items() if Path(path).exists()]

# Indicator table column orders (ids recorded in the manifest as column_order).
COLUMN_ORDERS: dict[str, list[str]] = {
    "standard": ["level1", "level2", "name", "target", "actual", "weight", "score", "deviation"],
    "no_deviation": ["level1", "level2", "name", "target", "actual", "weight", "score"],
    "weight_first": ["level1", "level2", "name", "weight", "target", "actual", "score", "deviation"],
    "score_first": ["level1", "level2", "name", "weight", "score", "target", "actual", "deviation"],
    "target_first": ["level1", "level2", "target", "name", "actual", "weight", "score", "deviation"],
    "sichuan": ["level1", "level2", "name", "op", "value", "unit", "actual", "weight", "score", "deviation"],
    "with_note": ["seq", "level1", "level2", "name", "note", "target", "actual", "weight", "score", "deviation"],
    "with_unit": ["level1", "level2", "name", "nature", "target", "unit_col", "actual", "weight", "score", "deviation"],
}
# relative column widths
WIDTHS = {
    "seq": 0.7, "level1": 1.45, "level2": 1.6, "name": 3.6, "note": 2.8, "target": 2.8, "actual": 2.8, "weight": 1.0,
    "score": 1.0, "deviation": 3.0, "op": 1.0, "value": 1.6, "unit": 1.2, "nature": 1.1, "unit_col": 1.1,
}

HEADER_WORDS: dict[str, list[str]] = {
    "level1": ["一级指标"],
    "level2": ["二级指标"],
    "name": ["三级指标"],
    "target": ["年度指标值", "年度指标值", "指标值", "年度指标值（A）", "年初指标值"],
    "actual": ["实际完成值", "实际完成值", "完成值", "全年实际值", "全年完成值", "实际完成值（B）"],
    "weight": ["分值", "分值", "权重", "指标权重（分）", "指标分值", "分数"],
    "score": ["得分", "得分", "指标得分（分）"],
    "deviation": ["偏差原因分析及改进措施", "偏差原因分析及改进措施", "未完成原因分析", "未完成原因及拟采取的改进措施"],
    "op": ["指标性质"],
    "value": ["指标值"],
    "unit": ["度量单位"],
    "seq": ["序号"],
    "note": ["指标说明"],
    "nature": ["指标性质"],
    "unit_col": ["计量单位"],
    "flat_name": ["指标名称", "三级指标", "绩效指标"],
    "total": ["总分", "总分", "合计", "自评总分（分）", "总分："],
    "grade": ["评分等级", "自评等级", "评价等级"],
}

# Budget block columns: (contract field, printed header)
FUND_LAYOUTS: dict[str, list[tuple[str, str]]] = {
    "full": [("initial_budget", "年初预算数"), ("annual_budget", "全年预算数"), ("executed", "全年执行数"),
             ("weight", "分值"), ("execution_rate", "执行率"), ("score", "得分")],
    "full_ab": [("initial_budget", "年初预算数"), ("annual_budget", "全年预算数（A）"), ("executed", "全年执行数（B）"),
                ("weight", "分值"), ("execution_rate", "执行率（B/A）"), ("score", "得分")],
    "adjusted": [("initial_budget", "年初预算"), ("annual_budget", "调整后预算数"), ("executed", "预算执行数"),
                 ("execution_rate", "预算执行率"), ("weight", "权重"), ("score", "得分")],
    "no_initial": [("annual_budget", "全年预算数"), ("executed", "全年执行数"), ("weight", "分值"),
                   ("execution_rate", "执行率"), ("score", "得分")],
    "unweighted": [("initial_budget", "年初预算数"), ("annual_budget", "全年预算数"), ("executed", "全年执行数"),
                   ("execution_rate", "执行率")],
}

MARKERS = ["续上页", "续表", "接上页"]


class Style(BaseModel):
    font: str = "noto_sans"
    size: float = 9.0
    orientation: str = "portrait"  # portrait | landscape
    table: str = "ruled"  # ruled | borderless
    column_order: str = "standard"  # a COLUMN_ORDERS id, or "shuffled" (see shuffle_columns)
    columns: list[str] | None = None  # the indicator columns when shuffled; else COLUMN_ORDERS[column_order]
    headers: dict[str, str] = Field(default_factory=dict)
    fund_layout: str = "full"
    left_label: bool = True  # a merged 绩效指标 column left of the indicator table
    merge_levels: bool = True  # level1/level2 as merged cells; else repeated on every row
    level_continuation: str = "blank"  # merged level cells on a continuation page: blank | reprint | marker
    header_repeat: bool = False
    marker: str = "none"  # none | 续上页 | 续表 | 接上页
    marker_place: str = "line"  # line (above the continued table) | column (inside merged level cells)
    valign: str = "middle"  # top | middle
    split_rows: bool = True
    weight_decimals: int | None = None  # None: as short as exact ("4", "2.5"); 2: "4.00"
    score_decimals: int | None = 2
    money_decimals: int | None = 2  # raised per form so no digit is lost
    dash: str = "——"
    grade_printed: bool = False
    page_numbers: bool = False
    forms_on_new_page: bool = True  # else a form may start mid-page after the previous one
    name_align: str = "left"
    # finer print habits, drawn from a separate stream (see apply_extras)
    jitter_seed: int = 0  # 0: column widths exactly in the template proportions
    line_gap: float = 1.3  # line height / font size
    rule_width: float = 0.6
    title_extra: float = 7.0  # title size over the body size
    money_commas: bool = False  # 1,234.560000
    rate_percent: bool = True  # 99.62% (else 99.62)

    def tags(self) -> dict[str, object]:
        return {
            "font": self.font, "font_size": self.size, "orientation": self.orientation, "table": self.table,
            "column_order": self.column_order, "fund_layout": self.fund_layout, "header_repeat": self.header_repeat,
            "marker": self.marker, "marker_place": self.marker_place if self.marker != "none" else "none",
            "merge_levels": self.merge_levels, "valign": self.valign, "left_label": self.left_label,
            "level_continuation": self.level_continuation, "split_rows": self.split_rows, "dash": self.dash or "empty",
        }


STYLE_CHOICES: dict[str, list] = {
    "font": list(FONTS),  # filtered by available_fonts() when drawn
    "orientation": ["portrait", "landscape"],
    "table": ["ruled", "borderless"],
    "column_order": list(COLUMN_ORDERS),
    "fund_layout": list(FUND_LAYOUTS),
    "marker": ["none", *MARKERS],
    "header_repeat": [True, False],
}


def style_options() -> dict[str, list[str]]:
    """Every value each drawn style tag can take (as manifest strings)."""
    return {
        "font": available_fonts(), "orientation": ["portrait", "landscape"], "table": ["ruled", "borderless"],
        "column_order": list(COLUMN_ORDERS), "fund_layout": list(FUND_LAYOUTS), "marker": ["none", *MARKERS],
        "header_repeat": ["true", "false"],
    }


def random_style(rng: random.Random, exclude: dict[str, set[str]] | None = None,
                 force: dict[str, str] | None = None) -> Style:
    """A printing style. ``exclude`` maps a tag to values never drawn (withheld styles);
    ``force`` maps a tag to the only value drawn (held-out sets of exactly those styles)."""
    exclude = {k: {v.lower() for v in vs} for k, vs in (exclude or {}).items()}
    force = {k: v.lower() for k, v in (force or {}).items()}

    def pick(tag: str, options: list, weights: list[float] | None = None):
        pairs = list(zip(options, weights or [1.0] * len(options)))
        if tag in force:
            chosen = [p for p in pairs if _tag(p[0]) == force[tag]]
            if chosen:
                return chosen[0][0]
        allowed = [p for p in pairs if _tag(p[0]) not in exclude.get(tag, set())] or pairs
        return rng.choices([o for o, _ in allowed], [w for _, w in allowed])[0]

    table = pick("table", ["ruled", "borderless"], [5, 1])
    style = Style(
        font=pick("font", available_fonts(), [{"noto_sans": 3, "noto_serif": 3}.get(f, 2) for f in available_fonts()]),
        size=rng.choice([8.0, 8.5, 9.0, 9.0, 9.5, 10.0, 10.5]),
        orientation=pick("orientation", ["portrait", "landscape"], [4, 1]),
        table=table,
        column_order=pick("column_order", list(COLUMN_ORDERS), [6, 1.5, 1, 1, 1, 1.5, 1, 1]),
        fund_layout=pick("fund_layout", list(FUND_LAYOUTS), [4, 2, 2, 1.5, 0.001]),
        header_repeat=pick("header_repeat", [True, False]),
        marker=pick("marker", ["none", *MARKERS], [3, 3, 1.5, 1.5]),
        marker_place=rng.choice(["line", "column"]) if table == "ruled" else "line",
        left_label=table == "ruled" and rng.random() < 0.6,
        merge_levels=table == "ruled" and rng.random() < 0.8 or rng.random() < 0.3,
        valign=rng.choice(["middle", "middle", "top"]),
        split_rows=rng.random() < 0.75,
        weight_decimals=rng.choice([None, None, 2]),
        score_decimals=rng.choice([None, 2, 2]),
        money_decimals=rng.choice([2, 2, 4, 6, None]),
        dash=rng.choice(["——", "——", "—", "/", "-", ""]),
        grade_printed=rng.random() < 0.35,
        page_numbers=rng.random() < 0.3,
        forms_on_new_page=rng.random() < 0.6,
        name_align=rng.choice(["left", "left", "center"]),
    )
    style.level_continuation = rng.choice(["blank", "reprint"])
    if style.marker != "none" and style.marker_place == "column":
        style.level_continuation = "marker"
    style.headers = {k: rng.choice(v) for k, v in HEADER_WORDS.items()}
    if style.column_order == "sichuan":
        style.headers["deviation"] = "未完成原因分析"
        style.headers["weight"] = rng.choice(["权重", "分值"])
        style.headers["actual"] = "完成值"
    if style.fund_layout == "adjusted":
        style.headers["weight"] = rng.choice(["权重", style.headers["weight"]])
    return style


def apply_extras(style: Style, rng: random.Random) -> None:
    """Print habits that vary between systems but not what is printed: column proportions,
    line spacing, rule weight, title size, thousands separators, % signs."""
    style.jitter_seed = rng.randrange(1, 10**6)
    style.line_gap = rng.choice([1.15, 1.2, 1.3, 1.3, 1.4, 1.5])
    style.rule_width = rng.choice([0.4, 0.5, 0.6, 0.75, 1.0])
    style.title_extra = rng.choice([4.0, 6.0, 7.0, 8.0, 9.0])
    style.money_commas = rng.random() < 0.12
    style.rate_percent = rng.random() < 0.9


# Columns printed as one group wherever they stand: a target split into 性质|值|单位, or value|计量单位.
COLUMN_GROUPS = [("op", "value", "unit"), ("target", "unit_col")]


def shuffle_columns(style: Style, rng: random.Random) -> None:
    """Print the indicator columns after the level columns in a random order that no named
    order has (so a withheld order stays unseen): a learned labeller must read the headers,
    since no column sits anywhere by habit. The column_order tag becomes "shuffled"."""
    base = COLUMN_ORDERS[style.column_order]
    lead = [c for c in base if c in ("seq", "level1", "level2")]
    blocks: list[list[str]] = []
    for col in base:
        if col in lead or any(col in g[1:] for g in COLUMN_GROUPS):
            continue
        group = next((g for g in COLUMN_GROUPS if g[0] == col), (col,))
        blocks.append([c for c in group if c in base])
    named = {tuple(cols) for cols in COLUMN_ORDERS.values()}
    for _ in range(50):
        rng.shuffle(blocks)
        columns = lead + [c for block in blocks for c in block]
        if tuple(columns) not in named:
            style.columns, style.column_order = columns, "shuffled"
            return


def _tag(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()
