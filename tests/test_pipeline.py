"""The whole pipeline on a digital PDF printed from hand-built pages (text layer, no OCR)."""

from __future__ import annotations

from service.config import PipelineConfig
from service.pipeline import Pipeline

from conftest import render_pdf
from test_reconstruct import two_page_form


def test_digital_pdf_end_to_end(tmp_path, page_builder):
    pdf = render_pdf(two_page_form(page_builder), tmp_path / "form.pdf")
    config = PipelineConfig.load().with_options("labelling", labeller="keywords")
    result = Pipeline(config).extract(pdf)
    assert result.status.value == "success"
    assert result.pages == 2
    [form] = result.forms
    assert (form.project_name, form.year, form.total_score) == ("信息化支撑", 2020, 91.4)
    assert [f.annual_budget for f in form.funds] == [508.75, 508.75, None]
    split = form.indicators[2]
    assert split.deviation == "属于非紧急救助服务系统运行维护，延迟支付尾款已于次年支付"
    assert (split.page, split.weight, split.score) == (1, 3.0, 2.4)
    assert form.indicators[3].level1 == "效益指标"
    assert split.provenance["name"].confidence == 1.0
