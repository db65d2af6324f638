-- Access reviews: a campaign freezes the grants in its scope as items when it starts;
-- reviewers decide keep or revoke; closing applies the revokes (and the campaign's
-- rule for undecided items) in one transaction.
CREATE TYPE review_decision AS ENUM ('keep', 'revoke');

CREATE TABLE review_campaigns (
    org_id        uuid NOT NULL REFERENCES organisations (id),
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (length(trim(name)) > 0),
    -- What the campaign covers, as chosen (application, account, kinds, principals).
    scope         jsonb NOT NULL CHECK (jsonb_typeof(scope) = 'object'),
    -- `managers`: each principal's manager, or the owner of a non-human principal;
    -- `named`: the people named, each principal's grants to one of them.
    reviewer_rule text NOT NULL CHECK (reviewer_rule IN ('managers', 'named')),
    due_on        date NOT NULL,
    undecided     review_decision NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    closed_by     uuid,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name),
    FOREIGN KEY (org_id, created_by) REFERENCES principals (org_id, id),
    FOREIGN KEY (org_id, closed_by) REFERENCES principals (org_id, id)
);

CREATE TABLE review_items (
    org_id        uuid NOT NULL,
    campaign_id   uuid NOT NULL,
    grant_id      uuid NOT NULL,
    principal_id  uuid NOT NULL,
    -- Who and what, as they were named when the campaign started (the list's order).
    principal_label text NOT NULL,
    bundle_label  text NOT NULL,
    reviewer_id   uuid NOT NULL,
    decision      review_decision,
    reason        text,
    decided_by    uuid,
    decided_at    timestamptz,
    -- What closing did: `revoked`, `kept`, or `gone` (revoked or ended meanwhile).
    outcome       text CHECK (outcome IN ('revoked', 'kept', 'gone')),
    PRIMARY KEY (org_id, campaign_id, grant_id),
    FOREIGN KEY (org_id, campaign_id) REFERENCES review_campaigns (org_id, id),
    FOREIGN KEY (org_id, grant_id) REFERENCES grants (org_id, id),
    FOREIGN KEY (org_id, reviewer_id) REFERENCES principals (org_id, id),
    CHECK (decision IS DISTINCT FROM 'revoke' OR length(trim(reason)) > 0)
);
-- A campaign's items in list order, all of them or one reviewer's.
CREATE INDEX review_items_in_order ON review_items (org_id, campaign_id, principal_label, bundle_label, grant_id);
CREATE INDEX review_items_by_reviewer
    ON review_items (org_id, campaign_id, reviewer_id, principal_label, bundle_label, grant_id);
