"""What users send, as Telegram shows it to the bot: forward origins and media objects.

The ``origin_*`` helpers build MessageOrigin JSON for ``BotAPIEmulator.send_forward``.
"""

from __future__ import annotations

import io
import time
import warnings
from typing import Any

from PIL import Image

from bot.devtools.devserver.state import StoredFile
from bot.devtools.devserver.telegram_html import utf16_length

PHOTO_SIZE = (1280, 960)


def _now() -> int:
    return int(time.time())


def origin_user(
    user_id: int = 555000111,
    first_name: str = "Айгерим",
    *,
    last_name: str | None = None,
    username: str | None = None,
    date: int | None = None,
) -> dict[str, Any]:
    """Forwarded from a user who allows linking to their account."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    user.update({key: value for key, value in (("last_name", last_name), ("username", username)) if value})
    return {"type": "user", "date": date or _now(), "sender_user": user}


def origin_hidden_user(name: str, *, date: int | None = None) -> dict[str, Any]:
    """Forwarded from a user who hides their account: only the name is known."""
    return {"type": "hidden_user", "date": date or _now(), "sender_user_name": name}


def origin_channel(
    title: str,
    username: str | None = None,
    *,
    chat_id: int = -1001234567890,
    message_id: int = 1,
    date: int | None = None,
) -> dict[str, Any]:
    """Forwarded from a channel post."""
    chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
    if username:
        chat["username"] = username
    return {"type": "channel", "date": date or _now(), "chat": chat, "message_id": message_id}


def origin_chat(title: str, *, chat_id: int = -1009876543210, date: int | None = None) -> dict[str, Any]:
    """Forwarded from a group's anonymous admin: the group itself is the sender."""
    return {"type": "chat", "date": date or _now(), "sender_chat": {"id": chat_id, "type": "supergroup", "title": title}}


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """Telegram marks a leading ``/command`` as a bot_command entity."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]


def _picture_size(data: bytes) -> tuple[int, int]:
    """The picture's own size read from its header (a chart the bot draws, say), so that a
    client shows it unstretched; ``PHOTO_SIZE`` for bytes that are not a picture (tests often
    send placeholders)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return PHOTO_SIZE


def photo_json(stored: StoredFile) -> list[dict[str, Any]]:
    return photo_sizes_json([(stored, *_picture_size(stored.data))])


def photo_sizes_json(sizes: list[tuple[StoredFile, int, int]]) -> list[dict[str, Any]]:
    """A ``photo`` array from stored sizes ``(file, width, height)``, smallest first."""
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.data),
        }
        for stored, width, height in sizes
    ]


def document_json(stored: StoredFile, file_name: str, mime_type: str | None) -> dict[str, Any]:
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": file_name,
        "file_size": len(stored.data),
    }
    if mime_type:
        document["mime_type"] = mime_type
    return document


def voice_json(stored: StoredFile, duration: int = 3) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": len(stored.data),
    }


def sticker_json(stored: StoredFile, emoji: str = "👍") -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "file_size": len(stored.data),
    }
