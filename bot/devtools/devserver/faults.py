"""Faults a test asks for: the next calls of a method fail, stall or lose their connection."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from bot.devtools.devserver.errors import ApiError


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
    """Answer ``seconds`` late. With ``in_transit`` the request itself is late: a client that
    gives up (or is killed) meanwhile leaves the call undone, as a request still on its way."""

    seconds: float
    in_transit: bool = False


@dataclass(kw_only=True)
class Drop(Fault):
    """Close the connection without an answer: before the call is carried out (it is undone),
    or ``after`` it (done, but the client never learns it)."""

    after: bool = False


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


Chaos = Literal["429", "5xx", "drop_before", "drop_after", "delay"]
CHAOS_KINDS: tuple[Chaos, ...] = ("429", "5xx", "drop_before", "drop_after", "delay")


@dataclass
class RandomFaults:
    """Faults at random, for soak tests: each call of ``methods`` (all when None) meets one of
    ``kinds`` with probability ``rate``; ``counts`` says how many of each were injected."""

    rate: float
    seed: int = 0
    kinds: tuple[Chaos, ...] = CHAOS_KINDS
    methods: frozenset[str] | None = None
    max_delay: float = 2.0
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"rate must be between 0 and 1, got {self.rate}")
        unknown = set(self.kinds) - set(CHAOS_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"kinds must be some of {CHAOS_KINDS}, got {self.kinds}")
        self._random = random.Random(self.seed)
        self.methods = None if self.methods is None else frozenset(m.lower() for m in self.methods)

    def draw(self, method: str) -> Chaos | None:
        if self.methods is not None and method.lower() not in self.methods:
            return None
        if self._random.random() >= self.rate:
            return None
        kind = self._random.choice(self.kinds)
        self.counts[kind] += 1
        return kind

    def delay_seconds(self) -> float:
        return self._random.uniform(0.1, self.max_delay)
