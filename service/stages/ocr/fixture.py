"""The ``fixture`` backend: replays stored OCR output, so tests need no model.

A fixture is JSON: ``{"pages": [{"number": 1, "tokens": [{"text", "box", "confidence"}]}]}``
with boxes in page points. ``path`` is one such file, or a folder holding
``<document stem>.ocr.json`` per document. ``record`` writes one from a real run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ...document import Document, Token
from ...registry import register


class FixturePage(BaseModel):
    number: int
    tokens: list[Token]


class Fixture(BaseModel):
    pages: list[FixturePage]


class FixtureOcr:
    """Replays the tokens stored for each page instead of reading the image."""

    name = "fixture"

    def __init__(self, path: str | Path | None = None, data: dict[str, Any] | None = None):
        if (path is None) == (data is None):
            raise ValueError("the fixture OCR backend needs exactly one of path= or data=")
        self.path = Path(path) if path is not None else None
        self._fixed = Fixture.model_validate(data) if data is not None else None
        self._cache: dict[Path, Fixture] = {}

    def page_tokens(self, source: str, page_number: int) -> list[Token]:
        """The stored tokens of page ``page_number`` of document ``source`` (copies)."""
        fixture = self._fixture_for(source)
        for page in fixture.pages:
            if page.number == page_number:
                return [t.model_copy() for t in page.tokens]
        raise KeyError(f"OCR fixture for {source!r} has no page {page_number}")

    def _fixture_for(self, source: str) -> Fixture:
        if self._fixed is not None:
            return self._fixed
        assert self.path is not None
        file = self.path if self.path.is_file() else self.path / f"{Path(source).stem}.ocr.json"
        if file not in self._cache:
            if not file.exists():
                raise FileNotFoundError(f"no OCR fixture {file} for {source!r}")
            self._cache[file] = Fixture.model_validate_json(file.read_text(encoding="utf-8"))
        return self._cache[file]


def record(doc: Document) -> dict[str, Any]:
    """The fixture JSON (as a dict) of a document's OCR pages after the ocr stage ran."""
    pages = [
        FixturePage(number=p.number, tokens=[Token(text=t.text, box=t.box, confidence=t.confidence) for t in p.tokens])
        for p in doc.pages
        if p.text_source == "ocr"
    ]
    return Fixture(pages=pages).model_dump(mode="json")


def save(doc: Document, path: str | Path) -> None:
    Path(path).write_text(json.dumps(record(doc), ensure_ascii=False), encoding="utf-8")


@register("ocr", "fixture")
def make_fixture(path: str | None = None, data: dict[str, Any] | None = None, **_: Any) -> FixtureOcr:
    # Model settings (threads, batch size) mean nothing to a replay; accept and ignore them
    # so one stage config can switch backends by name alone.
    return FixtureOcr(path=path, data=data)
