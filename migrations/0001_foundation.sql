-- Gatehouse foundation schema.
-- Every tenant-owned table carries org_id, and its primary and foreign keys lead
-- with it, so that the schema can be distributed by organisation without redesign.

CREATE TYPE principal_kind AS ENUM ('human', 'ai_agent', 'bot', 'integration');
CREATE TYPE principal_status AS ENUM ('active', 'suspended', 'offboarded');
CREATE TYPE employment_type AS ENUM ('employee', 'contractor', 'client_user');
CREATE TYPE risk_level AS ENUM ('low', 'medium', 'high', 'critical');
CREATE TYPE request_status AS ENUM ('pending', 'approved', 'denied', 'cancelled', 'expired');

CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(trim(name)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    org_id      uuid NOT NULL REFERENCES organisations (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(trim(name)) > 0),
    region      text NOT NULL CHECK (length(trim(region)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE applications (
    org_id            uuid NOT NULL REFERENCES organisations (id),
    id                uuid NOT NULL,
    name              text NOT NULL CHECK (length(trim(name)) > 0),
    description       text NOT NULL DEFAULT '',
    is_console        boolean NOT NULL DEFAULT false,
    max_grant_days    integer CHECK (max_grant_days > 0),
    allow_no_end      boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);
-- One console application per organisation: Gatehouse governs itself.
CREATE UNIQUE INDEX applications_one_console ON applications (org_id) WHERE is_console;

CREATE TABLE permissions (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    application_id  uuid NOT NULL,
    resource        text NOT NULL CHECK (resource ~ '^[a-z][a-z0-9_]*$'),
    action          text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*$'),
    risk            risk_level NOT NULL DEFAULT 'low',
    high_impact     boolean NOT NULL DEFAULT false,
    description     text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, application_id, resource, action),
    FOREIGN KEY (org_id, application_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);

CREATE TABLE roles (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    application_id  uuid NOT NULL,
    name            text NOT NULL CHECK (length(trim(name)) > 0),
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, application_id, name),
    FOREIGN KEY (org_id, application_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);

CREATE TABLE role_permissions (
    org_id         uuid NOT NULL,
    role_id        uuid NOT NULL,
    permission_id  uuid NOT NULL,
    PRIMARY KEY (org_id, role_id, permission_id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, permission_id) REFERENCES permissions (org_id, id) ON DELETE CASCADE
);
CREATE INDEX role_permissions_by_permission ON role_permissions (org_id, permission_id);

CREATE TABLE permission_sets (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    application_id  uuid NOT NULL,
    name            text NOT NULL CHECK (length(trim(name)) > 0),
    description     text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, application_id, name),
    FOREIGN KEY (org_id, application_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);

CREATE TABLE permission_set_permissions (
    org_id             uuid NOT NULL,
    permission_set_id  uuid NOT NULL,
    permission_id      uuid NOT NULL,
    PRIMARY KEY (org_id, permission_set_id, permission_id),
    FOREIGN KEY (org_id, permission_set_id) REFERENCES permission_sets (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, permission_id) REFERENCES permissions (org_id, id) ON DELETE CASCADE
);

CREATE TABLE principals (
    org_id            uuid NOT NULL REFERENCES organisations (id),
    id                uuid NOT NULL,
    kind              principal_kind NOT NULL,
    display_name      text NOT NULL CHECK (length(trim(display_name)) > 0),
    email             text CHECK (email = lower(email) AND position('@' in email) > 1),
    external_id       text,
    status            principal_status NOT NULL DEFAULT 'active',
    employment_type   employment_type,
    job_title         text NOT NULL DEFAULT '',
    manager_id        uuid,
    owner_id          uuid,
    end_date          date,
    last_activity_at  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, email),
    UNIQUE (org_id, external_id),
    FOREIGN KEY (org_id, manager_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, owner_id) REFERENCES principals (org_id, id),
    -- Every non-human identity answers to a human owner; people carry an employment type.
    CHECK ((kind = 'human') = (owner_id IS NULL)),
    CHECK ((kind = 'human') = (employment_type IS NOT NULL)),
    CHECK (email IS NOT NULL OR external_id IS NOT NULL)
);
CREATE INDEX principals_by_manager ON principals (org_id, manager_id);
CREATE INDEX principals_by_owner ON principals (org_id, owner_id);

-- Which client accounts a principal currently serves (the basis for client-bleed checks).
CREATE TABLE principal_accounts (
    org_id        uuid NOT NULL,
    principal_id  uuid NOT NULL,
    account_id    uuid NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, principal_id, account_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id) ON DELETE CASCADE
);

CREATE TABLE access_requests (
    org_id             uuid NOT NULL,
    id                 uuid NOT NULL,
    requester_id       uuid NOT NULL,
    principal_id       uuid NOT NULL,
    role_id            uuid,
    permission_set_id  uuid,
    account_id         uuid,
    justification      text NOT NULL,
    valid_until        timestamptz,
    status             request_status NOT NULL DEFAULT 'pending',
    created_at         timestamptz NOT NULL DEFAULT now(),
    decided_at         timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, requester_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id),
    FOREIGN KEY (org_id, permission_set_id) REFERENCES permission_sets (org_id, id),
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id),
    CHECK ((role_id IS NULL) <> (permission_set_id IS NULL))
);

