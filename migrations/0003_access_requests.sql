-- Access requests and their decisions.

-- Who answers for an account (its managers) and for a role or permission set (its
-- owner): with the Approver console role on the account, they decide its requests.
CREATE TABLE account_managers (
    org_id        uuid NOT NULL,
    account_id    uuid NOT NULL,
    principal_id  uuid NOT NULL,
    PRIMARY KEY (org_id, account_id, principal_id),
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);
CREATE INDEX account_managers_by_principal ON account_managers (org_id, principal_id);
ALTER TABLE roles ADD COLUMN owner_id uuid;
ALTER TABLE roles ADD FOREIGN KEY (org_id, owner_id) REFERENCES principals (org_id, id);
ALTER TABLE permission_sets ADD COLUMN owner_id uuid;
ALTER TABLE permission_sets ADD FOREIGN KEY (org_id, owner_id) REFERENCES principals (org_id, id);

-- A request asks for a duration in days, or an end date (valid_until), or no end
-- (both empty). High-impact requests need two distinct approvers.
ALTER TABLE access_requests
    ADD COLUMN duration_days      integer CHECK (duration_days > 0),
    ADD COLUMN approvals_needed   smallint NOT NULL DEFAULT 1 CHECK (approvals_needed BETWEEN 1 AND 2),
    ADD COLUMN decision_comment   text,
    ADD COLUMN grant_id           uuid,
    ADD CONSTRAINT access_requests_one_duration CHECK (duration_days IS NULL OR valid_until IS NULL),
    ADD CONSTRAINT access_requests_grant FOREIGN KEY (org_id, grant_id) REFERENCES grants (org_id, id),
    ADD CONSTRAINT access_requests_justified CHECK (length(trim(justification)) >= 20);
CREATE INDEX access_requests_pending ON access_requests (org_id, created_at) WHERE status = 'pending';
CREATE INDEX access_requests_by_requester ON access_requests (org_id, requester_id, created_at DESC);

-- One row per approval step. The primary key makes a step decidable once, whoever
-- gets there first; the unique approver makes the two steps two different people.
CREATE TABLE request_decisions (
    org_id        uuid NOT NULL,
    request_id    uuid NOT NULL,
    step          smallint NOT NULL CHECK (step BETWEEN 1 AND 2),
    approver_id   uuid NOT NULL,
    approved      boolean NOT NULL,
    comment       text NOT NULL DEFAULT '',
    decided_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, request_id, step),
    UNIQUE (org_id, request_id, approver_id),
    FOREIGN KEY (org_id, request_id) REFERENCES access_requests (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, approver_id) REFERENCES principals (org_id, id),
    CHECK (approved OR length(trim(comment)) > 0)
);
