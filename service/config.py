"""The pipeline config: which stages run, in which order, with which options."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

DEFAULT_CONFIG = Path(__file__).with_name("pipeline.toml")


class PipelineConfig(BaseModel):
    stages: list[str]
    ingest: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "PipelineConfig":
        path = Path(path or os.environ.get("JIXIAO_PIPELINE_CONFIG") or DEFAULT_CONFIG)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            stages=raw["pipeline"]["stages"],
            ingest=raw.get("ingest", {}),
            options=raw.get("stages", {}),
        )

    def with_options(self, stage: str, **options: Any) -> "PipelineConfig":
        merged = {**self.options, stage: {**self.options.get(stage, {}), **options}}
        return self.model_copy(update={"options": merged})
