"""Settings of the use cases that need any (``settings.waves``): the wave detector's, read from
``WAVE_*`` variables. `bot/config.py` holds this section; the detector is handed it alone."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WavesSettings(BaseModel):
    """When a cluster of recent checks is a wave, and how soon the officers hear of it."""

    model_config = ConfigDict(extra="forbid")

    users: int = Field(default=5, ge=2, le=1000,
                       description="distinct people who sent copies of one message within the window: a wave",
                       json_schema_extra={"env": "WAVE_USERS"})
    window_hours: float = Field(default=24.0, gt=0, le=168,
                                description="how far back the wave detector looks (hours); a wave nobody asked "
                                            "about for this long is closed",
                                json_schema_extra={"env": "WAVE_WINDOW_HOURS"})
    sweep_seconds: float = Field(default=300.0, ge=10, le=3600,
                                 description="the wave detector runs at least this often (seconds), new checks or not",
                                 json_schema_extra={"env": "WAVE_SWEEP_SECONDS"})
    debounce_seconds: float = Field(default=15.0, ge=0, le=50,
                                    description="after a risky or novel check is stored, the detector waits this long "
                                                "(seconds) for more before it runs: the officers hear of a wave within "
                                                "a minute of its K-th person",
                                    json_schema_extra={"env": "WAVE_DEBOUNCE_SECONDS"})
