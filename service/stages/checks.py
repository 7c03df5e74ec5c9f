"""Consistency checks: where a form does not add up, a warning that says where.

Each warning starts with a stable code, then the location and the figures:

- ``weights_sum``: Σ weights (indicators + the funds block) ≠ 100
- ``scores_sum``: Σ scores (indicators + the funds block) ≠ 总分, beyond rounding
- ``score_over_weight``: an indicator's or a fund row's 得分 > 分值
- ``execution_rate``: 执行率 ≠ 全年执行数 / 全年预算数 × 100, beyond the printed precision
- ``executed_over_budget``: 全年执行数 > 全年预算数
- ``met_false_full_score``: an indicator whose actual misses its target (``met`` false,
  set by the normalise stage) scored full marks with no deviation reason
- ``missing_field``: project_name, an indicator's name, or a weight/score/总分 where the
  form prints them for other rows

Totals that do not add up are reported, never corrected: real forms print such totals.
Forms that print no weights at all (some department-wide forms) get no weight checks.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..contract import Form, FundRow, Indicator
from ..document import Document
from ..registry import register

CODES = (
    "weights_sum",
    "scores_sum",
    "score_over_weight",
    "execution_rate",
    "executed_over_budget",
    "met_false_full_score",
    "missing_field",
)


class CheckOptions(BaseModel):
    weight_total: float = 100.0
    # a score printed with a second decimal (2.33) may be a rounded 2.3333: the sum may drift
    # by half a cent per such term; scores printed whole or to one decimal are taken as exact
    rounding_per_term: float = 0.005
    money_tolerance: float = 0.005  # 万元 printed to 2 decimals or more


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _where(index: int, ind: Indicator) -> str:
    name = f" '{ind.name}'" if ind.name else ""
    page = f" (page {ind.page})" if ind.page is not None else ""
    return f"indicator {index}{name}{page}"


def _fund_where(row: FundRow) -> str:
    return f"fund row '{row.item}'"


def funds_block_row(form: Form) -> FundRow | None:
    """The fund row that carries the block's 分值/得分: the total row, else the first with a weight."""
    for row in form.funds:
        if row.item_kind == "total" and (row.weight is not None or row.score is not None):
            return row
    for row in form.funds:
        if row.weight is not None or row.score is not None:
            return row
    return None


def _placeholder(ind: Indicator) -> bool:
    return ind.target is None and ind.actual is None and ind.weight is None and ind.score is None


def _rounded(x: float) -> bool:
    return abs(round(x, 1) - x) > 1e-9


def _decimals(x: float) -> int:
    text = repr(float(x))
    if "e" in text or "." not in text:
        return 0
    frac = text.split(".")[1].rstrip("0")
    return len(frac)


