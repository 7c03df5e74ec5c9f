"""The CLI and the HTTP API on bad input: one clear line, a non-zero exit or a 4xx, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from service.api.main import app

BAD_INPUTS = {
    "empty.pdf": b"",
    "notes.pdf": "这不是PDF，只是改了扩展名的文本。\n".encode(),
    "truncated.pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pa",
}


@pytest.fixture(scope="module")
def client():
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_cli_bad_input_one_line(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD_INPUTS[name])
    proc = subprocess.run(
        [sys.executable, "-m", "service.cli", "extract", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"jixiao: {path}: bad_input: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_http_bad_input_is_4xx(client, name):
    response = client.post("/v1/extract", files={"file": (name, BAD_INPUTS[name], "application/pdf")})
    assert response.status_code == 422
    assert name in response.json()["detail"]


def test_http_upload_over_the_limit_is_413(client, monkeypatch):
    from service.api.settings import get_settings

    monkeypatch.setattr(get_settings(), "max_upload_bytes", 1000)
    response = client.post("/v1/extract", files={"file": ("big.pdf", b"%PDF-" + b"0" * 5000, "application/pdf")})
    assert response.status_code == 413


def test_openapi_names_the_operation(client):
    spec = client.get("/openapi.json").json()
    assert spec["paths"]["/v1/extract"]["post"]["operationId"] == "extract"
