"""Waves: a new fraud pattern many people ask about at once, found by the wave detector
(bot/services/waves.py) in the last day's checks, and the officers who asked to be told of them.

What is stored is what the police need to act, never more than the checks already hold: a
member's redacted text as the wave's face, counts, the regions and languages, the times, the
nearest known scheme. Which checks a wave holds is `wave_members`, which /forget empties of a
person's checks (ON DELETE CASCADE); their text, if it was the wave's face, is replaced by
another member's (`UsersRepo.forget`).

The detector clusters afresh every few minutes, so one wave is met again and again: `upsert`
finds it by its members (the stored wave sharing most checks with the cluster) and updates it
instead of announcing it twice. Several replicas may run the detector: they store waves in
turns (`Database.in_turn`, the lock `STORING`), so the second finds the first's wave by the
checks they share even when their clusters begin at different checks; a new wave's earliest
check (`first_check`, unique) is its key besides; and `claim_report` lets one replica tell the
officers, once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.storage.database import Database

WaveStatus = Literal["open", "drafted", "dismissed", "closed"]
STATUSES: tuple[WaveStatus, ...] = ("open", "drafted", "dismissed", "closed")
# Check ids per statement when a cluster's members are matched or stored: far below SQLite's and
# PostgreSQL's limits on bound parameters (32 766 and 32 767), whatever the cluster's size.
CHUNK = 500
STORING = 0x5A9B16  # the lock replicas store waves under, in turns (any number, the same in every replica)

_WAVE_COLUMNS = ("id, representative, scheme, users, checks, regions, languages, first_seen, last_seen, per_hour, "
                 "status, detected_at, reported_at, broadcast_id, updated_at, first_check")


@dataclass(frozen=True)
class CandidateCheck:
    """A recent check the detector clusters: risky (high or medium) or unlike every known example."""

    id: int
    user_id: int
    text_redacted: str
    text_hash: str
    risk: str
    scheme: str | None
    novel: bool
    region: str | None
    language: str
    created_at: float


@dataclass(frozen=True)
class WaveDraft:
    """What the detector found in one cluster, to be stored as a new wave or to update its own."""

    representative: str  # a member's redacted text (checks.text_redacted)
    scheme: str | None  # the nearest known scheme; None if none
    users: int  # distinct users in the window
    checks: int
    regions: Sequence[str]  # region ids, most frequent first
    languages: Sequence[str]  # 'kk', 'ru', ...
    first_seen: float
    last_seen: float
    per_hour: float  # distinct users in the last hour


@dataclass(frozen=True)
class Wave:
    id: int
    representative: str
    scheme: str | None
    users: int
    checks: int
    regions: tuple[str, ...]
    languages: tuple[str, ...]
    first_seen: float
    last_seen: float
    per_hour: float
    status: WaveStatus
    detected_at: float
    reported_at: float | None
    broadcast_id: int | None
    updated_at: float
    first_check: int


@dataclass(frozen=True)
class WaveMember:
    """One check of a wave, as "open it" shows it: redacted, with no user id."""

    check_id: int
    text_redacted: str
    region: str | None
    language: str
    risk: str
    created_at: float


def _listed(text: str) -> tuple[str, ...]:
    return tuple(filter(None, text.split(",")))


def _wave(row: Any) -> Wave:
    return Wave(
        id=row["id"], representative=row["representative"], scheme=row["scheme"], users=row["users"],
        checks=row["checks"], regions=_listed(row["regions"]), languages=_listed(row["languages"]),
        first_seen=row["first_seen"], last_seen=row["last_seen"], per_hour=row["per_hour"], status=row["status"],
        detected_at=row["detected_at"], reported_at=row["reported_at"], broadcast_id=row["broadcast_id"],
        updated_at=row["updated_at"], first_check=row["first_check"],
    )


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i:i + CHUNK] for i in range(0, len(ordered), CHUNK)]


def _marks(chunk: Sequence[int]) -> str:
    return ", ".join("?" for _ in chunk)


class WavesRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def candidates(self, since: float) -> list[CandidateCheck]:
        """The checks stored at or after ``since`` that were risky or novel, oldest first: what
        the detector clusters. Read off the partial index `checks_recent_candidates` (its
        condition is repeated here word for word, so SQLite sees that the index covers it)."""
        rows = await self.db.fetchall(
            "SELECT id, user_id, text_redacted, text_hash, risk, scheme, novel, region, language, created_at "
            "FROM checks WHERE created_at >= ? AND (risk IN ('high', 'medium') OR novel = 1) ORDER BY created_at",
            (float(since),),
        )
        return [CandidateCheck(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7], row[8], row[9])
                for row in rows]

    async def repeated(self, since: float, users: int) -> list[CandidateCheck]:
        """The other checks stored at or after ``since`` (calm, and not novel) whose very text
        (after redaction) at least ``users`` different people sent: a new scam the classifier
        misses still shows as a text many people ask about. Oldest first. A GROUP BY over the
        whole window with no index of its own: the detector reads it in its sweep only."""
        rows = await self.db.fetchall(
            "SELECT id, user_id, text_redacted, text_hash, risk, scheme, novel, region, language, created_at "
            "FROM checks WHERE created_at >= ?1 AND NOT (risk IN ('high', 'medium') OR novel = 1) AND text_hash IN ("
            " SELECT text_hash FROM checks WHERE created_at >= ?1 AND NOT (risk IN ('high', 'medium') OR novel = 1)"
            " GROUP BY text_hash HAVING count(DISTINCT user_id) >= ?2) ORDER BY created_at",
            (float(since), int(users)),
        )
        return [CandidateCheck(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7], row[8], row[9])
                for row in rows]

    async def upsert(self, wave: WaveDraft, members: Sequence[int], now: float) -> tuple[int, bool]:
        """Store a cluster as a wave: (its id, True) when it is new, (the id of the stored wave
        it continues, False) when a stored wave already holds some of its checks (the one
        holding most). Its members are added (checks deleted since are skipped); a wave keeps
        its first face (officers recognise it), its status and when it was found and told.

        Two replicas storing one new wave at the same moment take turns (`Database.in_turn`:
        finding the wave and storing it are three statements), so the second finds the first's
        wave by the checks they share and updates it (False), even when their clusters begin at
        different checks."""
        if not members:
            raise ValueError("a wave has at least one member check: pass the cluster's check ids")
        async with self.db.in_turn(STORING) as tx:
            return await self._upsert(tx, wave, members, now)

    async def _upsert(self, db: Database, wave: WaveDraft, members: Sequence[int], now: float) -> tuple[int, bool]:
        wave_id = await self._holding(db, members)
        is_new = False
        if wave_id is None:
            first = min(members)
            wave_id = await db.fetchval(
                "INSERT INTO waves (first_check, representative, scheme, users, checks, regions, languages, first_seen,"
                " last_seen, per_hour, status, detected_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)"
                " ON CONFLICT (first_check) DO NOTHING RETURNING id",
                (first, wave.representative, wave.scheme, wave.users, wave.checks, ",".join(wave.regions),
                 ",".join(wave.languages), wave.first_seen, wave.last_seen, wave.per_hour, now, now),
            )
            is_new = wave_id is not None
            if wave_id is None:  # a stored wave keyed by this check that no longer lists it as a member
                wave_id = await db.fetchval("SELECT id FROM waves WHERE first_check = ?", (first,))
        if not is_new:
            await db.execute(
                "UPDATE waves SET scheme = ?, users = ?, checks = ?, regions = ?, languages = ?,"
                " first_seen = least(first_seen, ?), last_seen = greatest(last_seen, ?), per_hour = ?, updated_at = ?"
                " WHERE id = ?",
                (wave.scheme, wave.users, wave.checks, ",".join(wave.regions), ",".join(wave.languages),
                 wave.first_seen, wave.last_seen, wave.per_hour, now, wave_id),
            )
        for chunk in _chunks(members):
            await db.execute(
                f"INSERT INTO wave_members (wave_id, check_id) SELECT CAST(? AS BIGINT), id FROM checks "
                f"WHERE id IN ({_marks(chunk)}) ON CONFLICT (wave_id, check_id) DO NOTHING",
                (wave_id, *chunk),
            )
        return int(wave_id), is_new

    @staticmethod
    async def _holding(db: Database, members: Sequence[int]) -> int | None:
        """The stored wave holding most of these checks (the oldest on a tie), or None."""
        shared: Counter[int] = Counter()
        for chunk in _chunks(members):
            for row in await db.fetchall(
                    f"SELECT wave_id, count(*) FROM wave_members WHERE check_id IN ({_marks(chunk)}) GROUP BY wave_id",
                    chunk):
                shared[int(row[0])] += int(row[1])
        if not shared:
            return None
        return min(shared, key=lambda wave_id: (-shared[wave_id], wave_id))

    async def find(self, wave_id: int) -> Wave | None:
        row = await self.db.fetchone(f"SELECT {_WAVE_COLUMNS} FROM waves WHERE id = ?", (wave_id,))
        return None if row is None else _wave(row)

    async def open_waves(self, limit: int = 50) -> list[Wave]:
        """The waves still open, the latest active first (off the `waves_open` index)."""
        rows = await self.db.fetchall(
            f"SELECT {_WAVE_COLUMNS} FROM waves WHERE status = 'open' ORDER BY last_seen DESC, id DESC LIMIT ?",
            (limit,))
        return [_wave(row) for row in rows]

    async def recent(self, limit: int = 50) -> list[Wave]:
        """Every wave whatever its status, the latest found first: the dashboard's list."""
        rows = await self.db.fetchall(
            f"SELECT {_WAVE_COLUMNS} FROM waves ORDER BY detected_at DESC, id DESC LIMIT ?", (limit,))
        return [_wave(row) for row in rows]

    async def claim_report(self, wave_id: int, now: float) -> bool:
        """True for the one caller, of any replica, that may tell the officers of this wave;
        False for every later one (one conditional UPDATE: the database decides)."""
        return await self.db.execute(
            "UPDATE waves SET reported_at = ? WHERE id = ? AND reported_at IS NULL", (now, wave_id)) > 0

    async def release_report(self, wave_id: int) -> None:
        """Gives a claim back when nobody could be told (Telegram unreachable): a later run, of
        any replica, claims and tells it again."""
        await self.db.execute("UPDATE waves SET reported_at = NULL WHERE id = ?", (wave_id,))

    async def watchers(self) -> list[int]:
        """The users who asked to be told of waves. Whether each is still an officer is the
        sender's check (RolesRepo), at the moment of telling: a revoked officer is told nothing."""
        return [int(row[0]) for row in await self.db.fetchall("SELECT user_id FROM wave_watchers ORDER BY since")]

    async def audience(self) -> list[tuple[int, str | None]]:
        """The watchers with the language each chose (None: never chose one), for telling them
        of a wave in it (the detector re-checks each one's role)."""
        rows = await self.db.fetchall(
            "SELECT w.user_id, u.language FROM wave_watchers AS w LEFT JOIN users AS u ON u.id = w.user_id "
            "ORDER BY w.since")
        return [(int(row[0]), row[1]) for row in rows]

    async def watching(self, user_id: int) -> bool:
        """Whether this user asked to be told of waves."""
        return await self.db.fetchval("SELECT 1 FROM wave_watchers WHERE user_id = ?", (user_id,)) is not None

    async def watch(self, user_id: int, on: bool, now: float | None = None) -> bool:
        """Opt in (``on``) or out; True when it changed anything."""
        if on:
            return await self.db.execute(
                "INSERT INTO wave_watchers (user_id, since) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
                (user_id, time.time() if now is None else now)) > 0
        return await self.db.execute("DELETE FROM wave_watchers WHERE user_id = ?", (user_id,)) > 0

    async def set_status(self, wave_id: int, status: WaveStatus) -> bool:
        if status not in STATUSES:
            raise ValueError(f"unknown wave status {status!r}: use one of {', '.join(STATUSES)}")
        return await self.db.execute("UPDATE waves SET status = ? WHERE id = ?", (status, wave_id)) > 0

    async def set_broadcast(self, wave_id: int, broadcast_id: int, replacing: int | None = None) -> bool:
        """The alert draft made from this wave; the wave is then `drafted`. Only over the draft the
        caller saw (``replacing``: None when it had none), in one statement: of two officers (or
        the Telegram button and the dashboard's) drafting at once, one sets it, False for the other,
        who discards its own draft and takes the winner's."""
        return await self.db.execute(
            "UPDATE waves SET broadcast_id = ?, status = 'drafted' WHERE id = ? AND coalesce(broadcast_id, 0) = ?",
            (broadcast_id, wave_id, replacing or 0)) > 0

    async def members(self, wave_id: int, limit: int = 20) -> list[WaveMember]:
        """A wave's checks, the latest first: a few examples for "open it" (redacted texts only)."""
        rows = await self.db.fetchall(
            "SELECT c.id, c.text_redacted, c.region, c.language, c.risk, c.created_at FROM wave_members AS m "
            "JOIN checks AS c ON c.id = m.check_id WHERE m.wave_id = ? ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
            (wave_id, limit))
        return [WaveMember(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows]

    async def member_regions(self, wave_id: int) -> list[tuple[str | None, int]]:
        """(region or None when unknown, distinct users) of a wave's checks, the most first."""
        rows = await self.db.fetchall(
            "SELECT c.region, count(DISTINCT c.user_id) FROM wave_members AS m JOIN checks AS c ON c.id = m.check_id "
            "WHERE m.wave_id = ? GROUP BY c.region ORDER BY 2 DESC, 1 NULLS LAST", (wave_id,))
        return [(row[0], int(row[1])) for row in rows]

    async def count_open(self) -> int:
        return int(await self.db.fetchval("SELECT count(*) FROM waves WHERE status = 'open'"))

    async def close_quiet(self, before: float) -> int:
        """Close the open and drafted waves nobody has asked about since ``before`` (the
        detector passes a day ago); a dismissed wave stays dismissed. The number closed."""
        return await self.db.execute(
            "UPDATE waves SET status = 'closed' WHERE status IN ('open', 'drafted') AND last_seen < ?",
            (float(before),))
