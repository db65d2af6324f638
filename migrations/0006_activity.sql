-- Activity from the governed systems: each application reports what its principals did
-- with an application token; Gatehouse keeps each event once (by the application's
-- event id), each principal's last activity and when each principal last used each
-- permission on each account.

-- A token is shown once and kept only as its SHA-256 (tokens are 256 random bits, so a
-- fast hash is enough); `hint` is its first characters, to tell tokens apart.
CREATE TABLE application_tokens (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    application_id  uuid NOT NULL,
    name            text NOT NULL CHECK (length(trim(name)) > 0),
    token_hash      bytea NOT NULL UNIQUE,
    hint            text NOT NULL,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    revoked_by      uuid,
    last_used_at    timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, application_id) REFERENCES applications (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, created_by) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, revoked_by) REFERENCES principals (org_id, id)
);

-- Principals, permissions and accounts are resolved in the statement that records the
-- events, so the event log carries no foreign keys of its own (ingestion speed).
CREATE TABLE activity_events (
    org_id          uuid NOT NULL,
    application_id  uuid NOT NULL,
    event_id        text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    principal_id    uuid NOT NULL,
    permission_id   uuid NOT NULL,
    account_id      uuid,
    occurred_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, application_id, event_id)
);

-- When each principal last used each permission, per account (no account: used
-- outside any account).
CREATE TABLE permission_usage (
    org_id         uuid NOT NULL,
    principal_id   uuid NOT NULL,
    permission_id  uuid NOT NULL,
    account_id     uuid,
    last_used_at   timestamptz NOT NULL,
    UNIQUE NULLS NOT DISTINCT (org_id, principal_id, permission_id, account_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, permission_id) REFERENCES permissions (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id)
);

-- Reported activity rewrites principals' last activity and permissions' last use all
-- the time: no index may hold either column, so that each rewrite stays on its page
-- (a HOT update) instead of adding an entry to every index of the table, and pages
-- keep room for it. The principals list sorts by last activity without an index.
DROP INDEX principals_by_last_activity;
ALTER TABLE principals SET (fillfactor = 70);
ALTER TABLE permission_usage SET (fillfactor = 70);
