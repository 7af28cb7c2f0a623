"""Waves end to end through the emulator, Kazakh and Russian side by side: officers opt in with
/waves; a scheme the knowledge base does not know, sent by 20 people of 3 regions among 500
ordinary checks over an hour, is told to them within a minute of its 5th person, with the right
regions, and the ordinary checks make no wave; the wave's buttons make an alert draft and fill
the review queue; a citizen can neither opt in nor press them.

The acceptance simulation runs on the test's clock: every check is judged by the real classifier
and stored by the real `Verdicts`, then dated; the detector runs when the bot would run it (the
debounce after a risky or novel check, the periodic sweep) and tells the officers through the
real aiogram stack. The last tests run on the real clock, the detector polling in the background
as the bot runs it."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator

import pytest

from bot.app.dispatcher import create_bot
from bot.devtools.waves_bench import ordinary_texts, wave_copies
from bot.telegram.callbacks import WaveCb
from tests.support.livebot import TOKEN, LiveBot, live_bot

SUPER, OFFICER_KK, OFFICER_RU, OFFICER_QUIET = 9001, 9002, 9004, 9005
CITIZENS = {"kk": 7001, "ru": 7002}
OFFICERS_LANG = {OFFICER_KK: "kk", OFFICER_RU: "ru", OFFICER_QUIET: "ru"}
# 20 people of the wave: 9 in Kostanay, 7 in Turkestan, 4 in Atyrau; the first five in all three.
WAVE_REGIONS = ["kostanay", "turkestan", "atyrau", "kostanay", "turkestan"] + ["kostanay"] * 7 + ["turkestan"] * 5 \
    + ["atyrau"] * 3
REGION_NAMES = {"kk": ["Қостанай облысы", "Түркістан облысы", "Атырау облысы"],
                "ru": ["Костанайская область", "Туркестанская область", "Атырауская область"]}
NEW_WAVE = {"kk": "Жаңа толқын: ", "ru": "Новая волна: "}
WAVE_WORDS = {"kk": "балаңыздың балабақша кезегі жойылады", "ru": "в очереди в детский сад будет аннулировано"}
OPTED_IN = {"kk": "Әр жаңа толқын туралы бірден хабарлаймын", "ru": "Я сразу сообщу о каждой новой волне"}


async def with_officers(running: LiveBot) -> LiveBot:
    now = time.time()
    conn = running.deps.db.conn
    people = [(SUPER, "ru"), *OFFICERS_LANG.items(), *((citizen, lang) for lang, citizen in CITIZENS.items())]
    await conn.executemany("INSERT INTO users (id, language, created_at, seen_at) VALUES (?, ?, ?, ?)",
                           [(user, lang, now, now) for user, lang in people])
    await conn.executemany("INSERT INTO officers (user_id, granted_by, granted_at) VALUES (?, ?, ?)",
                           [(officer, SUPER, now) for officer in OFFICERS_LANG])
    await conn.commit()
    for user_id, lang in people:
        running.emulator.add_user(user_id, language_code=lang)
    return running


@pytest.fixture
async def live(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    """The bot with the default wave settings (5 people, a 15 s debounce, a 5-minute sweep)."""
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat") as running:
        yield await with_officers(running)


@pytest.fixture
async def live_quick(settings, classifier, tmp_path) -> AsyncIterator[LiveBot]:
    """The bot whose detector runs 1 s after a risky check (it polls every 5 s)."""
    async with live_bot(settings, classifier, admin_ids=[SUPER], database_path=tmp_path / "saqbol.db",
                        heartbeat_path=tmp_path / "heartbeat", wave_debounce_seconds=1) as running:
        yield await with_officers(running)


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def wave_messages(live: LiveBot, officer: int) -> list[dict]:
    return [m for m in live.emulator.bot_messages(officer)
            if m["text"].startswith(NEW_WAVE[OFFICERS_LANG[officer]])]


async def opt_in(live: LiveBot, officer: int, command: str = "/waves") -> str:
    live.emulator.send_text(officer, command)
    return (await live.emulator.next_message(officer))["text"]


async def add_people(live: LiveBot, people: list[tuple[int, str, str]]) -> None:
    """Users who chose a language and a region, as /start leaves them."""
    now = time.time()
    conn = live.deps.db.conn
    await conn.executemany("INSERT INTO users (id, language, region, created_at, seen_at) VALUES (?, ?, ?, ?, ?)",
                           [(user, lang, region, now, now) for user, lang, region in people])
    await conn.commit()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_new_scheme_sent_by_20_people_among_500_ordinary_checks_is_told_within_a_minute_of_its_fifth_person(
        live, knowledge, lang):
    detector = live.deps.waves
    await detector.stop()  # the test's clock runs it from here
    assert OPTED_IN["kk"] in await opt_in(live, OFFICER_KK)
    assert OPTED_IN["ru"] in await opt_in(live, OFFICER_RU, "/waves on")

    rng = random.Random(16)
    start = time.time() - 2 * 3600  # the simulated hour: [start, start + 3600]
    regions = list(knowledge.regions)
    ordinary = [(200_000 + n, text, text_lang, rng.choice(regions))
                for n, (text, _label, text_lang) in enumerate(ordinary_texts(knowledge, 500, rng))]
    wave_people = [(300_000 + n, lang, region) for n, region in enumerate(WAVE_REGIONS)]
    await add_people(live, [(user, text_lang, region) for user, _, text_lang, region in ordinary] + wave_people)
    events = [(start + rng.random() * 3600, user, text, False) for user, text, _, _ in ordinary]
    # 24 copies from the 20 people (four send a second one), their first ones in this order
    wave_times = sorted(start + 300 + rng.random() * 3000 for _ in range(24))
    senders = [user for user, _, _ in wave_people] + [300_000 + n for n in rng.sample(range(20), 4)]
    second = sorted(senders[20:], key=lambda _: rng.random())
    order = senders[:20]
    for user in second:  # a second copy after the first one
        order.insert(rng.randrange(order.index(user) + 1, len(order) + 1), user)
    events += [(at, user, text, True) for at, user, text in zip(wave_times, order, wave_copies(lang, 24, rng))]
    events.sort()
    fifth = sorted({user: at for at, user, _, wave in reversed(events) if wave}.values())[4]

    settings = detector.settings
    bot = create_bot(live.settings, TOKEN, api_url=live.emulator.base_url)
    told: dict[int, float] = {}
    wave_checks: list[int] = []

    async def run(at: float) -> None:
        await detector.round(bot, at)
        for officer in (OFFICER_KK, OFFICER_RU):
            if officer not in told and wave_messages(live, officer):
                told[officer] = at

    try:
        pending: float | None = None
        sweep = start + settings.sweep_seconds
        for at, user, text, wave in [*events, (start + 3600 + settings.sweep_seconds, 0, "", False)]:
            while min(pending or sweep, sweep) <= at:
                due = min(pending or sweep, sweep)
                await run(due)
                if pending is not None and due >= pending:
                    pending = None
                if due >= sweep:
                    sweep += settings.sweep_seconds
            if not user:
                break
            verdict = await live.deps.verdicts.check(text)
            kept = await live.deps.verdicts.keep(user, text, "forward", verdict)
            assert kept.check_id is not None
            await live.deps.db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (at, kept.check_id))
            if wave:
                wave_checks.append(kept.check_id)
            if (verdict.risk in ("high", "medium") or "unlike_known_examples" in verdict.why) and pending is None:
                pending = at + settings.debounce_seconds  # the bot's debounce after a candidate
    finally:
        await bot.session.close()

    for officer in (OFFICER_KK, OFFICER_RU):
        assert officer in told, f"officer {officer} was never told of the wave"
        assert fifth <= told[officer] <= fifth + 60, (told[officer] - fifth)
        [message] = wave_messages(live, officer)
        officer_lang = OFFICERS_LANG[officer]
        assert all(name in message["text"] for name in REGION_NAMES[officer_lang])
        assert WAVE_WORDS[lang] in message["text"]  # the face: a copy, redacted
        assert [b["callback_data"] for b in buttons(message)] == [WaveCb(wave_id=1, action="draft").pack(),
                                                                   WaveCb(wave_id=1, action="review").pack()]
    assert live.emulator.bot_messages(OFFICER_QUIET) == []  # an officer who did not opt in
    assert (await live.rows("SELECT count(*) FROM waves")) == [(1,)]  # the ordinary checks made none
    members = {row[0] for row in await live.rows("SELECT check_id FROM wave_members WHERE wave_id = 1")}
    assert members == set(wave_checks)
    wave = await live.deps.repos.waves.find(1)
    assert (wave.users, wave.checks) == (20, 24)
    assert wave.regions == ("kostanay", "turkestan", "atyrau") and wave.languages == (lang,)
    assert wave.first_seen == min(wave_times) and wave.last_seen == max(wave_times)


async def test_officers_opt_in_and_out_with_waves_in_their_language(live):
    assert OPTED_IN["kk"] in await opt_in(live, OFFICER_KK)
    assert OPTED_IN["ru"] in await opt_in(live, OFFICER_RU, "/waves вкл")
    assert "Тоқтату: /waves off" in live.emulator.bot_messages(OFFICER_KK)[-1]["text"]
    assert await live.deps.repos.waves.watchers() == [OFFICER_KK, OFFICER_RU]
    assert "енді хабарламаймын" in await opt_in(live, OFFICER_KK)  # a bare /waves switches it
    assert "Больше не буду сообщать о новых волнах" in await opt_in(live, OFFICER_RU, "/waves off")
    assert "/waves on" in await opt_in(live, OFFICER_RU, "/waves maybe")
    assert await live.deps.repos.waves.watchers() == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_citizen_can_neither_opt_in_nor_press_a_waves_buttons(live, lang):
    citizen = CITIZENS[lang]
    refused = {"kk": "Бұл пәрмен тек полиция қызметкерлеріне арналған.",
               "ru": "Эта команда только для сотрудников полиции."}
    button_refused = {"kk": "Бұл түйме тек полиция қызметкерлеріне арналған.",
                      "ru": "Эта кнопка только для сотрудников полиции."}
    assert await opt_in(live, citizen) == refused[lang]
    assert await live.deps.repos.waves.watchers() == []
    mine = live.emulator.bot_messages(citizen)[-1]
    answers = live.emulator.callback_answers
    before = len(answers)
    for number, action in enumerate(("draft", "review"), start=1):
        live.emulator.press(citizen, mine["message_id"], WaveCb(wave_id=1, action=action).pack(), force=True)
        await live.emulator.wait_until(lambda n=number: len(answers) == before + n)
    assert [a.get("text") for a in answers[before:]] == [button_refused[lang]] * 2
    assert await live.rows("SELECT count(*) FROM broadcasts") == [(0,)]
    assert await live.rows("SELECT count(*) FROM review_items") == [(0,)]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_five_people_sending_one_new_message_reach_the_officer_within_seconds_and_its_buttons_work(
        live_quick, knowledge, lang):
    live = live_quick
    # Restarted polling once an hour: only the nudge of a stored risky check can wake it in time.
    detector = live.deps.waves
    await detector.stop()
    detector.poll_every = 3600.0
    bot = create_bot(live.settings, TOKEN, api_url=live.emulator.base_url)
    detector.start(bot)
    try:
        await told_and_pressed(live, knowledge, lang)
    finally:
        await detector.stop()
        await bot.session.close()


async def told_and_pressed(live: LiveBot, knowledge, lang: str) -> None:
    assert OPTED_IN["kk"] in await opt_in(live, OFFICER_KK)
    people = [(400_000 + n, lang, region) for n, region in enumerate(WAVE_REGIONS[:5])]
    await add_people(live, people)
    texts = wave_copies(lang, 5, random.Random(21))
    for (user, _, _), text in zip(people, texts):
        live.emulator.add_user(user, language_code=lang)
        live.emulator.send_text(user, text)
        await live.emulator.next_message(user)  # the verdict
    started = time.monotonic()
    told = await live.emulator.next_message(OFFICER_KK, timeout=20)
    assert time.monotonic() - started < 20  # the 1 s debounce and one run, not the hour's poll
    assert told["text"].startswith("Жаңа толқын: ") and "ішінде 5 адам" in told["text"]
    assert all(name in told["text"] for name in REGION_NAMES["kk"]) and WAVE_WORDS[lang] in told["text"]

    draft_button, review_button = buttons(told)
    assert [draft_button["text"], review_button["text"]] == ["📝 Ескерту жобасы", "🗂 Тексеру кезегіне"]
    live.emulator.press(OFFICER_KK, told["message_id"], draft_button["callback_data"])
    drafted = await live.emulator.next_message(OFFICER_KK)
    [(draft_id, status, text_kk, text_ru, scheme)] = await live.rows(
        "SELECT id, status, text_kk, text_ru, scheme FROM broadcasts")
    assert status == "draft" and f"#{draft_id} ескерту жобасы" in drafted["text"]
    title = knowledge.schemes[scheme].title
    assert text_kk.startswith(f"Полиция ескертеді: алаяқтық толқыны, «{title.kk}».")
    assert text_ru.startswith(f"Полиция предупреждает: волна мошенничества, «{title.ru}».")
    assert "/panel" in drafted["text"]

    live.emulator.press(OFFICER_KK, told["message_id"], review_button["callback_data"])
    queued = await live.emulator.next_message(OFFICER_KK)
    assert queued["text"].startswith("Толқынның мәтіндері тексеру кезегіне қойылды: 5.")
    live.emulator.send_text(OFFICER_KK, "/review")
    item = await live.emulator.next_message(OFFICER_KK)
    assert "Тексеру: кезекте 5." in item["text"] and WAVE_WORDS[lang] in item["text"]
