"""Settings, read once at start from the environment or `.env`, then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]
Backend = Literal["auto", "lexical", "transformer"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    model: str = Field(
        default="intfloat/multilingual-e5-small",
        description="sentence-transformers model: a hub name (looked up offline in models/ and the "
        "Hugging Face cache) or a local folder",
    )
    backend: Backend = Field(default="auto", description="auto | lexical | transformer")
    query_prefix: str | None = Field(default=None, description="prefix for checked texts; e5 models: 'query: '")
    passage_prefix: str | None = Field(default=None, description="prefix for knowledge examples; e5: 'passage: '")
    models_dir: Path = ROOT / "models"
    knowledge_dir: Path = ROOT / "knowledge"
    cache_dir: Path = Path("data/cache")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
