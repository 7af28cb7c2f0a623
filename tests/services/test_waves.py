"""The wave detector (bot/services/waves.py) on a real database of each engine, with the real
classifier judging every text and a real Bot talking HTTP to the local Bot API emulator.

The waves are a made-up scheme the knowledge base does not know (a kindergarten-queue deposit
"in an app", `bot.devtools.waves_bench.QUEUE_WAVE`), in Kazakh and Russian; the ordinary checks
are the knowledge base's own examples, framed as people forward them."""

from __future__ import annotations

import asyncio
import html
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.alerts.repository import BroadcastsRepo, BroadcastStatus
from bot.devtools.devserver.emulator import BotAPIEmulator
from bot.devtools.waves_bench import ordinary_texts, wave_copies
from bot.i18n import create_i18n
from bot.alerts.policy import MAX_ALERT_CHARS, forbidden_links
from bot.privacy.redaction import redact
from bot.services.settings import WavesSettings
from bot.services.waves import WaveDetector, describe, draft_texts, wave_message
from bot.storage import Database, Repositories
from bot.storage.waves import CandidateCheck, Wave
from bot.telegram.keyboards import wave_actions
from tests.storage.engines import ENGINES

OFFICER_KK, OFFICER_RU, CITIZEN = 9101, 9102, 9103
REGIONS = ("kostanay", "turkestan", "atyrau")


@pytest.fixture(params=ENGINES)
async def replicas(request, tmp_path) -> AsyncIterator[tuple[Database, Database]]:
    """Two separate openings of one fresh database: what two replicas of the bot hold."""
    target: Path | str = tmp_path / "saqbol.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    first = await Database.open(target)
    second = await Database.open(target)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    async with BotAPIEmulator() as running:
        for user_id, lang in ((OFFICER_KK, "kk"), (OFFICER_RU, "ru"), (CITIZEN, "ru")):
            running.add_user(user_id, language_code=lang)
        yield running


def detector(db: Database, knowledge, **settings) -> WaveDetector:
    repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=60)
    return WaveDetector(repos, knowledge, create_i18n(), WavesSettings(**settings), broadcasts=BroadcastsRepo(db),
                        keyboard=wave_actions)


async def people(repos: Repositories, ids: list[int], lang: str, regions=REGIONS) -> None:
    for number, user_id in enumerate(ids):
        await repos.users.touch(user_id)
        await repos.users.set_language(user_id, lang)
        await repos.users.set_region(user_id, regions[number % len(regions)])


async def checked(repos: Repositories, classifier, user_id: int, text: str, at: float) -> int:
    """One check as the bot stores it (the classifier's verdict, redacted text, the asker's
    region), dated ``at`` on the test's clock."""
    check_id = await repos.checks.add(user_id, text, "forward", classifier.classify(text))
    await repos.checks.db.execute("UPDATE checks SET created_at = ? WHERE id = ?", (at, check_id))
    return check_id


async def five_send_a_wave(repos: Repositories, classifier, first: int, lang: str, *, seed: int, at: float) -> list[int]:
    """Five people (ids from ``first``, the three regions in turn) each check a copy of the new
    scheme's message in ``lang``, dated ``at``: a wave's smallest size."""
    users = list(range(first, first + 5))
    await people(repos, users, lang)
    for user_id, text in zip(users, wave_copies(lang, 5, random.Random(seed))):
        await checked(repos, classifier, user_id, text, at)
    return users


async def officers_watching(repos: Repositories) -> None:
    for officer, lang in ((OFFICER_KK, "kk"), (OFFICER_RU, "ru")):
        await repos.users.touch(officer)
        await repos.users.set_language(officer, lang)
        await repos.roles.grant(officer, 1)
        await repos.waves.watch(officer, True)


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_two_replicas_detecting_one_wave_at_once_tell_each_officer_once(replicas, emulator, knowledge,
                                                                             classifier, lang):
    first, second = (detector(db, knowledge) for db in replicas)
    await officers_watching(first.repos)
    now = time.time()
    users = list(range(5001, 5008))
    await people(first.repos, users, lang)
    for number, (user_id, text) in enumerate(zip(users, wave_copies(lang, 7, random.Random(3)))):
        await checked(first.repos, classifier, user_id, text, now - 600 + 60 * number)
    bot = emulator.create_bot()
    try:
        found = await asyncio.gather(first.round(bot, now), second.round(bot, now))
    finally:
        await bot.session.close()
    assert [len(f) for f in found] == [1, 1] and found[0][0].wave.id == found[1][0].wave.id
    assert sum(f[0].new for f in found) == 1  # one replica stored it, the other found it stored
    for officer in (OFFICER_KK, OFFICER_RU):
        assert len(emulator.bot_messages(officer)) == 1
    assert await first.repos.waves.count_open() == 1


