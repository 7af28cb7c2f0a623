"""No personal number is left on disk, and /forget leaves no copy of the user's text.

The bytes of the database, its -wal file and a log written at DEBUG are searched, after the
numbers were sent in Kazakh and Russian messages, in refused admin commands and in a forged
admin button. Then /forget: the WAL is checkpointed, so the deleted rows (overwritten in the
database file by secure_delete) leave no older copy in the -wal file either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.privacy.logs import RedactingFilter, configure_logging

KK_USER, RU_USER = 6101, 6102
USER_OF = {"kk": KK_USER, "ru": RU_USER}


def luhn_completed(body: str) -> str:
    """``body`` with the check digit that makes it a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


CARD = luhn_completed("440043018765432")
CARD_TYPED = " ".join(CARD[i:i + 4] for i in range(0, 16, 4))
SECRETS = {  # typed form, digits
    "card": (CARD_TYPED, CARD),
    "iin": ("870312450786", "870312450786"),
    "phone": ("+7 705 318 24 96", "77053182496"),
    "code": ("код 738215", "738215"),
}


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def on_disk(db_path: Path, *more: Path) -> bytes:
    """The database file, its -wal and -shm, and any other files given, as bytes."""
    files = sorted(db_path.parent.glob(db_path.name + "*")) + list(more)
    return b"".join(p.read_bytes() for p in files if p.exists())


@pytest.fixture
def debug_log(tmp_path) -> Iterator[Path]:
    """The bot's logging set up as `python -m bot` does at LOG_LEVEL=DEBUG, into a file."""
    path = tmp_path / "bot.log"
    root = logging.getLogger()
    saved = (root.level, {name: logging.getLogger(name).level for name in ("aiosqlite", "aiogram.event")})
    had_filter = {h for h in root.handlers if any(isinstance(f, RedactingFilter) for f in h.filters)}
    handler = configure_logging("DEBUG", logging.FileHandler(path, encoding="utf-8"))
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)
        for h in root.handlers:
            if h not in had_filter:
                for f in [f for f in h.filters if isinstance(f, RedactingFilter)]:
                    h.removeFilter(f)


async def test_numbers_reach_neither_the_database_nor_its_wal_nor_the_debug_log(debug_log, live):
    live.emulator.add_user(KK_USER, language_code="kk")
    live.emulator.add_user(RU_USER, language_code="ru")
    s = {name: typed for name, (typed, _) in SECRETS.items()}
    await live.reply_to(KK_USER, f"Маған хат келді: {s['card']} картасына ақша аударыңыз, ЖСН {s['iin']}")
    await live.reply_to(KK_USER, f"{s['phone']} нөмірінен қоңырау шалып, {s['code']} айтуды сұрады")
    await live.reply_to(RU_USER, f"Звонили с номера {s['phone']}, просили {s['code']} и карту {s['card']}")
    await live.reply_to(RU_USER, f"Мой ИИН {s['iin']}, скажите, это безопасно?")
    for user, command in [(RU_USER, f"/stats ZQXJVWK {SECRETS['card'][1]}"), (KK_USER, f"/grant {s['iin']}"),
                          (RU_USER, f"/broadcast {s['phone']}")]:
        refused = await live.reply_to(user, command)
        assert refused["text"] in ("Эта команда только для сотрудников полиции.",
                                   "Бұл пәрмен тек полиция қызметкерлеріне арналған.")
    mine = live.emulator.bot_messages(RU_USER)[-1]
    live.emulator.press(RU_USER, mine["message_id"], f"apr:{SECRETS['card'][1]}:1", force=True)
    await live.emulator.wait_until(lambda: bool(live.emulator.callback_answers))
    # A question about one's own number ("is this safe?") is answered from the conversation, and a
    # person's own words may be read as a story inside it: only messages to check are stored.
    assert (await live.rows("SELECT count(*) FROM checks"))[0][0] >= 1
    assert sorted(await live.rows("SELECT detail FROM audit WHERE action = 'denied'")) == [
        ("/broadcast",), ("/grant",), ("/stats",), ("apr:[карта]:1",)]
    logging.getLogger("tests").debug("the log holds DEBUG lines")  # the file really is at DEBUG
    for handler in logging.getLogger().handlers:
        handler.flush()
    stored = on_disk(live.db_path, debug_log)
    assert b"text_redacted" in stored and b"the log holds DEBUG lines" in stored
    for name, (typed, digits) in SECRETS.items():
        for form in {typed, digits, digits[-8:]}:
            assert form.encode() not in stored, (name, form)


@pytest.mark.parametrize(("lang", "text", "confirm"), [
    ("kk", "Көршім Жәнібек сілтеме жіберіп, Сарыарқа көшесіндегі пәтерді сатамын деді", "Иә, өшіру"),
    ("ru", "Сосед Вольдемар прислал ссылку и сказал, что продаёт квартиру на Подгорной", "Да, удалить"),
])
async def test_forget_leaves_no_copy_of_the_users_text_in_the_wal_or_the_database(live, lang, text, confirm):
    user = USER_OF[lang]
    live.emulator.add_user(user, language_code=lang)
    await live.reply_to(user, text)
    (stored,), = await live.rows("SELECT text_redacted FROM checks WHERE user_id = ?", user)
    marker = stored.split()[1]  # the neighbour's name, as stored
    assert len(marker) > 5 and marker.encode() in on_disk(live.db_path)
    # An audit row as the bot wrote them before: the refused command's whole text.
    await live.deps.db.conn.execute("INSERT INTO audit (actor_id, action, detail, created_at) "
                                    "VALUES (?, 'denied', ?, 0)", (user, f"/stats {marker}"))
    question = await live.reply_to(user, "/forget")
    yes = next(b for b in buttons(question) if b["text"] == confirm)
    live.emulator.press(user, question["message_id"], yes["callback_data"])
    await live.emulator.wait_until(lambda: not live.emulator.bot_messages(user)[-1].get("reply_markup"))
    assert await live.rows("SELECT count(*) FROM checks WHERE user_id = ?", user) == [(0,)]
    assert await live.rows("SELECT detail FROM audit WHERE actor_id = ?", user) == [("",)]
    remains = on_disk(live.db_path)
    assert stored.encode() not in remains
    assert marker.encode() not in remains
