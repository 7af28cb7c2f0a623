"""Short general questions go to the FAQ, scams that mention the same words do not."""

import pytest

from bot.classifier.faq import FaqMatcher


@pytest.fixture(scope="module")
def matcher(knowledge):
    return FaqMatcher(knowledge)


@pytest.mark.parametrize(("text", "faq"), [
    ("куда звонить?", "report"),
    ("Қайда хабарласу керек?", "report"),
    ("как заблокировать карту", "block_card"),
    ("картамды қалай бұғаттаймын", "block_card"),
    ("что такое стоп кредит", "stop_credit"),
    ("Стоп несие деген не?", "stop_credit"),
    ("можно ли вернуть деньги?", "money_back"),
])
def test_a_short_question_finds_its_answer(matcher, text, faq):
    assert matcher.match(text) == faq


@pytest.mark.parametrize("text", [
    "Здравствуйте, служба безопасности банка. Чтобы заблокировать карту от мошенников, назовите код из SMS",
    "Сізге ұтыс түсті",
    "Мама, я дома",
])
def test_other_texts_are_not_questions(matcher, text):
    assert matcher.match(text) is None
