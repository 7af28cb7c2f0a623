"""Telegram without Telegram: a local Bot API emulator and a demo web chat.

``BotAPIEmulator`` serves the Bot API to the real aiogram ``Bot`` for tests, load tests and
``make run`` without a token; ``create_demo_app`` is a browser chat on top of it.
"""

from bot.devtools.devserver.demo import create_demo_app
from bot.devtools.devserver.emulator import BotAPIEmulator, EmulatorSession
from bot.devtools.devserver.errors import ApiError
from bot.devtools.devserver.incoming import origin_channel, origin_chat, origin_hidden_user, origin_user
from bot.devtools.devserver.state import ChatState, RequestRecord

__all__ = [
    "ApiError",
    "BotAPIEmulator",
    "ChatState",
    "EmulatorSession",
    "RequestRecord",
    "create_demo_app",
    "origin_channel",
    "origin_chat",
    "origin_hidden_user",
    "origin_user",
]
