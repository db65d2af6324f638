-- Inactivity: an organisation may suspend principals of a kind after so many days
-- without activity, with a notice seven days before.
CREATE TABLE inactivity_rules (
    org_id  uuid NOT NULL REFERENCES organisations (id),
    kind    principal_kind NOT NULL,
    days    integer NOT NULL CHECK (days BETWEEN 14 AND 3650),
    PRIMARY KEY (org_id, kind)
);

-- When a principal was told their suspension is near; a notice counts until they are
-- active again.
CREATE TABLE dormancy_notices (
    org_id        uuid NOT NULL,
    principal_id  uuid NOT NULL,
    noticed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, principal_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);
