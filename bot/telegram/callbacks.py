"""Inline-button payloads. Each packs to well under Telegram's 64 bytes (a test checks the
longest one), and carries ids only: never text the user wrote.

Ids are bounded to SQLite's integer range: forged data with a larger number matches no
handler (and gets "this button has expired") instead of raising OverflowError in the
database driver."""

from __future__ import annotations

from bot.knowledge.schema import Lang

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.storage.checks import Feedback

RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # a SQLite rowid


class LanguageCb(CallbackData, prefix="lang"):
    code: Lang
    onboarding: bool = False  # True on /start: the region question follows


class RegionCb(CallbackData, prefix="rg"):
    region: str  # a region id from knowledge/regions.yaml, or "-" to skip
    onboarding: bool = False  # True on /start: the welcome and the main menu follow


class CheckCb(CallbackData, prefix="ck"):
    action: Feedback  # the button's action is the judgement stored
    check_id: RowId


class DetailCb(CallbackData, prefix="dt"):
    """A button under a scam's short answer that opens the rest: every step, the contacts, or
    why the bot thinks so; rebuilt from the stored check."""

    what: Literal["todo", "report", "why"]
    check_id: RowId


class FaqCb(CallbackData, prefix="faq"):
    faq: str  # a FAQ id from knowledge/help.yaml, or "-" for the list of questions


class ForgetCb(CallbackData, prefix="fg"):
    confirm: bool


class SettingsCb(CallbackData, prefix="set"):
    what: Literal["language", "region"]


class SubscribeCb(CallbackData, prefix="sub"):
    action: Literal["yes", "no", "pick", "toggle", "done"]
    region: str = "-"  # for toggle: a region id from knowledge/regions.yaml


class BroadcastCb(CallbackData, prefix="bc"):
    """Buttons of the /broadcast dialog (officers only; checked on every press)."""

    action: Literal["region", "national", "regions_done", "scheme", "submit", "cancel"]
    value: str = "-"


class ApproveCb(CallbackData, prefix="apr"):
    broadcast_id: RowId
    approve: bool


class ReviewCb(CallbackData, prefix="rv"):
    """A decision on one item of the officers' review queue (officers only; the role is read on
    every press). ``label``: for ``action="label"``, a scheme id, ``benign`` or ``fraud_warning``;
    one that is not in the knowledge base (forged) is refused as out of date."""

    item_id: RowId
    action: Literal["label", "confirm", "clear", "skip"]
    label: str = Field(default="-", pattern=r"^(-|[a-z][a-z0-9_]{0,39})$")


class ReportCb(CallbackData, prefix="rep"):
    """A person reports a fraudster's identifier: ``open`` shows one button per candidate of an
    offer, ``pick`` reports the candidate at ``index``. The candidates stay in memory
    (`bot.services.reports.Reports`), keyed by the user and the offer's random id: the button
    carries no identifier, and a forged or expired one finds nothing."""

    action: Literal["open", "pick"]
    offer: Annotated[int, Field(ge=1, le=2**40)]
    index: Annotated[int, Field(ge=0, le=15)] = 0


class WaveCb(CallbackData, prefix="wv"):
    """An officer's action on a wave the detector told them of: an alert draft from it, or its
    texts to the review queue (officers only; the role is read on every press)."""

    wave_id: RowId
    action: Literal["draft", "review"]
