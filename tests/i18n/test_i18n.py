"""Every bot text exists in Kazakh and Russian, compiled, with the same placeholders."""

import re
import string

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, as_lang, compile_catalogs, create_i18n

KEYWORDS = {"_": None, "gettext": None, "N_": None, "both": (2,)}


def catalog(lang: str):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def used_msgids() -> set[str]:
    root = LOCALES_DIR.parent
    return {msg[2] for msg in extract_from_dir(root, keywords=KEYWORDS) if isinstance(msg[2], str)}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_in_the_code_is_translated(lang):
    translated = {m.id: m.string for m in catalog(lang) if m.id and m.string and not m.fuzzy}
    missing = sorted(used_msgids() - set(translated))
    assert not missing, f"add to bot/i18n/locales/{lang}/LC_MESSAGES/messages.po (run `make messages`): {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    for message in catalog(lang):
        if message.id:
            assert placeholders(message.string) == placeholders(message.id), message.id


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_translation_is_left_in_english(lang):
    for message in catalog(lang):
        if message.id and re.search(r"[A-Za-z]{4,}", message.id):
            assert message.string != message.id, message.id


def test_kazakh_texts_use_kazakh_letters():
    """A Russian text pasted into kk.po by mistake would have no ә, ғ, қ, ң, ө, ұ, ү, һ, і."""
    long_texts = [m.string for m in catalog("kk") if m.id and len(m.string) > 40]
    assert long_texts and all(re.search("[әғқңөұүһі]", t, re.IGNORECASE) for t in long_texts)


def test_stale_catalogs_are_recompiled(tmp_path):
    po_dir = tmp_path / "kk" / "LC_MESSAGES"
    po_dir.mkdir(parents=True)
    (po_dir / "messages.po").write_text('msgid ""\nmsgstr ""\n"Language: kk\\n"\n\nmsgid "Skip"\nmsgstr "Өткізу"\n',
                                        encoding="utf-8")
    assert compile_catalogs(tmp_path) == [po_dir / "messages.mo"]
    assert compile_catalogs(tmp_path) == []


def test_the_same_text_differs_by_language():
    i18n = create_i18n()
    assert i18n.gettext("Skip", locale="kk") == "Өткізіп жіберу"
    assert i18n.gettext("Skip", locale="ru") == "Пропустить"


@pytest.mark.parametrize(("code", "lang"), [("kk", "kk"), ("ru-RU", "ru"), ("kz", "kk"), ("en", None), (None, None)])
def test_telegram_language_codes(code, lang):
    assert as_lang(code) == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_texts_are_safe_in_telegram_html(lang):
    """Replies go out with parse_mode HTML: a bare '<' or '&' would make Telegram refuse the message."""
    for message in catalog(lang):
        if message.id:
            assert "<" not in message.string and not re.search(r"&(?!amp;|lt;|gt;|quot;)", message.string), message.id
