"""Schema versions. Each migration runs once, in order, inside a transaction; the version
reached is kept in SQLite's `user_version`. Never edit a released migration: add one."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: users, checks and feedback.
    """
    CREATE TABLE users (
        id           INTEGER PRIMARY KEY,          -- Telegram user id (private chat id)
        language     TEXT CHECK (language IN ('kk', 'ru')),
        region       TEXT,
        subscribed   INTEGER NOT NULL DEFAULT 0,
        blocked_at   REAL,                          -- the user blocked the bot (403)
        created_at   REAL NOT NULL,
        seen_at      REAL NOT NULL
    );
    CREATE TABLE checks (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        source        TEXT NOT NULL,                -- text | caption | forward
        text_redacted TEXT NOT NULL,
        text_hash     TEXT NOT NULL,                -- of the redacted text: repeats of one scam wave
        risk          TEXT NOT NULL,
        scheme        TEXT,
        scam_probability REAL NOT NULL,
        flags         TEXT NOT NULL,                -- red-flag ids, comma-separated (never the quotes)
        language      TEXT NOT NULL,
        backend       TEXT NOT NULL,
        created_at    REAL NOT NULL
    );
    CREATE INDEX checks_user ON checks(user_id);
    CREATE INDEX checks_day_scheme ON checks(created_at, scheme);
    CREATE TABLE feedback (
        check_id   INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,                   -- paid | report | not_scam | is_scam
        created_at REAL NOT NULL,
        PRIMARY KEY (check_id, kind)
    );
    CREATE INDEX users_region ON users(region) WHERE subscribed = 1;
    """,
)
