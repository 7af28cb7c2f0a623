"""Storage settings (``settings.storage``): where the database lives, where the shared Redis
is (when several replicas run) and how long a conversation is remembered."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATABASE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class StorageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_path: Path = Field(default=Path("data/saqbol.db"),
                                description="SQLite file (WAL; migrations applied at start)")
    database_url: str | None = Field(
        default=None, description="sqlite:///path/to.db or postgresql://user:password@host/db; "
        "unset = SQLite at DATABASE_PATH"
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:6379/0: dialogs, flood counters, the alerts' rate limit, "
        "conversation memory and report offers shared by all replicas; unset = in this process's memory "
        "(one process only)"
    )
    conversation_memory_minutes: float = Field(
        default=30.0, gt=0, description="how long the bot remembers its last answer to a user, so that a "
        "follow-up is answered in its context (minutes)"
    )

    @property
    def database(self) -> Path | str:
        """What `Database.open` takes: DATABASE_URL when set, else the SQLite file at DATABASE_PATH."""
        return self.database_url or self.database_path

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        """A typo in the scheme would otherwise surface as a driver error far from the setting."""
        if value is not None and not value.startswith(DATABASE_SCHEMES):
            raise ValueError(f"DATABASE_URL must start with one of {', '.join(DATABASE_SCHEMES)} "
                             "(e.g. sqlite:///data/saqbol.db or postgresql://saqbol:secret@localhost/saqbol)")
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(REDIS_SCHEMES):
            raise ValueError(f"REDIS_URL must start with one of {', '.join(REDIS_SCHEMES)} "
                             "(e.g. redis://localhost:6379/0)")
        return value or None