async def rounds_reach(waves: WaveDetector, count: int) -> None:
    """Waits (at most 10 s) until the running detector has finished ``count`` rounds."""
    for _ in range(1000):
        if waves.rounds >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the detector finished {waves.rounds} rounds, not {count}, in 10 s")


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_nudge_makes_one_round_and_the_polls_after_it_find_nothing_new(replicas, emulator, knowledge,
                                                                              classifier, lang):
    """The round a nudge starts reads the new check: the polls after it (every 50 ms here) do
    not find it new again, and no steady traffic keeps the detector running rounds of old news.
    (Whether the nudge or a poll wakes it first, the debounce makes it one round.)"""
    waves = WaveDetector(Repositories.of(replicas[0], superadmins=frozenset(), conversation_ttl=60), knowledge,
                         create_i18n(), WavesSettings(debounce_seconds=0.2), broadcasts=BroadcastsRepo(replicas[0]),
                         poll_every=0.05)
    await people(waves.repos, [8801, 8802], lang)
    [text, later] = wave_copies(lang, 2, random.Random(19))
    bot = emulator.create_bot()
    try:
        waves.start(bot)
        await rounds_reach(waves, 1)  # the start-up sweep
        await waves.repos.checks.add(8801, text, "forward", classifier.classify(text))  # dated now, as the bot does
        waves.nudge()  # as Verdicts does when it stores a risky check
        await rounds_reach(waves, 2)
        await asyncio.sleep(0.5)  # ten polls
        assert waves.rounds == 2
        await waves.repos.checks.add(8802, later, "forward", classifier.classify(later))  # not nudged: a poll finds it
        await rounds_reach(waves, 3)
        await asyncio.sleep(0.5)
        assert waves.rounds == 3
    finally:
        await waves.stop()
        await bot.session.close()


async def test_a_detector_not_started_says_so_and_one_stopped_cancels_who_waits_for_its_round(replicas, emulator,
                                                                                            knowledge):
    """The background loop shared with the notice sender (`bot.services.background.Rounds`)."""
    waves = detector(replicas[0], knowledge, debounce_seconds=50)  # a nudged round waits 50 s: stop comes first
    with pytest.raises(RuntimeError, match="the wave detector is not running: start"):
        await waves.round_after()
    bot = emulator.create_bot()
    try:
        waves.start(bot)
        await rounds_reach(waves, 1)
        waiting = asyncio.ensure_future(waves.round_after())
        await asyncio.sleep(0.1)
        await waves.stop()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    finally:
        await bot.session.close()


async def test_a_wave_keeps_its_id_as_it_grows_and_is_told_once(replicas, emulator, knowledge, classifier):
    waves = detector(replicas[0], knowledge)
    await officers_watching(waves.repos)
    texts = wave_copies("ru", 12, random.Random(5))
    users = list(range(6001, 6013))
    await people(waves.repos, users, "ru")
    start = time.time() - 3600
    bot = emulator.create_bot()
    try:
        for user_id, text, minute in zip(users[:4], texts, range(4)):
            await checked(waves.repos, classifier, user_id, text, start + 60 * minute)
        assert await waves.round(bot, start + 300) == []  # four people are no wave yet
        await checked(waves.repos, classifier, users[4], texts[4], start + 360)
        [first] = await waves.round(bot, start + 400)
        for user_id, text, minute in zip(users[5:], texts[5:], range(7, 14)):
            await checked(waves.repos, classifier, user_id, text, start + 60 * minute)
        [later] = await waves.round(bot, start + 900)
    finally:
        await bot.session.close()
    assert first.new and not later.new and later.wave.id == first.wave.id
    assert (first.wave.users, later.wave.users) == (5, 12)
    assert later.wave.regions[0] in REGIONS and set(later.wave.regions) == set(REGIONS)
    assert later.wave.per_hour == 12 and later.wave.languages == ("ru",)
    assert [len(emulator.bot_messages(o)) for o in (OFFICER_KK, OFFICER_RU)] == [1, 1]


