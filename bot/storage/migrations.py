"""Schema versions. Each migration runs once, in order, inside a transaction; the version
reached is kept in SQLite's `user_version`. Never edit a released migration: add one."""

from __future__ import annotations

# Migration 7's trigger on a label, once for a first label (INSERT) and once for a changed one
# (UPDATE): SQLite has no trigger on both events, and one text keeps the two from drifting.
_LABEL_TRIGGER = """\
    CREATE TRIGGER reviewed_examples_label_{event} AFTER {EVENT} ON reviewed_examples BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.officer_id, 'label', NEW.label || ':' || substr(NEW.text_hash, 1, 12), NEW.decided_at);
        DELETE FROM review_items WHERE check_id IN (SELECT id FROM checks WHERE text_hash = NEW.text_hash);
        INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at)
        SELECT c.user_id, c.text_hash, max(c.created_at), NEW.label, NEW.decided_at,
               max(NEW.decided_at, coalesce(u.noticed_at + 86400, 0))
        FROM checks AS c JOIN users AS u ON u.id = c.user_id
        WHERE c.text_hash = NEW.text_hash AND u.blocked_at IS NULL GROUP BY c.user_id
        ON CONFLICT (user_id, text_hash) DO UPDATE SET label = excluded.label, asked_at = excluded.asked_at,
            created_at = excluded.created_at, due_at = excluded.due_at, sent_at = NULL
        WHERE notices.label != excluded.label;
    END;
"""

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
    # 7: the officers' review queue, their labels of texts, and the notices telling users (issue 14).
    # A queue item is a text to label (one of the checks holding it: one item per text, whoever
    # asked) or an identifier past the crowd's threshold. A label is kept per text (its hash) as a
    # reviewed example: redacted, linked to nobody, the knowledge base grows by it. A notice tells
    # each user who checked a labelled text, one a day (`notices.due_at`, `users.noticed_at`).
    # Every officer decision (a label, a skip) is written to the audit trail by a trigger, in the
    # statement that makes it, as migration 6 does: no transaction has to span an await on the
    # shared connection, and neither the decision nor its audit row can be kept without the other.
    # The label's trigger also empties the queue of that text and creates its notices, so a label
    # is one statement: whatever fails, nothing half-done stays.
    """
    ALTER TABLE users ADD COLUMN noticed_at REAL;   -- the last notice sent: at most one a day
    -- Every check of one text: who asked (the askers, the notices) without scanning the checks.
    CREATE INDEX checks_text_hash ON checks(text_hash, user_id, created_at);
    CREATE TABLE review_items (                     -- the officers' queue
        id         INTEGER PRIMARY KEY,
        check_id   INTEGER UNIQUE REFERENCES checks(id) ON DELETE CASCADE,  -- a text item, or NULL
        kind       TEXT,                            -- an identifier item: its kind and normal value, or NULL
        value      TEXT,
        reason     TEXT NOT NULL CHECK (reason IN ('disputed', 'low_confidence', 'reported')),
        created_at REAL NOT NULL,
        skipped_at REAL,                            -- an officer skipped it: it goes to the back
        skipped_by INTEGER,                         -- who skipped it (the audit trigger's actor)
        CHECK ((check_id IS NULL) != (kind IS NULL)),
        CHECK ((kind IS NULL) = (value IS NULL)),
        CHECK ((kind IS NULL) = (reason != 'reported')),
        UNIQUE (kind, value)
    );
    -- The queue's order (bot/storage/reviews.py, next_item): not skipped first, then by reason, then oldest.
    CREATE INDEX review_items_queue ON review_items(
        skipped_at, (CASE reason WHEN 'disputed' THEN 0 WHEN 'reported' THEN 1 ELSE 2 END), created_at);
    CREATE TRIGGER review_items_audit_skip AFTER UPDATE OF skipped_at ON review_items
    WHEN NEW.skipped_at IS NOT NULL AND NEW.skipped_by IS NOT NULL BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.skipped_by, 'review_skip',
                coalesce(NEW.kind || ':' || NEW.value,
                         'text:' || substr((SELECT text_hash FROM checks WHERE id = NEW.check_id), 1, 12)),
                NEW.skipped_at);
    END;
    -- An identifier reviewed by any path (the queue or not) leaves the queue in the same statement.
    CREATE TRIGGER identifier_reviews_dequeue_insert AFTER INSERT ON identifier_reviews BEGIN
        DELETE FROM review_items WHERE kind = NEW.kind AND value = NEW.value;
    END;
    CREATE TRIGGER identifier_reviews_dequeue_update AFTER UPDATE ON identifier_reviews BEGIN
        DELETE FROM review_items WHERE kind = NEW.kind AND value = NEW.value;
    END;
    CREATE TABLE reviewed_examples (                -- officers' labels of texts: the examples the knowledge base grows by
        text_hash     TEXT PRIMARY KEY,             -- checks.text_hash (sha256 of the redacted text)
        text_redacted TEXT NOT NULL,
        label         TEXT NOT NULL CHECK (label != ''),  -- a scheme id | not_fraud | fraud_warning
        language      TEXT NOT NULL,
        officer_id    INTEGER NOT NULL,
        decided_at    REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE notices (                          -- "your message of 12 November was reviewed", pending or sent
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        text_hash  TEXT NOT NULL,
        asked_at   REAL NOT NULL,                   -- when the user checked the text (their latest check of it)
        label      TEXT NOT NULL,
        created_at REAL NOT NULL,
        due_at     REAL NOT NULL,                   -- when it may be sent: at once, or a day after the user's last notice
        sent_at    REAL,                            -- NULL: pending
        PRIMARY KEY (user_id, text_hash)
    ) WITHOUT ROWID;
    -- What the notice sender polls every few seconds: the pending notices already due, oldest
    -- first, read off the index up to the batch's size however many wait for their day.
    CREATE INDEX notices_due ON notices(due_at, created_at) WHERE sent_at IS NULL;
    -- A notice sent starts the user's day: their other pending notices wait until it is over.
    CREATE TRIGGER notices_sent AFTER UPDATE OF sent_at ON notices WHEN NEW.sent_at IS NOT NULL BEGIN
        UPDATE users SET noticed_at = max(coalesce(noticed_at, 0), NEW.sent_at) WHERE id = NEW.user_id;
        UPDATE notices SET due_at = max(due_at, NEW.sent_at + 86400) WHERE user_id = NEW.user_id AND sent_at IS NULL;
    END;
    -- A user who blocked the bot (a 403 to a broadcast or a notice) is told nothing: their pending
    -- notices go, and a label while they block it creates none for them.
    CREATE TRIGGER users_blocked_drop_notices AFTER UPDATE OF blocked_at ON users
    WHEN NEW.blocked_at IS NOT NULL BEGIN
        DELETE FROM notices WHERE user_id = NEW.id AND sent_at IS NULL;
    END;
    -- A label (first or changed): audited, the text leaves the queue, and every user who checked
    -- it gets a pending notice (again, when the label changed since the one they were told).
"""
    + _LABEL_TRIGGER.format(event="insert", EVENT="INSERT")
    + _LABEL_TRIGGER.format(event="update", EVENT="UPDATE")
    + "    ",
    # 8: several bot processes (replicas) send one broadcast together and any of them may edit
    # the approving officer's one progress message: progress_at is when one last did, and an
    # engine edits only if its conditional UPDATE moved it (bot/alerts/progress.py), so the
    # message is edited once per interval, not once per replica.
    """
    ALTER TABLE broadcasts ADD COLUMN progress_at REAL;
    """,
    # 9: the police's view (issue 16): waves of new fraud found within minutes, the officers' web
    # dashboard and its numbers. A check keeps the asker's region at the time (users.region) and
    # whether the classifier found it unlike every known example (`novel`): the wave detector
    # reads the last day's risky or novel checks off `checks_recent_candidates`. The overview's
    # numbers are `check_counts`, kept by a trigger in the statement that stores a check, so a
    # page over a million checks sums a few thousand counts instead of scanning the checks. Each
    # check is counted once along each dimension the overview shows (scheme, region, risk,
    # language), with whether it was risky: a day is some ninety rows however many checks it
    # has, where one row per combination of the four would be thousands (a month of them took
    # SQLite 100 ms to sum). The day is Kazakhstan's (UTC+5) by plain arithmetic (a trigger
    # cannot call a Python function; times are positive, so the cast is the floor). The counts
    # are anonymous: /forget deletes a person's checks, not the counts, which hold nothing about
    # anyone. A wave's `first_check` (its earliest check when found) is unique: two replicas
    # finding one wave at once store it once.
    """
    ALTER TABLE checks ADD COLUMN region TEXT;                    -- the asker's region when they checked; NULL unknown
    ALTER TABLE checks ADD COLUMN novel INTEGER NOT NULL DEFAULT 0;  -- 1: verdict.why had 'unlike_known_examples'
    CREATE INDEX checks_recent_candidates ON checks(created_at) WHERE risk IN ('high', 'medium') OR novel = 1;
    CREATE TABLE check_counts (                   -- checks per Kazakhstan day, counted along one dimension at a time
        day       INTEGER NOT NULL,                -- floor((created_at + 18000) / 86400), as kz_day()
        dimension TEXT NOT NULL,                   -- scheme | region | risk | language
        value     TEXT NOT NULL,                   -- the check's scheme, region, risk or language; '' none, unknown
        risky     INTEGER NOT NULL,                -- 1: the check's risk was high or medium
        n         INTEGER NOT NULL,
        PRIMARY KEY (day, dimension, value, risky)
    ) WITHOUT ROWID;
    CREATE TRIGGER checks_count AFTER INSERT ON checks BEGIN
        INSERT INTO check_counts (day, dimension, value, risky, n) VALUES
            (CAST((NEW.created_at + 18000) / 86400 AS INTEGER), 'scheme', coalesce(NEW.scheme, ''),
             NEW.risk IN ('high', 'medium'), 1),
            (CAST((NEW.created_at + 18000) / 86400 AS INTEGER), 'region', coalesce(NEW.region, ''),
             NEW.risk IN ('high', 'medium'), 1),
            (CAST((NEW.created_at + 18000) / 86400 AS INTEGER), 'risk', NEW.risk, NEW.risk IN ('high', 'medium'), 1),
            (CAST((NEW.created_at + 18000) / 86400 AS INTEGER), 'language', NEW.language,
             NEW.risk IN ('high', 'medium'), 1)
        ON CONFLICT (day, dimension, value, risky) DO UPDATE SET n = check_counts.n + 1;
    END;
    INSERT INTO check_counts (day, dimension, value, risky, n)
    SELECT day, dimension, value, risky, count(*) FROM (
        SELECT CAST((created_at + 18000) / 86400 AS INTEGER) AS day, risk IN ('high', 'medium') AS risky, d.dimension,
               CASE d.dimension WHEN 'scheme' THEN coalesce(scheme, '') WHEN 'region' THEN coalesce(region, '')
                                WHEN 'risk' THEN risk ELSE language END AS value
        FROM checks CROSS JOIN (SELECT 'scheme' AS dimension UNION ALL SELECT 'region' UNION ALL SELECT 'risk'
                                UNION ALL SELECT 'language') AS d
    ) AS counted GROUP BY day, dimension, value, risky;
    CREATE TABLE waves (                           -- a new fraud pattern many people asked about at once
        id             INTEGER PRIMARY KEY,
        first_check    INTEGER NOT NULL UNIQUE,    -- its earliest check's id when found (no reference: it may go)
        representative TEXT NOT NULL,              -- a member's redacted text
        scheme         TEXT,                       -- the nearest known scheme; NULL if none
        users          INTEGER NOT NULL,           -- distinct users in the window
        checks         INTEGER NOT NULL,
        regions        TEXT NOT NULL,              -- region ids, comma-separated, most frequent first; '' none known
        languages      TEXT NOT NULL,              -- 'kk', 'ru', 'kk,ru', ...
        first_seen     REAL NOT NULL,
        last_seen      REAL NOT NULL,
        per_hour       REAL NOT NULL,              -- growth: distinct users in the last hour
        status         TEXT NOT NULL DEFAULT 'open',  -- open | drafted | dismissed | closed (quiet for a day)
        detected_at    REAL NOT NULL,              -- when it reached the threshold of users
        reported_at    REAL,                       -- when officers were told (claimed once across replicas)
        broadcast_id   INTEGER,                    -- the alert draft made from it
        updated_at     REAL NOT NULL
    );
    CREATE INDEX waves_open ON waves(status, last_seen);
    CREATE TABLE wave_members (                    -- which checks a wave holds: /forget takes a person's out
        wave_id  INTEGER NOT NULL REFERENCES waves(id) ON DELETE CASCADE,
        check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        PRIMARY KEY (wave_id, check_id)
    ) WITHOUT ROWID;
    CREATE INDEX wave_members_check ON wave_members(check_id);
    CREATE TABLE wave_watchers (                   -- officers who asked to be told of waves (the role is checked when telling)
        user_id INTEGER PRIMARY KEY,
        since   REAL NOT NULL
    );
    CREATE TABLE panel_links (                     -- one-time sign-in links of the dashboard: a nonce is used once
        nonce   TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL,
        used_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX panel_links_used ON panel_links(used_at);
    CREATE TABLE panel_sessions (                  -- signed-in officers; the cookie's id is never stored, its hash is
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL,
        role       TEXT NOT NULL,                  -- officer | superadmin: the role the link was bound to
        csrf       TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX panel_sessions_user ON panel_sessions(user_id);
    """,
    # 10: the alert relay's journal (bot/alerts/relay.py): one row per delivery it forwarded to Telegram
    """
    CREATE TABLE send_journal (                    -- written by the relay before and after each forward
        key         TEXT PRIMARY KEY,              -- the sender's Idempotency-Key: '<broadcast id>:<user id>'
        chat_id     INTEGER NOT NULL,              -- whom it was for: /forget deletes their rows
        state       TEXT NOT NULL,                 -- started | delivered | refused | unknown
        status      INTEGER,                       -- Telegram's HTTP status; NULL before the answer or without one
        answer      TEXT,                          -- delivered: the message's id, date and chat, replayed to a repeat
        started_at  REAL NOT NULL,
        answered_at REAL
    ) WITHOUT ROWID;
    CREATE INDEX send_journal_started ON send_journal(started_at);
    CREATE INDEX send_journal_chat ON send_journal(chat_id);
    """,
)

