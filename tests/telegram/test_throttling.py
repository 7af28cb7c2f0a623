"""The flood limit: per user, a sliding window, one notice per window."""

from bot.telegram.middlewares.throttling import FloodGate


def decisions(gate: FloodGate, user_id: int, times: list[float]) -> list[str]:
    return [gate.decide(user_id, t) for t in times]


def test_messages_over_the_limit_are_not_handled_and_one_notice_is_sent():
    gate = FloodGate(limit=3, window=10)
    assert decisions(gate, 1, [0, 1, 2, 3, 4, 5]) == ["handle"] * 3 + ["notify", "drop", "drop"]


def test_other_users_are_not_affected():
    gate = FloodGate(limit=2, window=10)
    decisions(gate, 1, [0, 0, 0, 0])
    assert gate.decide(2, 0) == "handle"


def test_the_window_slides():
    gate = FloodGate(limit=2, window=10)
    assert decisions(gate, 1, [0, 5, 6, 10.5]) == ["handle", "handle", "notify", "handle"]


def test_one_notice_per_window():
    gate = FloodGate(limit=1, window=10)
    assert decisions(gate, 1, [0, 1, 2, 11.5, 12, 13]) == ["handle", "notify", "drop", "handle", "notify", "drop"]
