"""Service settings, from the environment (prefix JIXIAO_)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIXIAO_")

    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0, le=500 * 1024 * 1024)
    pipeline_config: str | None = None


@lru_cache
def get_settings() -> Settings:
    return Settings()
