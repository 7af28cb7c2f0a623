"""Storage settings (``settings.storage``): where the database lives and how long a
conversation is remembered."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_path: Path = Field(default=Path("data/saqbol.db"),
                                description="SQLite file (WAL; migrations applied at start)")
    conversation_memory_minutes: float = Field(
        default=30.0, gt=0, description="how long the bot remembers its last answer to a user, so that a "
        "follow-up is answered in its context (minutes)"
    )
