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
