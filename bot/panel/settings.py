"""The officers' dashboard settings (``settings.panel``), read from ``PANEL_*`` variables."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

TOKEN_LABEL = b"saqbol panel sign-in links v1"
"""What the signing key derived from BOT_TOKEN is labelled with: the key is not the token
itself, so a leaked link secret says nothing about the token, and vice versa."""


class PanelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None,
        description="the dashboard's public base URL the /panel links point at, e.g. https://bot.example.kz; "
                    "unset = WEBHOOK_URL's host with a webhook, else http://PANEL_HOST:PANEL_PORT",
        json_schema_extra={"env": "PANEL_URL"})
    host: str = Field(default="127.0.0.1",
                      description="the dashboard server's address with polling and in the demo "
                                  "(with a webhook it is served by the webhook server)",
                      json_schema_extra={"env": "PANEL_HOST"})
    port: int = Field(default=8082, ge=1, le=65535,
                      description="the dashboard server's port with polling and in the demo",
                      json_schema_extra={"env": "PANEL_PORT"})
    secret: SecretStr | None = Field(
        default=None,
        description="the key sign-in links are signed with (32+ random characters); unset = derived from BOT_TOKEN, "
                    "or random per start in the demo",
        json_schema_extra={"env": "PANEL_SECRET"})

    @field_validator("url")
    @classmethod
    def _full_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be a full URL like https://bot.example.kz (the links add /panel/login)")
        return value.rstrip("/") if value else None

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("too short: use 32 or more random characters (e.g. `openssl rand -hex 32`)")
        return value

    def signing_key(self, token: SecretStr | None) -> bytes:
        """PANEL_SECRET; else a key derived from the bot's token (the same on every replica,
        and it changes when the token is revoked); else, in the demo, a random one per start
        (its links die with it, which is what a demo wants)."""
        if self.secret is not None:
            return self.secret.get_secret_value().encode("utf-8")
        if token is not None:
            return hmac.new(token.get_secret_value().encode("utf-8"), TOKEN_LABEL, hashlib.sha256).digest()
        return secrets.token_bytes(32)

    def public_url(self, webhook_url: str | None) -> str:
        """Where officers open the dashboard: PANEL_URL; with a webhook, the webhook's own
        scheme and host (the panel's routes are served by the webhook server); else this
        server's address."""
        if self.url:
            return self.url
        if webhook_url:
            scheme, _, rest = webhook_url.partition("://")
            return f"{scheme}://{rest.split('/', 1)[0]}"
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104 - naming, not binding
        return f"http://{host}:{self.port}"
