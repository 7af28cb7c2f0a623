"""/broadcast for officers: a dialog (Kazakh text, Russian text, target regions, an optional
scheme tag, a preview exactly as recipients will see it), then a second officer or a
superadmin approves or rejects it. Every message, command and button here checks the role.

Telegram only: the dialog's states, keyboards and words. What may be sent, stored, decided and
audited is ``bot.services.alerts.AlertService``, injected as ``alerts``.
"""

from __future__ import annotations

import html
import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.alerts import Broadcast
from bot.i18n import current_lang
from bot.knowledge import KnowledgeBase
from bot.knowledge.schema import Lang
from bot.services.alerts import AlertService, Problem
from bot.storage.subscriptions import NATIONAL
from bot.telegram import keyboards
from bot.telegram.callbacks import ApproveCb, BroadcastCb
from bot.telegram.filters import restrict_router

log = logging.getLogger(__name__)


class Compose(StatesGroup):
    text_kk = State()
    text_ru = State()
    regions = State()
    scheme = State()
    preview = State()


class Reject(StatesGroup):
    reason = State()


def _target_text(knowledge: KnowledgeBase, regions: tuple[str, ...] | list[str], lang: Lang) -> str:
    if NATIONAL in regions:
        return _("the whole country")
    return ", ".join(knowledge.regions[r].name.get(lang) for r in regions if r in knowledge.regions)


# --- the dialog -----------------------------------------------------------------------------