async def test_an_officer_switches_being_told_of_waves_on_and_off_and_each_switch_is_audited(replicas, knowledge):
    """What /waves does, in the service: a bare /waves switches, /waves on|off sets (twice on is on)."""
    waves = detector(replicas[0], knowledge)
    await waves.repos.users.touch(OFFICER_KK)
    assert await waves.watch(OFFICER_KK) is True and await waves.repos.waves.watchers() == [OFFICER_KK]
    assert await waves.watch(OFFICER_KK, True) is True and await waves.repos.waves.watchers() == [OFFICER_KK]
    assert await waves.watch(OFFICER_KK) is False and await waves.repos.waves.watchers() == []
    assert await waves.watch(OFFICER_KK, False) is False and await waves.repos.waves.watchers() == []
    assert [tuple(row) for row in await waves.repos.roles.db.fetchall(
        "SELECT action, detail FROM audit WHERE actor_id = ? ORDER BY id", (OFFICER_KK,))] == [
        ("waves", "on"), ("waves", "on"), ("waves", "off"), ("waves", "off")]


async def test_one_person_asking_five_times_is_no_wave(replicas, knowledge, classifier):
    waves = detector(replicas[0], knowledge)
    await people(waves.repos, [7001], "kk")
    now = time.time()
    for number, text in enumerate(wave_copies("kk", 6, random.Random(1))):
        await checked(waves.repos, classifier, 7001, text, now - 100 + number)
    assert await waves.detect(now) == []


async def test_ordinary_checks_of_known_schemes_and_everyday_texts_form_no_wave(replicas, knowledge, classifier):
    waves = detector(replicas[0], knowledge)
    rng = random.Random(11)
    ordinary = ordinary_texts(knowledge, 500, rng)
    users = list(range(100_001, 100_501))
    now = time.time()
    for user_id, (text, _label, lang) in zip(users, ordinary):
        await waves.repos.users.touch(user_id)
        await waves.repos.users.set_language(user_id, lang)
        await checked(waves.repos, classifier, user_id, text, now - rng.random() * 3600)
    assert len(await waves.repos.waves.candidates(now - 3600)) > 200  # most are risky: something to group
    assert await waves.detect(now) == []


async def test_a_revoked_officer_and_a_citizen_who_opted_in_are_told_nothing(replicas, emulator, knowledge, classifier):
    waves = detector(replicas[0], knowledge)
    await officers_watching(waves.repos)
    await waves.repos.roles.revoke(OFFICER_RU)
    await waves.repos.users.touch(CITIZEN)
    await waves.repos.waves.watch(CITIZEN, True)
    now = time.time()
    await five_send_a_wave(waves.repos, classifier, 8001, "kk", seed=2, at=now - 60)
    bot = emulator.create_bot()
    try:
        [found] = await waves.round(bot, now)
    finally:
        await bot.session.close()
    assert found.new
    assert len(emulator.bot_messages(OFFICER_KK)) == 1
    assert emulator.bot_messages(OFFICER_RU) == [] and emulator.bot_messages(CITIZEN) == []


async def test_with_nobody_watching_the_wave_waits_to_be_told_to_the_first_officer_who_opts_in(
        replicas, emulator, knowledge, classifier):
    waves = detector(replicas[0], knowledge)
    now = time.time()
    await five_send_a_wave(waves.repos, classifier, 8101, "ru", seed=4, at=now - 60)
    bot = emulator.create_bot()
    try:
        await waves.round(bot, now)
        await officers_watching(waves.repos)
        [again] = await waves.round(bot, now + 60)
    finally:
        await bot.session.close()
    assert not again.new and (await waves.repos.waves.find(again.wave.id)).reported_at == now + 60
    assert [len(emulator.bot_messages(o)) for o in (OFFICER_KK, OFFICER_RU)] == [1, 1]


