-- The lifecycle failsafe: automation (the identity provider's deactivations and
-- deletions, end dates, a birthright rule retired, inactivity) may revoke at most this many grants
-- and suspend at most this many principals within an hour (NULL: no limit); a run that
-- would go past is held for an admin.
ALTER TABLE organisations
    ADD COLUMN failsafe_grants integer DEFAULT 500 CHECK (failsafe_grants > 0),
    ADD COLUMN failsafe_principals integer DEFAULT 50 CHECK (failsafe_principals > 0);

-- What each run that went through took away, for the hour's count.
CREATE TABLE lifecycle_tally (
    org_id      uuid NOT NULL REFERENCES organisations (id),
    at          timestamptz NOT NULL DEFAULT now(),
    grants      integer NOT NULL CHECK (grants >= 0),
    principals  integer NOT NULL CHECK (principals >= 0)
);
CREATE INDEX lifecycle_tally_recent ON lifecycle_tally (org_id, at);

-- A run held by the failsafe: what to do again when an admin confirms it.
CREATE TABLE held_changes (
    org_id        uuid NOT NULL REFERENCES organisations (id),
    id            uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('scim_user', 'end_date', 'rule_retire', 'rule_change', 'inactivity')),
    -- What it changes, so that the same change asked again is held once.
    target        text NOT NULL,
    payload       jsonb NOT NULL,
    summary       text NOT NULL,
    grants        integer NOT NULL,
    principals    integer NOT NULL,
    held_at       timestamptz NOT NULL DEFAULT now(),
    decision      text CHECK (decision IN ('confirmed', 'discarded')),
    decided_by    uuid,
    decided_at    timestamptz,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, target),
    FOREIGN KEY (org_id, decided_by) REFERENCES principals (org_id, id),
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX held_changes_pending ON held_changes (org_id, held_at) WHERE decision IS NULL;
