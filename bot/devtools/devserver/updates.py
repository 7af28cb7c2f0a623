"""The bot's incoming update queue with Telegram's getUpdates semantics.

Updates stay queued until the bot confirms them by asking for a higher ``offset``; a
long poll waits on the emulator's :class:`ChangeSignal`, never on a sleep loop; a second
getUpdates ends the one still waiting, which then answers 409 like Telegram does when two
bot instances poll the same token.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from bot.devtools.devserver.state import ChangeSignal

# Telegram sends these only when asked for by name in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class PollTerminated(Exception):
    """A waiting getUpdates was ended by another getUpdates or by setWebhook."""


class UpdateQueue:
    def __init__(self, signal: ChangeSignal) -> None:
        self._signal = signal
        self._pending: deque[tuple[str, dict[str, Any]]] = deque()
        self._last_update_id = 0
        self._allowed: frozenset[str] | None = None
        self._poll_generation = 0
        self.waiting_polls = 0
        self.closed = False
        self.version = 0  # grows with every change to what is queued: a webhook rescans only then

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queues ``{"update_id": …, kind: payload}`` and returns it."""
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, kind: payload}
        self._pending.append((kind, update))
        self.version += 1
        self._signal.fire()
        return update

    @property
    def allowed(self) -> list[str] | None:
        """The update kinds last asked for; None: Telegram's default set."""
        return None if self._allowed is None else sorted(self._allowed)

    def set_allowed(self, kinds: list[str] | None) -> None:
        """Telegram keeps the last allowed_updates given; an empty list means the default set."""
        self._allowed = frozenset(kinds) if kinds else None
        self.version += 1

    def allows(self, kind: str) -> bool:
        return kind not in OPT_IN_UPDATES if self._allowed is None else kind in self._allowed

    def confirm(self, offset: int) -> None:
        """Forgets updates below ``offset``; a negative offset keeps only the last ``-offset``."""
        before = len(self._pending)
        if offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()
        else:
            while self._pending and self._pending[0][1]["update_id"] < offset:
                self._pending.popleft()
        if len(self._pending) != before:
            self.version += 1
            self._signal.fire()

    def remove(self, update_id: int) -> None:
        """Forgets one update, wherever it is in the queue: a webhook delivering several at once
        has them accepted out of order."""
        for index, (_, update) in enumerate(self._pending):
            if update["update_id"] == update_id:
                del self._pending[index]
                self.version += 1
                self._signal.fire()
                return

    def drop_pending(self) -> None:
        self._pending.clear()
        self.version += 1
        self._signal.fire()

    def deliverable(self) -> bool:
        return any(self.allows(kind) for kind, _ in self._pending)

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` of the oldest allowed updates, still queued until confirmed."""
        taken: list[dict[str, Any]] = []
        for kind, update in self._pending:
            if len(taken) >= limit:
                break
            if self.allows(kind):
                taken.append(update)
        return taken

    def end_polls(self) -> None:
        """Ends any getUpdates still waiting (another poll or a webhook took over)."""
        self._poll_generation += 1
        self._signal.fire()

    async def poll(self, offset: int | None, limit: int, timeout: float) -> list[dict[str, Any]]:
        """getUpdates: confirm, then answer at once if anything is queued, else wait up to
        ``timeout`` seconds for an update to arrive."""
        if offset is not None:
            self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.waiting_polls += 1
        self._signal.fire()
        try:
            await self._signal.wait_for(
                lambda: self.closed or generation != self._poll_generation or self.deliverable(), timeout
            )
        finally:
            self.waiting_polls -= 1
            self._signal.fire()
        if generation != self._poll_generation:
            raise PollTerminated
        return self.take(limit)

    def deliverable_updates(self) -> Iterator[dict[str, Any]]:
        """The allowed updates, oldest first, still queued until confirmed or removed."""
        return (update for kind, update in self._pending if self.allows(kind))

    async def wait(self, predicate: Callable[[], bool]) -> None:
        """Waits until ``predicate()`` holds or the queue is closed, re-checking on every change."""
        await self._signal.wait_for(lambda: self.closed or predicate(), None)

    def close(self) -> None:
        """Lets every waiting poll return (empty) so that the server can stop at once."""
        self.closed = True
        self._signal.fire()