async def test_a_wave_quiet_for_a_whole_window_is_closed(replicas, knowledge, classifier):
    waves = detector(replicas[0], knowledge, window_hours=1)
    start = time.time() - 3 * 3600
    await five_send_a_wave(waves.repos, classifier, 8201, "kk", seed=6, at=start)
    [found] = await waves.detect(start + 60)
    assert await waves.repos.waves.count_open() == 1
    assert await waves.detect(start + 2 * 3600) == []
    assert (await waves.repos.waves.find(found.wave.id)).status == "closed"


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_an_alert_draft_from_a_wave_is_pre_filled_in_both_languages_from_its_scheme(replicas, knowledge,
                                                                                         classifier, lang):
    waves = detector(replicas[0], knowledge)
    await officers_watching(waves.repos)
    now = time.time()
    await five_send_a_wave(waves.repos, classifier, 8301, lang, seed=7, at=now - 60)
    [found] = await waves.detect(now)
    assert found.wave.scheme in knowledge.schemes  # the scheme the verdicts named most

    draft_id = await waves.draft_alert(found.wave.id, OFFICER_KK)
    draft = await waves.broadcasts.get(draft_id)
    scheme = knowledge.schemes[found.wave.scheme]
    assert draft.status is BroadcastStatus.DRAFT and not draft.status.deliverable and not draft.status.ended
    assert draft.text_kk.startswith("Полиция ескертеді: алаяқтық толқыны, «" + scheme.title.kk + "».")
    assert draft.text_ru.startswith("Полиция предупреждает: волна мошенничества, «" + scheme.title.ru + "».")
    assert scheme.summary.kk in draft.text_kk and scheme.what_to_do[0].ru in draft.text_ru
    assert set(draft.regions) == set(REGIONS) and draft.author_id == OFFICER_KK
    stored = await waves.repos.waves.find(found.wave.id)
    assert (stored.status, stored.broadcast_id) == ("drafted", draft_id)
    assert await waves.draft_alert(found.wave.id, OFFICER_RU) == draft_id  # pressed again: the same draft
    assert ("wave_draft",) in [tuple(r) for r in await waves.repos.roles.db.fetchall(
        "SELECT action FROM audit WHERE actor_id = ?", (OFFICER_KK,))]


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_two_officers_drafting_one_wave_at_once_on_one_replica_or_two_make_one_draft(replicas, knowledge,
                                                                                          classifier, lang):
    """The Telegram button and the dashboard's, or two officers: one draft, the wave's, for both."""
    one, other = (detector(db, knowledge) for db in replicas)
    await officers_watching(one.repos)
    users = list(range(8311, 8316))
    await people(one.repos, users, lang)
    now = time.time()
    for user_id, text in zip(users, wave_copies(lang, 5, random.Random(17))):
        await checked(one.repos, classifier, user_id, text, now - 60)
    [found] = await one.detect(now)
    same_replica = await asyncio.gather(one.draft_alert(found.wave.id, OFFICER_KK),
                                        one.draft_alert(found.wave.id, OFFICER_RU))
    stored = await one.repos.waves.find(found.wave.id)
    assert same_replica == [stored.broadcast_id] * 2
    assert await one.repos.waves.db.fetchval("SELECT count(*) FROM broadcasts") == 1
    await one.broadcasts.submit_draft(stored.broadcast_id, OFFICER_KK, "kk", "ru", ("national",))  # no longer a draft
    two_replicas = await asyncio.gather(one.draft_alert(found.wave.id, OFFICER_KK),
                                        other.draft_alert(found.wave.id, OFFICER_RU))
    again = await other.repos.waves.find(found.wave.id)
    assert two_replicas == [again.broadcast_id] * 2 and again.broadcast_id != stored.broadcast_id
    assert [tuple(row) for row in await one.repos.waves.db.fetchall(
        "SELECT status, count(*) FROM broadcasts GROUP BY status ORDER BY status")] == [("draft", 1), ("pending", 1)]
    assert await one.repos.waves.db.fetchval("SELECT count(*) FROM audit WHERE action = 'wave_draft'") == 2


def test_a_wave_like_no_known_scheme_gets_a_general_draft_in_both_languages(knowledge):
    texts = draft_texts(None, knowledge, create_i18n())
    assert texts["kk"].startswith("Полиция ескертеді: алаяқтар көп адамға жаңа үлгідегі хабарламалар жіберіп")
    assert texts["ru"].startswith("Полиция предупреждает: мошенники рассылают многим людям сообщения нового вида.")


@pytest.mark.parametrize("scheme", [None, "fake_compensation", "bank_security_call", "delivery_parcel"])
def test_every_draft_passes_the_alert_link_policy_as_written(knowledge, scheme):
    """A draft the officer submits unchanged must not be refused: the knowledge base's words
    carry only allowed contacts."""
    links = knowledge.links
    for text in draft_texts(scheme, knowledge, create_i18n()).values():
        assert len(text) <= MAX_ALERT_CHARS
        assert forbidden_links(text, links.broadcast_allowed, links.broadcast_telegram, links.broadcast_phones) == []


