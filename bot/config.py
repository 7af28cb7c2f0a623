"""Settings, read once at start from the environment or `.env`, then passed down in sections.

Each library defines the section it needs next to its code (`ClassifierSettings` in
bot/classifier/settings.py, `OcrSettings`, `StorageSettings`, `AlertSettings`,
`TelegramSettings`) and is handed only that section, so no library imports this module and
no secret travels where it is not needed: the classifier's worker process gets
``settings.classifier`` and never the bot token.

The environment names stay flat, as they always were (``BACKEND``, ``DATABASE_PATH``,
``BOT_TOKEN``, ``BROADCAST_RATE``...): a field is read from its name in capitals, or from the
name its ``json_schema_extra["env"]`` gives (``alerts.rate`` <- ``BROADCAST_RATE``).
`setting_fields()` lists them all, for the README's table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, Unpack

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.alerts.settings import AlertSettings
from bot.classifier.settings import BACKENDS, ROOT, Backend, ClassifierSettings
from bot.ocr.settings import OcrSettings
from bot.panel.settings import PanelSettings
from bot.services.settings import WavesSettings
from bot.storage.settings import StorageSettings
from bot.telegram.settings import TelegramSettings

__all__ = ["BACKENDS", "ROOT", "AlertSettings", "Backend", "ClassifierSettings", "FlatValues", "OcrSettings",
           "PanelSettings", "Settings", "SettingsError", "StorageSettings", "TelegramSettings", "WavesSettings", "load_settings",
           "setting_fields"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

SECTIONS: dict[str, type[BaseModel]] = {
    "classifier": ClassifierSettings,
    "storage": StorageSettings,
    "alerts": AlertSettings,
    "ocr": OcrSettings,
    "telegram": TelegramSettings,
    "panel": PanelSettings,
    "waves": WavesSettings,
}


def env_name(name: str, field: FieldInfo) -> str:
    """The environment variable a field is read from."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("env"), str):
        return str(extra["env"])
    return name.upper()


@dataclass(frozen=True)
class SettingField:
    """One environment variable: where it lands in `Settings`, its default, what it is for."""

    env: str
    section: str | None  # None: a top-level field (LOG_LEVEL)
    name: str
    default: object
    description: str


def setting_fields() -> Iterator[SettingField]:
    """Every setting, in the order of the sections, for the README's table and its test."""
    for name, field in Settings.model_fields.items():
        if name in SECTIONS:
            for inner, inner_field in SECTIONS[name].model_fields.items():
                yield SettingField(env_name(inner, inner_field), name, inner,
                                   inner_field.get_default(call_default_factory=True), inner_field.description or "")
        else:
            yield SettingField(env_name(name, field), None, name, field.get_default(call_default_factory=True),
                               field.description or "")


def _shown(value: object) -> str:
    """A default as the README shows it: paths inside the project relative to it, none as a dash."""
    if value is None or value == []:
        return "—"
    if isinstance(value, Path):
        return f"`{value.relative_to(ROOT)}/`" if value.is_relative_to(ROOT) else f"`{value}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_markdown() -> str:
    """The README's settings table, generated from the fields (a test keeps the README equal to it)."""
    rows = ["| variable | section | default | meaning |", "|---|---|---|---|"]
    for f in setting_fields():
        section = f"`{f.section}`" if f.section else "—"
        meaning = f.description.replace("|", "\\|")  # a pipe would end the cell
        rows.append(f"| `{f.env}` | {section} | {_shown(f.default)} | {meaning} |")
    return "\n".join(rows) + "\n"


def _routes() -> dict[str, tuple[str | None, str]]:
    """flat name (lower case) -> (section or None, field)."""
    return {f.env.lower(): (f.section, f.name) for f in setting_fields()}


class FlatValues(TypedDict, total=False):
    """The flat names `Settings(...)` and `Settings.with_values(...)` take: the environment
    names in lower case (a test keeps this list equal to the fields)."""

    log_level: LogLevel
    model: str
    backend: Backend
    query_prefix: str | None
    passage_prefix: str | None
    models_dir: Path
    knowledge_dir: Path
    cache_dir: Path
    database_path: Path
    database_url: str | None
    redis_url: str | None
    conversation_memory_minutes: float
    broadcast_rate: float
    broadcast_paid: bool
    broadcast_paid_rate: float
    broadcast_relay_url: str | None
    broadcast_relay_host: str
    broadcast_relay_port: int
    ocr_workers: int
    ocr_queue: int
    ocr_time_limit: float
    ocr_tessdata: Path | None
    bot_token: SecretStr | str | None
    telegram_api_url: str | None
    admin_ids: list[int] | str
    webhook_url: str | None
    webhook_secret: SecretStr | str | None
    webhook_host: str
    webhook_port: int
    demo_host: str
    demo_port: int
    throttle_messages: int
    throttle_window: float
    heartbeat_path: Path
    panel_url: str | None
    panel_host: str
    panel_port: int
    panel_secret: SecretStr | str | None
    wave_users: int
    wave_window_hours: float
    wave_sweep_seconds: float
    wave_debounce_seconds: float


