"""Superadmin commands: /grant, /revoke, /officers. Every call checks the role (one filter on
the router) and is audited; a refused call is audited too, so probing is visible."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.privacy.redaction import redact
from bot.storage import Repositories
from bot.telegram.filters import restrict_router

ADMIN_COMMANDS = ("grant", "revoke", "officers", "broadcast", "cancel_broadcast", "stats", "review", "panel", "waves")
ADMIN_CALLBACK_PREFIXES = ("bc:", "apr:", "rv:", "wv:")


# Telegram's ids fit in 52 bits (16 decimal digits); a longer number is a typo, and one past
# 2^63 would overflow the database's integer instead of getting the usage line.
MAX_ID_DIGITS = 16


def _target(command: CommandObject) -> int | None:
    arg = (command.args or "").strip()
    return int(arg) if arg.isascii() and arg.isdigit() and len(arg) <= MAX_ID_DIGITS else None


async def grant(message: Message, command: CommandObject, repos: Repositories) -> None:
    roles = repos.roles
    user_id = _target(command)
    if user_id is None:
        await message.answer(_("Send /grant and the officer's Telegram id, for example: /grant 123456789"))
        return
    added = await roles.grant(user_id, by=message.from_user.id)
    await roles.audit(message.from_user.id, "grant", str(user_id))
    await message.answer((_("{user_id} is now an officer.") if added else _("{user_id} already is an officer."))
                         .format(user_id=user_id))


async def revoke(message: Message, command: CommandObject, repos: Repositories) -> None:
    roles = repos.roles
    user_id = _target(command)
    if user_id is None:
        await message.answer(_("Send /revoke and the officer's Telegram id, for example: /revoke 123456789"))
        return
    removed = await roles.revoke(user_id)
    await roles.audit(message.from_user.id, "revoke", str(user_id))
    await message.answer((_("{user_id} is no longer an officer.") if removed else _("{user_id} was not an officer."))
                         .format(user_id=user_id))


async def officers(message: Message, repos: Repositories) -> None:
    roles = repos.roles
    rows = await roles.officers()
    await roles.audit(message.from_user.id, "officers")
    if not rows:
        await message.answer(_("No officers yet. Add one with /grant and their Telegram id."))
        return
    lines = [_("Officers:")] + [
        "• " + _("{user_id} (granted by {by})").format(user_id=user_id, by=by) for user_id, by, _at in rows
    ]
    await message.answer("\n".join(lines))


SUPERADMIN_COMMANDS = ("grant", "revoke", "officers")


async def refuse_command(message: Message, command: CommandObject, repos: Repositories) -> None:
    """Audited by the command's name only: what was typed after it (a card number, say) is
    the person's own text and is not kept."""
    await repos.roles.audit(message.from_user.id, "denied", f"/{command.command}")
    if command.command in SUPERADMIN_COMMANDS and await repos.roles.role_of(message.from_user.id) == "officer":
        await message.answer(_("This command is only for superadmins."))
        return
    await message.answer(_("This command is only for police officers."))


async def refuse_button(query: CallbackQuery, repos: Repositories) -> None:
    """Forged data may carry anything up to 64 bytes: it is audited redacted."""
    await repos.roles.audit(query.from_user.id, "denied", redact(query.data or ""))
    await query.answer(_("This button is only for police officers."), show_alert=True)


def create_router() -> Router:
    router = restrict_router(Router(name="admin"), "superadmin", commands=SUPERADMIN_COMMANDS)
    router.message.register(grant, Command("grant"))
    router.message.register(revoke, Command("revoke"))
    router.message.register(officers, Command("officers"))
    return router


def create_refusal_router() -> Router:
    """After every admin router: whatever admin command or button got this far was refused."""
    router = Router(name="admin-refusals")
    router.message.register(refuse_command, Command(*ADMIN_COMMANDS))
    router.callback_query.register(refuse_button, F.data.startswith(ADMIN_CALLBACK_PREFIXES))
    return router
