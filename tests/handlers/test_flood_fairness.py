"""One user cannot slow the bot for everyone: while one user sends walls of digits (under
the flood limit), another user's answers come as fast as usual. Every check waits behind the
ones before it, so a check that took seconds on a hostile text (the amount pattern was
quadratic: 2.3 s on "9" * 4096) delayed everybody; now each takes milliseconds."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest

FLOODER, OTHER = 5001, 5002
WALL = "9" * 4096
NORMAL = {
    "kk": ["Сәлем! Ертең кездесеміз бе?", "Құттықтаймыз, сізге ұтыс түсті, 5000 теңге төлеңіз",
           "Анам хабарласты, бәрі жақсы", "Kaspi-ден код келді, оны кімге айту керек?",
           "Дүкенде 3 000 теңгеге нан алдым"],
    "ru": ["Привет! Завтра встретимся?", "Поздравляем, вы выиграли, оплатите 5000 тенге",
           "Мама звонила, всё хорошо", "Пришёл код от Kaspi, кому его говорить?",
           "Купил хлеб в магазине за 300 тенге"],
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_another_users_answers_stay_fast_while_one_user_sends_walls_of_digits(live, lang):
    live.emulator.add_user(FLOODER, language_code=lang)
    live.emulator.add_user(OTHER, language_code=lang)
    await live.reply_to(OTHER, NORMAL[lang][0])  # warm up the path once

    for _ in range(10):  # ten walls at once, under the flood limit of 20 in 10 s
        live.emulator.send_text(FLOODER, WALL)
    await live.emulator.wait_until(lambda: live.emulator.pending_updates == 0)  # the bot is on them
    waits = []
    for text in NORMAL[lang] * 2:  # the other user's messages arrive while the walls are checked
        start = time.perf_counter()
        await live.reply_to(OTHER, text)
        waits.append(time.perf_counter() - start)
        await asyncio.sleep(0.01)

    for _ in range(10):  # the flooder is answered too, each wall once
        await live.emulator.next_message(FLOODER, timeout=20)
    p95 = statistics.quantiles(waits, n=20)[-1]
    assert p95 <= 0.2, f"the other user's p95 answer time was {p95:.3f} s: {[round(w, 3) for w in waits]}"


def test_a_short_message_behind_walls_of_text_goes_in_the_next_batch():
    from bot.classifier.service import next_batch

    pending = [(WALL, i) for i in range(10)] + [("Сәлем, бұл алаяқтық па?", "kk"), ("Это мошенники?", "ru")]
    batch, rest = next_batch(pending, max_batch=32)
    assert sorted(len(text) for text, _ in batch) == [14, 23, 4096]  # both short ones, one wall
    assert len(rest) == 9 and batch[0] == pending[0]  # the oldest always goes: no wall waits forever
    while rest:
        batch, rest = next_batch(rest, max_batch=32)
        assert len(batch) == 1
