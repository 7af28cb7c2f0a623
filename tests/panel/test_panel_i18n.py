"""Every text the dashboard shows is in the Kazakh and the Russian catalogue (panel.po), with
the same placeholders, none left in English, the Kazakh one in Kazakh letters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2.ext import babel_extract

from bot.i18n import LANGUAGES
from bot.panel.app import TEMPLATES
from bot.panel.i18n import load_catalogues

PANEL_CODE = Path(TEMPLATES).parent


def used_texts() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        with template.open("rb") as f:
            for _line, _func, message, _comments in babel_extract(f, ("_", "gettext", "ngettext"), [],
                                                                 {"extensions": "jinja2.ext.i18n"}):
                found.add(message if isinstance(message, str) else message[0])
    for module in PANEL_CODE.glob("*.py"):  # texts looked up in Python: translations.text(lang, "...")
        found |= set(re.findall(r'\.text\(lang, "([^"]+)"\)', module.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_of_the_pages_is_translated(lang):
    missing = sorted(used_texts() - set(load_catalogues()[lang]))
    assert not missing, f"add to bot/i18n/locales/{lang}/LC_MESSAGES/panel.po: {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_and_none_is_left_in_english(lang):
    for msgid, text in load_catalogues()[lang].items():
        assert set(re.findall(r"%\((\w+)\)s", text)) == set(re.findall(r"%\((\w+)\)s", msgid)), msgid
        if re.search(r"[A-Za-z]{4,}", msgid) and msgid not in {"Download CSV"}:
            assert text != msgid, msgid


def test_the_kazakh_catalogue_is_written_in_kazakh():
    long_texts = [t for t in load_catalogues()["kk"].values() if len(t) > 30]
    assert long_texts and all(re.search("[әғқңөұүһі]", t, re.IGNORECASE) for t in long_texts)


def test_the_catalogues_have_no_text_the_pages_do_not_use():
    unused = sorted(set(load_catalogues()["ru"]) - used_texts())
    assert not unused, f"remove from panel.po (kk and ru): {unused}"
