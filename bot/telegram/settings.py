"""The Telegram side's settings (``settings.telegram``): the token, how updates arrive (polling,
webhook, or the local demo), flood limits, superadmins and the health-check heartbeat.

The only section with secrets (the token, the webhook secret); it stays in the bot's process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import NoDecode


class TelegramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr | None = Field(
        default=None, description="token from @BotFather; unset = `run` starts the local demo with the emulator",
        json_schema_extra={"env": "BOT_TOKEN"},
    )
    api_url: str | None = Field(
        default=None, description="a self-hosted Bot API server, e.g. http://localhost:8081",
        json_schema_extra={"env": "TELEGRAM_API_URL"},
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids of superadmins, comma-separated"
    )
    webhook_url: str | None = Field(
        default=None, description="public https URL Telegram posts updates to; unset = long polling"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="the secret Telegram sends with every webhook update")
    webhook_host: str = Field(default="0.0.0.0", description="the webhook server's address (it serves /telegram/webhook)")  # noqa: S104
    webhook_port: int = Field(default=8081, ge=1, le=65535, description="the webhook server's port")
    demo_host: str = Field(default="127.0.0.1", description="the demo web chat's address")
    demo_port: int = Field(default=8080, ge=1, le=65535, description="the demo web chat's port")
    throttle_messages: int = Field(default=20, ge=1, description="messages one user may send per window")
    throttle_window: float = Field(default=10.0, gt=0, description="the throttling window, seconds")
    heartbeat_path: Path = Field(default=Path("data/heartbeat"),
                                 description="file the bot writes the time to every few seconds; the container's healthcheck reads its age")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            bad = [p for p in parts if not p.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"expected numeric Telegram user ids separated by commas, got {', '.join(bad)!r}")
            return [int(p) for p in parts]
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be a full URL like https://bot.example.kz/telegram/webhook")
        return value or None
