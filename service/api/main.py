"""The jixiao HTTP API: `uvicorn service.api.main:app`."""

from __future__ import annotations

from fastapi import FastAPI

from .routers import extract
from .settings import get_settings

app = FastAPI(
    title="jixiao",
    summary="绩效自评表 (budget performance self-evaluation forms) into checked, structured data",
    version="0.1.0",
    # Starlette does not cap uploaded files; this counts body bytes, chunked uploads too (413).
    max_body_size=get_settings().max_upload_bytes + 64 * 1024,
)
app.include_router(extract.router)


@app.get("/healthz", operation_id="health")
def health() -> dict[str, str]:
    return {"status": "ok"}
