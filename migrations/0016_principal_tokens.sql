-- A token may be bound to one principal (an AI agent, a bot or an integration): it then
-- speaks for that principal only, in its application, until a required end date that
-- the organisation caps. Its principal's suspension or end stops it at once (checked
-- with every use).
ALTER TABLE application_tokens
    ADD COLUMN principal_id uuid,
    ADD FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id),
    ADD CHECK (principal_id IS NULL OR expires_at IS NOT NULL);
CREATE INDEX application_tokens_principal ON application_tokens (org_id, principal_id)
    WHERE principal_id IS NOT NULL;

ALTER TABLE organisations
    ADD COLUMN principal_token_max_days integer NOT NULL DEFAULT 90
    CHECK (principal_token_max_days BETWEEN 1 AND 730);
