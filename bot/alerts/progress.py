"""Where a broadcast stands: the counts an officer sees while it goes out, and at the end."""

from __future__ import annotations

from dataclasses import dataclass

from bot.alerts.repository import Status

ENDED = (Status.SENT, Status.FAILED, Status.BLOCKED, Status.NOT_FOUND)


@dataclass(frozen=True)
class Progress:
    """A snapshot of one broadcast.

    ``uncertain``: deliveries a crash left in 'sending': a request went or may have gone out
    and no answer was recorded, so they are not sent again; neither delivered nor pending.
    A delivery whose requests were all refused (429, 5xx) is pending, not uncertain.
    ``pending`` includes the deliveries in flight. ``rate`` is deliveries ended per second in
    this run, ``eta_seconds`` the time left at that rate (None until there is a rate).
    """

    broadcast_id: int
    total: int
    sent: int
    failed: int
    blocked: int
    not_found: int
    pending: int
    uncertain: int
    rate: float
    eta_seconds: float | None
    done: bool
    cancelled: bool


class Tally:
    """The counts of one run, kept in memory as results come in (the database is written in
    batches behind them), starting from what the database held when the run began."""

    def __init__(self, broadcast_id: int, counts: dict[Status, int], started: float) -> None:
        self.broadcast_id = broadcast_id
        self.total = sum(counts.values())
        self.uncertain = counts[Status.SENDING]
        self.ended = {status: counts[status] for status in ENDED}
        self.started = started
        self.ended_here = 0

    @property
    def pending(self) -> int:
        return self.total - self.uncertain - sum(self.ended.values())

    def add(self, status: Status) -> None:
        """Counts a delivery that ended; one put back to 'pending' (cancelled before it could be
        asked again) does not count."""
        if status in self.ended:
            self.ended[status] += 1
            self.ended_here += 1

    def progress(self, now: float, *, done: bool = False, cancelled: bool = False) -> Progress:
        elapsed = now - self.started
        rate = self.ended_here / elapsed if elapsed > 0 else 0.0
        pending = self.pending
        eta = 0.0 if pending == 0 else (pending / rate if rate > 0 else None)
        return Progress(
            broadcast_id=self.broadcast_id,
            total=self.total,
            sent=self.ended[Status.SENT],
            failed=self.ended[Status.FAILED],
            blocked=self.ended[Status.BLOCKED],
            not_found=self.ended[Status.NOT_FOUND],
            pending=pending,
            uncertain=self.uncertain,
            rate=rate,
            eta_seconds=eta,
            done=done,
            cancelled=cancelled,
        )
