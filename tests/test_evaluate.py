"""The scorer on hand-built truth/prediction pairs whose scores are known exactly."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from service.contract import ExtractionResult, Form, FormType, FundRow, Goals, Indicator
from training.evaluate import (
    evaluate,
    evaluate_paths,
    load_documents,
    main,
    max_weight_assignment,
    select_documents,
)

# A form built by `form()` with N indicators has 10 form + 2 goals + 2×7 fund + 9N fields.
FORM_FIELDS, GOAL_FIELDS, FUND_FIELDS, IND_FIELDS = 10, 2, 7, 9


def indicator(k: int, **changes) -> Indicator:
    values = dict(
        level1="产出指标", level2="数量指标" if k % 2 else "质量指标", name=f"培训人次第{k}批",
        target=f"≥{100 + k}人次", actual=f"{100 + k}人次", weight=5.0, score=4.5,
        deviation=f"第{k}批偏差原因。下一步改进。", page=1 + k // 3,
    )
    values.update(changes)
    return Indicator(**values)


def form(n: int = 4, name: str = "民族语言文字翻译项目", **changes) -> Form:
    values = dict(
        form_type=FormType.project, title="项目支出绩效自评表", year=2023, project_name=name,
        department="自治区民族事务委员会", implementing_unit="翻译中心", project_lead="张三",
        contact_phone="0991-1234567", total_score=92.5, grade="优",
        funds=[
            FundRow(item="年度资金总额", item_kind="total", initial_budget=120.5, annual_budget=130.0,
                    executed=129.123456, weight=10.0, execution_rate=99.33, score=9.9),
            FundRow(item="当年财政拨款", item_kind="appropriation", initial_budget=120.5, annual_budget=130.0,
                    executed=129.123456, weight=10.0, execution_rate=99.33, score=9.9),
        ],
        goals=Goals(expected="完成翻译任务。\n提高质量。", actual="全部完成。"),
        indicators=[indicator(k) for k in range(1, n + 1)],
    )
    values.update(changes)
    return Form(**values)


def fields_of(n_indicators: int) -> int:
    return FORM_FIELDS + GOAL_FIELDS + 2 * FUND_FIELDS + IND_FIELDS * n_indicators


def doc(*forms: Form) -> ExtractionResult:
    return ExtractionResult(source="x.pdf", pages=3, forms=list(forms))


def score(pred: ExtractionResult | None, truth: ExtractionResult):
    return evaluate({"d": pred} if pred is not None else {}, {"d": truth})


def copy(result: ExtractionResult) -> ExtractionResult:
    return result.model_copy(deep=True)


def test_perfect_prediction_scores_one_everywhere():
    truth = doc(form(4), form(3, name="双语教材编译项目", form_type=FormType.department))
    report = score(copy(truth), truth)
    total = fields_of(4) + fields_of(3)
    assert (report.overall.tp, report.overall.predicted, report.overall.truth) == (total, total, total)
    assert report.overall.f1 == report.overall.precision == report.overall.recall == 1.0
    assert all(m.f1 == 1.0 for m in report.per_field.values())
    assert len(report.per_field) == 10 + 2 + 7 + 9
    assert report.indicator_rows.exact_match_rate == 1.0 and report.indicator_rows.truth_rows == 7
    assert report.forms.matched == 2 and report.indicators.matched == 7


def test_one_wrong_target():
    truth = doc(form(4))
    pred = copy(truth)
    pred.forms[0].indicators[1].target = "≥999人次"
    report = score(pred, truth)
    n = fields_of(4)
    assert (report.overall.tp, report.overall.predicted, report.overall.truth) == (n - 1, n, n)
    assert report.overall.precision == report.overall.recall == pytest.approx((n - 1) / n)
    target = report.per_field["indicator.target"]
    assert (target.tp, target.predicted, target.truth, target.f1) == (3, 4, 4, 0.75)
    assert report.per_field["indicator.name"].f1 == 1.0
    assert report.indicator_rows.exact == 3 and report.indicator_rows.exact_match_rate == 0.75


def test_missing_indicator_counts_its_fields_as_missed():
    truth = doc(form(4))
    pred = copy(truth)
    del pred.forms[0].indicators[2]
    report = score(pred, truth)
    n = fields_of(4)
    assert (report.overall.tp, report.overall.predicted, report.overall.truth) == (n - 9, n - 9, n)
    assert report.overall.precision == 1.0
    assert report.overall.recall == pytest.approx((n - 9) / n)
    assert report.per_field["indicator.name"].recall == 0.75
    assert report.indicators.matched == 3
    assert report.indicator_rows.exact_match_rate == 0.75 and report.indicator_rows.matched == 3


def test_extra_indicator_counts_its_fields_as_spurious():
    truth = doc(form(4))
    pred = copy(truth)
    pred.forms[0].indicators.append(indicator(9, name="群众满意度调查覆盖率"))
    report = score(pred, truth)
    n = fields_of(4)
    assert (report.overall.tp, report.overall.predicted, report.overall.truth) == (n, n + 9, n)
    assert report.overall.recall == 1.0
    assert report.overall.precision == pytest.approx(n / (n + 9))
    assert report.per_field["indicator.target"].precision == 0.8
    assert report.indicator_rows.exact_match_rate == 1.0


def test_numbers_within_tolerance_are_equal_and_beyond_are_not():
    truth = doc(form(2))
    pred = copy(truth)
    pred.forms[0].indicators[0].weight = 5.0 + 1e-7
    pred.forms[0].funds[0].executed = 129.123456 - 1e-7
    assert score(pred, truth).overall.f1 == 1.0
    pred.forms[0].funds[0].executed = 129.123456 + 1e-5
    report = score(pred, truth)
    assert report.per_field["fund.executed"].tp == 1 and report.overall.tp == fields_of(2) - 1


def test_whitespace_and_full_width_forms_are_equal():
    truth = doc(form(2))
    pred = copy(truth)
    ind = pred.forms[0].indicators[0]
    ind.target = "≥ 1０1 人次"  # full-width digit and spaces
    ind.name = "培训人次第１批"
    ind.deviation = "第1批偏差原因。\n下一步改进。"
    pred.forms[0].contact_phone = "０９９１－１２３４５６７"
    pred.forms[0].goals.expected = "完成翻译任务。  提高质量。"
    report = score(pred, truth)
    assert report.overall.f1 == 1.0 and report.indicator_rows.exact_match_rate == 1.0


def test_null_where_truth_has_value_is_a_miss_not_a_false_positive():
    truth = doc(form(2))
    pred = copy(truth)
    pred.forms[0].project_lead = None
    pred.forms[0].indicators[0].deviation = "   "  # blank text is null
    report = score(pred, truth)
    n = fields_of(2)
    assert (report.overall.tp, report.overall.predicted, report.overall.truth) == (n - 2, n - 2, n)
    assert report.per_field["form.project_lead"].recall == 0.0
    assert report.per_field["form.project_lead"].precision is None
    assert report.indicator_rows.exact == 1


def test_null_against_null_is_not_counted_and_value_against_null_is_spurious():
    truth = doc(form(2, grade=None))
    pred = copy(truth)
    report = score(pred, truth)
    grade = report.per_field["form.grade"]
    assert (grade.tp, grade.predicted, grade.truth, grade.f1) == (0, 0, 0, None)
    assert report.overall.truth == fields_of(2) - 1 and report.overall.f1 == 1.0
    pred.forms[0].grade = "——"  # a dash should have been null
    report = score(pred, truth)
    assert report.per_field["form.grade"].predicted == 1
    assert report.overall.precision == pytest.approx((fields_of(2) - 1) / fields_of(2))


def test_swapped_indicator_order_still_matches():
    truth = doc(form(6))
    pred = copy(truth)
    pred.forms[0].indicators.reverse()
    report = score(pred, truth)
    assert report.overall.f1 == 1.0 and report.indicator_rows.exact_match_rate == 1.0


def test_identical_names_are_told_apart_by_their_headings():
    rows = [
        indicator(1, level2="数量指标", name="指标2", target="10个"),
        indicator(2, level2="质量指标", name="指标2", target="100%"),
        indicator(3, level2="时效指标", name="指标2", target="12月底前"),
    ]
    truth = doc(form(0, indicators=rows))
    pred = copy(truth)
    pred.forms[0].indicators = [pred.forms[0].indicators[k] for k in (2, 0, 1)]
    report = score(pred, truth)
    assert report.overall.f1 == 1.0


def test_indicator_with_a_misread_name_still_pairs_and_scores_the_name_wrong():
    truth = doc(form(3))
    pred = copy(truth)
    pred.forms[0].indicators[0].name = "培训人欢第1批"  # one OCR confusion
    report = score(pred, truth)
    assert report.indicators.matched == 3
    assert report.per_field["indicator.name"].tp == 2
    assert report.per_field["indicator.target"].tp == 3


def test_cross_page_rows_are_scored_separately():
    rows = [indicator(k) for k in range(1, 5)]
    for k in (1, 2):
        rows[k] = indicator(k + 1, page=1, page_end=2)
    truth = doc(form(0, indicators=rows))
    pred = copy(truth)
    pred.forms[0].indicators[1].actual = "缺字"  # one cross-page row wrong in one field
    pred.forms[0].indicators[3].score = 1.0  # a single-page row wrong: not in the subset
    report = score(pred, truth)
    cross = report.cross_page_rows
    assert (cross.truth_rows, cross.matched, cross.exact, cross.exact_match_rate) == (2, 2, 1, 0.5)
    assert (cross.fields.tp, cross.fields.predicted, cross.fields.truth) == (17, 18, 18)
    assert cross.fields.f1 == pytest.approx(17 / 18)
    assert report.indicator_rows.exact == 2
    # A missed cross-page row: in the subset's truth, not in its predictions.
    del pred.forms[0].indicators[2]
    cross = score(pred, truth).cross_page_rows
    assert (cross.truth_rows, cross.matched, cross.exact) == (2, 1, 0)
    assert (cross.fields.tp, cross.fields.predicted, cross.fields.truth) == (8, 9, 18)


def test_forms_pair_by_project_name_in_any_order_and_fall_back_without_one():
    a = form(2, name="民族语言文字翻译项目")
    b = form(2, name="双语教材编译项目", form_type=FormType.department, department="教育厅")
    truth = doc(a, b)
    pred = doc(b.model_copy(deep=True), a.model_copy(deep=True))
    pred.forms[1].project_name = "民族语言文宇翻译项目"  # OCR slip: still the same form
    report = score(pred, truth)
    assert report.forms.matched == 2 and report.overall.tp == report.overall.truth - 1
    pred.forms[1].project_name = None  # falls back to form type, department and position
    report = score(pred, truth)
    assert report.forms.matched == 2 and report.overall.tp == report.overall.truth - 1


def test_unmatched_form_counts_everything_missed_and_spurious():
    truth = doc(form(2, name="民族语言文字翻译项目"))
    pred = doc(form(2, name="完全不同的基础设施建设工程"))
    report = score(pred, truth)
    n = fields_of(2)
    assert report.forms.matched == 0
    assert (report.overall.tp, report.overall.predicted, report.overall.truth) == (0, n, n)
    assert report.indicator_rows.exact == 0 and report.indicator_rows.truth_rows == 2


def test_funds_pair_by_item_then_by_kind():
    truth = doc(form(1))
    pred = copy(truth)
    pred.forms[0].funds.reverse()
    pred.forms[0].funds[0].item = "财政拨款"  # misread label, same kind
    report = score(pred, truth)
    assert report.per_field["fund.item"].tp == 1
    assert report.per_field["fund.executed"].tp == 2
    assert report.overall.tp == fields_of(1) - 1


def test_missing_and_extra_documents():
    truth = {"a": doc(form(2)), "b": doc(form(1))}
    preds = {"a": copy(truth["a"]), "zzz": doc(form(5))}
    report = evaluate(preds, truth)
    assert report.missing_predictions == ["b"] and report.extra_predictions == ["zzz"]
    assert report.overall.truth == fields_of(2) + fields_of(1)
    assert report.overall.predicted == report.overall.tp == fields_of(2)
    assert [d.doc_id for d in report.per_document] == ["b", "a"]
    assert report.per_document[0].metrics.f1 == 0.0 and not report.per_document[0].has_prediction


def test_assignment_is_optimal_against_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(60):
        n, m = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        w = rng.random((n, m)) * (rng.random((n, m)) > 0.3)
        pairs = max_weight_assignment(w)
        assert len({r for r, _ in pairs}) == len({c for _, c in pairs}) == len(pairs)
        if n <= m:
            best = max(sum(w[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
        else:
            best = max(sum(w[p[j], j] for j in range(m)) for p in itertools.permutations(range(n), m))
        assert sum(w[r, c] for r, c in pairs) == pytest.approx(best)


def _write_dataset(tmp_path):
    gt = tmp_path / "gt"
    pred = tmp_path / "pred"
    pred.mkdir()
    docs = {"d1": doc(form(2)), "d2": doc(form(3)), "d3": doc(form(1))}
    tags = {"d1": {"ruled": True, "fonts": ["noto", "wqy"]}, "d2": {"ruled": False, "fonts": ["uming"]},
            "d3": {"ruled": False, "fonts": ["noto"]}}
    with_manifest = []
    for doc_id, result in docs.items():
        (gt / doc_id).mkdir(parents=True)
        (gt / doc_id / "truth.json").write_text(result.model_dump_json(), encoding="utf-8")
        with_manifest.append(json.dumps({"doc_id": doc_id, **tags[doc_id]}))
    (gt / "manifest.jsonl").write_text("\n".join(with_manifest) + "\n", encoding="utf-8")
    wrong = copy(docs["d2"])
    wrong.forms[0].indicators[0].target = "错"
    (pred / "d1.json").write_text(docs["d1"].model_dump_json(), encoding="utf-8")
    (pred / "d2.json").write_text(wrong.model_dump_json(), encoding="utf-8")
    (pred / "timings.json").write_text('{"documents": 2}', encoding="utf-8")
    (pred / "broken.json").write_text("{not json", encoding="utf-8")
    return pred, gt


def test_directories_subsets_and_json_output(tmp_path, capsys):
    pred, gt = _write_dataset(tmp_path)
    loaded = load_documents(pred)
    assert sorted(loaded.documents) == ["d1", "d2"]
    assert len(loaded.unreadable) == 1 and "broken.json" in loaded.unreadable[0]

    report = evaluate_paths(pred, gt)
    assert report.documents == 3 and report.missing_predictions == ["d3"]
    n = fields_of(2) + fields_of(3) + fields_of(1)
    assert (report.overall.tp, report.overall.truth) == (n - 1 - fields_of(1), n)

    subset = evaluate_paths(pred, gt, {"ruled": "false"})
    assert subset.documents == 2 and subset.extra_predictions == []
    assert (subset.overall.tp, subset.overall.truth) == (fields_of(3) - 1, fields_of(3) + fields_of(1))
    assert evaluate_paths(pred, gt, {"fonts": "noto", "ruled": "True"}).documents == 1

    out = tmp_path / "report.json"
    assert main([str(pred), str(gt), "--json", str(out), "--subset", "ruled=false"]) == 0
    printed = capsys.readouterr().out
    assert "indicator.target" in printed and "d3" in printed
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["overall"] == subset.overall.model_dump()
    target = written["per_field"]["indicator.target"]
    assert (target["tp"], target["predicted"], target["truth"]) == (2, 3, 4)

    # The truth scored against itself, and two single files paired whatever their names.
    assert evaluate_paths(gt, gt).overall.f1 == 1.0
    assert evaluate_paths(pred / "d1.json", gt / "d1" / "truth.json").overall.f1 == 1.0


def test_select_documents_compares_tags_as_strings():
    manifest = {"a": {"ruled": False, "pages": 3, "fonts": ["noto"]}, "b": {"ruled": True, "pages": 12}}
    assert select_documents(manifest, {"ruled": "false"}) == {"a"}
    assert select_documents(manifest, {"pages": "12"}) == {"b"}
    assert select_documents(manifest, {"fonts": "noto"}) == {"a"}
    assert select_documents(manifest, {"missing": "x"}) == set()


def test_bad_arguments_exit_nonzero(tmp_path, capsys):
    pred, gt = _write_dataset(tmp_path)
    assert main([str(pred), str(tmp_path / "nowhere")]) == 2
    assert main([str(pred), str(pred / "d1.json"), "--subset", "ruled=false"]) == 2
