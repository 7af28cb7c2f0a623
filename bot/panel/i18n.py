"""The dashboard's words in Kazakh and Russian: the `panel` gettext domain beside the bot's.

Why a domain of its own (`bot/i18n/locales/{kk,ru}/LC_MESSAGES/panel.po`) rather than the
bot's `messages.po`: the pages' texts are many and read only by officers in a browser; they are
looked up by the templates (Jinja2's i18n extension, `_()` with `%(name)s` placeholders), not
by aiogram, and `tests/panel/test_panel_i18n.py` checks every text the templates use is in both
catalogues. The catalogues are read from the `.po` files at start (a few hundred lines), so no
compiled file can go stale.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from jinja2 import pass_context
from jinja2.runtime import Context

from bot.i18n import LANGUAGES, LOCALES_DIR
from bot.knowledge.schema import Lang

DOMAIN = "panel"
DEFAULT: Lang = "ru"


def catalogue_path(lang: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalogues(locales_dir: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """msgid → text, per language; fuzzy and empty entries are left out (the English id shows,
    and the catalogue test fails)."""
    catalogues: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        with catalogue_path(lang, locales_dir).open("rb") as po:
            catalogue = read_po(po, locale=lang)
        catalogues[lang] = {str(m.id): str(m.string) for m in catalogue
                            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}
    return catalogues


class Translations:
    """Looked up by the language of the page being rendered (its context's ``lang``)."""

    def __init__(self, catalogues: dict[str, dict[str, str]]) -> None:
        self.catalogues = catalogues

    def text(self, lang: str, msgid: str) -> str:
        return self.catalogues.get(lang, {}).get(msgid, msgid)

    def gettext_for_jinja(self):
        @pass_context
        def gettext(context: Context, msgid: str) -> str:
            return self.text(context.get("lang", DEFAULT), msgid)

        @pass_context
        def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
            # Kazakh has no plural form for counted nouns; Russian's three are avoided by
            # writing the number after a colon ("Проверок: 5"), so one form serves.
            return self.text(context.get("lang", DEFAULT), singular if n == 1 else plural)

        return gettext, ngettext


def choose_language(asked: str | None, cookie: str | None, accept: str | None) -> Lang:
    """The page's language: the switch just pressed, else the one chosen before (a cookie), else
    the browser's first of kk/ru, else Russian."""
    for value in (asked, cookie):
        if value in LANGUAGES:
            return value  # type: ignore[return-value]
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        code = "kk" if code == "kz" else code
        if code in LANGUAGES:
            return code  # type: ignore[return-value]
    return DEFAULT
