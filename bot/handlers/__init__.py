"""Telegram handlers: one router per feature, joined in a fixed order by `setup_routers`.

Each module has plain handler functions and a `create_router()` that registers them, so a
fresh router tree is built per dispatcher (tests run several) and nothing is built at import.
Order matters: messages from groups and channels are taken first (the bot works in private
chats), and so are buttons under messages Telegram no longer shows; then the officers' routers,
each under one role filter set on the router (`bot/telegram/filters.py`), and the
refusal router right after them answers any admin command or button that got past them;
commands and menu buttons must win over the messages router, which takes any text; pictures
come before it too (a photo's caption is checked with the picture's text); the media
router answers whatever message nobody else took, and the last router any button press
nobody took (an old or forged button).
"""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    admin,
    broadcast,
    expired,
    feedback,
    groups,
    help,
    media,
    menu,
    messages,
    panel,
    pictures,
    privacy,
    reports,
    review,
    start,
    stats,
    subscriptions,
    waves,
)


def setup_routers() -> Router:
    root = Router(name="root")
    root.include_routers(
        groups.create_router(),
        expired.create_router(),
        admin.create_router(),
        broadcast.create_router(),
        stats.create_router(),
        review.create_router(),
        panel.create_router(),
        waves.create_router(),
        admin.create_refusal_router(),
        start.create_router(),
        subscriptions.create_router(),
        privacy.create_router(),
        menu.create_router(),
        help.create_router(),
        feedback.create_router(),
        reports.create_router(),
        pictures.create_router(),
        messages.create_router(),
        media.create_router(),
        expired.create_fallback_router(),
    )
    return root
