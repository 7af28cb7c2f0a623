"""Screenshots sent to the bot, end to end: the emulator hands the photo over getFile and a
file download, the bot reads it with Tesseract, checks the text, and answers in the user's
language with what it read first."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.ocr import MAX_BYTES
from bot.devtools.screenshots import Screenshot
from tests.support.livebot import live_bot

KK_USER, RU_USER = 2001, 2002
USER_OF = {"kk": KK_USER, "ru": RU_USER}
SCREENSHOTS = {
    "ru": (Screenshot("Ваша посылка задержана на таможне. Оплатите пошлину 2 500 тг по ссылке "
                      "kazpost-delivery.site, иначе она вернется отправителю.", "KazPost", "ru"), "delivery_parcel"),
    "kk": (Screenshot("Құттықтаймыз! Сіз ұтыс ойынында көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге салық "
                      "төлеңіз.", "Kaspi Ұтыс", "kk", "chat", "dark", 720, 1600), "prize_lottery"),
}
READ_LINE = {"kk": "📷 Суреттен оқығаным: «", "ru": "📷 Я прочитал на картинке: «"}


@pytest.fixture
def reads_pictures(tesseract):
    """The e2e tests below need Tesseract (`tesseract` skips or fails where it is missing)."""


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_screenshot_gets_the_warning_in_the_users_language(live, knowledge, reads_pictures, lang):
    shot, scheme = SCREENSHOTS[lang]
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    live.emulator.send_photo(USER_OF[lang], image=shot.encode("JPEG"))
    answer = (await live.emulator.next_message(USER_OF[lang], timeout=30))["text"]
    assert answer.startswith(READ_LINE[lang])
    assert knowledge.schemes[scheme].title.get(lang) in answer
    assert await live.rows("SELECT source, scheme FROM checks") == [("picture", scheme)]


async def test_links_read_in_a_picture_are_shown_defanged(live, reads_pictures):
    shot, _ = SCREENSHOTS["ru"]
    live.emulator.add_user(RU_USER, language_code="ru")
    live.emulator.send_photo(RU_USER, image=shot.encode())
    answer = await live.emulator.next_message(RU_USER, timeout=30)
    assert "kazpost-delivery[.]site" in answer["text"]
    assert not [e for e in answer.get("entities", []) if e["type"] in ("url", "text_link")]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_screenshot_sent_as_a_file_is_read_too(live, knowledge, reads_pictures, lang):
    shot, scheme = SCREENSHOTS[lang]
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    live.emulator.send_document(USER_OF[lang], file_name="Screenshot_20251103.png", mime_type="image/png",
                                data=shot.encode())
    answer = (await live.emulator.next_message(USER_OF[lang], timeout=30))["text"]
    assert answer.startswith(READ_LINE[lang]) and knowledge.schemes[scheme].title.get(lang) in answer


async def test_the_caption_is_checked_together_with_the_picture(live, reads_pictures):
    shot = Screenshot("Привет, это Арман. Срочно нужны деньги, завтра верну.", "Арман", layout="chat")
    live.emulator.add_user(RU_USER, language_code="ru")
    live.emulator.send_photo(RU_USER, image=shot.encode(), caption="переведите на карту 4400 4302 1234 5678")
    await live.emulator.next_message(RU_USER, timeout=30)
    [(stored,)] = await live.rows("SELECT text_redacted FROM checks")
    assert "срочно нужны деньги" in stored and "[карта]" in stored and "4400" not in stored  # stored lower-cased


@pytest.mark.parametrize(("lang", "expected"), [
    ("kk", "Бұл суреттен мәтін таппадым."),
    ("ru", "На этой картинке я не нашёл текста."),
])
async def test_a_picture_without_text_gets_a_polite_answer(live, reads_pictures, lang, expected):
    blank = io.BytesIO()  # a photo of a sunset: colours, no letters
    Image.radial_gradient("L").resize((800, 600)).convert("RGB").save(blank, format="JPEG")
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    live.emulator.send_photo(USER_OF[lang], image=blank.getvalue())
    answer = (await live.emulator.next_message(USER_OF[lang], timeout=30))["text"]
    assert answer.startswith(expected)
    assert await live.rows("SELECT count(*) FROM checks") == [(0,)]


@pytest.mark.parametrize(("lang", "expected"), [
    ("kk", "Бұл суретті аша алмадым"),
    ("ru", "Не получилось открыть картинку"),
])
async def test_a_broken_file_gets_a_clear_answer(live, reads_pictures, lang, expected):
    live.emulator.add_user(USER_OF[lang], language_code=lang)
    live.emulator.send_document(USER_OF[lang], file_name="scan.jpg", mime_type="image/jpeg", data=b"\xff\xd8 torn")
    answer = (await live.emulator.next_message(USER_OF[lang], timeout=30))["text"]
    assert answer.startswith(expected)


async def test_a_too_large_picture_is_refused_without_downloading_it(live, reads_pictures):
    live.emulator.add_user(RU_USER, language_code="ru")
    live.emulator.send_photo(RU_USER, image=b"\xff" * (MAX_BYTES + 1))
    answer = await live.emulator.next_message(RU_USER, timeout=30)
    assert answer["text"].startswith("Эта картинка слишком большая")
    assert not [r for r in live.emulator.requests if r.method == "getFile"]


async def test_a_broken_picture_with_a_caption_still_gets_the_caption_checked(live, knowledge, reads_pictures):
    live.emulator.add_user(KK_USER, language_code="kk")
    text = "Құттықтаймыз! Сіз көлік ұтып алдыңыз. Жүлдені алу үшін 5000 теңге салық төлеңіз"
    live.emulator.send_photo(KK_USER, image=b"not a picture", caption=text)
    answer = (await live.emulator.next_message(KK_USER, timeout=30))["text"]
    assert answer.startswith("Бұл суретті аша алмадым: файл бүлінген сияқты. Суреттің астындағы жазуды тексердім.")
    assert knowledge.schemes["prize_lottery"].title.get("kk") in answer


@pytest.mark.parametrize(("lang", "expected"), [
    ("kk", "Бұл серверде суреттерді оқи алмаймын."),
    ("ru", "На этом сервере я не умею читать картинки."),
])
async def test_without_tesseract_the_bot_says_it_cannot_read_pictures(settings, classifier, tmp_path, lang, expected):
    async with live_bot(settings, classifier, database_path=tmp_path / "db", heartbeat_path=tmp_path / "hb",
                        ocr_tessdata=tmp_path) as live:
        live.emulator.add_user(USER_OF[lang], language_code=lang)
        live.emulator.send_photo(USER_OF[lang], image=SCREENSHOTS[lang][0].encode())
        answer = await live.emulator.next_message(USER_OF[lang])
        assert answer["text"].startswith(expected)
        assert (await live.reply_to(USER_OF[lang], "/help"))["text"]  # everything else still works


async def test_a_crowd_of_pictures_gets_a_busy_answer_instead_of_a_long_wait(settings, classifier, tmp_path,
                                                                             reads_pictures):
    async with live_bot(settings, classifier, database_path=tmp_path / "db", heartbeat_path=tmp_path / "hb",
                        ocr_workers=1, ocr_queue=0) as live:
        users = range(3001, 3005)
        for user in users:
            live.emulator.add_user(user, language_code="ru")
            live.emulator.send_photo(user, image=SCREENSHOTS["ru"][0].encode())
        answers = [(await live.emulator.next_message(user, timeout=30))["text"] for user in users]
        assert any(a.startswith("Сейчас проверяется много картинок") for a in answers)
        assert any(a.startswith(READ_LINE["ru"]) for a in answers)
