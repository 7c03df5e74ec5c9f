"""The checks stage: each inconsistency kind caught with its location, none on a real consistent form."""

from __future__ import annotations

import pytest

from service.contract import Form, FormType, FundRow, Indicator
from service.document import Document
from service.registry import create
from service.stages.checks import CODES, check_form

# The 2023 language-environment form of /work/shared/reference, as printed: it adds up.
ROWS_2023 = [
    ("提交电话翻译服务数据统计情况和翻译服务工作总结", "＝2份", "2", 5, 5),
    ("提交译文质量反馈表", "‘＝96份", "96", 6, 6),
    ("组织线上有奖纠错活动", "’＝1次", "1", 3, 3),
    ("线下纠错活动", "≥2次", "2", 3, 3),
    ("转接12345.110.120.999.119等线路外语电话数量", "≥500个", "676", 4, 4),
    ("全市重点场所外语标识采集数量", "≥3万条", "≥3万条", 3, 3),
    ("组织线下主题活动", "‘＝1次", "0次", 3, 0),
    ("制作视频", "≥4期", "6期", 5, 5),
    ("抽查监督报告", "’＝1份", "1份", 3, 3),
    ("多语言电话翻译服务响应率", "≥100%", "100%", 4, 4),
    ("抽查监督反馈率", "‘＝100%", "‘＝100%", 4, 4),
    ("服务人员出勤率", "’＝100%", "100%", 4, 4),
    ("违规接听电话数量", "‘＝0次", "0", 3, 3),
    ("7月底前完成制作视频2期，完成一次线下纠错", "是", "7月底前完成制作视频2期", 3, 2),
    ("多语言电话翻译服务提交半年总结", "是", "是", 3, 3),
    ("7月底前完成译文抽查半年验收", "是", "是", 4, 4),
    ("为在京外籍人士提供便捷、准确多语言电话咨询服务渠道", "是", "是", 10, 10),
    ("提升《条例》社会知晓度，提升社会主体参与度，提升法制意识", "是", "是", 10, 10),
    ("服务对接方对服务整理满意度", "’＝100%", "100%", 4, 4),
    ("服务电话拨打方投诉", "＝0次", "0次", 2, 2),
    ("市政务服务局、市商务局对网站抽查监督反馈整改意见投诉", "＝0次", "0次", 4, 4),
]


