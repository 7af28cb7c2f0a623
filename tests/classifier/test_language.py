"""Language detection: kk (Cyrillic or Latin), ru, mixed, other."""

import pytest

from bot.classifier.language import detect_language
from bot.classifier.normalize import normalize


def lang(text: str) -> str:
    return detect_language(normalize(text)).lang


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз", "kk"),
        ("Здравствуйте, вас беспокоит служба безопасности банка", "ru"),
        ("Salem, aqsha jiberip jibershi, erteñ qaitaram", "kk"),
        ("сизге смс код келди ме", "kk"),  # Kazakh typed without its letters
        ("privet, skin kod pozhaluysta", "ru"),
        # informal Latin Kazakh with no Kazakh letter, no q and no polite ending: its words decide
        ("tegin premium berip jatyr, nomerinmen kir", "kk"),
        ("besplatno premium dayut, zahodi po nomeru", "ru"),
        ("Салем бауырым, ертең той бар, приходи обязательно, адрес позже скину", "mixed"),
        ("Hello, how are you?", "other"),
        ("🙂🙂🙂", "other"),
    ],
)
def test_language(text, expected):
    assert lang(text) == expected


def test_reply_language_of_mixed_text_is_the_stronger_one():
    guess = detect_language(normalize("Апа, мен ғой, жаңа нөмірім, срочно нужны деньги"))
    assert guess.reply_lang == "kk"
