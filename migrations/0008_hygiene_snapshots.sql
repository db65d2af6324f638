-- Hygiene reports and the home page's trends.

-- Client bleed: a principal holding grants on more client accounts than this is reported.
ALTER TABLE organisations
    ADD COLUMN client_account_limit integer NOT NULL DEFAULT 5 CHECK (client_account_limit BETWEEN 1 AND 1000);

-- The headline figures as they stood each day, taken by the scheduled job (once a day
-- per organisation), for the home page's 90-day trends.
CREATE TABLE daily_snapshots (
    org_id              uuid NOT NULL REFERENCES organisations (id),
    day                 date NOT NULL,
    dormant_principals  bigint NOT NULL,
    pending_requests    bigint NOT NULL,
    active_grants       bigint NOT NULL,
    taken_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, day)
);
