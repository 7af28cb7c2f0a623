"""The picture readers' settings (``settings.ocr``), read from ``OCR_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class OcrSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workers: int = Field(default=1, ge=1, le=16, description="processes reading pictures (one core each)",
                         json_schema_extra={"env": "OCR_WORKERS"})
    queue: int = Field(default=8, ge=0, description="pictures that may wait for a worker; more are refused",
                       json_schema_extra={"env": "OCR_QUEUE"})
    time_limit: float = Field(default=8.0, gt=0, description="seconds one picture may take to read",
                              json_schema_extra={"env": "OCR_TIME_LIMIT"})
    tessdata: Path | None = Field(
        default=None, description="folder with kaz/rus/eng .traineddata; unset = the system's tessdata",
        json_schema_extra={"env": "OCR_TESSDATA"},
    )
