"""The answer a person reads: their language, their red flags, safe links, true contacts."""

import re

import pytest


def test_kazakh_scam_gets_a_kazakh_answer(classifier, renderer):
    verdict = classifier.classify("Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз")
    text = renderer.render(verdict, "kk")
    assert text.startswith(("🔴 Қауіп жоғары", "🟠 Абай болыңыз"))
    assert "Не істеу керек:" in text and "Қайда хабарлау керек:" in text


def test_russian_scam_gets_a_russian_answer(classifier, renderer):
    verdict = classifier.classify("Служба безопасности банка: назовите код из смс, иначе карта будет заблокирована")
    text = renderer.render(verdict, "ru")
    assert text.startswith(("🔴 Высокий риск", "🟠 Осторожно"))
    assert "Что делать сейчас:" in text and "Куда сообщить:" in text
    assert "Просят код из SMS или пароль" in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_links_are_defanged_in_the_answer(classifier, renderer, lang):
    verdict = classifier.classify("Получите выигрыш: https://kaspi-bonus.top/prize")
    text = renderer.render(verdict, lang)
    assert "kaspi-bonus[.]top" in text
    assert "https://kaspi-bonus.top" not in text


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_calm_answer_for_ordinary_text(classifier, renderer, lang):
    text = renderer.render(classifier.classify("Апа, мен үйге жеттім"), lang)
    assert text.startswith(("🟢", "🟡"))


def test_every_number_in_any_answer_is_a_verified_contact(kb, classifier, renderer):
    verified = {c.number for c in kb.contacts.values() if c.number and c.confidence == "verified"}
    for scheme in kb.schemes.values():
        verdict = classifier.classify(scheme.examples[0].text)
        for lang in ("kk", "ru"):
            answer = renderer.render(verdict, lang)
            quoted = {f.quote for f in verdict.red_flags}
            for number in re.findall(r"(?<![\d.])\d{3,5}(?![\d.])", answer):
                assert number in verified or any(number in q for q in quoted), (number, answer)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_html_answer_escapes_the_users_words(classifier, renderer, lang):
    verdict = classifier.classify("<i>Выигрыш</i> тут: https://kaspi-bonus.top/?a=1&b=<x>")
    answer = renderer.render(verdict, lang, html=True)
    assert "&amp;b=" in answer
    assert answer.startswith("<b>") and answer.count("<b>") == answer.count("</b>")
    assert not re.search(r"<(?!/?b>)", answer), answer
