-- The scheduled job no longer rewrites each ended grant: marking a grant expired put a
-- new entry into every index of grants, which made a round over 100,000 ended grants
-- take seconds. Grants never change their end and are never created already ended, so
-- the job walks them in the order they end and keeps, per organisation, how far it has
-- come: a grant is marked expired once the cursor has passed it, and the audit event
-- written in the same transaction records it.
CREATE TABLE grant_expiry_cursors (
    org_id         uuid PRIMARY KEY REFERENCES organisations (id),
    ended_through  timestamptz NOT NULL,
    last_grant_id  uuid NOT NULL
);

-- Start where the job had got to: the last grant it marked.
INSERT INTO grant_expiry_cursors (org_id, ended_through, last_grant_id)
SELECT DISTINCT ON (org_id) org_id, valid_until, id
FROM grants WHERE expired_at IS NOT NULL
ORDER BY org_id, valid_until DESC, id DESC;

DROP INDEX grants_ending;
ALTER TABLE grants DROP COLUMN expired_at;

-- The job's walk and the "expiring access" page read grants by end.
CREATE INDEX grants_by_end ON grants (org_id, valid_until, id) WHERE valid_until IS NOT NULL;
-- Grants nearing their end are announced once.
CREATE INDEX grants_to_announce ON grants (valid_until)
    WHERE valid_until IS NOT NULL AND revoked_at IS NULL AND ending_notified_at IS NULL;
