"""Where a broadcast stands, as the approving officer sees it: one message, edited in the
officer's language while the alert goes out and at its end (bot/alerts/progress.py), through
the real Bot and the emulator, the row in a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from bot.alerts.progress import Progress, ProgressReporter, Tally, progress_bar
from bot.alerts.repository import BroadcastsRepo, DeliveryStatus, Standing
from bot.i18n import create_i18n
from bot.storage import UsersRepo

AUTHOR, KK_OFFICER, RU_OFFICER = 501, 502, 503


def snapshot(**changes: object) -> Progress:
    """Alert #7 half way: 50 of 100 ended."""
    values = dict(broadcast_id=7, total=100, sent=45, failed=2, blocked=3, not_found=0, pending=50, uncertain=0,
                  rate=25.0, eta_seconds=2.0, done=False, cancelled=False)
    return Progress(**values | changes)


def test_a_tally_reads_the_databases_counts_and_measures_the_rate_since_its_run_began():
    """Other engines may be sending the same broadcast: the counts are the database's, the
    rate is everyone's endings since this run began, and 'sending' rows count as pending
    (in flight somewhere) unless they are a dead engine's (uncertain)."""
    zero = dict.fromkeys(DeliveryStatus, 0)
    at_start = Standing(zero | {DeliveryStatus.PENDING: 8, DeliveryStatus.SENT: 1, DeliveryStatus.SENDING: 1},
                        uncertain=1)
    tally = Tally(7, at_start, started=100.0)
    later = Standing(zero | {DeliveryStatus.PENDING: 2, DeliveryStatus.SENT: 3, DeliveryStatus.BLOCKED: 1,
                             DeliveryStatus.SENDING: 4}, uncertain=1)

    progress = tally.progress(later, 102.0)

    assert (progress.total, progress.sent, progress.blocked, progress.uncertain, progress.pending) == (10, 3, 1, 1, 5)
    assert (progress.rate, progress.eta_seconds) == (1.5, 5 / 1.5)


def test_the_bar_fills_with_the_share_handled():
    assert progress_bar(0, 100) == "░" * 20
    assert progress_bar(50, 100) == "▓" * 10 + "░" * 10
    assert progress_bar(0, 0) == "▓" * 20


@pytest.mark.parametrize(("officer", "language", "running", "finished"), [
    (KK_OFFICER, "kk", "Ескерту #7: жіберілуде\n" + "▓" * 10 + "░" * 10 + " 50%",
     "Ескерту #7: аяқталды.\nжіберілді 97 · қате 2 · бұғаттаған 1"),
    (RU_OFFICER, "ru", "Предупреждение #7: отправка\n" + "▓" * 10 + "░" * 10 + " 50%",
     "Предупреждение #7: готово.\nотправлено 97 · ошибки 2 · заблокировали 1"),
], ids=["kk", "ru"])
async def test_the_officers_message_shows_the_progress_then_the_end_in_their_language(
        db, bot, emulator, officer, language, running, finished):
    emulator.add_user(officer)
    await UsersRepo(db).touch(officer)
    await UsersRepo(db).set_language(officer, language)
    broadcasts = BroadcastsRepo(db)
    await db.execute("INSERT INTO broadcasts (id, author_id, text_kk, text_ru, regions, status, created_at) "
                          "VALUES (7, ?, 'kk', 'ru', 'national', 'sending', ?)", (AUTHOR, time.time()))
    message = await bot.send_message(officer, "…")
    await broadcasts.set_progress_message(7, officer, message.message_id)
    reporter = ProgressReporter(bot, broadcasts, create_i18n())

    await reporter(snapshot())
    assert emulator.bot_messages(officer)[-1]["text"].startswith(running)
    await reporter(snapshot(sent=97, blocked=1, pending=0, eta_seconds=0.0, done=True))

    assert [m["text"] for m in emulator.bot_messages(officer)] == [
        reporter.text(snapshot(sent=97, blocked=1, pending=0, eta_seconds=0.0, done=True), language)]
    assert emulator.bot_messages(officer)[-1]["text"].startswith(finished)