def _route(flat: dict[str, Any]) -> dict[str, Any]:
    """{"backend": "lexical", "bot_token": "..."} -> {"classifier": {"backend": ...}, "telegram": {"token": ...}}."""
    routes = _routes()
    routed: dict[str, Any] = {}
    for key, value in flat.items():
        if key not in routes:
            raise TypeError(f"unknown setting {key!r}; the settings are: {', '.join(sorted(routes))}")
        section, name = routes[key]
        if section is None:
            routed[name] = value
        else:
            routed.setdefault(section, {})[name] = value
    return routed


class _FlatEnvironment(PydanticBaseSettingsSource):
    """Reads every section's fields from their flat variables (``BROADCAST_RATE`` -> ``alerts.rate``),
    out of the environment or `.env`, whichever ``source`` reads."""

    def __init__(self, settings_cls: type[BaseSettings], source: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self._source = source

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads all fields at once

    def __call__(self) -> dict[str, Any]:
        found = {key: self._source.env_vars[key] for key in _routes() if key in self._source.env_vars}
        return _route(found)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    log_level: LogLevel = Field(default="INFO", description="the log's level (every record is redacted)")
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings,
                                           description="the classifier; all its worker process is given")
    storage: StorageSettings = Field(default_factory=StorageSettings, description="the database")
    alerts: AlertSettings = Field(default_factory=AlertSettings, description="police alert delivery")
    ocr: OcrSettings = Field(default_factory=OcrSettings, description="reading screenshots")
    telegram: TelegramSettings = Field(default_factory=TelegramSettings,
                                       description="the token, webhook, demo, flood limits, superadmins")
    panel: PanelSettings = Field(default_factory=PanelSettings,
                                 description="the officers' web dashboard: its address and sign-in links' key")
    waves: WavesSettings = Field(default_factory=WavesSettings,
                                 description="the wave detector: how many people make a wave, how soon officers hear")

    def __init__(self, **values: Any) -> None:
        """Takes sections (``classifier=ClassifierSettings(...)``) or flat names, as in the
        environment (``Settings(cache_dir=..., backend="lexical")``): each lands in its section,
        over what the environment says."""
        special = {k: v for k, v in values.items() if k.startswith("_") or k in SECTIONS or k == "log_level"}
        routed = _route({k: v for k, v in values.items() if k not in special})
        for section, fields in list(routed.items()):
            given = special.get(section)
            if isinstance(given, BaseModel):
                given = {k: getattr(given, k) for k in given.model_fields_set}
            if isinstance(given, dict):
                routed[section] = {**given, **fields}
        super().__init__(**(special | routed))

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(env_settings, EnvSettingsSource) and isinstance(dotenv_settings, EnvSettingsSource)
        return init_settings, _FlatEnvironment(settings_cls, env_settings), _FlatEnvironment(settings_cls, dotenv_settings)

    def with_values(self, **flat: Unpack[FlatValues]) -> Settings:
        """A copy with some values changed, by their flat names (``backend="lexical"``,
        ``database_path=...``); each is validated and lands in its section. What a section had
        set stays set (the classifier tells a chosen backend from the default one)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in type(self).model_fields}
        for name, value in _route(dict(flat)).items():
            if name in SECTIONS:
                section = getattr(self, name)
                kept = {k: getattr(section, k) for k in section.model_fields_set}
                data[name] = type(section).model_validate(kept | value)
            else:
                data[name] = value
        return type(self).model_validate(data)


class SettingsError(RuntimeError):
    """A setting has a bad value; the message names the variable and what is expected."""


def _variable(loc: tuple[int | str, ...]) -> str:
    """The environment variable an error's location points at: ("alerts", "rate") -> BROADCAST_RATE."""
    if not loc:
        return "settings"
    head = str(loc[0])
    if head in SECTIONS and len(loc) > 1:
        field = SECTIONS[head].model_fields.get(str(loc[1]))
        if field is not None:
            return env_name(str(loc[1]), field)
    field = Settings.model_fields.get(head)
    if field is not None and head not in SECTIONS:
        return env_name(head, field)
    return "_".join(str(p) for p in loc).upper()


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _without_secrets(variable: str, value: Any) -> str:
    """A bad value as the error shows it: never a token, a secret or a URL's password, which
    would otherwise reach the logs of whoever starts the bot."""
    if any(word in variable for word in ("TOKEN", "SECRET", "PASSWORD")):
        return "'***'"
    return _URL_PASSWORD.sub(r"\1***@", repr(value))


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with pydantic's errors turned into one readable message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [f"  {(name := _variable(err['loc']))}={_without_secrets(name, err.get('input'))}: {err['msg']}"
                 for err in exc.errors()]
        raise SettingsError("bad setting (environment or .env):\n" + "\n".join(lines)) from None
