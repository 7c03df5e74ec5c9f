"""The public output contract of jixiao.

These pydantic models are the API's schema, the CLI's JSON, the generator's ground
truth and what the evaluator scores. ``docs/schema/extraction.schema.json`` is
generated from them (``python -m service.contract``).

Conventions
- Text fields hold a cell's whole text as printed, line wraps joined without a
  separator; a cell printed as a dash (—, ——, -, －, /) or left empty is ``None``.
- Numbers are numbers: a percent cell holds the number before ``%`` (99.62).
- Boxes are ``(x0, y0, x1, y1)`` in PDF points (1/72 inch) from the top-left corner
  of the upright page; page numbers are 1-based. One convention end to end.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Box = tuple[float, float, float, float]


class FormType(str, Enum):
    project = "project"  # 项目支出绩效自评表
    department = "department"  # 部门整体支出绩效自评表


class Status(str, Enum):
    success = "success"
    partial_success = "partial_success"
    failure = "failure"


class FieldSource(BaseModel):
    """Where one extracted value came from."""

    page: int
    box: Box
    confidence: float | None = Field(
        default=None, description="Lowest OCR confidence over the value's characters; 1.0 for a text layer."
    )


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")

    provenance: dict[str, FieldSource] = Field(
        default_factory=dict, description="Field name → where its value was read."
    )


class FundRow(_Record):
    item: str = Field(description="Row label as printed, '其中：' dropped, e.g. 年度资金总额, 当年财政拨款.")
    item_kind: str | None = Field(
        default=None,
        description="Canonical kind: total | appropriation | carryover | special_account | unit | other | basic | project.",
    )
    initial_budget: float | None = Field(default=None, description="年初预算数 (万元)")
    annual_budget: float | None = Field(default=None, description="全年预算数 / 调整后预算数 (万元)")
    executed: float | None = Field(default=None, description="全年执行数 / 预算执行数 (万元)")
    weight: float | None = Field(default=None, description="分值 / 权重")
    execution_rate: float | None = Field(default=None, description="执行率, number before %")
    score: float | None = Field(default=None, description="得分")


class Goals(_Record):
    expected: str | None = Field(default=None, description="预期目标 / 年度总体目标")
    actual: str | None = Field(default=None, description="实际完成情况")


class Indicator(_Record):
    level1: str | None = Field(default=None, description="一级指标, filled down merged cells")
    level2: str | None = Field(default=None, description="二级指标, filled down merged cells")
    name: str | None = Field(default=None, description="三级指标")
    target: str | None = Field(default=None, description="年度指标值 (operator, value and unit joined)")
    actual: str | None = Field(default=None, description="实际完成值")
    weight: float | None = Field(default=None, description="分值 / 权重")
    score: float | None = Field(default=None, description="得分")
    deviation: str | None = Field(default=None, description="偏差原因分析及改进措施")
    page: int | None = Field(default=None, description="1-based page where the row starts")


class Form(_Record):
    form_type: FormType
    title: str | None = None
    year: int | None = None
    project_name: str | None = Field(default=None, description="项目名称; for department forms the 部门(单位)名称")
    department: str | None = Field(default=None, description="主管部门")
    implementing_unit: str | None = Field(default=None, description="实施单位")
    project_lead: str | None = Field(default=None, description="项目负责人 / 部门联系人")
    contact_phone: str | None = Field(default=None, description="联系电话")
    funds: list[FundRow] = Field(default_factory=list)
    goals: Goals = Field(default_factory=Goals)
    indicators: list[Indicator] = Field(default_factory=list)
    total_score: float | None = Field(default=None, description="总分 / 自评总分")
    grade: str | None = Field(default=None, description="评分等级")
    pages: list[int] = Field(default_factory=list, description="1-based pages the form spans")
    warnings: list[str] = Field(default_factory=list)


class ExtractionResult(BaseModel):
    """One input document: every form found in it, in page order."""

    model_config = ConfigDict(extra="allow")

    source: str
    pages: int
    forms: list[Form] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    status: Status = Status.success
    errors: list[str] = Field(default_factory=list)


def json_schema() -> dict[str, Any]:
    return ExtractionResult.model_json_schema()


SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "schema" / "extraction.schema.json"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema())
