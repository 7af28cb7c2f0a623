"""What a bot message says, checked as Telegram checks it: its formatted text and its keyboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.devtools.devserver.errors import ApiError
from bot.devtools.devserver.telegram_html import HtmlParseError, parse_html, utf16_length

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)


@dataclass(frozen=True)
class FormattedText:
    """Plain text and its entities, as Telegram stores a message after parsing."""

    text: str
    entities: list[dict[str, Any]]

    def fields(self, text_key: str, entities_key: str) -> dict[str, Any]:
        """The Message fields for it: ``text``/``entities`` or ``caption``/``caption_entities``."""
        return {text_key: self.text, entities_key: self.entities} if self.entities else {text_key: self.text}


def format_text(text: str, parse_mode: str | None, entities: Any) -> FormattedText:
    """Applies explicit ``entities`` or ``parse_mode`` (HTML is what the emulator implements),
    then trims surrounding whitespace as Telegram does, clipping the entities to match."""
    if entities is not None:
        if not isinstance(entities, list):
            raise ApiError.bad_request("can't parse entities JSON object")
        return _trimmed(text, entities)
    if not parse_mode:
        return _trimmed(text, [])
    if parse_mode.lower() != "html":
        known = parse_mode.lower() in ("markdown", "markdownv2")
        raise ApiError.bad_request(
            f"can't parse entities: the emulator implements parse_mode HTML only, not {parse_mode}"
            if known
            else "unsupported parse_mode"
        )
    try:
        plain, parsed = _parsed_html(text)
    except HtmlParseError as exc:
        raise ApiError.bad_request(f"can't parse entities: {exc}") from None
    return _trimmed(plain, parsed)


@lru_cache(maxsize=64)
def _parsed_html(text: str) -> tuple[str, tuple[dict[str, Any], ...]]:
    """``parse_html``, remembered: a broadcast or a load test sends the same text thousands of
    times, and parsing it was a tenth of the emulator's time per call. The entities are only
    read (``_trimmed`` copies them), so no message shares a dict with another; a refused text
    is parsed again each time (exceptions are not cached)."""
    plain, entities = parse_html(text)
    return plain, tuple(entities)


def _trimmed(text: str, entities: Sequence[dict[str, Any]]) -> FormattedText:
    body = text.strip()
    shift = utf16_length(text[: len(text) - len(text.lstrip())])
    total = utf16_length(body)
    clipped = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            clipped.append({**entity, "offset": start, "length": end - start})
    return FormattedText(body, clipped)


def message_text(text: str | None, parse_mode: str | None, entities: Any) -> FormattedText:
    """A message's text: required, non-empty after parsing, at most 4096 characters."""
    formatted = format_text(text or "", parse_mode, entities)
    if not formatted.text:
        raise ApiError.bad_request("message text is empty")
    if len(formatted.text) > MESSAGE_LIMIT:
        raise ApiError.bad_request("message is too long")
    return formatted


def caption_text(caption: str | None, parse_mode: str | None, entities: Any) -> FormattedText | None:
    """A media caption: optional, at most 1024 characters after parsing."""
    if not caption:
        return None
    formatted = format_text(caption, parse_mode, entities)
    if len(formatted.text) > CAPTION_LIMIT:
        raise ApiError.bad_request("message caption is too long")
    return formatted if formatted.text else None


def checked_reply_markup(markup: Any) -> dict[str, Any] | None:
    """The markup if Telegram would take it: an inline keyboard, a reply keyboard, its removal or
    a forced reply."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for button in _buttons(markup["inline_keyboard"], "inline keyboard"):
            _check_inline_button(button)
    elif "keyboard" in markup:
        for button in _buttons(markup["keyboard"], "keyboard"):
            if not (isinstance(button, str) or isinstance(button, dict) and button.get("text")):
                raise ApiError.bad_request("can't parse keyboard button: Text must be non-empty")
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _buttons(rows: Any, kind: str) -> list[Any]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(f"can't parse {kind}: field \"{kind.replace(' ', '_')}\" must be an Array of Arrays")
    return [button for row in rows for button in row]


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise ApiError.bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = {action for action in INLINE_BUTTON_ACTIONS if button.get(action) is not None}
    if not actions:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in actions and not 1 <= len(str(button["callback_data"]).encode()) <= CALLBACK_DATA_LIMIT:
        raise ApiError.bad_request("BUTTON_DATA_INVALID")


def callback_data_of(message: dict[str, Any]) -> list[str]:
    """The callback_data of every inline button under a message."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]
