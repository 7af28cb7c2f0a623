"""Bot texts in Kazakh and Russian through gettext (aiogram's i18n).

Message ids are English; `bot/i18n/locales/{kk,ru}/LC_MESSAGES/messages.po` hold the texts a
person reads. The `.mo` files are build output: they are compiled from the `.po` files
whenever they are missing or older, at start and in the tests, so an edited translation
can never be silently ignored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

from bot.knowledge.schema import Lang

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES: tuple[Lang, ...] = ("kk", "ru")
KZ_TIME = dt.timezone(dt.timedelta(hours=5))
"""Kazakhstan's one time zone (UTC+5 since March 2024): the day a date shown to a person or an
officer falls on, and the day an export's --since starts."""


def N_(msgid: str) -> str:
    """Marks a text for translation where it is defined; it is translated where it is shown."""
    return msgid


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Compile every stale `.po` into its `.mo`; returns the files written."""
    written = []
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


def create_i18n(locales_dir: Path = LOCALES_DIR) -> I18n:
    compile_catalogs(locales_dir)
    return I18n(path=locales_dir, default_locale="ru", domain=DOMAIN)


def as_lang(code: str | None) -> Lang | None:
    """A Telegram language_code (e.g. 'kk', 'ru-RU') as one of the bot's languages, if it is one."""
    if not code:
        return None
    base = code.split("-")[0].lower()
    if base == "kz":  # seen in the wild; ISO 639-1 is 'kk'
        base = "kk"
    return cast(Lang, base) if base in LANGUAGES else None


def both(i18n: I18n, msgid: str, separator: str = "\n\n") -> str:
    """One text in Kazakh and in Russian, for the first message before a language is chosen."""
    return separator.join(i18n.gettext(msgid, locale=lang) for lang in LANGUAGES)


def variants(i18n: I18n, msgid: str) -> frozenset[str]:
    """Every translation of a text: a keyboard button is recognised in either language."""
    return frozenset(i18n.gettext(msgid, locale=lang) for lang in LANGUAGES)


def current_lang(i18n: I18n) -> Lang:
    """The language of the update being handled (set by the language middleware)."""
    return cast(Lang, i18n.current_locale)
