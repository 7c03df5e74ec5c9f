"""Builds the stage list from a config and runs one document through it.

`Pipeline.extract` is the one function the CLI, the HTTP workers and the batch
engines call. Stages are built once (models load in their constructors), so keep one
Pipeline per process. Bad input becomes a failed result with a one-line reason;
nothing a document does can crash the caller.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from .config import PipelineConfig
from .contract import ExtractionResult, Status
from .document import Document
from .errors import JixiaoError
from .registry import create

log = logging.getLogger("jixiao")


class Pipeline:
    def __init__(self, config: PipelineConfig | None = None):
        self.config = config or PipelineConfig.load()
        from .stages.ingest import IngestOptions

        self.ingest_options = IngestOptions(**self.config.ingest)
        self.stages: list[tuple[str, Any]] = [
            (name, create("stages", name, **self.config.options.get(name, {}))) for name in self.config.stages
        ]
        self.timings: dict[str, float] = {}

    def run(self, source: str | Path | bytes, name: str | None = None) -> Document:
        """Ingest and run every stage; raises JixiaoError on bad input."""
        from .stages.ingest import open_document

        t0 = time.perf_counter()
        doc = open_document(source, name, self.ingest_options)
        self._tick("ingest", t0)
        for stage_name, stage in self.stages:
            t0 = time.perf_counter()
            doc = stage(doc)
            self._tick(stage_name, t0)
        return doc

    def extract(self, source: str | Path | bytes, name: str | None = None) -> ExtractionResult:
        """The contract result for one file; failures are reported in it, never raised."""
        label = name or (str(source) if not isinstance(source, bytes) else "upload")
        try:
            doc = self.run(source, label)
        except JixiaoError as exc:
            return ExtractionResult(source=label, pages=0, status=Status.failure, errors=[f"{exc.code}: {exc.reason}"])
        except Exception as exc:  # a bug must not take the worker or the batch down
            log.exception("extraction failed for %s", label)
            return ExtractionResult(
                source=label, pages=0, status=Status.failure, errors=[f"internal_error: {type(exc).__name__}: {exc}"]
            )
        return to_result(doc)

    def _tick(self, stage: str, t0: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - t0


def to_result(doc: Document) -> ExtractionResult:
    warnings = list(doc.warnings)
    for page in doc.pages:
        warnings += [f"page {page.number}: {w}" for w in page.warnings]
    if not doc.forms:
        warnings.append("no_form: no 绩效自评表 was found in this document")
    return ExtractionResult(source=doc.source, pages=len(doc.pages), forms=doc.forms, warnings=warnings)
