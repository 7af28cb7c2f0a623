"""Police alert delivery settings (``settings.alerts``), read from ``BROADCAST_*`` variables."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AlertSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: float = Field(default=25.0, gt=0, le=30, description="alert messages per second (Telegram: ~30)",
                        json_schema_extra={"env": "BROADCAST_RATE"})
    paid: bool = Field(
        default=False, description="send alerts with allow_paid_broadcast (up to 1000 msg/s; costs Telegram Stars)",
        json_schema_extra={"env": "BROADCAST_PAID"},
    )
    paid_rate: float = Field(default=1000.0, gt=0, le=1000,
                             description="alert messages per second when BROADCAST_PAID is on",
                             json_schema_extra={"env": "BROADCAST_PAID_RATE"})
    relay_url: str | None = Field(
        default=None,
        description="the alert relay the engines send through (`python -m bot relay`): every recipient exactly once "
                    "even when a replica is killed; unset: straight to Telegram, at most once",
        json_schema_extra={"env": "BROADCAST_RELAY_URL"},
    )
    relay_host: str = Field(default="127.0.0.1", description="where `python -m bot relay` listens",
                            json_schema_extra={"env": "BROADCAST_RELAY_HOST"})
    relay_port: int = Field(default=8090, ge=0, le=65535,
                            description="the port `python -m bot relay` listens on (0: a free one, printed)",
                            json_schema_extra={"env": "BROADCAST_RELAY_PORT"})
