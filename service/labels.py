"""The field labels every labeller assigns to tokens.

One vocabulary for the generator's token labels, the token classifier's classes
(as BIO tags), the header-keyword labeller and reconstruction.
"""

from __future__ import annotations

from enum import Enum


class FieldLabel(str, Enum):
    other = "O"
    title = "TITLE"  # 项目支出绩效自评表, （2020年度）
    key = "KEY"  # any printed key or column header: 项目名称, 一级指标, 年初预算数, 总分 …
    marker = "MARKER"  # 续上页 / 续表 / 接上页
    # header values
    project_name = "PROJECT_NAME"
    department = "DEPARTMENT"
    implementing_unit = "IMPLEMENTING_UNIT"
    project_lead = "PROJECT_LEAD"
    contact_phone = "CONTACT_PHONE"
    # funds block
    fund_item = "FUND_ITEM"
    fund_initial = "FUND_INITIAL"
    fund_annual = "FUND_ANNUAL"
    fund_executed = "FUND_EXECUTED"
    fund_weight = "FUND_WEIGHT"
    fund_rate = "FUND_RATE"
    fund_score = "FUND_SCORE"
    # goals
    goal_expected = "GOAL_EXPECTED"
    goal_actual = "GOAL_ACTUAL"
    # indicator table
    level1 = "LEVEL1"
    level2 = "LEVEL2"
    name = "NAME"
    target = "TARGET"
    actual = "ACTUAL"
    weight = "WEIGHT"
    score = "SCORE"
    deviation = "DEVIATION"
    # totals
    total_weight = "TOTAL_WEIGHT"  # the 100 in the 总分 row
    total_score = "TOTAL_SCORE"
    grade = "GRADE"


LABELS: list[str] = [label.value for label in FieldLabel]

# BIO tags for the token classifier: "O" plus B-/I- for every other label.
BIO_TAGS: list[str] = ["O"] + [f"{p}-{label}" for label in LABELS if label != "O" for p in ("B", "I")]

HEADER_FIELDS: dict[FieldLabel, str] = {
    FieldLabel.project_name: "project_name",
    FieldLabel.department: "department",
    FieldLabel.implementing_unit: "implementing_unit",
    FieldLabel.project_lead: "project_lead",
    FieldLabel.contact_phone: "contact_phone",
}

FUND_FIELDS: dict[FieldLabel, str] = {
    FieldLabel.fund_item: "item",
    FieldLabel.fund_initial: "initial_budget",
    FieldLabel.fund_annual: "annual_budget",
    FieldLabel.fund_executed: "executed",
    FieldLabel.fund_weight: "weight",
    FieldLabel.fund_rate: "execution_rate",
    FieldLabel.fund_score: "score",
}

INDICATOR_FIELDS: dict[FieldLabel, str] = {
    FieldLabel.level1: "level1",
    FieldLabel.level2: "level2",
    FieldLabel.name: "name",
    FieldLabel.target: "target",
    FieldLabel.actual: "actual",
    FieldLabel.weight: "weight",
    FieldLabel.score: "score",
    FieldLabel.deviation: "deviation",
}
