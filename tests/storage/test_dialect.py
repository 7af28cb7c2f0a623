"""The SQL the repositories write once must mean the same on SQLite as on PostgreSQL: SQLite is
taught PostgreSQL's names (`greatest`, `least`, `strpos`, `kz_day`), and a DATABASE_URL names
its engine or is refused with what is accepted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.storage.database import Database, SqliteDatabase, engine_of, kz_day, sqlite_path


async def test_greatest_and_least_skip_nulls_as_postgresql_does(tmp_path):
    db = await Database.open(tmp_path / "d.db")
    try:
        assert await db.fetchval("SELECT greatest(?, ?, ?)", (1.5, None, 3)) == 3
        assert await db.fetchval("SELECT least(?, ?)", (None, 2)) == 2
        assert await db.fetchval("SELECT greatest(?, ?)", (None, None)) is None
    finally:
        await db.close()


async def test_strpos_counts_from_one_and_answers_zero_when_absent(tmp_path):
    db = await Database.open(tmp_path / "d.db")
    try:
        assert await db.fetchval("SELECT strpos(?, ?)", ("reject:спам", ":")) == 7
        assert await db.fetchval("SELECT strpos(?, ?)", ("approve", ":")) == 0
    finally:
        await db.close()


def test_kz_day_turns_a_moment_into_kazakhstans_calendar_day():
    # 23:30 UTC on 3 December is already 4:30 on 4 December in Almaty.
    moment = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.timezone.utc).timestamp()
    assert dt.date(1970, 1, 1) + dt.timedelta(days=kz_day(moment)) == dt.date(2026, 12, 4)
    assert kz_day(None) is None


async def test_kz_day_is_the_same_inside_sqlite(tmp_path):
    db = await Database.open(tmp_path / "d.db")
    try:
        moment = 1_796_000_000.5
        assert await db.fetchval("SELECT kz_day(?)", (moment,)) == kz_day(moment)
    finally:
        await db.close()


async def test_execute_counts_the_rows_it_changed_and_fetch_reads_them_by_name(tmp_path):
    db = await Database.open(tmp_path / "d.db")
    try:
        assert isinstance(db, SqliteDatabase) and db.engine == "sqlite"
        assert await db.executemany("INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                                    [(1, 1.0), (2, 2.0), (3, 3.0)]) == 3
        assert await db.execute("DELETE FROM handled_updates WHERE update_id < ?", (3,)) == 2
        row = await db.fetchone("SELECT update_id, handled_at FROM handled_updates")
        assert (row["update_id"], row[1]) == (3, 3.0)
        assert await db.fetchone("SELECT update_id FROM handled_updates WHERE update_id = ?", (9,)) is None
    finally:
        await db.close()


@pytest.mark.parametrize(("url", "engine"), [
    ("postgresql://saqbol@db:5432/saqbol", "postgresql"),
    ("postgres://saqbol@db/saqbol", "postgresql"),
    ("sqlite:///data/saqbol.db", "sqlite"),
    ("data/saqbol.db", "sqlite"),
    (Path("data/saqbol.db"), "sqlite"),
])
def test_a_database_url_names_its_engine(url, engine):
    assert engine_of(url) == engine


def test_an_unknown_database_url_is_refused_with_what_is_accepted():
    with pytest.raises(ValueError, match="sqlite:///path/to/file.db or postgresql://"):
        engine_of("mysql://saqbol@db/saqbol")


def test_sqlite_urls_take_relative_and_absolute_paths():
    assert sqlite_path("sqlite:///data/saqbol.db") == Path("data/saqbol.db")
    assert sqlite_path("sqlite:////var/lib/saqbol/saqbol.db") == Path("/var/lib/saqbol/saqbol.db")


async def test_database_open_takes_an_sqlite_url(tmp_path):
    db = await Database.open(f"sqlite:///{tmp_path}/by-url.db")
    try:
        assert (tmp_path / "by-url.db").exists() and await db.schema_version() >= 7
    finally:
        await db.close()
