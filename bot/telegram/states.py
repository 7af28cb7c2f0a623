"""The conversation states (aiogram FSM) that more than one router reads.

`StartOver` is set by /forget (bot/handlers/privacy.py) and read by the text handler
(bot/handlers/messages.py): it lives here so that neither handler imports the other. It is
kept in the dispatcher's memory only: nothing about the person is written anywhere after
/forget.
"""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StartOver(StatesGroup):
    fresh = State()  # /forget done: the next text starts over with the language question


class ReportFlow(StatesGroup):
    """/report: the next text is read for the fraudster's number, card, IBAN, link or account."""

    waiting = State()
