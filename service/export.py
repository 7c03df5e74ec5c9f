"""Writers for the contract: JSON, and flat CSV/XLSX with one row per indicator."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from .contract import ExtractionResult

FORM_COLUMNS = [
    "form_type", "title", "year", "project_name", "department", "implementing_unit",
    "project_lead", "contact_phone", "total_score", "grade",
]
INDICATOR_COLUMNS = ["level1", "level2", "name", "target", "actual", "weight", "score", "deviation", "page", "met"]
FLAT_HEADER = ["source", "form_index", *FORM_COLUMNS, *INDICATOR_COLUMNS]


def to_json(result: ExtractionResult | list[ExtractionResult]) -> str:
    if isinstance(result, list):
        return json.dumps([r.model_dump(mode="json") for r in result], ensure_ascii=False, indent=2)
    return result.model_dump_json(indent=2)


def flat_rows(results: Iterable[ExtractionResult]) -> list[list[object]]:
    """One row per indicator, the form's metadata repeated on each."""
    rows: list[list[object]] = []
    for result in results:
        for k, form in enumerate(result.forms, start=1):
            meta = [getattr(form, c) for c in FORM_COLUMNS]
            meta[0] = form.form_type.value
            for ind in form.indicators:
                extra = ind.model_extra or {}
                values = [getattr(ind, c) if c != "met" else extra.get("met") for c in INDICATOR_COLUMNS]
                rows.append([result.source, k, *meta, *values])
    return rows


def to_csv(results: Iterable[ExtractionResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(FLAT_HEADER)
    writer.writerows(flat_rows(results))
    return buf.getvalue()


def write_xlsx(results: Iterable[ExtractionResult], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "indicators"
    ws.append(FLAT_HEADER)
    for row in flat_rows(results):
        ws.append(row)
    wb.save(path)
