"""How a message reached the person, told from cheap cues in its text (knowledge/channels.yaml):
Kazakh and Russian side by side, and the verdict carries it."""

import pytest

from bot.classifier.channel import ChannelDetector


@pytest.fixture(scope="module")
def detector(knowledge) -> ChannelDetector:
    return ChannelDetector(knowledge)


@pytest.mark.parametrize(("channel", "kk", "ru"), [
    ("call",
     "Кеше маған банктен деп қоңырау шалды, телефонды қоймаңыз деді",
     "Мне вчера позвонили, сказали не класть трубку"),
    ("call",
     "Алло, сізді Kaspi қауіпсіздік қызметі мазалап тұр",
     "Алло, вас беспокоит служба безопасности"),
    ("sms_link",
     "Сәлемдемеңіз кідіртілді, төмендегі сілтемеге өтіңіз",
     "Ваша посылка задержана, перейдите по ссылке для оплаты"),
    ("messenger",
     "WhatsApp-қа бейтаныс адам жазып, ақша сұрап отыр",
     "В ватсапе незнакомый номер просит одолжить денег"),
    ("marketplace",
     "OLX-тегі сатушы алдын ала төлем сұрайды",
     "Продавец на OLX просит предоплату за диван"),
    ("social",
     "Instagram-да ұтыс ойыны: жазылушыларға iPhone береміз",
     "Розыгрыш в Instagram: всем подписчикам iPhone"),
])
def test_each_channel_is_told_from_its_cues_in_both_languages(detector, channel, kk, ru):
    assert detector.detect(kk) == channel
    assert detector.detect(ru) == channel


@pytest.mark.parametrize("text", ["Кодты ешкімге айтпаңыз", "Назовите код из смс"])
def test_a_text_that_names_no_channel_has_none(detector, text):
    assert detector.detect(text) is None


@pytest.mark.parametrize("text", ["Картаңыз бұғатталды: kaspi-bonus.top", "Ваша карта заблокирована: kaspi-bonus.top"])
def test_a_suspicious_link_alone_makes_it_a_message_with_a_link(detector, text):
    assert detector.detect(text, ["link_lookalike"]) == "sms_link"
    assert detector.detect(text, ["link_official"]) is None  # an official site is no cue


@pytest.mark.parametrize(("kk", "ru"), [
    ("WhatsApp-қа сілтеме жіберді: kaspi-bonus.top", "В ватсап прислали ссылку: kaspi-bonus.top"),
])
def test_a_link_in_a_chat_counts_more_than_the_messenger_named(detector, kk, ru):
    """What to do about the link (do not open it; 1400 if data was entered) matters most."""
    assert detector.detect(kk, ["link_risky_tld"]) == "sms_link"
    assert detector.detect(ru, ["link_risky_tld"]) == "sms_link"


@pytest.mark.parametrize(("kk", "ru"), [
    ("WhatsApp арқылы бейне қоңырау шалды, банктен деді", "Позвонили по видеозвонку в WhatsApp, сказали из банка"),
])
def test_a_call_through_a_messenger_is_a_call(detector, kk, ru):
    assert detector.detect(kk) == "call"
    assert detector.detect(ru) == "call"


@pytest.mark.parametrize(("lang", "text", "channel"), [
    ("kk", "Алло, сәлеметсіз бе! Сізді Halyk банктің қауіпсіздік қызметі мазалап тұр, келген кодты айтыңыз.", "call"),
    ("ru", "Алло, здравствуйте, вас беспокоит служба безопасности банка, назовите код из смс.", "call"),
    ("kk", "Құрметті клиент! Картаңыз бұғатталды. Бұғаттан шығару: halyk-kz.online/unlock", "sms_link"),
    ("ru", "Уважаемый клиент! Ваша карта заблокирована. Подробнее: halyk-bank.online/unblock", "sms_link"),
])
def test_the_verdict_carries_the_channel(classifier, lang, text, channel):
    assert classifier.classify(text).channel == channel


def test_every_cue_is_a_valid_phrase_and_every_channel_has_steps_in_both_languages(knowledge, detector):
    assert set(knowledge.channels) == {"call", "sms_link", "messenger", "marketplace", "social"}
    for channel in knowledge.channels.values():
        assert channel.cues.kk and channel.cues.ru
        assert all(step.kk and step.ru for step in channel.steps)
