"""POST /v1/extract: one uploaded file in, the contract JSON out."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool

from ...contract import ExtractionResult
from ..deps import PipelineDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["extract"])

_STATUS = {"bad_input": 422, "limit_exceeded": 413, "no_content": 422}


@router.post("/extract", response_model=ExtractionResult, operation_id="extract")
async def extract(
    file: Annotated[UploadFile, File(description="A PDF (scanned or digital) or a PNG/JPEG/TIFF scan")],
    pipeline: PipelineDep,
    settings: SettingsDep,
) -> ExtractionResult:
    data = await file.read(settings.max_upload_bytes + 1)
    name = file.filename or "upload"
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(413, f"{name}: file is larger than {settings.max_upload_bytes} bytes")
    result = await run_in_threadpool(_extract_serial, pipeline, data, name)
    if result.status.value == "failure":
        code = result.errors[0].split(":", 1)[0] if result.errors else "bad_input"
        raise HTTPException(_STATUS.get(code, 500), "; ".join(result.errors) if result.errors else name)
    return result


# pdfium is not thread-safe and OCR is CPU-bound: one document at a time per process.
_serial = threading.Lock()


def _extract_serial(pipeline, data: bytes, name: str) -> ExtractionResult:
    with _serial:
        result = pipeline.extract(data, name=name)
    if result.status.value == "failure":
        result.errors = [e if name in e else e.replace(": ", f": {name}: ", 1) for e in result.errors]
    return result
