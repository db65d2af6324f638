-- Birthright rules: who, by what the identity provider says of them (attributes,
-- employment type, groups), is given which role or permission set on which account
-- from the day they join. A retired rule gives nothing; its grants go as a mover's do.
CREATE TABLE birthright_rules (
    org_id             uuid NOT NULL REFERENCES organisations (id),
    id                 uuid NOT NULL,
    name               text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 120),
    -- `{"all": ["department = Sales", …]}` (see `rules::birthright`).
    criteria           jsonb NOT NULL CHECK (jsonb_typeof(criteria -> 'all') = 'array'),
    role_id            uuid,
    permission_set_id  uuid,
    -- NULL: every account of the organisation.
    account_id         uuid,
    -- The grant ends with the person's end date (contractors).
    until_end_date     boolean NOT NULL DEFAULT false,
    created_by         uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    retired_at         timestamptz,
    retired_by         uuid,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id),
    FOREIGN KEY (org_id, permission_set_id) REFERENCES permission_sets (org_id, id),
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id),
    FOREIGN KEY (org_id, created_by) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, retired_by) REFERENCES principals (org_id, id),
    CHECK ((role_id IS NULL) <> (permission_set_id IS NULL))
);
CREATE UNIQUE INDEX birthright_rules_name ON birthright_rules (org_id, lower(name)) WHERE retired_at IS NULL;

-- The rule a grant came from.
ALTER TABLE grants
    ADD COLUMN birthright_rule_id uuid,
    ADD FOREIGN KEY (org_id, birthright_rule_id) REFERENCES birthright_rules (org_id, id);
CREATE INDEX grants_by_birthright_rule ON grants (org_id, birthright_rule_id, principal_id)
    WHERE birthright_rule_id IS NOT NULL;

-- Days a mover keeps access the rules no longer justify, while their manager decides.
ALTER TABLE organisations
    ADD COLUMN mover_grace_days integer NOT NULL DEFAULT 7 CHECK (mover_grace_days BETWEEN 0 AND 90);

-- A mover's review: the access of one person that the rules stopped justifying, asked
-- of their manager; closed when due, undecided items revoked.
ALTER TABLE review_campaigns
    ADD COLUMN mover_id uuid,
    ADD FOREIGN KEY (org_id, mover_id) REFERENCES principals (org_id, id);
CREATE INDEX review_campaigns_movers_due ON review_campaigns (due_on)
    WHERE mover_id IS NOT NULL AND closed_at IS NULL;
-- Whether a grant waits in a review (a mover's access, the principal's page).
CREATE INDEX review_items_by_grant ON review_items (org_id, grant_id);

-- People whose end date has passed, for the leavers' round.
CREATE INDEX principals_ending ON principals (end_date)
    WHERE end_date IS NOT NULL AND kind = 'human' AND status = 'active';
