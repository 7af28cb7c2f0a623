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
    assert text.startswith(("🟢", "🟡", "❔"))


@pytest.mark.parametrize(
    ("lang", "text", "banner", "about"),
    [
        ("kk", "Полиция ескертеді: банк қызметкерлері ешқашан SMS-кодты сұрамайды. Осындай қоңырау түссе, "
               "тұтқаны қойып, банкке өзіңіз хабарласыңыз.", "ℹ️ Бұл алаяқтықтың өзі емес", "Ескерту мына алаяқтық түрі туралы"),
        ("ru", "Полиция предупреждает: сотрудники банка никогда не спрашивают код из SMS. Если вам так позвонили, "
               "положите трубку и сами позвоните в банк.", "ℹ️ Похоже на настоящее предупреждение", "Предупреждение о схеме"),
    ],
)
def test_a_genuine_warning_is_answered_as_a_warning_with_its_scheme_never_a_red_banner(
        classifier, renderer, kb, lang, text, banner, about):
    answer = renderer.render(classifier.classify(text), lang)
    assert answer.startswith(banner)
    assert about in answer and kb.schemes["bank_security_call"].title.get(lang) in answer
    assert "🔴" not in answer and "🟠" not in answer


@pytest.mark.parametrize(
    ("lang", "text", "banner", "heading"),
    [
        ("kk", "Фотосинтез жапырақтардағы хлоропластарда жүреді.", "❔ Нақты айта алмаймын", "Өзіңіз былай тексеріңіз:"),
        ("ru", "Фотосинтез происходит в хлоропластах листьев.", "❔ Не могу сказать точно", "Как проверить самому:"),
    ],
)
def test_i_cant_tell_says_why_and_how_to_check(classifier, renderer, kb, lang, text, banner, heading):
    answer = renderer.render(classifier.classify(text), lang)
    assert answer.startswith(banner)
    assert kb.replies.why["unlike_known_examples"].get(lang) in answer
    assert heading in answer and "1. " in answer and "🟢" not in answer


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_hedged_scam_says_why(classifier, renderer, kb, lang):
    verdict = classifier.classify("Здравствуйте, служба безопасности Kaspi. По вашей карте подозрительная операция, назовите код из смс")
    hedged = verdict.model_copy(update={"why": ["two_schemes_close"], "alternative": "law_enforcement_impersonation"})
    answer = renderer.render(hedged, lang)
    assert kb.replies.why["two_schemes_close"].get(lang) in answer
    assert kb.schemes["law_enforcement_impersonation"].title.get(lang) in answer


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