async def start_compose(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(Compose.text_kk)
    await message.answer(_("New police alert. Step 1 of 4: send the text in Kazakh. /cancel stops."))


async def cancel_compose(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled: nothing was sent."))


async def refused_command(message: Message) -> bool:
    """A command typed where the dialog waits for text (the alert, a rejection reason) is
    not taken as that text: the officer is told so and how to stop; the dialog waits on."""
    if not (message.text or "").lstrip().startswith("/"):
        return False
    await message.answer(_("This is a command, not the text I asked for. Send the text, or /cancel to stop."))
    return True


async def _accept_text(message: Message, alerts: AlertService) -> str | None:
    """The text, or None after telling the officer what is wrong with it."""
    text = (message.text or "").strip()
    if await refused_command(message):
        return None
    refusal = alerts.check(text)
    if refusal is None:
        return text
    match refusal.problem:
        case Problem.EMPTY:
            await message.answer(_("Send the alert as text."))
        case Problem.TOO_LONG:
            await message.answer(_("The text is too long: {n} characters, at most {limit}.")
                                 .format(n=refusal.length, limit=refusal.limit))
        case Problem.FORBIDDEN:
            await message.answer(_("Refused: links are allowed only to official sites ({allowed}). Remove: {bad}")
                                 .format(allowed=", ".join(refusal.allowed), bad=html.escape(", ".join(refusal.forbidden))))
    return None


async def got_text_kk(message: Message, state: FSMContext, alerts: AlertService) -> None:
    text = await _accept_text(message, alerts)
    if text is None:
        return
    await state.update_data(text_kk=text)
    await state.set_state(Compose.text_ru)
    await message.answer(_("Step 2 of 4: now the same alert in Russian."))


async def got_text_ru(message: Message, state: FSMContext, alerts: AlertService, knowledge: KnowledgeBase,
                      i18n: I18n) -> None:
    text = await _accept_text(message, alerts)
    if text is None:
        return
    await state.update_data(text_ru=text, regions=[])
    await state.set_state(Compose.regions)
    await message.answer(_("Step 3 of 4: who gets it? The whole country, or tap regions and press Done."),
                         reply_markup=keyboards.alert_regions(knowledge, current_lang(i18n), []))


async def region_button(query: CallbackQuery, callback_data: BroadcastCb, state: FSMContext,
                        knowledge: KnowledgeBase, i18n: I18n) -> None:
    lang = current_lang(i18n)
    chosen: list[str] = (await state.get_data()).get("regions", [])
    if callback_data.action == "region" and callback_data.value in knowledge.regions:
        chosen = sorted(set(chosen) ^ {callback_data.value})
        await state.update_data(regions=chosen)
        await query.answer()
        await query.message.edit_reply_markup(reply_markup=keyboards.alert_regions(knowledge, lang, chosen))
        return
    if callback_data.action == "national":
        chosen = [NATIONAL]
    elif not chosen:
        await query.answer(_("Choose at least one region, or the whole country."), show_alert=True)
        return
    await state.update_data(regions=chosen)
    await state.set_state(Compose.scheme)
    await query.answer()
    await query.message.edit_text(_("Target: {target}.").format(target=_target_text(knowledge, chosen, lang)))
    await query.message.answer(_("Step 4 of 4: which scheme is it about? (optional)"),
                               reply_markup=keyboards.alert_schemes(knowledge, lang))


async def scheme_button(query: CallbackQuery, callback_data: BroadcastCb, state: FSMContext,
                        knowledge: KnowledgeBase, alerts: AlertService, i18n: I18n) -> None:
    scheme = callback_data.value if callback_data.value in knowledge.schemes else None
    await state.update_data(scheme=scheme)
    await state.set_state(Compose.preview)
    data = await state.get_data()
    lang = current_lang(i18n)
    await query.answer()
    await query.message.edit_text(_("Preview: exactly what subscribers will get."))
    await query.message.answer(alerts.as_received(data["text_kk"], "kk"))
    await query.message.answer(alerts.as_received(data["text_ru"], "ru"))
    audience = await alerts.audience(data["regions"])
    tag = knowledge.schemes[scheme].title.get(lang) if scheme else _("none")
    await query.message.answer(
        _("Target: {target}. Scheme: {scheme}. Subscribers now: {n}.\nSubmit it for approval by a second officer?")
        .format(target=_target_text(knowledge, data["regions"], lang), scheme=tag, n=audience),
        reply_markup=keyboards.alert_submit(),
    )


async def submit_button(query: CallbackQuery, callback_data: BroadcastCb, state: FSMContext, knowledge: KnowledgeBase,
                        alerts: AlertService, i18n: I18n) -> None:
    await query.answer()
    if callback_data.action == "cancel":
        await state.clear()
        await query.message.edit_text(_("Cancelled: nothing was sent."))
        return
    data = await state.get_data()
    await state.clear()
    submitted = await alerts.submit(query.from_user.id, data["text_kk"], data["text_ru"], data["regions"],
                                    data.get("scheme"))
    await query.message.edit_text(_("Alert #{id} is waiting for a second officer's approval.")
                                  .format(id=submitted.broadcast.id))
    for approver in submitted.approvers:
        await _ask_approval(query, approver, submitted.broadcast, knowledge, i18n)


async def _ask_approval(query: CallbackQuery, approver: int, broadcast: Broadcast, knowledge: KnowledgeBase,
                        i18n: I18n) -> None:
    """The approver sees the very texts subscribers will get, then the two buttons."""
    lang = current_lang(i18n)
    text = _("Alert #{id} from officer {author} to {target} needs approval:").format(
        id=broadcast.id, author=broadcast.author_id, target=_target_text(knowledge, broadcast.regions, lang))
    try:
        await query.bot.send_message(approver, text)
        await query.bot.send_message(approver, broadcast.text_kk)
        await query.bot.send_message(approver, broadcast.text_ru, reply_markup=keyboards.alert_decision(broadcast.id))
    except Exception as exc:  # noqa: BLE001 - one unreachable approver must not stop the others
        log.warning("could not ask %s to approve broadcast %s: %s", approver, broadcast.id, exc)


# --- approval -------------------------------------------------------------------------------

async def decision_button(query: CallbackQuery, callback_data: ApproveCb, alerts: AlertService,
                          state: FSMContext) -> None:
    officer = query.from_user.id
    review = await alerts.review(callback_data.broadcast_id, officer)
    broadcast = review.broadcast
    if broadcast is None:
        await query.answer(_("No such alert."), show_alert=True)
        return
    if review.own:
        await query.answer(_("You cannot approve or reject your own alert: a second officer must."), show_alert=True)
        return
    if not review.open:
        await query.answer(_("Already decided: {status}.").format(status=broadcast.status), show_alert=True)
        return
    await query.answer()
    if not callback_data.approve:
        await state.set_state(Reject.reason)
        await state.update_data(broadcast_id=broadcast.id)
        await query.message.answer(_("Why is alert #{id} rejected? The author will see your answer.")
                                   .format(id=broadcast.id))
        return
    if not await alerts.approve(broadcast.id, officer):
        await query.message.answer(_("Already decided by someone else."))
        return
    await query.message.edit_reply_markup(reply_markup=None)
    progress = await query.message.answer(_("Alert #{id} approved. Sending…").format(id=broadcast.id))
    await _tell(query, broadcast.author_id, _("Your alert #{id} was approved by officer {officer} and is being sent.")
                .format(id=broadcast.id, officer=officer))
    await alerts.start_delivery(broadcast.id, progress.chat.id, progress.message_id)


async def rejection_reason(message: Message, state: FSMContext, alerts: AlertService) -> None:
    if await refused_command(message):
        return
    broadcast_id = (await state.get_data())["broadcast_id"]
    await state.clear()
    officer = message.from_user.id
    rejection = await alerts.reject(broadcast_id, officer, message.text or "")
    if rejection is None:
        await message.answer(_("Already decided by someone else."))
        return
    await message.answer(_("Alert #{id} rejected.").format(id=broadcast_id))
    await _tell(message, rejection.broadcast.author_id,
                _("Your alert #{id} was rejected by officer {officer}. Reason: {reason}")
                .format(id=broadcast_id, officer=officer, reason=rejection.reason))


async def _tell(event: Message | CallbackQuery, user_id: int, text: str) -> None:
    try:
        await event.bot.send_message(user_id, text, parse_mode=None)
    except Exception as exc:  # noqa: BLE001 - the decision stands even if the author cannot be told
        log.warning("could not tell %s: %s", user_id, exc)


async def cancel_broadcast(message: Message, command: CommandObject, alerts: AlertService) -> None:
    arg = (command.args or "").strip()
    if not arg.isdigit():
        await message.answer(_("Send /cancel_broadcast and the alert number, for example: /cancel_broadcast 12"))
        return
    await alerts.cancel(int(arg), message.from_user.id)
    await message.answer(_("Alert #{id}: sending stops after the messages already on their way.").format(id=arg))


def create_router() -> Router:
    """The officers' alert router: the officer role is checked once, on the router, for its
    commands, its dialogs' messages and its buttons (`restrict_router`)."""
    router = restrict_router(Router(name="broadcast"), "officer", commands=("broadcast", "cancel_broadcast", "cancel"),
                             button_prefixes=(BroadcastCb.__prefix__ + ":", ApproveCb.__prefix__ + ":"),
                             states=(Compose, Reject))
    router.message.register(start_compose, Command("broadcast"))
    router.message.register(cancel_broadcast, Command("cancel_broadcast"))
    router.message.register(cancel_compose, Command("cancel"), StateFilter(Compose, Reject))
    router.message.register(got_text_kk, Compose.text_kk)
    router.message.register(got_text_ru, Compose.text_ru)
    router.message.register(rejection_reason, Reject.reason, F.text)
    router.callback_query.register(region_button, BroadcastCb.filter(F.action.in_({"region", "national", "regions_done"})),
                                   Compose.regions)
    router.callback_query.register(scheme_button, BroadcastCb.filter(F.action == "scheme"), Compose.scheme)
    router.callback_query.register(submit_button, BroadcastCb.filter(F.action.in_({"submit", "cancel"})), Compose.preview)
    router.callback_query.register(decision_button, ApproveCb.filter())
    return router
