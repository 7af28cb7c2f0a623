"""Red flags: each is named and quotes the words it came from. kk and ru side by side."""

import pytest

from bot.classifier.normalize import normalize
from bot.classifier.numbers import find_cards, find_iins, find_phones, iin_ok, luhn_ok
from bot.classifier.signals import SignalDetector


@pytest.fixture(scope="module")
def detector(knowledge):
    return SignalDetector(knowledge)


def flags(detector, text):
    found = detector.detect(normalize(text))
    return {f.id: f.quote for f in found}


@pytest.mark.parametrize(
    "text",
    [
        "Назовите, пожалуйста, код из смс",  # ru
        "Сізге келген кодты айтыңызшы",  # kk
        "sizge kelgen kodty aitynyz",  # kk in Latin letters
        "Продиктуйте к о д",  # spaced letters
        "cообщите код",  # homoglyph
    ],
)
def test_request_for_a_code(detector, text):
    assert "asks_code" in flags(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "Код подтверждения: 4821. Никому не сообщайте его.",
        "Растау коды: 4821. Кодты ешкімге айтпаңыз.",
    ],
)
def test_a_real_otp_warns_instead_of_asking(detector, text):
    found = flags(detector, text)
    assert "protective_warning" in found
    assert "asks_code" not in found


# Each flag in Russian and in Kazakh.
PHRASES = {
    "asks_transfer": ("Переведите деньги на безопасный счет", "Ақшаны қауіпсіз шотқа аударыңыз"),
    "remote_access": ("Скачайте AnyDesk, я помогу", "AnyDesk қосымшасын жүктеп алыңыз"),
    "secrecy": ("Это тайна следствия, никому не рассказывайте", "Туыстарыңызға айтпаңыз, тергеу құпиясы"),
    "winnings": ("Вы выиграли автомобиль!", "Сіз көлік ұтып алдыңыз!"),
    "threat": ("Ваш номер будет заблокирован", "Нөміріңіз бұғатталады"),
}


@pytest.mark.parametrize(("text", "flag"), [(text, flag) for flag, texts in PHRASES.items() for text in texts])
def test_phrase_signals(detector, text, flag):
    assert flag in flags(detector, text)


def test_flag_quotes_the_users_own_words(detector):
    found = flags(detector, "Срочно! Продиктуйте к о д из SMS")
    assert "к о д" in found["asks_code"]


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Получите приз: kaspi-bonus.top/win", "link_lookalike"),
        ("Сыйлықты алыңыз: hxxps://halyk-kz[.]online", "link_lookalike"),
        ("Перейдите: https://kaspі.kz/pay", "link_punycode"),  # Cyrillic і inside the host
        ("Перейдите: https://xn--kspi-6ve.kz", "link_punycode"),
        ("Толығырақ: bit.ly/3abcd", "link_shortener"),
        ("Войдите: http://185.22.10.4/login", "link_ip_host"),
        ("Вход: https://kaspi.kz@evil.example.com/login", "link_at_trick"),
        ("Анықтама: https://egov.kz/services", "link_official"),
        ("Оплата: post-kz.delivery-info.xyz", "link_risky_tld"),
    ],
)
def test_link_signals(detector, text, flag):
    assert flag in flags(detector, text)


def test_an_official_link_is_not_a_lookalike(detector):
    found = flags(detector, "Сайт банка: https://halykbank.kz/cards")
    assert "link_official" in found and "link_lookalike" not in found


def test_dotted_abbreviations_are_not_links(detector):
    assert not any(f.startswith("link") for f in flags(detector, "и т.д. и т.п., т.е. всё"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("звоните +7 701 123 45 67", "phone_kz"),
        ("маған 8 (777) 123-45-67 нөміріне хабарласыңыз", "phone_kz"),
        ("перезвоните +7 925 123 45 67", "phone_ru_mobile"),
        ("WhatsApp: +998 90 123 45 67", "phone_foreign"),
    ],
)
def test_phone_numbers(text, kind):
    assert [f.kind for f in find_phones(normalize(text).text)] == [kind]


