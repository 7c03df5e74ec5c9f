"""End to end on the bundled samples (samples/README.md): extracted values, not just a run.

Digital PDFs go through the whole pipeline in well under a second a page; one scan goes
through OCR too. Expected values are the samples' printed text (their truth.json), named
here so that a failure says which field of which row went wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.pipeline import Pipeline
from training.evaluate import evaluate_paths

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def _row(form, name: str):
    [row] = [r for r in form.indicators if r.name == name]
    return row


def test_s01_row_split_over_two_pages_is_one_row(pipeline):
    result = pipeline.extract(SAMPLES / "s01" / "digital.pdf")
    [form] = result.forms
    assert form.project_name == "疫情防控物资运行维护"
    assert form.total_score == pytest.approx(87.47)
    assert len(form.indicators) == 31
    first = form.indicators[0]
    assert (first.level1, first.level2, first.name, first.target, first.actual, first.weight, first.score) == (
        "产出指标", "数量指标", "发放补贴户数", "＝500户", "500户", 2.0, 2.0,
    )
    split = _row(form, "诉举报平台运维单位成本")  # starts on page 1, ends on page 2
    assert (split.level1, split.level2, split.target, split.actual, split.weight, split.score, split.page) == (
        "产出指标", "成本指标", "≤392.27万元", "383.891万元", 6.0, 6.0, 1,
    )
    assert split.deviation is None


def test_s04_eighty_rows_over_four_pages(pipeline):
    [form] = pipeline.extract(SAMPLES / "s04" / "digital.pdf").forms
    assert len(form.indicators) == 80
    split = _row(form, "提供多语言系统，提升了办事的便利程度")  # split between pages 3 and 4
    assert (split.level1, split.level2, split.target, split.actual, split.weight, split.page) == (
        "效益指标(29分)", "社会效益指标", "是", "基本实现", 2.0, 3,
    )
    assert sum(r.weight for r in form.indicators) + sum(f.weight or 0 for f in form.funds) == pytest.approx(100)


def test_s06_sichuan_target_joins_its_three_columns(pipeline):
    [form] = pipeline.extract(SAMPLES / "s06" / "digital.pdf").forms
    row = _row(form, "巡查河道长度")
    assert (row.target, row.actual, row.weight, row.score) == ("≥100公里", "57公里", 2.0, 1.0)
    split = _row(form, "提高办事效率，更加有效得支持服务中心的日常办公")
    assert (split.target, split.actual, split.score, split.deviation) == (
        "较好", "部分实现", 0.0, "验收时间推迟，已在次年一季度完成。",
    )


def test_s05_borderless_header_rows_and_a_cell_wrapped_below_its_row(pipeline):
    [form] = pipeline.extract(SAMPLES / "s05" / "digital.pdf").forms
    # 项目名称 above 主管部门 with no ruling lines: two header rows, not one wrapped cell
    assert (form.project_name, form.department) == ("外语标识整治补助资金", "安徽省农业农村厅")
    row = _row(form, "举办主题活动")  # the last row on page 1: its 偏差 cell wraps below the other cells
    assert (row.target, row.actual, row.weight, row.score, row.deviation) == (
        "≥16场", "8场", 13.0, 10.44, "部分资金因政策调整未能支出。年中预算调整，任务量相应减少。招采工作开展较晚，影响后续工作进度",
    )
    assert form.indicators[form.indicators.index(row) + 1].name == "云服务租赁期"  # page 2 starts a row of its own


def test_s03_three_forms_in_one_pdf(pipeline):
    forms = pipeline.extract(SAMPLES / "s03" / "digital.pdf").forms
    assert [f.form_type.value for f in forms] == ["project", "project", "department"]


def test_every_digital_sample_scores_high(tmp_path, pipeline):
    for doc in sorted(p for p in SAMPLES.iterdir() if (p / "truth.json").exists()):
        result = pipeline.extract(doc / "digital.pdf")
        (tmp_path / f"{doc.name}.json").write_text(result.model_dump_json(), encoding="utf-8")
    report = evaluate_paths(tmp_path, SAMPLES)
    assert report.overall.f1 >= 0.97, report.per_document
    assert report.cross_page_rows.fields.f1 >= 0.95


def test_s01_scan_reads_the_same_rows(pipeline):
    """The scan of s01 (150 dpi, JPEG, skewed) through ingest, ruling and OCR."""
    [form] = pipeline.extract(SAMPLES / "s01" / "scan.pdf").forms
    assert form.project_name == "疫情防控物资运行维护"
    assert len(form.indicators) == 31
    split = _row(form, "诉举报平台运维单位成本")
    assert (split.level2, split.weight, split.score, split.page) == ("成本指标", 6.0, 6.0, 1)
    assert split.target == "≤392.27万元"
    # a bold name set just under its cell's top ruling line
    survey = _row(form, "问卷调查或征集活动")
    assert (survey.target, survey.actual, survey.weight, survey.score) == ("≥6400个", "6240个", 3.0, 2.4)
    assert form.warnings == []
