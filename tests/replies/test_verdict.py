"""The answer a person reads: their language, their red flags, safe links, true contacts; short
first (it fits a phone screen), the rest behind buttons; steps that fit how the message came."""

import html
import re

import pytest

from bot.classifier.verdict import Flag
from bot.replies.verdict import SHORT_ANSWER_LIMIT, Explained

CHANNELS = ["call", "sms_link", "messenger", "marketplace", "social"]


def visible(answer: str) -> str:
    """What a person reads of a Telegram HTML answer: no tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", answer))


def details(renderer, verdict, what, lang):
    return renderer.details(what, Explained.of(verdict), lang)


def test_kazakh_scam_gets_a_kazakh_answer(classifier, renderer):
    verdict = classifier.classify("Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз")
    text = renderer.render(verdict, "kk")
    assert text.startswith(("🔴 Қауіп жоғары", "🟠 Абай болыңыз"))
    assert "Не істеу керек:" in text and "1. " in text
    assert details(renderer, verdict, "report", "kk").startswith("Қайда хабарлау керек:")


def test_russian_scam_gets_a_russian_answer(classifier, renderer):
    verdict = classifier.classify("Служба безопасности банка: назовите код из смс, иначе карта будет заблокирована")
    text = renderer.render(verdict, "ru")
    assert text.startswith(("🔴 Высокий риск", "🟠 Осторожно"))
    assert "Что делать сейчас:" in text and "1. " in text
    assert "Просят код из SMS или пароль" in text
    assert details(renderer, verdict, "report", "ru").startswith("Куда сообщить:")


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
        classifier, renderer, knowledge, lang, text, banner, about):
    answer = renderer.render(classifier.classify(text), lang)
    assert answer.startswith(banner)
    assert about in answer and knowledge.schemes["bank_security_call"].title.get(lang) in answer
    assert "🔴" not in answer and "🟠" not in answer


@pytest.mark.parametrize(
    ("lang", "text", "banner", "heading"),
    [
        ("kk", "Жапырақтағы хлорофилл күн сәулесін жұтады.", "❔ Нақты айта алмаймын", "Өзіңіз былай тексеріңіз:"),
        ("ru", "Фотосинтез происходит в хлоропластах листьев.", "❔ Не могу сказать точно", "Как проверить самому:"),
    ],
)
def test_i_cant_tell_says_why_and_how_to_check(classifier, renderer, knowledge, lang, text, banner, heading):
    answer = renderer.render(classifier.classify(text), lang)
    assert answer.startswith(banner)
    assert knowledge.replies.why["unlike_known_examples"].get(lang) in answer
    assert heading in answer and "1. " in answer and "🟢" not in answer


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_hedged_scam_names_both_schemes_and_says_why_behind_its_button(classifier, renderer, knowledge, lang):
    verdict = classifier.classify("Здравствуйте, служба безопасности Kaspi. По вашей карте подозрительная операция, назовите код из смс")
    hedged = verdict.model_copy(update={"why": ["two_schemes_close"], "alternative": "law_enforcement_impersonation"})
    answer = renderer.render(hedged, lang)
    assert knowledge.schemes["law_enforcement_impersonation"].title.get(lang) in answer
    assert knowledge.schemes[hedged.scheme].title.get(lang) in answer
    why = details(renderer, hedged, "why", lang)
    assert knowledge.replies.why["two_schemes_close"].get(lang) in why
    assert knowledge.schemes["law_enforcement_impersonation"].title.get(lang) in why


def test_every_number_in_any_answer_is_a_verified_contact(knowledge, classifier, renderer):
    verified = {c.number for c in knowledge.contacts.values() if c.number and c.confidence == "verified"}
    for scheme in knowledge.schemes.values():
        verdict = classifier.classify(scheme.examples[0].text)
        explained = Explained(scheme.id, None, verdict.channel, tuple(f.id for f in verdict.red_flags))
        for lang in ("kk", "ru"):
            answer = "\n".join([renderer.render(verdict, lang),
                                *(renderer.details(what, explained, lang) for what in ("todo", "report", "why"))])
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


# --- short first, details on demand ---------------------------------------------------------

@pytest.fixture(scope="module")
def scheme_verdicts(knowledge, classifier):
    """Every example of every scheme, classified: each scheme's answer with the red flags real
    texts of that scheme show."""
    pairs = [(sid, ex.text) for sid, scheme in knowledge.schemes.items() for ex in scheme.examples]
    verdicts = classifier.classify_many([text for _, text in pairs])
    return [(sid, verdict) for (sid, _), verdict in zip(pairs, verdicts)]


def first_answers(knowledge, scheme_verdicts):
    """Each scheme's first answer in every shape it can take: every channel or none, one scheme
    named or two (the second with the longest title there is)."""
    for sid, verdict in scheme_verdicts:
        second = max((s for s in knowledge.schemes if s != sid), key=lambda s: len(knowledge.schemes[s].title.kk))
        for channel in [None, *CHANNELS]:
            for alternative in (None, second):
                yield verdict.model_copy(update={"scheme": sid, "kind": "scam", "channel": channel,
                                                 "risk": "medium" if alternative else "high",
                                                 "alternative": alternative})


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_schemes_first_answer_fits_a_phone_screen(knowledge, renderer, scheme_verdicts, lang):
    """412×915: the verdict line must stay in view, so what a person reads (the verdict's own
    answer, HTML tags not counted; a forward's origin note is not part of it) is ≤ 600 characters."""
    longest = max(((len(visible(renderer.render(v, lang, html=True))), v.scheme, v.channel, v.alternative)
                   for v in first_answers(knowledge, scheme_verdicts)), key=lambda found: found[0])
    assert longest[0] <= SHORT_ANSWER_LIMIT, longest


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_first_answer_shows_at_most_two_red_flags_and_three_steps(knowledge, renderer, scheme_verdicts, lang):
    for sid, verdict in scheme_verdicts[::7]:
        answer = renderer.render(verdict.model_copy(update={"scheme": sid, "risk": "high", "kind": "scam"}), lang)
        assert 1 <= len(re.findall(r"^\d\. ", answer, re.M)) <= 3, answer
        assert len(re.findall(r"^• ", answer, re.M)) <= 2, answer


# How a step names the bank's own number, in words the test knows independently of replies.yaml.
BANK_PHRASES = {"kk": ("екінші бетіндегі", "картаның артындағы"), "ru": ("обороте карты",)}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_contact_is_named_twice_in_a_first_answer(knowledge, renderer, scheme_verdicts, lang):
    numbers = [c.number for c in knowledge.contacts.values() if c.number and c.showable]
    for verdict in first_answers(knowledge, scheme_verdicts[::5]):
        steps = "\n".join(line for line in renderer.render(verdict, lang).splitlines() if re.match(r"\d\. ", line))
        for number in numbers:
            assert len(re.findall(rf"(?<!\d){number}(?!\d)", steps)) <= 1, (number, steps)
        assert sum(steps.count(p) for p in BANK_PHRASES[lang]) <= 1, steps


@pytest.mark.parametrize(("lang", "text"), [
    ("kk", "Полиция ескертеді: алаяқтар банк атынан қоңырау шалып, 500 000 теңгені «қауіпсіз шотқа» аударуды "
           "сұрайды. Кодты ешкімге айтпаңыз."),
    ("ru", "Полиция предупреждает: мошенники звонят от имени банка и просят перевести 500 000 тенге на "
           "«безопасный счёт». Никому не называйте код."),
])
def test_a_genuine_warning_shows_no_red_flags_as_if_aimed_at_the_reader(classifier, renderer, knowledge, lang, text):
    """Even when the flag detector still sees "a transfer request" and "an amount" in it (the
    reader is not asked for anything), the answer lists no red flags."""
    amount = text.index("500 000")
    flags = [Flag(id="asks_transfer", weight=1.2, quote=text[amount - 12:amount], start=amount - 12, end=amount),
             Flag(id="money_amount", weight=0.2, quote="500 000", start=amount, end=amount + 7)]
    warning = classifier.classify(text).model_copy(update={
        "kind": "fraud_warning", "risk": "none", "scheme": None, "warns_about": "bank_security_call",
        "red_flags": flags})
    answer = renderer.render(warning, lang)
    assert knowledge.replies.flags_heading.get(lang) not in answer
    assert not any(renderer.flag_titles[f.id].get(lang) in answer for f in flags)
    assert answer.startswith(knowledge.replies.fraud_warning.get(lang))


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_green_verdict_lists_no_red_flags(classifier, renderer, knowledge, lang):
    text = "Мама, переведи мне 5000 тенге на обед, пожалуйста"
    flag = Flag(id="money_amount", weight=0.2, quote="5000 тенге", start=text.index("5000"), end=text.index(" на"))
    green = classifier.classify(text).model_copy(update={"risk": "none", "kind": "benign", "scheme": None,
                                                         "red_flags": [flag]})
    answer = renderer.render(green, lang)
    assert answer.startswith("🟢") and knowledge.replies.flags_heading.get(lang) not in answer
    assert renderer.flag_titles["money_amount"].get(lang) not in answer


# --- advice by channel --------------------------------------------------------------------

SMS_WITH_LINK = {"kk": "Құрметті клиент! Картаңыз уақытша бұғатталды. Бұғаттан шығару: halyk-kz.online/unlock",
                 "ru": "Уважаемый клиент Halyk! Ваша карта заблокирована. Подробнее: halyk-bank.online/unblock"}
CALL = {"kk": "Алло, сәлеметсіз бе! Сізді Halyk банктің қауіпсіздік қызметі мазалап тұр. Картаңыздан күдікті "
              "аударым байқалды, келген кодты айтыңыз.",
        "ru": "Алло, здравствуйте, вас беспокоит служба безопасности Kaspi банка. По карте подозрительная "
              "операция, назовите код из смс."}
LISTING = {"kk": "OLX-те сатушы алдын ала төлем сұрап тұр, Kaspi-ге 20 000 теңге аударыңыз дейді",
           "ru": "Продаю iPhone 13 на OLX, предоплата 50%, отправлю Казпочтой, пишите"}
EGOV_CODE_CALL = {"kk": "Маған eGov-тан деп қоңырау шалды, 1414-тен келген кодты айтыңыз деді",
                  "ru": "Мне позвонили, сказали что из ЦОНа, надо продлить ЭЦП, просят продиктовать код от 1414"}
HANG_UP = {"kk": ("телефонды қой", "Телефонды қой", "Қоңырауды үзіңіз", "Сөйлесуді"), "ru": ("трубк", "разговор")}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_an_sms_with_a_look_alike_link_is_told_not_to_open_it_and_about_1400_never_to_hang_up(
        classifier, renderer, knowledge, lang):
    verdict = classifier.classify(SMS_WITH_LINK[lang])
    assert verdict.channel == "sms_link" and verdict.is_scam
    answer = renderer.render(verdict, lang)
    assert knowledge.channels["sms_link"].steps[0].get(lang) in answer
    assert "1400" in answer
    assert not any(phrase in answer for phrase in HANG_UP[lang]), answer
    report = details(renderer, verdict, "report", lang)
    assert knowledge.contacts["kz_cert"].text.get(lang) in report


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_call_is_told_to_hang_up_first_and_not_about_links(classifier, renderer, knowledge, lang):
    verdict = classifier.classify(CALL[lang])
    assert verdict.channel == "call" and verdict.is_scam
    first_step = next(line for line in renderer.render(verdict, lang).splitlines() if line.startswith("1. "))
    assert any(phrase in first_step for phrase in HANG_UP[lang]), first_step
    assert knowledge.channels["sms_link"].steps[0].get(lang) not in renderer.render(verdict, lang)
    assert knowledge.contacts["operator_help"].text.get(lang) in details(renderer, verdict, "report", lang)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_marketplace_listing_is_told_not_to_prepay_and_to_report_on_the_platform(classifier, renderer, knowledge, lang):
    verdict = classifier.classify(LISTING[lang])
    assert verdict.channel == "marketplace" and verdict.is_scam
    answer = renderer.render(verdict, lang)
    assert f"1. {knowledge.channels['marketplace'].steps[0].get(lang)}" in answer
    assert not any(phrase in answer for phrase in HANG_UP[lang]), answer
    report = details(renderer, verdict, "report", lang).splitlines()
    assert report[1] == f"• {knowledge.contacts['marketplace_support'].text.get(lang)}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_an_egov_code_call_hears_about_egov_codes_not_only_the_operators_app(classifier, renderer, lang):
    verdict = classifier.classify(EGOV_CODE_CALL[lang])
    assert verdict.channel == "call" and verdict.is_scam
    steps = [line for line in renderer.render(verdict, lang).splitlines() if re.match(r"\d\. ", line)]
    assert any(phrase in steps[0] for phrase in HANG_UP[lang]), steps
    assert any("1414" in step or "eGov" in step for step in steps), steps


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_same_scheme_gets_different_first_steps_by_channel(knowledge, renderer, lang):
    by_channel = {channel: renderer.first_steps("bank_security_call", channel, lang) for channel in CHANNELS}
    assert by_channel["call"][0] == knowledge.schemes["bank_security_call"].what_to_do[0].get(lang)  # its own "hang up"
    for channel in ("sms_link", "messenger", "marketplace", "social"):
        assert by_channel[channel][0] == knowledge.channels[channel].steps[0].get(lang)
        assert knowledge.schemes["bank_security_call"].what_to_do[0].get(lang) not in by_channel[channel]
    # no channel known: the scheme's steps as they are
    assert renderer.first_steps("bank_security_call", None, lang)[0] == by_channel["call"][0]


# --- the details behind the buttons ------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_what_to_do_lists_every_step_for_the_scheme_and_channel(knowledge, renderer, lang):
    for scheme in knowledge.schemes.values():
        for channel in [None, *CHANNELS]:
            todo = renderer.details("todo", Explained(scheme.id, channel=channel), lang)
            steps = renderer.steps(scheme.id, channel, lang)
            assert todo.splitlines()[0] == knowledge.replies.todo_heading.get(lang)
            assert todo.splitlines()[1:] == [f"{n}. {s}" for n, s in enumerate(steps, 1)]
            untagged = [s.get(lang) for s in scheme.what_to_do if s.channel is None]
            assert all(s in steps for s in untagged)
            if channel not in (None, "call"):
                assert not any(s.get(lang) in steps for s in scheme.what_to_do if s.channel == "call")


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_where_to_report_names_each_contact_once_the_channels_first(knowledge, renderer, lang):
    for scheme in knowledge.schemes.values():
        for channel in [None, *CHANNELS]:
            report = renderer.details("report", Explained(scheme.id, channel=channel), lang).splitlines()[1:]
            assert len(report) == len(set(report))
            wanted = [*(knowledge.channels[channel].contacts if channel else []), *scheme.report_via]
            assert report == [f"• {knowledge.contacts[c].text.get(lang)}" for c in dict.fromkeys(wanted)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_why_i_think_so_gives_the_scheme_the_channel_the_flags_found_and_its_signs(classifier, renderer, knowledge, lang):
    verdict = classifier.classify(SMS_WITH_LINK[lang])
    why = details(renderer, verdict, "why", lang)
    scheme = knowledge.schemes[verdict.scheme]
    assert why.startswith(knowledge.replies.why_heading.get(lang))
    assert scheme.summary.get(lang) in why
    assert knowledge.channels["sms_link"].title.get(lang) in why
    assert renderer.flag_titles["link_lookalike"].get(lang) in why
    assert all(sign.get(lang) in why for sign in scheme.red_flags)


def test_a_detail_for_a_scheme_no_longer_known_is_none(renderer):
    assert renderer.details("todo", Explained("retired_scheme"), "ru") is None
