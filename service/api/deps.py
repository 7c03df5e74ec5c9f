"""Dependencies shared by the routers: one pipeline per process, built on first use."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Annotated

from fastapi import Depends

from ..config import PipelineConfig
from ..pipeline import Pipeline
from .settings import Settings, get_settings

_lock = threading.Lock()


@lru_cache
def _pipeline(config_path: str | None) -> Pipeline:
    return Pipeline(PipelineConfig.load(config_path))


def get_pipeline(settings: Annotated[Settings, Depends(get_settings)]) -> Pipeline:
    with _lock:
        return _pipeline(settings.pipeline_config)


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
