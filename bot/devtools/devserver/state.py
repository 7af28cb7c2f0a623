"""What the emulator remembers: chats and their messages, stored files, the request log, and
the signal that wakes whoever waits for any of it to change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


class ChangeSignal:
    """Wakes every coroutine waiting for "something changed".

    Plain synchronous code (``send_text`` in a test) must be able to fire it, which
    ``asyncio.Condition`` does not allow, and a load test fires it thousands of times a
    second, so firing with nobody waiting costs one truth test.
    """

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def fire(self) -> None:
        if not self._waiters:
            return
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Waits until ``predicate()`` is true, re-checking it after every change; returns its last
        value, False when ``timeout`` seconds passed first (None: no limit)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not predicate():
            if deadline is not None and loop.time() >= deadline:
                return False
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except TimeoutError:
                pass
        return True


@dataclass(frozen=True)
class RequestRecord:
    """One Bot API call as the emulator answered it."""

    time: float
    method: str
    params: dict[str, Any]
    status: int
    chat_id: int | None
    description: str | None = None


@dataclass(frozen=True)
class StoredFile:
    """A file the bot can fetch with getFile and download from /file/bot<token>/<path>."""

    file_id: str
    file_unique_id: str
    path: str
    name: str
    data: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.path,
        }


class FileStore:
    """Files by file_id and by download path; ids are predictable, which makes failures readable."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def add(self, kind: str, data: bytes, name: str) -> StoredFile:
        """Stores ``data``; ``name`` is the file's own name, its extension ends the download path."""
        number = len(self._by_id) + 1
        path = f"{kind}s/file_{number}{PurePosixPath(name).suffix}"
        stored = StoredFile(f"{kind}-{number}", f"unique-{number}", path, name, data)
        self._by_id[stored.file_id] = stored
        self._by_path[stored.path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def at_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


@dataclass
class ChatState:
    """A private chat with one user: its messages from both sides (current state, deleted ones
    removed), what the bot shows under the input box, and a version counter bumped on every
    change so that the demo page can ask cheaply for what changed.

    ``changed`` fires on every change of this chat only: a load test has hundreds of users
    waiting for their answer at once, and waking all of them on every API call would cost
    far more than the calls.
    """

    user: dict[str, Any]
    chat: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    changed_at: dict[int, int] = field(default_factory=dict)
    deleted_at: dict[int, int] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    cursor: int = 0
    version: int = 0
    reply_keyboard: dict[str, Any] | None = None
    toasts: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    blocked: bool = False
    last_message_id: int = 0
    changed: ChangeSignal = field(default_factory=ChangeSignal, repr=False, compare=False)

    @classmethod
    def for_user(cls, user: dict[str, Any]) -> ChatState:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        chat.update({key: user[key] for key in ("last_name", "username") if key in user})
        return cls(user=user, chat=chat)

    def new_message_id(self) -> int:
        """Message ids of a private chat count up across both sides, as in Telegram."""
        self.last_message_id += 1
        return self.last_message_id

    def _bump(self) -> int:
        self.version += 1
        self.changed.fire()
        return self.version

    def put(self, message: dict[str, Any]) -> None:
        """Stores a new or edited message."""
        self.messages[message["message_id"]] = message
        self.changed_at[message["message_id"]] = self._bump()

    def sent_by_bot(self, message: dict[str, Any]) -> None:
        self.put(message)
        self.sent.append(message)

    def delete(self, message_id: int) -> bool:
        if self.messages.pop(message_id, None) is None:
            return False
        self.changed_at.pop(message_id, None)
        self.deleted_at[message_id] = self._bump()
        return True

    def set_reply_keyboard(self, markup: dict[str, Any] | None) -> None:
        self.reply_keyboard = markup
        self._bump()

    def add_toast(self, toast: dict[str, Any]) -> None:
        self.toasts.append((self._bump(), toast))

    def bot_messages(self) -> list[dict[str, Any]]:
        return [message for message in self.messages.values() if message["from"].get("is_bot")]
