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
    """One pass over every string in the update (it runs for each one: kept lean)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):
                return True
        elif isinstance(item, BaseModel):
            stack.extend(v for v in item.__dict__.values() if v is not None)
            if item.__pydantic_extra__:
                stack.extend(item.__pydantic_extra__.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
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
