-- Time-bound access, separation of duties and outbound webhooks.

-- Grants past valid_until stop counting at once; the scheduled job then marks them
-- expired (once, with an audit event) and announces those nearing their end.
ALTER TABLE grants
    ADD COLUMN expired_at          timestamptz,
    ADD COLUMN ending_notified_at  timestamptz;
CREATE INDEX grants_ending ON grants (valid_until)
    WHERE valid_until IS NOT NULL AND expired_at IS NULL AND revoked_at IS NULL;

-- A request's risk is that of the most sensitive permission it adds; the conflicts with
-- separation-of-duties rules and the permissions it adds are recorded when it is made;
-- a renewal names the grant it renews. A "needs an extra approval"
-- conflict adds a step, so a request may need up to three approvers.
ALTER TABLE access_requests
    ADD COLUMN risk           risk_level NOT NULL DEFAULT 'low',
    ADD COLUMN high_impact    boolean NOT NULL DEFAULT false,
    ADD COLUMN sod_conflicts  jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(sod_conflicts) = 'array'),
    ADD COLUMN renews_grant_id uuid,
    ADD COLUMN adds           text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT access_requests_renews FOREIGN KEY (org_id, renews_grant_id) REFERENCES grants (org_id, id),
    DROP CONSTRAINT access_requests_approvals_needed_check,
    ADD CONSTRAINT access_requests_approvals_needed_check CHECK (approvals_needed BETWEEN 1 AND 3);
ALTER TABLE request_decisions
    DROP CONSTRAINT request_decisions_step_check,
    ADD CONSTRAINT request_decisions_step_check CHECK (step BETWEEN 1 AND 3);
-- The queue reads pending requests oldest first (ties by id); the job, across organisations.
DROP INDEX access_requests_pending;
CREATE INDEX access_requests_pending ON access_requests (org_id, created_at, id) WHERE status = 'pending';
CREATE INDEX access_requests_pending_all ON access_requests (created_at) WHERE status = 'pending';
CREATE INDEX access_requests_renewals ON access_requests (org_id, renews_grant_id) WHERE renews_grant_id IS NOT NULL;

-- Separation of duties: one principal must not hold both sides on the same account.
CREATE TYPE sod_mode AS ENUM ('block', 'extra_approval', 'record');
CREATE TABLE sod_rules (
    org_id                     uuid NOT NULL REFERENCES organisations (id),
    id                         uuid NOT NULL,
    name                       text NOT NULL CHECK (length(trim(name)) > 0),
    description                text NOT NULL DEFAULT '',
    permission_id              uuid NOT NULL,
    conflicting_permission_id  uuid,
    conflicting_role_id        uuid,
    mode                       sod_mode NOT NULL,
    created_by                 uuid,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name),
    FOREIGN KEY (org_id, permission_id) REFERENCES permissions (org_id, id),
    FOREIGN KEY (org_id, conflicting_permission_id) REFERENCES permissions (org_id, id),
    FOREIGN KEY (org_id, conflicting_role_id) REFERENCES roles (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES principals (org_id, id),
    CHECK ((conflicting_permission_id IS NULL) <> (conflicting_role_id IS NULL)),
    CHECK (conflicting_permission_id IS DISTINCT FROM permission_id)
);
CREATE INDEX sod_rules_by_role ON sod_rules (org_id, conflicting_role_id) WHERE conflicting_role_id IS NOT NULL;

-- Outbound webhooks. The secret signs each delivery (HMAC-SHA256), so it is kept as
-- given; it is shown once, when the endpoint is created.
CREATE TABLE webhooks (
    org_id      uuid NOT NULL REFERENCES organisations (id),
    id          uuid NOT NULL,
    url         text NOT NULL CHECK (url ~ '^https?://'),
    secret      text NOT NULL,
    events      text[] NOT NULL CHECK (cardinality(events) > 0),
    active      boolean NOT NULL DEFAULT true,
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES principals (org_id, id)
);

-- One row per event and endpoint, written in the transaction of the change it reports.
CREATE TYPE delivery_status AS ENUM ('pending', 'delivered', 'failed');
CREATE TABLE webhook_deliveries (
    org_id           uuid NOT NULL,
    id               uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event            text NOT NULL,
    payload          jsonb NOT NULL,
    status           delivery_status NOT NULL DEFAULT 'pending',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_response    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_newest ON webhook_deliveries (org_id, created_at DESC);

-- Queues one event for every active endpoint of the organisation subscribed to it; the
-- envelope is the same for every event, whoever queues it (the console or the job).
CREATE FUNCTION enqueue_webhook(p_org uuid, p_event text, p_data jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    queued integer;
BEGIN
    INSERT INTO webhook_deliveries (org_id, id, webhook_id, event, payload)
    SELECT org_id, gen_random_uuid(), id, p_event,
           jsonb_build_object('type', p_event, 'occurred_at', now(), 'organisation_id', org_id, 'data', p_data)
    FROM webhooks WHERE org_id = p_org AND active AND p_event = ANY(events);
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END;
$$;
