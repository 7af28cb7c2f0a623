"""How inline buttons are laid out on a phone's screen."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton

# A half-width inline button on a 412-px-wide phone shows about 20 characters; a longer label
# is wrapped or cut inside a word ("Карагандинс|кая"). A full-width button holds about twice that.
HALF_ROW_CHARS = 20


def phone_rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Short labels two to a row, a label too long for half a phone's width alone on its row,
    in the given order, so no label breaks inside a word."""
    rows: list[list[InlineKeyboardButton]] = []
    waiting: InlineKeyboardButton | None = None
    for button in buttons:
        if len(button.text) > HALF_ROW_CHARS:
            if waiting:
                rows.append([waiting])
                waiting = None
            rows.append([button])
        elif waiting:
            rows.append([waiting, button])
            waiting = None
        else:
            waiting = button
    if waiting:
        rows.append([waiting])
    return rows