async def test_a_waves_texts_go_to_the_review_queue_once_each(replicas, knowledge, classifier):
    waves = detector(replicas[0], knowledge)
    users = list(range(8401, 8408))
    await people(waves.repos, users, "ru")
    now = time.time()
    texts = wave_copies("ru", 5, random.Random(8))
    for user_id, text in zip(users, texts + texts[:2]):  # two people sent texts others sent too
        await checked(waves.repos, classifier, user_id, text, now - 60)
    [found] = await waves.detect(now)
    assert await waves.to_review(found.wave.id) == 5
    queued = await waves.repos.checks.db.fetchall(
        "SELECT c.text_redacted FROM review_items AS r JOIN checks AS c ON c.id = r.check_id")
    assert len(queued) == 5 and {row[0] for row in queued} == {m.text_redacted for m in
                                                                await waves.repos.waves.members(found.wave.id)}
    await waves.to_review(found.wave.id)  # pressed again: nothing twice
    assert await waves.repos.checks.db.fetchval("SELECT count(*) FROM review_items") == 5
    with pytest.raises(LookupError, match="open the list of waves again"):
        await waves.to_review(found.wave.id + 100)


def test_a_wave_is_described_by_distinct_people_its_face_the_text_most_of_them_sent():
    def check(i: int, user: int, text: str, region: str | None, lang: str, scheme: str | None, at: float):
        return CandidateCheck(i, user, text, "h-" + text, "medium", scheme, True, region, lang, at)

    checks = [check(1, 1, "A", "atyrau", "kk", "s1", 100.0), check(2, 2, "B", "atyrau", "kk_latn", "s2", 200.0),
              check(3, 2, "B", "atyrau", "kk", "s2", 210.0), check(4, 3, "B", "kostanay", "ru", "s2", 3_000.0),
              check(5, 4, "C", None, "mixed", None, 4_000.0)]
    wave = describe(checks, now=4_100.0)
    assert (wave.users, wave.checks, wave.representative, wave.scheme) == (4, 5, "B", "s2")
    assert list(wave.regions) == ["atyrau", "kostanay"] and list(wave.languages) == ["kk", "ru"]
    assert (wave.first_seen, wave.last_seen, wave.per_hour) == (100.0, 4_000.0, 2.0)


async def test_when_telegram_cannot_be_reached_the_wave_is_told_at_the_next_run_instead(replicas, emulator, knowledge,
                                                                                         classifier):
    waves = detector(replicas[0], knowledge)
    await officers_watching(waves.repos)
    now = time.time()
    await five_send_a_wave(waves.repos, classifier, 8501, "kk", seed=12, at=now - 60)
    emulator.fail("sendMessage", error_code=502, times=2)  # both officers: Telegram's 5xx
    bot = emulator.create_bot()
    try:
        [first] = await waves.round(bot, now)
        assert (await waves.repos.waves.find(first.wave.id)).reported_at is None  # the claim given back
        await waves.round(bot, now + 60)
    finally:
        await bot.session.close()
    assert [len(emulator.bot_messages(o)) for o in (OFFICER_KK, OFFICER_RU)] == [1, 1]
    assert (await waves.repos.waves.find(first.wave.id)).reported_at == now + 60


async def test_an_officer_who_blocked_the_bot_is_skipped_and_the_others_are_told(replicas, emulator, knowledge,
                                                                                classifier):
    waves = detector(replicas[0], knowledge)
    await officers_watching(waves.repos)
    now = time.time()
    await five_send_a_wave(waves.repos, classifier, 8601, "ru", seed=13, at=now - 60)
    emulator.fail("sendMessage", error_code=403, description="Forbidden: bot was blocked by the user",
                  chat_id=OFFICER_KK)
    bot = emulator.create_bot()
    try:
        [found] = await waves.round(bot, now)
        await waves.round(bot, now + 60)
    finally:
        await bot.session.close()
    assert emulator.bot_messages(OFFICER_KK) == [] and len(emulator.bot_messages(OFFICER_RU)) == 1
    assert (await waves.repos.waves.find(found.wave.id)).reported_at == now  # told once, not again


