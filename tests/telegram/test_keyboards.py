"""The region buttons fit a phone's width, so no label is cut or wrapped inside a word.

On a 412-px-wide phone a half-width inline button shows about 20 characters and a full-width
one about 40; two-to-a-row buttons broke "Карагандинс|кая". These limits are the phone's, set
here on their own, not read from the code under test.
"""

from __future__ import annotations

import pytest

from bot.telegram import keyboards
from bot.telegram.callbacks import RegionCb, ReviewCb
from bot.i18n import create_i18n

HALF_WIDTH_CHARS = 20
FULL_WIDTH_CHARS = 40


@pytest.fixture(scope="module")
def i18n():
    return create_i18n()


def region_rows(knowledge, i18n, lang: str, onboarding: bool = False):
    with i18n.context(), i18n.use_locale(lang):
        return keyboards.regions(knowledge, lang, onboarding=onboarding).inline_keyboard


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_region_label_fits_its_row_on_a_phone_in_kazakh_and_russian(knowledge, i18n, lang):
    too_long = [
        (button.text, len(row))
        for row in region_rows(knowledge, i18n, lang)
        for button in row
        if len(button.text) > (HALF_WIDTH_CHARS if len(row) > 1 else FULL_WIDTH_CHARS)
    ]
    assert too_long == []
    assert all(len(row) <= 2 for row in region_rows(knowledge, i18n, lang))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_long_region_names_get_a_row_of_their_own(knowledge, i18n, lang):
    long_names = {"kk": "Солтүстік Қазақстан облысы", "ru": "Карагандинская область"}[lang]
    rows = region_rows(knowledge, i18n, lang)
    assert [[b.text for b in row] for row in rows if any(b.text == long_names for b in row)] == [[long_names]]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_short_names_still_share_a_row_so_the_keyboard_stays_short(knowledge, i18n, lang):
    rows = region_rows(knowledge, i18n, lang)
    assert ["Астана", "Алматы"] == [b.text for b in rows[0]]
    assert len(rows) < len(knowledge.regions) + 1


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_region_appears_once_in_the_knowledge_base_order_then_skip(knowledge, i18n, lang):
    rows = region_rows(knowledge, i18n, lang, onboarding=True)
    packed = [RegionCb.unpack(b.callback_data) for row in rows for b in row]
    assert [cb.region for cb in packed] == [*knowledge.regions, "-"]
    assert all(cb.onboarding for cb in packed)
    skip = rows[-1]
    assert len(skip) == 1 and skip[0].text == {"kk": "Өткізіп жіберу", "ru": "Пропустить"}[lang]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_alert_region_toggles_fit_a_phone_with_their_tick_in_kazakh_and_russian(knowledge, i18n, lang):
    """The subscription keyboard puts a tick before a chosen region: the label with its tick
    still fits its row."""
    with i18n.context(), i18n.use_locale(lang):
        rows = keyboards.subscription_regions(knowledge, lang, chosen=set(knowledge.regions)).inline_keyboard
    too_long = [b.text for row in rows for b in row
                if len(b.text) > (HALF_WIDTH_CHARS if len(row) > 1 else FULL_WIDTH_CHARS)]
    assert too_long == []
    assert sum(b.text.startswith("✅ ") for row in rows for b in row) == len(knowledge.regions)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_review_labels_fit_a_phone_and_offer_every_scheme_then_not_fraud_a_warning_and_skip(knowledge, i18n,
                                                                                                  lang):
    with i18n.context(), i18n.use_locale(lang):
        rows = keyboards.review_text_item(2**63 - 1, knowledge, lang).inline_keyboard
    too_long = [b.text for row in rows for b in row
                if len(b.text) > (HALF_WIDTH_CHARS if len(row) > 1 else FULL_WIDTH_CHARS)]
    assert too_long == [] and all(len(row) <= 2 for row in rows)
    assert len(rows) == (len(knowledge.schemes) + 1) // 2 + 3  # every scheme's short title shares a row
    packed = [ReviewCb.unpack(b.callback_data) for row in rows for b in row]
    assert [(cb.action, cb.label) for cb in packed] == [
        *(("label", s) for s in knowledge.schemes), ("label", "not_fraud"), ("label", "fraud_warning"), ("skip", "-")]
