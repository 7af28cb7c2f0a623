"""The role filter set once on an officers' router: it lets only the router's own commands and
buttons of senders with the role through, reads the role on every such update (a revoked
officer loses access at once), and never reads it for the texts citizens send."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.storage import Database, Repositories
from bot.storage.roles import Role, RolesRepo
from bot.telegram.filters import restrict_router

SUPER, OFFICER, CITIZEN = 9001, 9002, 9003


class Compose(StatesGroup):
    text = State()


class CountedRoles(RolesRepo):
    """The real repository, counting its reads of a role."""

    lookups = 0

    async def role_of(self, user_id: int) -> Role:
        self.lookups += 1
        return await super().role_of(user_id)


@dataclasses.dataclass
class Harness:
    dp: Dispatcher
    bot: Bot
    repos: Repositories
    roles: CountedRoles
    taken: list[str]
    n: int = 0

    async def send(self, user_id: int, text: str) -> str:
        """Which router took the text: 'officers' or 'next'."""
        self.n += 1
        user, chat = User(id=user_id, is_bot=False, first_name="U"), Chat(id=user_id, type="private")
        message = Message(message_id=self.n, date=0, chat=chat, from_user=user, text=text)
        await self.dp.feed_update(self.bot, Update(update_id=self.n, message=message), repos=self.repos)
        return self.taken.pop()

    async def press(self, user_id: int, data: str) -> str:
        self.n += 1
        user = User(id=user_id, is_bot=False, first_name="U")
        query = CallbackQuery(id=str(self.n), from_user=user, chat_instance="c", data=data)
        await self.dp.feed_update(self.bot, Update(update_id=self.n, callback_query=query), repos=self.repos)
        return self.taken.pop()


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[Harness]:
    db = await Database.open(tmp_path / "saqbol.db")
    roles = CountedRoles(db, frozenset({SUPER}))
    repos = dataclasses.replace(Repositories.of(db, superadmins=frozenset({SUPER}), conversation_ttl=60.0), roles=roles)
    taken: list[str] = []

    async def officers_stats(message: Message, role: Role) -> None:
        taken.append(f"officers:{role}")

    async def start_compose(message: Message, state: FSMContext) -> None:
        await state.set_state(Compose.text)
        taken.append("officers:compose")

    async def got_text(message: Message, state: FSMContext) -> None:
        await state.clear()
        taken.append("officers:text")

    async def officers_button(query: CallbackQuery) -> None:
        taken.append("officers")

    async def anything(event: object) -> None:
        taken.append("next")

    officers = restrict_router(Router(name="officers"), "officer", commands=("stats", "compose"),
                               button_prefixes=("bc:",), states=(Compose,))
    officers.message.register(officers_stats, Command("stats"))
    officers.message.register(start_compose, Command("compose"))
    officers.message.register(got_text, Compose.text)
    officers.callback_query.register(officers_button)
    after = Router(name="next")
    after.message.register(anything)
    after.callback_query.register(anything)
    dp = Dispatcher()
    dp.include_routers(officers, after)
    bot = Bot("42:TEST")
    try:
        yield Harness(dp, bot, repos, roles, taken)
    finally:
        await bot.session.close()
        await db.close()


@pytest.mark.parametrize("text", ["Сізге Kaspi-ден ұтыс түсті, сілтемеге өтіңіз",
                                  "Назовите код из смс, это служба безопасности банка", "/start"])
async def test_a_citizens_text_passes_the_officers_router_without_a_role_lookup(harness, text):
    assert await harness.send(CITIZEN, text) == "next"
    assert await harness.press(CITIZEN, "faq:report") == "next"
    assert harness.roles.lookups == 0


async def test_an_officers_command_and_button_read_the_role_each_time(harness):
    await harness.repos.roles.grant(OFFICER, by=SUPER)
    assert await harness.send(OFFICER, "/stats") == "officers:officer"
    assert await harness.send(SUPER, "/stats 30") == "officers:superadmin"
    assert await harness.press(OFFICER, "bc:submit") == "officers"
    assert harness.roles.lookups == 3


async def test_a_citizen_and_a_revoked_officer_are_passed_on_to_the_next_router(harness):
    assert await harness.send(CITIZEN, "/stats") == "next"
    assert await harness.press(CITIZEN, "bc:submit") == "next"
    await harness.repos.roles.grant(OFFICER, by=SUPER)
    assert await harness.send(OFFICER, "/stats") == "officers:officer"
    await harness.repos.roles.revoke(OFFICER)
    assert await harness.send(OFFICER, "/stats") == "next"


@pytest.mark.parametrize("text", ["Ескерту: алаяқтар банк атынан қоңырау шалып жүр",
                                  "Внимание: мошенники звонят от имени банка"])
async def test_a_message_inside_an_officers_dialog_reaches_it_and_a_citizens_text_never_costs_a_lookup(harness, text):
    await harness.repos.roles.grant(OFFICER, by=SUPER)
    assert await harness.send(CITIZEN, text) == "next"
    assert harness.roles.lookups == 0
    assert await harness.send(OFFICER, "/compose") == "officers:compose"
    assert await harness.send(OFFICER, text) == "officers:text"  # in the dialog's state
    assert await harness.send(OFFICER, text) == "next"  # the dialog is over: an ordinary text
    assert harness.roles.lookups == 2
