"""Every name a handler or a filter asks for is declared in `HandlerData`, and every name the
dispatcher and the middlewares fill in is declared there too: a misspelt parameter or a
service nobody provides fails here, not on the first update that reaches the handler."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.filters import Command, or_f
from aiogram.filters.logic import _AndFilter, _InvertFilter, _OrFilter
from aiogram.types import Chat, Message, Update, User
from aiogram.utils.i18n import I18n

from bot.app import dispatcher
from bot.app.dispatcher import on_error
from bot.handlers import setup_routers
from bot.i18n import create_i18n
from bot.storage import Database, Repositories
from bot.telegram.context import HANDLER_DATA_KEYS
from bot.telegram.filters import HasRole, restrict_router
from bot.telegram.middlewares import LanguageMiddleware, StorageMiddleware

_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _asked_for(obj: CallableObject) -> Iterator[str]:
    """The names a handler or filter asks aiogram for: its parameters after the event."""
    callback = inspect.unwrap(obj.callback)
    params = [p for p in inspect.signature(callback).parameters.values() if p.kind in _NAMED]
    yield from (p.name for p in params[1:])
    logic = callback
    if isinstance(logic, _InvertFilter):  # ~SomeFilter()
        yield from _asked_for(logic.target)
    elif isinstance(logic, _AndFilter | _OrFilter):  # and_f(...), or_f(...)
        for inner in logic.targets:
            yield from _asked_for(inner)


def _routers(router: Router) -> Iterator[Router]:
    yield router
    for sub in router.sub_routers:
        yield from _routers(sub)


def undeclared(root: Router) -> list[str]:
    """'router.observer.handler: name' for each name not in HandlerData."""
    missing = []
    for router in _routers(root):
        for kind, observer in router.observers.items():
            for flt in observer._handler.filters or []:  # the router's own filters (role filters)
                missing += [f"{router.name}.{kind} filter: {n}" for n in _asked_for(flt) if n not in HANDLER_DATA_KEYS]
            for handler in observer.handlers:
                checked = [handler, *(handler.filters or [])]
                name = getattr(inspect.unwrap(handler.callback), "__name__", "?")
                missing += [f"{router.name}.{kind}.{name}: {n}" for obj in checked for n in _asked_for(obj)
                            if n not in HANDLER_DATA_KEYS]
    return missing


def test_every_handler_and_filter_asks_only_for_declared_names():
    root = setup_routers()
    handlers = sum(len(o.handlers) for r in _routers(root) for o in r.observers.values())
    assert handlers > 30  # the whole tree was walked, not an empty one
    assert undeclared(root) == []


def test_the_error_handler_asks_only_for_declared_names():
    assert [n for n in _asked_for(CallableObject(on_error)) if n not in HANDLER_DATA_KEYS] == []


def test_every_name_the_dispatcher_puts_in_its_workflow_data_is_declared():
    """`workflow_data` builds a HandlerData; `broadcasting` adds two names with `dp[...] = `."""
    filled = set()
    for node in ast.walk(ast.parse(inspect.getsource(dispatcher))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "HandlerData":
            filled |= {keyword.arg for keyword in node.keywords}
        if isinstance(node, ast.Assign):
            filled |= {t.slice.value for t in node.targets if isinstance(t, ast.Subscript)
                       and isinstance(t.value, ast.Name) and t.value.id == "dp" and isinstance(t.slice, ast.Constant)}
    assert {"knowledge", "verdicts", "alerts", "engine"} <= filled
    assert filled <= HANDLER_DATA_KEYS


def test_a_misspelt_or_undeclared_parameter_is_reported():
    async def stats(message: Message, stats_repo: object, knowledge: object) -> None: ...

    async def lookup(message: Message, repo: object) -> bool:
        return True

    router = Router(name="typos")
    router.message.register(stats, Command("stats"))
    router.message.register(stats, F.text, or_f(Command("x"), lookup))
    assert undeclared(router) == ["typos.message.stats: stats_repo", "typos.message.stats: stats_repo",
                                  "typos.message.stats: repo"]


def test_a_role_filter_set_on_the_router_is_checked_too():
    class Typo(HasRole):
        async def __call__(self, event: Message, roles: object) -> bool:  # the name before `repos`
            return True

    router = Router(name="officers")
    router.message.filter(Typo("officer"))
    assert undeclared(router) == ["officers.message filter: roles"]
    assert undeclared(restrict_router(Router(name="ok"), "officer", commands=("stats",))) == []


async def test_the_middlewares_fill_in_only_declared_names(tmp_path):
    """Storage and language, run as the dispatcher runs them for a private message."""
    db = await Database.open(tmp_path / "saqbol.db")
    try:
        repos = Repositories.of(db, superadmins=frozenset(), conversation_ttl=60.0)
        user = User(id=5, is_bot=False, first_name="Айгүл", language_code="kk")
        chat = Chat(id=5, type="private")
        update = Update(update_id=1, message=Message(message_id=1, date=0, chat=chat, from_user=user, text="сәлем"))
        given: dict[str, Any] = {"event_from_user": user, "event_chat": chat}
        before = set(given)
        seen: dict[str, Any] = {}

        async def handler(event: object, data: dict[str, Any]) -> None:
            seen.update(data)

        i18n: I18n = create_i18n()
        language = LanguageMiddleware(i18n)

        async def then_language(event: object, data: dict[str, Any]) -> None:
            await language(handler, event, data)

        await StorageMiddleware(repos)(then_language, update, given)
    finally:
        await db.close()
    added = set(seen) - before
    assert {"repos", "user_record", "language_known", "i18n"} <= added
    assert added <= HANDLER_DATA_KEYS
    assert seen["user_record"].language is None and seen["language_known"] is True  # kk from Telegram
