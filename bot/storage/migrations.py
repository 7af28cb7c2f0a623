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
        source        TEXT NOT NULL,                -- text | caption | forward | picture
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
    # 2: police alerts: officers and the audit trail, subscriptions, broadcasts and their deliveries.
    """
    CREATE TABLE officers (
        user_id    INTEGER PRIMARY KEY,
        granted_by INTEGER NOT NULL,
        granted_at REAL NOT NULL
    );
    CREATE TABLE audit (
        id         INTEGER PRIMARY KEY,
        actor_id   INTEGER NOT NULL,
        action     TEXT NOT NULL,                   -- grant | revoke | submit | approve | reject | cancel | ...
        detail     TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE subscriptions (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        region  TEXT NOT NULL,                      -- a region id, or 'national'
        PRIMARY KEY (user_id, region)
    ) WITHOUT ROWID;
    CREATE INDEX subscriptions_region ON subscriptions(region);
    CREATE TABLE broadcasts (
        id           INTEGER PRIMARY KEY,
        author_id    INTEGER NOT NULL,
        text_kk      TEXT NOT NULL,
        text_ru      TEXT NOT NULL,
        regions      TEXT NOT NULL,                 -- 'national' or region ids, comma-separated
        scheme       TEXT,
        status       TEXT NOT NULL,                 -- pending | rejected | approved | sending | done | cancelled
        approver_id  INTEGER,
        reason       TEXT,
        paid         INTEGER NOT NULL DEFAULT 0,    -- allow_paid_broadcast (up to 1000 msg/s, costs Stars)
        progress_chat_id    INTEGER,
        progress_message_id INTEGER,
        created_at   REAL NOT NULL,
        decided_at   REAL,
        started_at   REAL,
        finished_at  REAL
    );
    CREATE TABLE deliveries (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
        user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        language     TEXT NOT NULL CHECK (language IN ('kk', 'ru')),
        status       TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | blocked | not_found | failed
        attempts     INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        updated_at   REAL,
        PRIMARY KEY (broadcast_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_status ON deliveries(broadcast_id, status);
    """,
    # 3: the inbox: ids of updates already answered, kept until Telegram has them confirmed, so an
    # update answered just before a crash is not answered twice after the restart. Only the id
    # and the time: never the text.
    """
    CREATE TABLE handled_updates (
        update_id  INTEGER PRIMARY KEY,
        handled_at REAL NOT NULL
    );
    """,
    # 4: the conversation's memory, one row per user: what the bot last answered (the verdict's
    # scheme, risk, kind and channel) and what the person last meant (the intent), so that a
    # follow-up ("and if he calls again?") is answered in its context. Ids and enums only, never
    # the user's words; read only while `updated_at` is recent; deleted with the user (/forget).
    """
    CREATE TABLE conversations (
        user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        scheme     TEXT,                           -- the last verdict's scheme id; NULL: not fraud or none
        risk       TEXT,                           -- high | medium | low | none; NULL: no verdict yet
        kind       TEXT,                           -- scam | benign | fraud_warning | unsure
        channel    TEXT,                           -- call | sms | messenger | ... when the verdict names one
        intent     TEXT NOT NULL,                  -- message | story | paid | question | followup | greeting | other
        paid       TEXT,                           -- money | code | app | card, after a paid turn
        verdict_at REAL,
        updated_at REAL NOT NULL
    );
    """,
    # 5: what a check's detail buttons ("what to do", "where to report", "why I think so") need
    # besides the scheme and the red-flag ids already kept: the channel the message came by, a
    # close second scheme and why the verdict was hedged. Ids only, never the user's words.
    """
    ALTER TABLE checks ADD COLUMN channel TEXT;      -- call | sms_link | messenger | marketplace | social
    ALTER TABLE checks ADD COLUMN alternative TEXT;  -- a second, nearly as likely scheme id
    ALTER TABLE checks ADD COLUMN why TEXT NOT NULL DEFAULT '';  -- hedge reasons, comma-separated
    """,
    # 6: reports and reviews of identifiers (issue 14). A report is one user saying "this number,
    # card, IBAN, site or account is the fraudster's": the identifier in its normal form
    # (bot/classifier/identifiers.py), never the text it came in. One row per user per identifier,
    # so one user counts once. `reporter_age` is how long the reporter's account had existed when
    # they reported (seconds): a batch of fresh accounts cannot pass the threshold (see
    # bot/storage/reports.py). /forget anonymises a user's reports (user_id and region NULL): the
    # identifier's count stays, nothing about the person does. An officer's review (confirmed or
    # cleared) is one row per identifier; a trigger writes every decision to the audit trail.
    """
    CREATE TABLE reports (
        kind         TEXT NOT NULL,                -- phone | card | iban | domain | telegram | instagram
        value        TEXT NOT NULL,                -- normal form: E.164, card digits, IBAN, registrable domain, name
        user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL after the reporter's /forget
        region       TEXT,                         -- the reporter's region when they reported; NULL after /forget
        reporter_age REAL NOT NULL,                -- seconds the reporter's account had existed at the report
        created_at   REAL NOT NULL
    );
    CREATE UNIQUE INDEX reports_one_per_user ON reports(kind, value, user_id);
    CREATE INDEX reports_identifier ON reports(kind, value, created_at, reporter_age);
    CREATE TABLE identifier_reviews (
        kind       TEXT NOT NULL,
        value      TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('confirmed', 'cleared')),
        officer_id INTEGER NOT NULL,
        decided_at REAL NOT NULL,
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID;
    -- Every decision is audited by the schema itself, in the statement that makes it.
    CREATE TRIGGER identifier_reviews_audit_insert AFTER INSERT ON identifier_reviews BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.officer_id, 'identifier_' || NEW.status, NEW.kind || ':' || NEW.value, NEW.decided_at);
    END;
    CREATE TRIGGER identifier_reviews_audit_update AFTER UPDATE ON identifier_reviews BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.officer_id, 'identifier_' || NEW.status, NEW.kind || ':' || NEW.value, NEW.decided_at);
    END;
    """,
)