# The same schema for PostgreSQL (DATABASE_URL=postgresql://…), one script per SQLite version
# above, with the SAME version numbers: a database at version N on either engine has the same
# tables, columns, indexes, constraints and triggers (tests/storage/test_migrations_postgres.py
# compares them). Kept in the `schema_version` table (PostgresDatabase). The differences are the
# dialect's only: Telegram ids and row ids are BIGINT (a chat id needs 64 bits), REAL is
# DOUBLE PRECISION, a row id SQLite would number itself is an identity column, there is no
# WITHOUT ROWID, and each SQLite trigger is a plpgsql function doing exactly what its body does
# (SQLite's two-argument max() is greatest()). Booleans stay INTEGER 0/1 and times float
# seconds, as on SQLite, so the repositories' SQL and values are the same on both engines.
# Unreleased on PostgreSQL until this ships; from then on, the same rule: never edit, add one.
MIGRATIONS_POSTGRES: tuple[str, ...] = (
    # 1: users, checks and feedback; kz_day(), which SQLite gets as a registered function.
    """
    -- Kazakhstan's day number of a time (UTC+5, one zone): whole days since 1970-01-01 there.
    CREATE FUNCTION kz_day(ts double precision) RETURNS bigint
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT floor((ts + 18000) / 86400)::bigint $$;
    CREATE TABLE users (
        id           BIGINT PRIMARY KEY,           -- Telegram user id (private chat id)
        language     TEXT CHECK (language IN ('kk', 'ru')),
        region       TEXT,
        subscribed   INTEGER NOT NULL DEFAULT 0,
        blocked_at   DOUBLE PRECISION,             -- the user blocked the bot (403)
        created_at   DOUBLE PRECISION NOT NULL,
        seen_at      DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE checks (
        id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        source        TEXT NOT NULL,                -- text | caption | forward | picture
        text_redacted TEXT NOT NULL,
        text_hash     TEXT NOT NULL,                -- of the redacted text: repeats of one scam wave
        risk          TEXT NOT NULL,
        scheme        TEXT,
        scam_probability DOUBLE PRECISION NOT NULL,
        flags         TEXT NOT NULL,                -- red-flag ids, comma-separated (never the quotes)
        language      TEXT NOT NULL,
        backend       TEXT NOT NULL,
        created_at    DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX checks_user ON checks(user_id);
    CREATE INDEX checks_day_scheme ON checks(created_at, scheme);
    CREATE TABLE feedback (
        check_id   BIGINT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,                   -- paid | report | not_scam | is_scam
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (check_id, kind)
    );
    CREATE INDEX users_region ON users(region) WHERE subscribed = 1;
    """,
    # 2: police alerts: officers and the audit trail, subscriptions, broadcasts and their deliveries.
    """
    CREATE TABLE officers (
        user_id    BIGINT PRIMARY KEY,
        granted_by BIGINT NOT NULL,
        granted_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE audit (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        actor_id   BIGINT NOT NULL,
        action     TEXT NOT NULL,                   -- grant | revoke | submit | approve | reject | cancel | ...
        detail     TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE subscriptions (
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        region  TEXT NOT NULL,                      -- a region id, or 'national'
        PRIMARY KEY (user_id, region)
    );
    CREATE INDEX subscriptions_region ON subscriptions(region);
    CREATE TABLE broadcasts (
        id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        author_id    BIGINT NOT NULL,
        text_kk      TEXT NOT NULL,
        text_ru      TEXT NOT NULL,
        regions      TEXT NOT NULL,                 -- 'national' or region ids, comma-separated
        scheme       TEXT,
        status       TEXT NOT NULL,                 -- pending | rejected | approved | sending | done | cancelled
        approver_id  BIGINT,
        reason       TEXT,
        paid         INTEGER NOT NULL DEFAULT 0,    -- allow_paid_broadcast (up to 1000 msg/s, costs Stars)
        progress_chat_id    BIGINT,
        progress_message_id BIGINT,
        created_at   DOUBLE PRECISION NOT NULL,
        decided_at   DOUBLE PRECISION,
        started_at   DOUBLE PRECISION,
        finished_at  DOUBLE PRECISION
    );
    CREATE TABLE deliveries (
        broadcast_id BIGINT NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
        user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        language     TEXT NOT NULL CHECK (language IN ('kk', 'ru')),
        status       TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | blocked | not_found | failed
        attempts     INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        updated_at   DOUBLE PRECISION,
        PRIMARY KEY (broadcast_id, user_id)
    );
    CREATE INDEX deliveries_status ON deliveries(broadcast_id, status);
    """,
    # 3: the inbox: ids of updates already answered (never the text).
    """
    CREATE TABLE handled_updates (
        update_id  BIGINT PRIMARY KEY,
        handled_at DOUBLE PRECISION NOT NULL
    );
    """,
    # 4: the conversation's memory, one row per user (ids and enums only, never the user's words).
    """
    CREATE TABLE conversations (
        user_id    BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        scheme     TEXT,
        risk       TEXT,
        kind       TEXT,
        channel    TEXT,
        intent     TEXT NOT NULL,
        paid       TEXT,
        verdict_at DOUBLE PRECISION,
        updated_at DOUBLE PRECISION NOT NULL
    );
    """,
    # 5: what a check's detail buttons need: channel, alternative, why.
    """
    ALTER TABLE checks ADD COLUMN channel TEXT;
    ALTER TABLE checks ADD COLUMN alternative TEXT;
    ALTER TABLE checks ADD COLUMN why TEXT NOT NULL DEFAULT '';
    """,
    # 6: reports and reviews of identifiers (issue 14); every review decision audited by a trigger.
    """
    CREATE TABLE reports (
        kind         TEXT NOT NULL,
        value        TEXT NOT NULL,
        user_id      BIGINT REFERENCES users(id) ON DELETE SET NULL,  -- NULL after the reporter's /forget
        region       TEXT,
        reporter_age DOUBLE PRECISION NOT NULL,
        created_at   DOUBLE PRECISION NOT NULL
    );
    CREATE UNIQUE INDEX reports_one_per_user ON reports(kind, value, user_id);
    CREATE INDEX reports_identifier ON reports(kind, value, created_at, reporter_age);
    CREATE TABLE identifier_reviews (
        kind       TEXT NOT NULL,
        value      TEXT NOT NULL,
        status     TEXT NOT NULL CHECK (status IN ('confirmed', 'cleared')),
        officer_id BIGINT NOT NULL,
        decided_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (kind, value)
    );
    -- SQLite's identifier_reviews_audit_insert and _update: one function, a trigger per event.
    CREATE FUNCTION identifier_reviews_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.officer_id, 'identifier_' || NEW.status, NEW.kind || ':' || NEW.value, NEW.decided_at);
        RETURN NULL;
    END $$;
    CREATE TRIGGER identifier_reviews_audit_insert AFTER INSERT ON identifier_reviews
        FOR EACH ROW EXECUTE FUNCTION identifier_reviews_audit();
    CREATE TRIGGER identifier_reviews_audit_update AFTER UPDATE ON identifier_reviews
        FOR EACH ROW EXECUTE FUNCTION identifier_reviews_audit();
    """,
    # 7: the officers' review queue, their labels of texts, and the notices telling users (issue 14).
    """
    ALTER TABLE users ADD COLUMN noticed_at DOUBLE PRECISION;   -- the last notice sent: at most one a day
    CREATE INDEX checks_text_hash ON checks(text_hash, user_id, created_at);
    CREATE TABLE review_items (
        id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        check_id   BIGINT UNIQUE REFERENCES checks(id) ON DELETE CASCADE,  -- a text item, or NULL
        kind       TEXT,                            -- an identifier item: its kind and normal value, or NULL
        value      TEXT,
        reason     TEXT NOT NULL CHECK (reason IN ('disputed', 'low_confidence', 'reported')),
        created_at DOUBLE PRECISION NOT NULL,
        skipped_at DOUBLE PRECISION,
        skipped_by BIGINT,
        CHECK ((check_id IS NULL) != (kind IS NULL)),
        CHECK ((kind IS NULL) = (value IS NULL)),
        CHECK ((kind IS NULL) = (reason != 'reported')),
        UNIQUE (kind, value)
    );
    -- NULLS FIRST: SQLite's order of NULLs, which the queue's ORDER BY spells out (bot/storage/reviews.py);
    -- PostgreSQL puts NULLs last by default and would sort the whole queue instead of reading this index.
    CREATE INDEX review_items_queue ON review_items(
        skipped_at NULLS FIRST, (CASE reason WHEN 'disputed' THEN 0 WHEN 'reported' THEN 1 ELSE 2 END), created_at);
    CREATE FUNCTION review_items_audit_skip() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.skipped_by, 'review_skip',
                coalesce(NEW.kind || ':' || NEW.value,
                         'text:' || substr((SELECT text_hash FROM checks WHERE id = NEW.check_id), 1, 12)),
                NEW.skipped_at);
        RETURN NULL;
    END $$;
    CREATE TRIGGER review_items_audit_skip AFTER UPDATE OF skipped_at ON review_items
        FOR EACH ROW WHEN (NEW.skipped_at IS NOT NULL AND NEW.skipped_by IS NOT NULL)
        EXECUTE FUNCTION review_items_audit_skip();
    -- An identifier reviewed by any path (the queue or not) leaves the queue in the same statement.
    CREATE FUNCTION identifier_reviews_dequeue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM review_items WHERE kind = NEW.kind AND value = NEW.value;
        RETURN NULL;
    END $$;
    CREATE TRIGGER identifier_reviews_dequeue_insert AFTER INSERT ON identifier_reviews
        FOR EACH ROW EXECUTE FUNCTION identifier_reviews_dequeue();
    CREATE TRIGGER identifier_reviews_dequeue_update AFTER UPDATE ON identifier_reviews
        FOR EACH ROW EXECUTE FUNCTION identifier_reviews_dequeue();
    CREATE TABLE reviewed_examples (
        text_hash     TEXT PRIMARY KEY,
        text_redacted TEXT NOT NULL,
        label         TEXT NOT NULL CHECK (label != ''),
        language      TEXT NOT NULL,
        officer_id    BIGINT NOT NULL,
        decided_at    DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE notices (
        user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        text_hash  TEXT NOT NULL,
        asked_at   DOUBLE PRECISION NOT NULL,
        label      TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        due_at     DOUBLE PRECISION NOT NULL,
        sent_at    DOUBLE PRECISION,
        PRIMARY KEY (user_id, text_hash)
    );
    CREATE INDEX notices_due ON notices(due_at, created_at) WHERE sent_at IS NULL;
    -- A notice sent starts the user's day: their other pending notices wait until it is over.
    CREATE FUNCTION notices_sent() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE users SET noticed_at = greatest(coalesce(noticed_at, 0), NEW.sent_at) WHERE id = NEW.user_id;
        UPDATE notices SET due_at = greatest(due_at, NEW.sent_at + 86400)
        WHERE user_id = NEW.user_id AND sent_at IS NULL;
        RETURN NULL;
    END $$;
    CREATE TRIGGER notices_sent AFTER UPDATE OF sent_at ON notices
        FOR EACH ROW WHEN (NEW.sent_at IS NOT NULL) EXECUTE FUNCTION notices_sent();
    -- A user who blocked the bot is told nothing: their pending notices go.
    CREATE FUNCTION users_blocked_drop_notices() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM notices WHERE user_id = NEW.id AND sent_at IS NULL;
        RETURN NULL;
    END $$;
    CREATE TRIGGER users_blocked_drop_notices AFTER UPDATE OF blocked_at ON users
        FOR EACH ROW WHEN (NEW.blocked_at IS NOT NULL) EXECUTE FUNCTION users_blocked_drop_notices();
    -- A label (first or changed): audited, the text leaves the queue, and every user who checked
    -- it gets a pending notice (again, when the label changed since the one they were told).
    CREATE FUNCTION reviewed_examples_label() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO audit (actor_id, action, detail, created_at)
        VALUES (NEW.officer_id, 'label', NEW.label || ':' || substr(NEW.text_hash, 1, 12), NEW.decided_at);
        DELETE FROM review_items WHERE check_id IN (SELECT id FROM checks WHERE text_hash = NEW.text_hash);
        INSERT INTO notices (user_id, text_hash, asked_at, label, created_at, due_at)
        SELECT c.user_id, c.text_hash, max(c.created_at), NEW.label, NEW.decided_at,
               greatest(NEW.decided_at, coalesce(u.noticed_at + 86400, 0))
        FROM checks AS c JOIN users AS u ON u.id = c.user_id
        WHERE c.text_hash = NEW.text_hash AND u.blocked_at IS NULL GROUP BY c.user_id, c.text_hash, u.noticed_at
        ON CONFLICT (user_id, text_hash) DO UPDATE SET label = excluded.label, asked_at = excluded.asked_at,
            created_at = excluded.created_at, due_at = excluded.due_at, sent_at = NULL
        WHERE notices.label != excluded.label;
        RETURN NULL;
    END $$;
    CREATE TRIGGER reviewed_examples_label_insert AFTER INSERT ON reviewed_examples
        FOR EACH ROW EXECUTE FUNCTION reviewed_examples_label();
    CREATE TRIGGER reviewed_examples_label_update AFTER UPDATE ON reviewed_examples
        FOR EACH ROW EXECUTE FUNCTION reviewed_examples_label();
    """,
    # 8: whose turn it is to edit a broadcast's progress message (see the SQLite script).
    """
    ALTER TABLE broadcasts ADD COLUMN progress_at DOUBLE PRECISION;
    """,
    # 9: the police's view: waves, the dashboard's counts, sign-in links and sessions (see the SQLite script).
    """
    ALTER TABLE checks ADD COLUMN region TEXT;
    ALTER TABLE checks ADD COLUMN novel INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX checks_recent_candidates ON checks(created_at) WHERE risk IN ('high', 'medium') OR novel = 1;
    CREATE TABLE check_counts (
        day       INTEGER NOT NULL,
        dimension TEXT NOT NULL,
        value     TEXT NOT NULL,
        risky     INTEGER NOT NULL,
        n         BIGINT NOT NULL,
        PRIMARY KEY (day, dimension, value, risky)
    );
    -- SQLite counts row by row; here once per statement, over the rows it inserted (a transition
    -- table): the same counts, and a bulk INSERT … SELECT (the dashboard's bench) adds each of its
    -- groups once instead of updating a few hot rows once per check.
    CREATE FUNCTION checks_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO check_counts (day, dimension, value, risky, n)
        SELECT floor((i.created_at + 18000) / 86400)::integer, d.dimension, d.value,
               CASE WHEN i.risk IN ('high', 'medium') THEN 1 ELSE 0 END, count(*)
        FROM inserted AS i CROSS JOIN LATERAL (VALUES ('scheme', coalesce(i.scheme, '')),
            ('region', coalesce(i.region, '')), ('risk', i.risk), ('language', i.language)) AS d(dimension, value)
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4  -- one order of row locks for every writer: two replicas never deadlock here
        ON CONFLICT (day, dimension, value, risky) DO UPDATE SET n = check_counts.n + excluded.n;
        RETURN NULL;
    END $$;
    CREATE TRIGGER checks_count AFTER INSERT ON checks REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION checks_count();
    INSERT INTO check_counts (day, dimension, value, risky, n)
    SELECT floor((c.created_at + 18000) / 86400)::integer, d.dimension, d.value,
           CASE WHEN c.risk IN ('high', 'medium') THEN 1 ELSE 0 END, count(*)
    FROM checks AS c CROSS JOIN LATERAL (VALUES ('scheme', coalesce(c.scheme, '')),
        ('region', coalesce(c.region, '')), ('risk', c.risk), ('language', c.language)) AS d(dimension, value)
    GROUP BY 1, 2, 3, 4;
    CREATE TABLE waves (
        id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        first_check    BIGINT NOT NULL UNIQUE,
        representative TEXT NOT NULL,
        scheme         TEXT,
        users          INTEGER NOT NULL,
        checks         INTEGER NOT NULL,
        regions        TEXT NOT NULL,
        languages      TEXT NOT NULL,
        first_seen     DOUBLE PRECISION NOT NULL,
        last_seen      DOUBLE PRECISION NOT NULL,
        per_hour       DOUBLE PRECISION NOT NULL,
        status         TEXT NOT NULL DEFAULT 'open',
        detected_at    DOUBLE PRECISION NOT NULL,
        reported_at    DOUBLE PRECISION,
        broadcast_id   BIGINT,
        updated_at     DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX waves_open ON waves(status, last_seen);
    CREATE TABLE wave_members (
        wave_id  BIGINT NOT NULL REFERENCES waves(id) ON DELETE CASCADE,
        check_id BIGINT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        PRIMARY KEY (wave_id, check_id)
    );
    CREATE INDEX wave_members_check ON wave_members(check_id);
    CREATE TABLE wave_watchers (
        user_id BIGINT PRIMARY KEY,
        since   DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE panel_links (
        nonce   TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL,
        used_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX panel_links_used ON panel_links(used_at);
    CREATE TABLE panel_sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    BIGINT NOT NULL,
        role       TEXT NOT NULL,
        csrf       TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX panel_sessions_user ON panel_sessions(user_id);
    """,
    # 10: the alert relay's journal (see the SQLite script).
    """
    CREATE TABLE send_journal (
        key         TEXT PRIMARY KEY,
        chat_id     BIGINT NOT NULL,
        state       TEXT NOT NULL,
        status      INTEGER,
        answer      TEXT,
        started_at  DOUBLE PRECISION NOT NULL,
        answered_at DOUBLE PRECISION
    );
    CREATE INDEX send_journal_started ON send_journal(started_at);
    CREATE INDEX send_journal_chat ON send_journal(chat_id);
    """,
)

assert len(MIGRATIONS_POSTGRES) == len(MIGRATIONS), "one PostgreSQL script per SQLite migration, same numbers"
