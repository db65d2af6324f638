-- Access packages: roles and permission sets across applications and accounts, asked
-- for and approved as one request, granted as a set of grants that end together.
CREATE TABLE access_packages (
    org_id           uuid NOT NULL REFERENCES organisations (id),
    id               uuid NOT NULL,
    name             text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 120),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- Who the package may be asked for: principal kinds, and criteria as a birthright
    -- rule writes them (`{"all": [...]}`, empty: anyone of those kinds).
    for_kinds        text[] NOT NULL CHECK (cardinality(for_kinds) > 0),
    for_criteria     jsonb NOT NULL DEFAULT '{"all": []}' CHECK (jsonb_typeof(for_criteria -> 'all') = 'array'),
    -- Who approves each step: `manager`, `account_managers` or `named`.
    first_approver   text NOT NULL CHECK (first_approver IN ('manager', 'account_managers', 'named')),
    first_named      uuid[] NOT NULL DEFAULT '{}',
    second_approver  text CHECK (second_approver IN ('manager', 'account_managers', 'named')),
    second_named     uuid[] NOT NULL DEFAULT '{}',
    max_days         integer NOT NULL CHECK (max_days BETWEEN 1 AND 366),
    -- Months between reviews of each assignment (NULL: not reviewed on a schedule).
    review_months    smallint CHECK (review_months BETWEEN 1 AND 24),
    created_by       uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    retired_at       timestamptz,
    retired_by       uuid,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, retired_by) REFERENCES principals (org_id, id)
);
CREATE UNIQUE INDEX access_packages_name ON access_packages (org_id, lower(name)) WHERE retired_at IS NULL;

-- What a package gives: one role or permission set on one account (NULL: every account).
CREATE TABLE package_items (
    org_id             uuid NOT NULL,
    package_id         uuid NOT NULL,
    position           smallint NOT NULL CHECK (position BETWEEN 1 AND 20),
    role_id            uuid,
    permission_set_id  uuid,
    account_id         uuid,
    PRIMARY KEY (org_id, package_id, position),
    FOREIGN KEY (org_id, package_id) REFERENCES access_packages (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id),
    FOREIGN KEY (org_id, permission_set_id) REFERENCES permission_sets (org_id, id),
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id),
    CHECK ((role_id IS NULL) <> (permission_set_id IS NULL))
);

-- A request for a package: one or two steps, as its policy said when it was made.
CREATE TABLE package_requests (
    org_id            uuid NOT NULL,
    id                uuid NOT NULL,
    package_id        uuid NOT NULL,
    requester_id      uuid NOT NULL,
    principal_id      uuid NOT NULL,
    justification     text NOT NULL CHECK (length(trim(justification)) >= 20),
    days              integer NOT NULL CHECK (days BETWEEN 1 AND 366),
    steps             smallint NOT NULL CHECK (steps BETWEEN 1 AND 2),
    status            request_status NOT NULL DEFAULT 'pending',
    created_at        timestamptz NOT NULL DEFAULT now(),
    decided_at        timestamptz,
    decision_comment  text,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, package_id) REFERENCES access_packages (org_id, id),
    FOREIGN KEY (org_id, requester_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id)
);
CREATE INDEX package_requests_pending ON package_requests (org_id, created_at) WHERE status = 'pending';
CREATE INDEX package_requests_by_person ON package_requests (org_id, requester_id, created_at DESC);
-- One waiting request per package and principal.
CREATE UNIQUE INDEX package_requests_one_waiting ON package_requests (org_id, package_id, principal_id)
    WHERE status = 'pending';

-- One row per decided step; the unique approver makes two steps two people.
CREATE TABLE package_decisions (
    org_id       uuid NOT NULL,
    request_id   uuid NOT NULL,
    step         smallint NOT NULL CHECK (step BETWEEN 1 AND 2),
    approver_id  uuid NOT NULL,
    approved     boolean NOT NULL,
    comment      text NOT NULL DEFAULT '',
    decided_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, request_id, step),
    UNIQUE (org_id, request_id, approver_id),
    FOREIGN KEY (org_id, request_id) REFERENCES package_requests (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, approver_id) REFERENCES principals (org_id, id),
    CHECK (approved OR length(trim(comment)) > 0)
);

-- A package given to a principal by an approved request: its grants share their end,
-- and revoking one revokes them all.
CREATE TABLE package_assignments (
    org_id          uuid NOT NULL,
    id              uuid NOT NULL,
    package_id      uuid NOT NULL,
    principal_id    uuid NOT NULL,
    request_id      uuid NOT NULL,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    ends_at         timestamptz NOT NULL,
    next_review_on  date,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, request_id),
    FOREIGN KEY (org_id, package_id) REFERENCES access_packages (org_id, id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, request_id) REFERENCES package_requests (org_id, id)
);
CREATE INDEX package_assignments_by_principal ON package_assignments (org_id, principal_id);
CREATE INDEX package_assignments_review_due ON package_assignments (next_review_on)
    WHERE next_review_on IS NOT NULL;

ALTER TABLE grants
    ADD COLUMN package_assignment_id uuid,
    ADD FOREIGN KEY (org_id, package_assignment_id) REFERENCES package_assignments (org_id, id);
CREATE INDEX grants_by_package_assignment ON grants (org_id, package_assignment_id)
    WHERE package_assignment_id IS NOT NULL;

-- A package's scheduled review: the grants of one assignment, asked of the holder's
-- manager, closed when due as a mover's review is (undecided: revoked, and with one
-- grant the whole package).
ALTER TABLE review_campaigns
    ADD COLUMN package_assignment_id uuid,
    ADD FOREIGN KEY (org_id, package_assignment_id) REFERENCES package_assignments (org_id, id);
DROP INDEX review_campaigns_movers_due;
CREATE INDEX review_campaigns_people_due ON review_campaigns (due_on)
    WHERE (mover_id IS NOT NULL OR package_assignment_id IS NOT NULL) AND closed_at IS NULL;