def test_card_numbers_need_a_valid_checksum():
    assert luhn_ok("4400430212345679") and not luhn_ok("4400430212345678")
    assert find_cards("карта 4400 4302 1234 5679")
    assert not find_cards("заказ 4400 4302 1234 5678")


def test_iin_needs_a_valid_check_digit():
    assert iin_ok("900101300017") and not iin_ok("900101300018")
    assert find_iins("ЖСН 900101300017") and not find_iins("номер 900101300018")


def test_a_card_number_is_not_read_as_a_phone():
    assert find_phones("карта 4400 4302 1234 5679") == []


# --- Negation and reporting (issue 12, item 5) -------------------------------------------------
# A request counts only when it is aimed at the reader: a prohibition ("never tell the code") and a
# description of what fraudsters do ("мошенники просят…") contain a request's words but ask for
# nothing. Kazakh and Russian side by side; each example of the issue is here.


def positive(detector, text):
    """The red flags a user would be shown (positive weight), by id."""
    return {f.id for f in detector.detect(normalize(text)) if f.weight > 0}


def all_flags(detector, text):
    return {f.id for f in detector.detect(normalize(text))}


@pytest.mark.parametrize(
    "text",
    [
        "Никому не сообщайте код",
        "Кодты ешкімге айтпаңыз",
        "Never tell anyone the code",
        "банк никогда не просит CVV",
        "банк ешқашан кодты сұрамайды",
        "Кодты айтпаңыз",  # "айт*" would match the negative verb itself
        "CVV кодты ешкімге бермеңіз",
        "Не сообщайте никому код из смс",
        "Код из SMS никому не сообщайте",
        "Келген кодты ешкімге айтпаңыз",
        "Никому не сообщайте код из SMS, CVV и пароль",
        "SMS-код, CVV және құпиясөзді ешкімге айтпаңыз",
        "Мы никогда не звоним с просьбой назвать код из SMS или CVV",
        "Біз ешқашан SMS-кодты айтуды сұрамаймыз",
    ],
)
def test_a_prohibition_is_not_a_request_for_the_code(detector, text):
    assert "asks_code" not in positive(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        "банк никогда не просит CVV",
        "Кодты айтпаңыз",
        "Никогда не устанавливайте AnyDesk по просьбе незнакомцев",
        "AnyDesk қосымшасын орнатпаңыз",
        "Не вносите предоплату незнакомым продавцам",
        "Алдын ала төлем жасамаңыз",
    ],
)
def test_a_prohibited_request_is_a_sign_of_a_genuine_warning_for_the_fusion(detector, text):
    """The fusion sees the prohibition as its own negative signal, not as a request."""
    found = detector.detect(normalize(text))
    assert {f.id for f in found if f.weight > 0} & {"asks_code", "asks_transfer", "remote_access"} == set()
    negated = [f for f in found if f.id == "negated_request"]
    assert negated and negated[0].weight < 0


