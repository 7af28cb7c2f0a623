"""The language of every answer: the user's choice, else Telegram's language_code, else
(decided where the text is answered) the language of the text they sent.

`language_known` in the handler data (`bot/telegram/context.py`) says whether one of the first
two decided; when it is False the locale is only the default and a text or a picture is
answered in the text's own language.
"""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18nMiddleware

from bot.i18n import as_lang
from bot.storage import UserRecord


class LanguageMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        record: UserRecord | None = data.get("user_record")
        user: User | None = data.get("event_from_user")
        lang = (record.language if record else None) or as_lang(user.language_code if user else None)
        data["language_known"] = lang is not None
        return lang or self.i18n.default_locale
