"""Groups, supergroups and channels: the bot checks messages in private chats only.

A group's members did not ask for their messages to be checked or stored, and a verdict in
a group would quote one person's message to everybody. So, as Telegram users expect of
bots: ordinary group chatter is left alone; a command, a mention of the bot or a reply to
one of its messages gets one short note, in Kazakh and Russian, asking to write to the bot
in a private chat. Anonymous admins (who write as the group itself) are answered the same.
Nothing about a group or its members is stored.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType, MessageEntityType
from aiogram.filters import Filter
from aiogram.types import Message
from aiogram.utils.i18n import I18n

from bot.i18n import both


class AddressedToBot(Filter):
    """A command for this bot (``/start`` or ``/start@ThisBot``, not ``/start@OtherBot``), a
    mention of it, or a reply to one of its messages."""

    async def __call__(self, message: Message, bot: Bot) -> bool:
        me = await bot.me()
        username = (me.username or "").lower()
        if message.reply_to_message and message.reply_to_message.from_user \
                and message.reply_to_message.from_user.id == me.id:
            return True
        text = message.text or message.caption or ""
        for entity in message.entities or message.caption_entities or []:
            part = entity.extract_from(text).lower()
            if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
                _, _, addressee = part.partition("@")
                if addressee in ("", username):
                    return True
            elif entity.type == MessageEntityType.MENTION and part == f"@{username}":
                return True
        return False


async def private_chat_note(message: Message, bot: Bot, i18n: I18n) -> None:
    me = await bot.me()
    await message.reply(both(i18n, "I check messages only in a private chat. Write to me directly: @{bot}")
                        .format(bot=me.username))


async def leave_group_chatter(message: Message) -> None:
    """Taken here so that no later router checks or stores it."""


def create_router() -> Router:
    """First of all routers: whatever comes from a chat that is not private ends here."""
    router = Router(name="groups")
    router.message.filter(F.chat.type != ChatType.PRIVATE)
    router.message.register(private_chat_note, AddressedToBot())
    router.message.register(leave_group_chatter)
    return router