@pytest.mark.parametrize(
    "text",
    [
        "назовите код из SMS",
        "кодты айтыңызшы",
        "скажите код, который пришёл",
        "Сізге келген кодты айтыңызшы",
        "не кладите трубку и назовите код",  # a prohibition before "и" does not reach the request
        "телефонды қоймаңыз, кодты айтыңыз",
        "никому не говорите, что мы звонили, назовите код",  # secrecy + a request: still a request
        "ешкімге айтпаңыз, келген кодты тез айтыңыз",
        "kodty aitynyzshy",  # informal Latin Kazakh
        "kodtı aıtyńyzshy",  # 2018 Latin alphabet
        "Не волнуйтесь назовите код",  # "не" negates "волнуйтесь", not "назовите"
        "Сізге келген кодты айтыңызшы, ешкімге айтпаңыз",
        "Скажите три цифры на обороте карты не бойтесь",
    ],
)
def test_a_real_request_for_the_code_is_still_found(detector, text):
    assert "asks_code" in positive(detector, text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Без предоплаты не отправляем, сами понимаете", "asks_transfer"),
        ("Алдын ала төлемсіз жібермейміз, өзіңіз түсінесіз", "asks_transfer"),
    ],
)
def test_without_turns_a_prohibition_back_into_a_demand(detector, text, flag):
    """"Without prepayment we do not send" asks for the prepayment."""
    assert flag in positive(detector, text)


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Мошенники просят назвать код из SMS", {"asks_code"}),
        ("Алаяқтар сізге қоңырау шалып, кодты айтуды сұрайды", {"asks_code"}),
        ("Злоумышленники звонят от имени службы безопасности банка", {"impersonation"}),
        ("Алаяқтар банк қызметкері болып қоңырау шалады", {"impersonation"}),
        ("Полиция предупреждает: мошенники просят перевести деньги на безопасный счёт, ущерб составил "
         "500 000 тенге", {"asks_transfer", "money_amount"}),
        ("Полиция ескертеді: алаяқтар ақшаны қауіпсіз шотқа аударуды сұрайды, зиян 500 000 теңге",
         {"asks_transfer", "money_amount"}),
        ("Мошенники звонят и говорят: «назовите код из SMS»", {"asks_code"}),
        ("Алаяқтар «SMS-кодты айтыңыз» деп сұрайды", {"asks_code"}),
        ("Полиция предупреждает о звонках от службы безопасности банка", {"impersonation"}),
        ("Полиция банктің қауіпсіздік қызметі атынан қоңыраулар туралы ескертеді", {"impersonation"}),
        ("Код из SMS выманивают мошенники", {"asks_code"}),  # fraudsters after the phrase
        ("SMS-кодты айтуды алаяқтар сұрайды", {"asks_code"}),
        ("Жительница Алматы перевела мошенникам 2 млн тенге", {"money_amount"}),
        ("Алматыда зейнеткер алаяқтарға 2 млн теңге жоғалтты", {"money_amount"}),
    ],
)
def test_what_fraudsters_do_is_reported_not_a_request_to_the_reader(detector, text, hidden):
    found = all_flags(detector, text)
    assert not found & hidden
    assert "reported_request" in found


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        # a scam that names fraudsters to frighten still asks the reader
        ("Мошенники пытаются списать ваши деньги, срочно переведите их на безопасный счёт", "asks_transfer"),
        ("Алаяқтар картаңыздан ақша шешпек, ақшаңызды қауіпсіз шотқа тез аударыңыз", "asks_transfer"),
        ("Мошенники оформляют на вас кредит, сейчас вам придёт код из SMS", "asks_code"),
        # a person's own story of what they were asked keeps its flags
        ("Мне позвонили из банка и попросили код из смс", "asks_code"),
        ("Маған біреу хабарласып, келген кодты айтыңыз деді", "asks_code"),
        ("Мне написали: «вы выиграли, оплатите доставку 5000 тенге»", "asks_transfer"),
        ("Директке «сіз ұттыңыз, жеткізуге 5000 аударыңыз» деп жазды", "asks_transfer"),
        ("Мне звонят мошенники и просят код из смс", "asks_code"),
    ],
)
def test_a_request_aimed_at_the_reader_is_not_taken_for_a_report(detector, text, flag):
    assert flag in positive(detector, text)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Апам келген кодты айтып қойды, енді не істейміз?", True),  # Kazakh "не" is "what"
        ("Код из SMS не называйте никому", False),  # Russian "не" negates the verb after it
    ],
)
def test_the_kazakh_question_word_не_is_not_a_negation(detector, text, asks):
    assert ("asks_code" in positive(detector, text)) is asks


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Назар аударыңыз! Банк ешқашан ақша аударуды сұрамайды.", False),  # "attention!"
        ("Ақшаны мына картаға аударыңыз", True),
        ("Обратите внимание! Переведите деньги на эту карту", True),
    ],
)
def test_назар_аударыңыз_means_attention_not_transfer(detector, text, asks):
    assert ("asks_transfer" in positive(detector, text)) is asks


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Kaspi: код подтверждения 5521. Никогда не сообщайте код из SMS никому, даже сотрудникам банка.", "ru"),
        ("Kaspi: растау коды 5521. SMS-кодты ешкімге айтпаңыз, банк қызметкерлері оны ешқашан сұрамайды.", "kk"),
        ("Ваш код для входа: 904512. Банк никогда не просит CVV и код из SMS.", "ru"),
        ("eGov: растау коды 731064. Бұл кодты ешкімге бермеңіз, CVV кодты да айтпаңыз.", "kk"),
    ],
)
def test_a_genuine_bank_sms_is_not_shown_as_asking_for_the_code(classifier, renderer, text, lang):
    """What the user reads: no "asks for the code" among the red flags of a real bank SMS."""
    verdict = classifier.classify(text)
    assert "asks_code" not in {f.id for f in verdict.red_flags if f.weight > 0}
    title = renderer.flag_titles["asks_code"].get(lang)
    assert title not in renderer.render(verdict, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Полиция Алматы предупреждает: мошенники звонят от имени банка и просят перевести деньги на "
         "«безопасный счёт». За неделю жители города лишились 12 млн тенге.", "ru"),
        ("Алматы полициясы ескертеді: алаяқтар банк атынан қоңырау шалып, ақшаны «қауіпсіз шотқа» "
         "аударуды сұрайды. Бір аптада тұрғындар 12 млн теңге жоғалтты.", "kk"),
    ],
)
def test_a_news_text_does_not_show_a_transfer_request_or_a_sum_as_red_flags(classifier, renderer, text, lang):
    verdict = classifier.classify(text)
    shown = {f.id for f in verdict.red_flags if f.weight > 0}
    assert not shown & {"asks_transfer", "money_amount"}
    answer = renderer.render(verdict, lang)
    for flag in ("asks_transfer", "money_amount"):
        assert renderer.flag_titles[flag].get(lang) not in answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("не " * 2000 + "— назовите код", "asks_code"),  # a wall of negators before a request
        ("код из смс не " * 300, "negated_request"),
        ("мошенники " * 1000 + "просят код из смс", "reported_request"),
        ("алаяқтар " * 1000 + "кодты айтуды сұрайды", "reported_request"),
        ("«" * 2000 + "назовите код", "asks_code"),
        ("кодты айтпаңыз, " * 300, "negated_request"),
    ],
)
def test_cue_floods_get_the_right_reading(detector, text, expected):
    """Hostile repetitions of the cue words still get the right answer (their time is measured
    by `python -m bot bench-inputs`, not here)."""
    assert expected in all_flags(detector, text)


def test_the_inputs_of_the_hostile_input_bench_are_read_as_they_are(detector):
    """The bench's walls of digits, brackets and marks hold no prohibition and no report (its
    cue floods are there to time the scope check, and are read in the test above); its normal
    message (a bank-security script) keeps its request for the code."""
    from bot.devtools.bench_inputs import NORMAL, hostile_inputs

    for name, text in hostile_inputs().items():
        if name.startswith("cue:"):
            continue
        found = all_flags(detector, text)
        assert not found & {"negated_request", "reported_request"}, name
    assert "asks_code" in positive(detector, NORMAL)


def test_a_cue_of_several_words_is_refused_where_one_word_is_expected(knowledge):
    """A typo by an analyst is caught at load, with the field named, not silently ignored."""
    scope = knowledge.signals.scope.model_copy(update={"negators": ["ни в коем случае"]})
    signals = knowledge.signals.model_copy(update={"scope": scope})
    with pytest.raises(ValueError, match="scope.negators"):
        SignalDetector(knowledge.model_copy(update={"signals": signals}))
