"""Telegram handlers: one router per feature, joined in a fixed order by `setup_routers`.

Each module has plain handler functions and a `create_router()` that registers them, so a
fresh router tree is built per dispatcher (tests run several) and nothing is built at import.
Order matters: admin routers come first, each handler guarded by a role filter, and the
refusal router right after them answers any admin command or button that got past them;
commands and menu buttons must win over the check handler, which takes any text; pictures
come before it too (a photo's caption is checked with the picture's text); the media
router is last and answers whatever nobody else took.
"""

from __future__ import annotations

from aiogram import Router

from bot.handlers import admin, broadcast, check, feedback, help, media, menu, pictures, privacy, start, stats, subscriptions


def setup_routers() -> Router:
    root = Router(name="root")
    root.include_routers(
        admin.create_router(),
        broadcast.create_router(),
        stats.create_router(),
        admin.create_refusal_router(),
        start.create_router(),
        subscriptions.create_router(),
        privacy.create_router(),
        menu.create_router(),
        help.create_router(),
        feedback.create_router(),
        pictures.create_router(),
        check.create_router(),
        media.create_router(),
    )
    return root
