"""Lone UTF-16 surrogates out of an update before anything reads it.

Telegram's JSON may carry an escaped lone surrogate ("\\ud800"), and the demo page can send
one too. Python decodes it into a str that cannot be encoded to UTF-8, so the first write to
SQLite or the first send to Telegram would raise. Each one becomes U+FFFD, the replacement
character, at the edge: the rest of the bot only ever sees text it can store and send.
"""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot
from aiogram.types import Update
from pydantic import BaseModel

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    return _SURROGATE.sub(REPLACEMENT, text)


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, BaseModel):
        extra = value.__pydantic_extra__ or {}
        return any(_has_surrogate(v) for v in (*value.__dict__.values(), *extra.values()))
    if isinstance(value, (list, tuple)):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: _cleaned(v) for k, v in value.items()}
    return value


def sanitized(update: Update, bot: Bot | None) -> Update:
    """The update itself when it holds no lone surrogate (the usual case: one walk over its
    fields), else an equal update with each one replaced by U+FFFD."""
    if not _has_surrogate(update):
        return update
    data = _cleaned(update.model_dump(mode="python", exclude_unset=True, by_alias=True))
    return Update.model_validate(data, context={"bot": bot} if bot is not None else {})
