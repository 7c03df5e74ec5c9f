"""Measure the consistency checks: inject each inconsistency kind into consistent forms.

    python -m training.inject --forms 100 --seed 0

For every kind in ``INJECTIONS`` the script takes consistent forms, injects one
inconsistency of that kind, runs the normalise and checks stages, and counts a catch when
a warning with the kind's code appears. It also runs the untouched forms and counts every
warning as a false one. Forms come from the generator (training.synth.content.random_form)
when it is importable, else from ``hand_form`` below (``--source`` picks).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable

from service.contract import Form, FormType, FundRow, Goals, Indicator
from service.document import Document
from service.registry import create
from service.stages.checks import funds_block_row
from service.stages.normalise import ParsedValue, compare, parse_value

# --------------------------------------------------------------------------- consistent forms

UNITS_COUNT = ["个", "次", "项", "份", "期", "条", "页", "台/套", "人次", "场", "家"]


def _pair(rng: random.Random, year: int, met: bool) -> tuple[str, str]:
    """A target and an actual printed the ways real forms print them; the actual meets the
    target when ``met``."""
    kind = rng.choice(["count", "money", "percent", "percent_max", "minutes", "deadline", "date", "grade", "yes", "words"])
    if kind == "count":
        n = rng.choice([1, 2, 4, 10, 16, 100, 540, 6400])
        unit = rng.choice(UNITS_COUNT)
        op = rng.choice(["≥", "≥", "不少于", "="])
        if op == "=":
            return f"＝{n}{unit}", f"{n if met else n - 1}{unit}"
        actual = n + rng.randint(0, n) if met else max(0, n - rng.randint(1, max(1, n // 2)))
        return f"{op}{n}{unit}", rng.choice([f"{actual}{unit}", str(actual)])
    if kind == "money":
        budget = round(rng.uniform(5, 4000), rng.choice([2, 4, 6]))
        spent = budget * (rng.uniform(0.6, 1.0) if met else rng.uniform(1.01, 1.2))
        return f"≤{budget:g}万元", f"{spent:.4f}万元" if rng.random() < 0.7 else f"{spent * 10000:.0f}元"
    if kind == "percent":
        p = rng.choice([85, 90, 95, 96, 98, 99.9, 100])
        actual = rng.uniform(p, 100) if met else rng.uniform(p - 10, p - 0.01)
        return rng.choice([f"≥{p:g}%", f"{p:g}%以上", f"不低于{p:g}%"]), f"{actual:.2f}%"
    if kind == "percent_max":
        p = rng.choice([0.1, 0.3, 1, 5])
        actual = rng.uniform(0, p) if met else rng.uniform(p * 1.1, p * 3)
        return f"≤{p:g}%", f"{actual:.2f}%"
    if kind == "minutes":
        limit = rng.choice([5, 30, 60])
        actual = rng.randint(1, limit) if met else limit + rng.randint(1, 30)
        if rng.random() < 0.3 and actual % 60 == 0:
            return f"≤{limit}分钟", f"{actual // 60}小时"
        return f"≤{limit}分钟", f"{actual}分钟"
    if kind == "deadline":
        month = rng.randint(3, 11)
        done = rng.randint(1, month) if met else rng.randint(month + 1, 12)
        return rng.choice([f"{month}月底前", f"{year}年{month}月底前"]), f"{year}年{done}月{rng.randint(1, 28)}日"
    if kind == "date":
        month = rng.randint(3, 12)
        done = rng.randint(1, month - 1) if met else min(12, month + 1)
        return f"{month}月前", f"{year}年{done}月{rng.randint(1, 28)}日"
    if kind == "grade":
        target = rng.choice(["达成预期指标", "好", "较好", "基本实现", "合理", "符合", "效果明显", "有效提升"])
        return target, (rng.choice(["达成", "好", "实现", "符合"]) if met else rng.choice(["未完成", "一般", "较差"]))
    if kind == "yes":
        return "是", "是" if met else "否"
    text = rng.choice(["保障系统正常运行", "提升服务水平", "为企业和群众提供便利"])
    return text, text + "，取得预期效果"  # free text: never comparable


def hand_form(rng: random.Random, form_type: FormType | None = None) -> Form:
    """A consistent form built here: weights add to 100, scores to the total, funds agree;
    a missed target is scored down or explained."""
    form_type = form_type or rng.choice([FormType.project, FormType.project, FormType.department])
    year = rng.randint(2018, 2024)
    weighted = form_type == FormType.project or rng.random() < 0.5
    n = rng.randint(6, 24)
    fund_weight = 10 if weighted else None
    # integer weights adding to 90 (or none printed)
    cuts = sorted(rng.sample(range(1, 90), n - 1))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 90])]
    indicators = []
    for i in range(n):
        met = rng.random() < 0.8
        target, actual = _pair(rng, year, met)
        weight = float(weights[i]) if weighted else None
        full = float(weights[i])
        score = full if met else round(full * rng.choice([0, 0.5, 0.8]), 2)
        deviation = None if met else rng.choice(["进度滞后，下年度加强管理", "受疫情影响", "——"])
        if deviation == "——":
            deviation = None
            score = round(full * 0.5, 2)  # no reason printed: the score still says it was missed
        indicators.append(
            Indicator(level1="产出指标", level2="数量指标", name=f"指标{i + 1}", target=target, actual=actual,
                      weight=weight, score=score, deviation=deviation, page=1 + i // 12)
        )
    funds: list[FundRow] = []
    fund_score = 0.0
    if rng.random() < 0.9:
        annual = round(rng.uniform(10, 5000), rng.choice([2, 6]))
        executed = round(annual * rng.uniform(0.5, 1.0), 6)
        rate = round(executed / annual * 100, 2)
        fund_score = round(10 * rate / 100, 2) if weighted else 0.0
        funds = [
            FundRow(item="年度资金总额", item_kind="total", initial_budget=annual, annual_budget=annual,
                    executed=executed, weight=fund_weight, execution_rate=rate, score=fund_score if weighted else None),
            FundRow(item="当年财政拨款", item_kind="appropriation", initial_budget=annual, annual_budget=annual,
                    executed=executed, execution_rate=rate),
            FundRow(item="上年结转资金", item_kind="carryover"),
        ]
    elif weighted:
        indicators[0].weight = (indicators[0].weight or 0) + 10  # no funds block: its 10 points go to a row
        indicators[0].score = (indicators[0].score or 0) + 10
    total = round(sum(i.score or 0 for i in indicators) + fund_score, 2)
    return Form(
        form_type=form_type, title="项目支出绩效自评表", year=year, project_name=f"项目{rng.randint(1, 999)}",
        department="某局", funds=funds, goals=Goals(expected="目标", actual="完成"), indicators=indicators,
        total_score=total, grade="优",
    )


def form_source(name: str) -> Callable[[random.Random], Form]:
    if name in ("generator", "auto"):
        try:
            from training.synth.content import random_form  # the generator's, when it exists

            return lambda rng: random_form(rng)
        except ImportError:
            if name == "generator":
                raise
    return hand_form


# --------------------------------------------------------------------------- injections
# Each returns a changed copy, or None when the form has nothing to inject into.


def misread_digit(value: float, rng: random.Random, decimals: int = 2) -> float:
    """One digit of the printed number replaced, as OCR misreads it (95.96 → 95.36)."""
    text = f"{value:.{decimals}f}"
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    i = rng.choice(positions)
    new = rng.choice([d for d in "0123456789" if d != text[i]])
    return float(text[:i] + new + text[i + 1 :])


def _scored_rows(form: Form) -> list[int]:
    return [i for i, ind in enumerate(form.indicators) if ind.weight is not None and ind.score is not None]


def inject_weights_sum(form: Form, rng: random.Random) -> Form | None:
    rows = [i for i, ind in enumerate(form.indicators) if ind.weight is not None]
    if not rows:
        return None
    f = form.model_copy(deep=True)
    block = funds_block_row(f)
    if block is not None and block.weight and rng.random() < 0.25:
        # the funds block's 分值 and 得分 not printed / not read, on every row that repeats them
        if block.score is not None:
            f.total_score = round((f.total_score or 0) - block.score, 2)
        for row in f.funds:
            row.weight = row.score = None
        return f
    ind = f.indicators[rng.choice(rows)]
    if rng.random() < 0.3:
        ind.weight = misread_digit(ind.weight or 0.0, rng, decimals=0)
        if not ind.weight:
            ind.weight = 1.0 if form.indicators[f.indicators.index(ind)].weight != 1 else 2.0
    else:
        delta = rng.choice([-3, -2, -1, -0.5, 0.5, 1, 2, 5, 9])
        if (ind.weight or 0) + delta <= 0:
            delta = abs(delta)
        ind.weight = (ind.weight or 0) + delta
    if ind.score is not None and ind.score > ind.weight:
        f.total_score = round((f.total_score or 0) - (ind.score - ind.weight), 2)
        ind.score = ind.weight
    return f


def inject_scores_sum(form: Form, rng: random.Random) -> Form | None:
    if form.total_score is None:
        return None
    f = form.model_copy(deep=True)
    rows = _scored_rows(f)
    style = rng.choice(["total", "digit", "row"]) if rows else rng.choice(["total", "digit"])
    if style == "digit":
        f.total_score = misread_digit(f.total_score or 0.0, rng)
    elif style == "total":
        delta = rng.choice([-1, 1]) * rng.choice([0.2, 0.5, 1, 2, 4.5, 10])
        f.total_score = round((f.total_score or 0) + delta, 2)
        if rng.random() < 0.2:
            f.total_score = round((f.total_score or 0) * 10, 2)  # decimal point lost: 95.6 → 956
    else:
        ind = f.indicators[rng.choice(rows)]
        old = ind.score or 0.0
        ind.score = round(old - min(old, rng.choice([0.5, 1, 2])), 2) if old >= 0.5 else old + 0.5
        if ind.score > (ind.weight or 0):
            return None
    return f


def inject_score_over_weight(form: Form, rng: random.Random) -> Form | None:
    rows = _scored_rows(form)
    if not rows:
        return None
    f = form.model_copy(deep=True)
    ind = f.indicators[rng.choice(rows)]
    old = ind.score or 0.0
    weight = ind.weight or 0.0
    # OCR lost a decimal point (1.6 → 16), or a typed score above the row's 分值
    new = round(weight * 10, 2) if rng.random() < 0.4 and weight >= 1 else weight + rng.choice([0.5, 1, 2, 5])
    ind.score = new
    f.total_score = round((f.total_score or 0) + new - old, 2) if f.total_score is not None else None
    return f


def inject_execution_rate(form: Form, rng: random.Random) -> Form | None:
    rows = [r for r in form.funds if r.annual_budget and r.executed is not None and r.execution_rate is not None]
    if not rows:
        return None
    f = form.model_copy(deep=True)
    row = f.funds[form.funds.index(rng.choice(rows))]
    rate = row.execution_rate or 0.0
    style = rng.choice(["shift", "digit", "decimal", "initial"])
    if style == "digit":
        row.execution_rate = misread_digit(rate, rng)
    elif style == "decimal":
        row.execution_rate = round(rate * 100, 2) if rate < 100 else round(rate / 10, 2)  # 99.62 → 9962
    elif style == "initial" and row.initial_budget and abs(row.initial_budget - (row.annual_budget or 0)) > 1:
        row.execution_rate = round((row.executed or 0) / row.initial_budget * 100, 2)  # against the wrong budget
    else:
        row.execution_rate = round(rate + rng.choice([-1, 1]) * rng.choice([1, 2.5, 5, 10, 20]), 2)
    if abs((row.execution_rate or 0) - rate) < 0.01:
        row.execution_rate = round(rate - 3, 2)
    return f


def inject_executed_over_budget(form: Form, rng: random.Random) -> Form | None:
    rows = [r for r in form.funds if r.annual_budget and r.executed is not None]
    if not rows:
        return None
    f = form.model_copy(deep=True)
    row = f.funds[form.funds.index(rng.choice(rows))]
    annual = row.annual_budget or 0.0
    row.executed = round(annual * rng.uniform(1.01, 1.3), 6)
    if row.execution_rate is not None:
        row.execution_rate = round(row.executed / annual * 100, 2)  # the rate agrees: only the budget is exceeded
    return f


def missing_actual(target: ParsedValue, year: int | None) -> str | None:
    """An actual that misses the target, printed like an actual."""
    unit = target.unit or ""
    if target.kind in ("number", "percent") and target.number is not None and target.number_max is None:
        n = target.number
        if target.operator in ("≥", ">", "=", None):
            return f"{n * 0.5:g}{unit}" if n > 0 else None
        if target.operator in ("≤", "<"):
            return f"{n * 1.5 + 1:g}{unit}"
        return None
    if target.kind in ("date", "deadline") and target.date:
        month = int((target.date_end or target.date).split("-")[-1 if target.date.startswith("--") else 1][:2])
        y = int(target.date[:4]) if not target.date.startswith("--") else (year or 2020)
        if month >= 12:
            return f"{y + 1}年1月15日"
        return f"{y}年{month + 1}月15日"
    if target.kind == "qualitative":
        return "未完成"
    if target.kind == "boolean":
        return "否" if target.boolean else "是"
    return None


def inject_met_false_full_score(form: Form, rng: random.Random) -> Form | None:
    candidates = []
    for i, ind in enumerate(form.indicators):
        if ind.weight is None or ind.score is None or ind.score < ind.weight:
            continue
        target = parse_value(ind.target)
        if target is None or compare(target, parse_value(ind.actual), form.year) is not True:
            continue
        actual = missing_actual(target, form.year)
        if actual is not None and compare(target, parse_value(actual), form.year) is False:
            candidates.append((i, actual))
    if not candidates:
        return None
    i, actual = rng.choice(candidates)
    f = form.model_copy(deep=True)
    f.indicators[i].actual = actual
    f.indicators[i].deviation = None
    return f


def inject_missing_field(form: Form, rng: random.Random) -> Form | None:
    f = form.model_copy(deep=True)
    choices = ["project_name"]
    if f.indicators:
        choices.append("name")
    if _scored_rows(f):
        choices += ["weight", "score", "total_score"]
    what = rng.choice(choices)
    if what == "project_name":
        f.project_name = None
    elif what == "total_score":
        f.total_score = None
    else:
        rows = _scored_rows(f) if what in ("weight", "score") else list(range(len(f.indicators)))
        setattr(f.indicators[rng.choice(rows)], what, None)
    return f


INJECTIONS: dict[str, Callable[[Form, random.Random], Form | None]] = {
    "weights_sum": inject_weights_sum,
    "scores_sum": inject_scores_sum,
    "score_over_weight": inject_score_over_weight,
    "execution_rate": inject_execution_rate,
    "executed_over_budget": inject_executed_over_budget,
    "met_false_full_score": inject_met_false_full_score,
    "missing_field": inject_missing_field,
}


# --------------------------------------------------------------------------- measurement


class Measurement:
    def __init__(self) -> None:
        self.stages = [create("stages", "normalise"), create("stages", "checks")]

    def warnings(self, form: Form) -> list[str]:
        doc = Document(source="inject", forms=[form.model_copy(deep=True, update={"warnings": []})])
        for stage in self.stages:
            doc = stage(doc)
        return doc.forms[0].warnings


def measure(n_forms: int, seed: int, source: str = "auto", show: int = 3) -> dict[str, object]:
    make = form_source(source)
    rng = random.Random(seed)
    forms = [make(rng) for _ in range(n_forms)]
    m = Measurement()
    false_warnings: list[str] = []
    for k, form in enumerate(forms):
        false_warnings += [f"form {k}: {w}" for w in m.warnings(form)]
    per_kind: dict[str, tuple[int, int, int]] = {}
    missed: dict[str, list[str]] = {}
    for kind, inject in INJECTIONS.items():
        caught = tried = skipped = 0
        for k, form in enumerate(forms):
            changed = inject(form, random.Random(f"{seed}-{kind}-{k}"))
            if changed is None:
                skipped += 1
                continue
            tried += 1
            warnings = m.warnings(changed)
            if any(w.startswith(kind + ":") for w in warnings):
                caught += 1
            elif len(missed.setdefault(kind, [])) < show:
                missed[kind].append(f"form {k}: warnings {warnings}")
        per_kind[kind] = (caught, tried, skipped)
    return {"forms": n_forms, "false_warnings": false_warnings, "per_kind": per_kind, "missed": missed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--forms", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--source", choices=["auto", "generator", "hand"], default="auto")
    args = ap.parse_args(argv)
    result = measure(args.forms, args.seed, args.source)
    print(f"forms: {args.forms} (source {args.source}, seed {args.seed})")
    ok = True
    for kind, (caught, tried, skipped) in result["per_kind"].items():  # type: ignore[union-attr]
        rate = caught / tried if tried else float("nan")
        ok &= tried > 0 and rate >= 0.95
        print(f"  {kind:22s} caught {caught:4d}/{tried:<4d} = {rate:6.1%}  (not applicable: {skipped})")
    fw = result["false_warnings"]
    print(f"  false warnings on consistent forms: {len(fw)}")  # type: ignore[arg-type]
    for w in fw[:10]:  # type: ignore[index]
        print("    " + w)
    for kind, examples in result["missed"].items():  # type: ignore[union-attr]
        for e in examples:
            print(f"  missed {kind}: {e}")
    return 0 if ok and not fw else 1


if __name__ == "__main__":
    sys.exit(main())