def check_form(form: Form, options: CheckOptions | None = None) -> list[str]:
    """Every consistency warning for one form, in a stable order."""
    opt = options or CheckOptions()
    out: list[str] = []
    indicators = list(enumerate(form.indicators, start=1))
    block = funds_block_row(form)

    if not form.project_name:
        out.append("missing_field: project_name is empty")
    if not form.indicators:
        out.append("missing_field: the form has no indicator rows")

    # a template row left in ("指标2") carries nothing but a name: not a missing field
    rows = [(i, ind) for i, ind in indicators if not _placeholder(ind)]
    # the form prints weights (scores) when any row or its funds block has one; a printed
    # 总分 means rows with a weight are scored
    has_weights = any(ind.weight is not None for ind in form.indicators) or (block is not None and block.weight is not None)
    has_scores = any(ind.score is not None for ind in form.indicators)
    for i, ind in rows:
        if not ind.name:
            out.append(f"missing_field: {_where(i, ind)} has no name")
        if has_weights and ind.weight is None:
            out.append(f"missing_field: {_where(i, ind)} has no weight")
        if ind.score is None and (has_scores or (form.total_score is not None and ind.weight is not None)):
            out.append(f"missing_field: {_where(i, ind)} has no score")
    if has_scores and form.total_score is None:
        out.append("missing_field: total_score (总分) is empty while the rows are scored")

    # Σ weights = 100
    if any(ind.weight is not None for ind in form.indicators) and all(ind.weight is not None for _, ind in rows):
        ind_weights = sum(ind.weight or 0.0 for ind in form.indicators)
        fund_weight = block.weight if block is not None and block.weight is not None else 0.0
        total = ind_weights + fund_weight
        if abs(total - opt.weight_total) > 1e-6 + opt.rounding_per_term:
            out.append(
                f"weights_sum: Σ weights (indicators {_fmt(ind_weights)} + funds {_fmt(fund_weight)}) "
                f"= {_fmt(total)} ≠ {_fmt(opt.weight_total)}"
            )

    # Σ scores = 总分
    if has_scores and form.total_score is not None and all(ind.score is not None for _, ind in rows):
        ind_scores = sum(ind.score or 0.0 for ind in form.indicators)
        fund_score = block.score if block is not None and block.score is not None else 0.0
        total = ind_scores + fund_score
        printed = [ind.score or 0.0 for ind in form.indicators] + [fund_score, form.total_score]
        tolerance = opt.rounding_per_term * sum(_rounded(x) for x in printed) + 1e-6
        if abs(total - form.total_score) > tolerance:
            out.append(
                f"scores_sum: Σ scores (indicators {_fmt(ind_scores)} + funds {_fmt(fund_score)}) "
                f"= {_fmt(total)} ≠ total_score {_fmt(form.total_score)}"
            )

    # 得分 ≤ 分值
    for i, ind in indicators:
        if ind.score is not None and ind.weight is not None and ind.score > ind.weight + 1e-6:
            out.append(f"score_over_weight: {_where(i, ind)}: score {_fmt(ind.score)} > weight {_fmt(ind.weight)}")
    for row in form.funds:
        if row.score is not None and row.weight is not None and row.score > row.weight + 1e-6:
            out.append(f"score_over_weight: {_fund_where(row)}: score {_fmt(row.score)} > weight {_fmt(row.weight)}")

    # funds: 执行数 ≤ 预算数, 执行率 = 执行数 / 预算数
    for row in form.funds:
        annual, executed, rate = row.annual_budget, row.executed, row.execution_rate
        if annual is not None and executed is not None and executed > annual + opt.money_tolerance:
            out.append(
                f"executed_over_budget: {_fund_where(row)}: executed {_fmt(executed)} > annual budget {_fmt(annual)}"
            )
        if annual is not None and executed is not None and rate is not None and annual > 0:
            expected = executed / annual * 100
            # half a unit of the printed precision, plus the budget figures' own rounding
            tolerance = 0.5 * 10 ** (-_decimals(rate)) + 100 * opt.money_tolerance / annual + 1e-6
            if abs(expected - rate) > tolerance:
                out.append(
                    f"execution_rate: {_fund_where(row)}: rate {_fmt(rate)}% ≠ executed / annual budget "
                    f"= {_fmt(executed)} / {_fmt(annual)} = {expected:.2f}%"
                )

    # a missed target scored full needs a reason
    for i, ind in indicators:
        if getattr(ind, "met", None) is not False or ind.score is None or ind.weight is None:
            continue
        reason = (ind.deviation or "").strip()
        if ind.score >= ind.weight - 1e-6 and reason in ("", "无", "0"):
            out.append(
                f"met_false_full_score: {_where(i, ind)}: actual '{ind.actual}' misses target '{ind.target}' "
                f"but scored {_fmt(ind.score)} of {_fmt(ind.weight)} with no deviation reason"
            )
    return out


class Checker:
    """Appends each form's consistency warnings to ``Form.warnings`` (once each)."""

    def __init__(self, **options: float) -> None:
        self.options = CheckOptions(**options)

    def __call__(self, doc: Document) -> Document:
        for form in doc.forms:
            for warning in check_form(form, self.options):
                if warning not in form.warnings:
                    form.warnings.append(warning)
        return doc


@register("stages", "checks")
def make_checks(**options: float) -> Checker:
    return Checker(**options)
