"""Faults a test asks for: the next calls of a method fail, stall or lose their connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from bot.devserver.errors import ApiError


@dataclass(kw_only=True)
class Fault:
    """Applies to the next ``times`` calls of ``method`` (any case), only in ``chat_id`` if given."""

    method: str
    times: int
    chat_id: int | None = None

    def matches(self, method: str, chat_id: int | None) -> bool:
        return self.method.lower() == method.lower() and self.chat_id in (None, chat_id)


@dataclass(kw_only=True)
class Failure(Fault):
    error: ApiError


@dataclass(kw_only=True)
class Delay(Fault):
    seconds: float


@dataclass(kw_only=True)
class Drop(Fault):
    """Close the connection without an answer."""


F = TypeVar("F", bound=Fault)


class FaultPlan:
    """The faults still to happen, used up in the order they were planned."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError(f"times must be at least 1, got {fault.times}")
        self._faults.append(fault)

    def take(self, kind: type[F], method: str, chat_id: int | None) -> F | None:
        """The first planned fault of ``kind`` for this call, counting it as used."""
        for fault in self._faults:
            if isinstance(fault, kind) and fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()