@pytest.mark.parametrize(("lang", "expected"), [
    ("kk", "<b>Жаңа толқын: 2 сағ 5 мин ішінде 6 адам, өңірлер: белгісіз, ұқсас схема: жоқ, сағатына +2.</b>"),
    ("ru", "<b>Новая волна: 6 чел. за 2 ч 5 мин, регионы: неизвестны, похожая схема: нет, +2 в час.</b>"),
])
def test_the_officers_message_says_what_is_not_known_and_escapes_the_face(knowledge, lang, expected):
    wave = Wave(id=3, representative="Жми <b>сюда</b> & плати", scheme=None, users=6, checks=7, regions=(),
                languages=("kk", "ru"), first_seen=1_764_000_000.0, last_seen=1_764_000_000.0 + 125 * 60,
                per_hour=2.0, status="open", detected_at=0.0, reported_at=None, broadcast_id=None, updated_at=0.0,
                first_check=1)
    text = wave_message(wave, knowledge, create_i18n(), lang)
    assert text.startswith(expected)
    assert "Жми &lt;b&gt;сюда&lt;/b&gt; &amp; плати" in text and "<b>сюда" not in text
    assert ("қазақша, орысша" if lang == "kk" else "казахский, русский") in text
    assert ("24 қараша, 21:00" if lang == "kk" else "24 ноября, 21:00") in text  # first seen, Kazakhstan's time


LONG_FACE = {"kk": "Құрметті ата-ана! Балабақша кезегін сақтау үшін депозит & «қосымшаға» <кіріңіз> ",
             "ru": "Уважаемые родители! Чтобы сохранить очередь в детсад, внесите депозит & «в приложении» <тут> "}


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_the_longest_wave_message_fits_one_telegram_message_in_one_language_or_both(replicas, emulator, knowledge,
                                                                                         lang):
    """An officer who chose no language reads the figures in both and the face once; the face
    is cut, whatever its length and escaping, so that the whole fits Telegram's 4,096."""
    scheme = max(knowledge.schemes, key=lambda s: len(knowledge.schemes[s].title.kk + knowledge.schemes[s].title.ru))
    face = (LONG_FACE[lang] * 60)[:4096]  # as long as a forwarded text can be, with much to escape
    wave = Wave(id=4, representative=face, scheme=scheme, users=123_456, checks=234_567,
                regions=tuple(knowledge.regions), languages=("kk", "ru"), first_seen=1_764_000_000.0,
                last_seen=1_764_000_000.0 + 86_399, per_hour=99_999.0, status="open", detected_at=0.0,
                reported_at=None, broadcast_id=None, updated_at=0.0, first_check=1)
    assert len(wave.regions) == 20
    i18n = create_i18n()
    for languages in (("kk",), ("ru",), ("kk", "ru")):
        text = wave_message(wave, knowledge, i18n, *languages)
        assert len(text) <= 4096 and text.count("<blockquote") == 1 and text.endswith("…</blockquote>")
        assert ("Жаңа толқын:" in text) == ("kk" in languages) and ("Новая волна:" in text) == ("ru" in languages)
        assert all(knowledge.regions[r].name.get(code) in text for r in wave.regions for code in languages)
    both = wave_message(wave, knowledge, i18n, "kk", "ru")
    assert html.escape(face[:1000]) in both  # what is left of the face is still a good part of it
    bot = emulator.create_bot()  # as sent: to an officer who never chose a language
    try:
        assert await detector(replicas[0], knowledge)._tell(bot, OFFICER_KK, None, wave) == "told"
    finally:
        await bot.session.close()
    [sent] = emulator.bot_messages(OFFICER_KK)
    assert "Жаңа толқын:" in sent["text"] and "Новая волна:" in sent["text"] and len(sent["text"]) <= 4096


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_text_the_classifier_finds_calm_is_a_wave_when_five_people_send_it_word_for_word(
        replicas, knowledge, classifier, lang):
    """A new scam the classifier misses still shows as a text many people ask about: the
    sweep finds it (every WAVE_SWEEP_SECONDS), not the rounds a poll or a nudge starts."""
    calm = {"kk": "Сәлеметсіз бе, ертең сағат онда ата-аналар жиналысы болады, мектепке келіңіздер",
            "ru": "Здравствуйте, завтра в десять родительское собрание, приходите в школу"}[lang]
    assert classifier.classify(calm).risk in ("none", "low")
    waves = detector(replicas[0], knowledge)
    users = list(range(8701, 8706))
    await people(waves.repos, users, lang)
    now = time.time()
    for user_id in users[:4]:
        await checked(waves.repos, classifier, user_id, calm, now - 120)
    assert await waves.detect(now) == []  # four people: not yet
    await checked(waves.repos, classifier, users[4], calm, now - 60)
    assert await waves.detect(now, sweep=False) == []  # a poll's round does not pay for the day's GROUP BY
    [found] = await waves.detect(now, sweep=True)
    assert (found.wave.users, found.wave.scheme, found.wave.representative) == (5, None, redact(calm))
