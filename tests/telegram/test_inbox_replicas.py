"""Replicas on one PostgreSQL: an update that one of them answered, and then died before telling
Telegram, comes again to another; that one must see it was answered and stay silent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from aiogram.types import Chat, Message, Update, User

from bot.storage import Database
from bot.telegram.inbox import Inbox, InboxMiddleware


def text_update(update_id: int, text: str) -> Update:
    user = User(id=4242, is_bot=False, first_name="Айгүл")
    message = Message(message_id=update_id, date=dt.datetime.now(dt.timezone.utc),
                      chat=Chat(id=4242, type="private"), from_user=user, text=text)
    return Update(update_id=update_id, message=message)


@pytest.fixture
async def replicas(postgres_url) -> AsyncIterator[tuple[Inbox, Inbox]]:
    """Two replicas' inboxes, each on its own connection to one PostgreSQL database: the one
    that dies after answering, and the one Telegram sends the update to again."""
    first, second = await Database.open(postgres_url), await Database.open(postgres_url)
    try:
        inboxes = Inbox(first), Inbox(second)
        for inbox in inboxes:
            await inbox.open()
        yield inboxes
    finally:
        await first.close()
        await second.close()


async def test_an_update_answered_by_one_replica_is_not_answered_again_by_another(replicas):
    dying, taking_over = replicas
    await dying.mark(101)

    assert await taking_over.answered_anywhere(101)
    assert not await taking_over.answered_anywhere(102)


async def test_the_middleware_of_the_replica_taking_over_skips_what_the_other_answered(replicas):
    """Kazakh and Russian texts alike: the handler runs for the new update only."""
    dying, taking_over = replicas
    handled: list[int] = []

    async def handler(event: Update, data: dict) -> str:
        handled.append(event.update_id)
        return "answered"

    await InboxMiddleware(dying)(handler, text_update(201, "Сізге Kaspi-ден ұтыс түсті"), {})
    middleware = InboxMiddleware(taking_over)
    assert await middleware(handler, text_update(201, "Сізге Kaspi-ден ұтыс түсті"), {}) is None
    assert await middleware(handler, text_update(202, "Вам звонит служба безопасности банка"), {}) == "answered"
    assert handled == [201, 202]


async def test_a_bot_alone_on_sqlite_answers_from_memory_without_asking_the_table(tmp_path):
    """One process owns an SQLite file: what it has not answered, nobody has; no read per update."""
    db = await Database.open(tmp_path / "saqbol.db")
    try:
        inbox = Inbox(db)
        await inbox.open()
        await db.execute("INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)", (301, 1.0))
        assert not await inbox.answered_anywhere(301)  # memory is the truth for a lone process
        await inbox.mark(302)
        assert await inbox.answered_anywhere(302)
    finally:
        await db.close()
