"""The text a subscriber receives: a fixed header in their language, then the officer's
words, HTML-escaped (an officer's '<' must not break the message or inject markup)."""

from __future__ import annotations

import html

from aiogram.utils.i18n import I18n

from bot.i18n import N_, Lang

HEADER = N_("🚔 Police alert")


def alert_html(i18n: I18n, text: str, lang: Lang) -> str:
    return f"<b>{html.escape(i18n.gettext(HEADER, locale=lang), quote=False)}</b>\n\n{html.escape(text.strip(), quote=False)}"