-- A grant: principal x (role | permission set) x account scope x validity window.
-- A NULL account_id scopes the grant to every account of the organisation.
CREATE TABLE grants (
    org_id             uuid NOT NULL,
    id                 uuid NOT NULL,
    principal_id       uuid NOT NULL,
    role_id            uuid,
    permission_set_id  uuid,
    account_id         uuid,
    valid_from         timestamptz NOT NULL DEFAULT now(),
    valid_until        timestamptz,
    conditions         jsonb NOT NULL DEFAULT '{}'::jsonb,
    granted_by         uuid,
    reason             text NOT NULL CHECK (length(trim(reason)) > 0),
    source_request_id  uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    revoked_at         timestamptz,
    revoked_by         uuid,
    revoke_reason      text,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id),
    FOREIGN KEY (org_id, permission_set_id) REFERENCES permission_sets (org_id, id),
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id),
    FOREIGN KEY (org_id, granted_by) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, revoked_by) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, source_request_id) REFERENCES access_requests (org_id, id),
    CHECK ((role_id IS NULL) <> (permission_set_id IS NULL)),
    CHECK (valid_until IS NULL OR valid_until > valid_from),
    CHECK (jsonb_typeof(conditions) = 'object'),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX grants_by_principal ON grants (org_id, principal_id);
CREATE INDEX grants_by_role ON grants (org_id, role_id) WHERE role_id IS NOT NULL;
CREATE INDEX grants_by_permission_set ON grants (org_id, permission_set_id) WHERE permission_set_id IS NOT NULL;

-- Sign-in credentials of the people who use the console. The email is the sign-in
-- name and identifies the organisation, so it is unique across organisations.
CREATE TABLE console_credentials (
    org_id               uuid NOT NULL,
    principal_id         uuid NOT NULL,
    email                text NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash        text NOT NULL,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at      timestamptz,
    PRIMARY KEY (org_id, principal_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);

-- Failed sign-in attempts, keyed by the normalised email typed in, whether or not an
-- account exists for it, so that throttling behaves the same for unknown emails.
CREATE TABLE sign_in_throttle (
    email_key        text PRIMARY KEY,
    failures         integer NOT NULL DEFAULT 0,
    last_failure_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz
);

-- Console sessions: the session store keeps the session data; this table links each
-- live session to its principal so that sign-out and offboarding can end them all.
CREATE TABLE console_sessions (
    org_id        uuid NOT NULL,
    session_id    text NOT NULL,
    principal_id  uuid NOT NULL,
    signed_in_at  timestamptz NOT NULL DEFAULT now(),
    source_ip     inet,
    user_agent    text,
    ended_at      timestamptz,
    PRIMARY KEY (org_id, session_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);
CREATE INDEX console_sessions_by_principal ON console_sessions (org_id, principal_id) WHERE ended_at IS NULL;

CREATE TABLE audit_events (
    org_id              uuid NOT NULL REFERENCES organisations (id),
    id                  bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at         timestamptz NOT NULL DEFAULT now(),
    actor_principal_id  uuid,
    actor_label         text NOT NULL,
    action              text NOT NULL,
    target_type         text NOT NULL,
    target_id           text,
    target_label        text NOT NULL DEFAULT '',
    before              jsonb,
    after               jsonb,
    reason              text,
    source_ip           inet,
    user_agent          text,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_newest ON audit_events (org_id, occurred_at DESC, id DESC);
CREATE INDEX audit_events_by_actor ON audit_events (org_id, actor_principal_id, occurred_at DESC);
CREATE INDEX audit_events_by_action ON audit_events (org_id, action, occurred_at DESC);

-- The audit trail is append-only: the database itself refuses to change or remove it.
CREATE FUNCTION audit_events_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();