def form_2023() -> Form:
    deviation = {"组织线下主题活动": "因工作计划和宣传方式调整，取消此活动，并调减相关预算"}
    return Form(
        form_type=FormType.project,
        year=2023,
        project_name="国际语言环境建设服务",
        funds=[
            FundRow(item="年度资金总额", item_kind="total", initial_budget=168.3362, annual_budget=149.73,
                    executed=149.164287, weight=10, execution_rate=99.62, score=9.96),
            FundRow(item="当年财政拨款", item_kind="appropriation", initial_budget=168.3362, annual_budget=149.73,
                    executed=149.164287, weight=10, execution_rate=99.62, score=9.96),
            FundRow(item="上年结转资金", item_kind="carryover"),
        ],
        indicators=[
            Indicator(name=n, target=t, actual=a, weight=w, score=s, deviation=deviation.get(n), page=1 + i // 10)
            for i, (n, t, a, w, s) in enumerate(ROWS_2023)
        ],
        total_score=95.96,
    )


def run(form: Form) -> list[str]:
    doc = Document(source="t", forms=[form])
    doc = create("stages", "normalise")(doc)
    doc = create("stages", "checks")(doc)
    return doc.forms[0].warnings


def codes(warnings: list[str]) -> set[str]:
    return {w.split(":", 1)[0] for w in warnings}


def test_real_form_that_adds_up_has_no_warnings():
    assert run(form_2023()) == []


def test_weights_sum():
    form = form_2023()
    form.indicators[3].weight = 4  # 3 → 4, score stays 3
    warnings = run(form)
    assert warnings == ["weights_sum: Σ weights (indicators 91 + funds 10) = 101 ≠ 100"]


def test_scores_sum_flags_a_total_that_does_not_add_up_and_keeps_it():
    form = form_2023()
    form.total_score = 96.96
    warnings = run(form)
    assert warnings == ["scores_sum: Σ scores (indicators 86 + funds 9.96) = 95.96 ≠ total_score 96.96"]
    assert form.total_score == 96.96  # reported, not fixed


def test_scores_sum_tolerates_rounding():
    form = form_2023()
    form.total_score = 95.97
    assert run(form) == []


def test_score_over_weight_names_the_row_and_page():
    form = form_2023()
    form.indicators[11].score = 40  # OCR dropped the decimal point of 4.0
    warnings = run(form)
    assert "score_over_weight: indicator 12 '服务人员出勤率' (page 2): score 40 > weight 4" in warnings
    assert "scores_sum" in codes(warnings)


def test_fund_score_over_weight():
    form = form_2023()
    form.funds[0].score = 99.6
    assert "score_over_weight: fund row '年度资金总额': score 99.6 > weight 10" in run(form)


def test_execution_rate():
    form = form_2023()
    form.funds[1].execution_rate = 96.62
    warnings = run(form)
    assert warnings == [
        "execution_rate: fund row '当年财政拨款': rate 96.62% ≠ executed / annual budget = 149.164287 / 149.73 = 99.62%"
    ]


def test_execution_rate_within_printed_precision_is_fine():
    form = form_2023()
    form.funds[0].execution_rate = 99.6  # printed to one decimal
    form.funds[1].execution_rate = 100.0  # printed as 100%
    assert run(form) == []


def test_executed_over_budget():
    form = form_2023()
    row = form.funds[0]
    row.executed = 160.0
    row.execution_rate = round(160.0 / 149.73 * 100, 2)
    assert run(form) == ["executed_over_budget: fund row '年度资金总额': executed 160 > annual budget 149.73"]


def test_met_false_full_score_without_reason():
    form = form_2023()
    form.indicators[7].actual = "3期"  # target ≥4期, still scored 5 of 5
    warnings = run(form)
    assert warnings == [
        "met_false_full_score: indicator 8 '制作视频' (page 1): actual '3期' misses target '≥4期' "
        "but scored 5 of 5 with no deviation reason"
    ]
    form.indicators[7].deviation = "制作周期调整"
    form.warnings.clear()
    assert run(form) == []


def test_met_false_with_a_deducted_score_is_fine():
    form = form_2023()
    # 组织线下主题活动: target ＝1次, actual 0次, scored 0 of 3 (as printed)
    assert form.indicators[6].score == 0 and run(form) == []


@pytest.mark.parametrize(
    "mutate,expected",
    [
        (lambda f: setattr(f, "project_name", None), "missing_field: project_name is empty"),
        (lambda f: setattr(f.indicators[2], "name", None), "missing_field: indicator 3 (page 1) has no name"),
        (
            lambda f: setattr(f.indicators[2], "weight", None),
            "missing_field: indicator 3 '组织线上有奖纠错活动' (page 1) has no weight",
        ),
        (
            lambda f: setattr(f.indicators[2], "score", None),
            "missing_field: indicator 3 '组织线上有奖纠错活动' (page 1) has no score",
        ),
        (lambda f: setattr(f, "total_score", None), "missing_field: total_score (总分) is empty while the rows are scored"),
        (lambda f: f.indicators.clear(), "missing_field: the form has no indicator rows"),
    ],
)
def test_missing_field(mutate, expected):
    form = form_2023()
    mutate(form)
    assert expected in run(form)


def test_template_placeholder_row_is_not_a_missing_field():
    form = form_2023()
    form.indicators.append(Indicator(name="指标2", page=2))
    assert run(form) == []


def test_single_weighted_row_without_score_is_missing_when_a_total_is_printed():
    form = form_2023()
    form.indicators = [Indicator(name="保障热线服务中心正常运营", target="好", actual="好", weight=90, score=None)]
    form.total_score = 99.96
    assert "missing_field: indicator 1 '保障热线服务中心正常运营' has no score" in run(form)


def test_department_form_without_weights_raises_no_weight_noise():
    form = Form(
        form_type=FormType.department,
        year=2022,
        project_name="某区教育委员会",
        indicators=[
            Indicator(name="培训人次", target="≥1000人次", actual="1200人次", score=None),
            Indicator(name="满意度", target="≥90%", actual="95%"),
        ],
    )
    assert run(form) == []


def test_warnings_are_added_once_and_codes_are_stable():
    form = form_2023()
    form.total_score = 90
    run(form)
    again = create("stages", "checks")(Document(source="t", forms=[form])).forms[0].warnings
    assert again == ["scores_sum: Σ scores (indicators 86 + funds 9.96) = 95.96 ≠ total_score 90"]
    assert all(w.split(":", 1)[0] in CODES for w in check_form(form))


def test_injected_inconsistencies_are_caught_and_consistent_forms_stay_quiet():
    from training.inject import measure

    result = measure(40, seed=7, source="hand", show=0)
    assert result["false_warnings"] == []
    for kind, (caught, tried, _) in result["per_kind"].items():
        assert tried > 0 and caught / tried >= 0.95, kind


# The 2020 hotline IT-support form of /work/shared/reference: names, weights and scores as printed.
ROWS_HOTLINE = [
    ("IT硬件运维设备数量", 4, 4), ("诉举报平台运维设备数量", 4, 4), ("云服务租赁期", 4, 4), ("运维支撑服务", 3, 3),
    ("IT硬件运维验收", 4, 4), ("诉举报平台运维验收", 4, 4), ("云服务中断次数", 4, 4), ("运维支撑服务验收", 3, 3),
    ("IT硬件运维尾款支付", 3, 2.4), ("投诉举报平台运维尾款支付", 3, 3), ("云服务租赁首款支付", 3, 3),
    ("运维支撑服务尾款支付", 1, 1), ("IT硬件运维预算控制数", 3, 3), ("诉举报平台运维预算控制数", 3, 3),
    ("云服务租赁预算控制数", 3, 3), ("运维支撑服务预算控制数", 1, 1), ("保障IT硬件运维顺利进行", 8, 6),
    ("保障投诉举报平台运维", 8, 6), ("保障云服务正常运行", 7, 6), ("保障运维支撑服务", 7, 6),
    ("北京市人民群众满意度", 10, 8),
]


def test_second_real_form_adds_up():
    form = Form(
        form_type=FormType.project,
        year=2020,
        project_name="信息化支撑",
        funds=[
            FundRow(item="年度资金总额", item_kind="total", initial_budget=576.09, annual_budget=508.75,
                    executed=508.75, weight=10, execution_rate=100.0, score=10),
            FundRow(item="当年财政拨款", item_kind="appropriation", initial_budget=576.09, annual_budget=508.75,
                    executed=508.75),
        ],
        indicators=[Indicator(name=n, weight=w, score=s, page=1 + i // 10) for i, (n, w, s) in enumerate(ROWS_HOTLINE)],
        total_score=91.4,
    )
    assert run(form) == []
    form.total_score = 91.0
    assert codes(run(form)) == {"scores_sum"}
