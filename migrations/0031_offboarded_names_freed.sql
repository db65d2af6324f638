-- An offboarded person keeps their row and history but no longer holds their email,
-- external id or userName: an identity provider may create them again (RFC 7644 asks
-- that a deleted resource's identifiers may be reused). Lookups by these names read
-- people who are not offboarded, which these partial indexes serve.
ALTER TABLE principals
    DROP CONSTRAINT principals_org_id_email_key,
    DROP CONSTRAINT principals_org_id_external_id_key;
CREATE UNIQUE INDEX principals_email ON principals (org_id, email)
    WHERE status <> 'offboarded';
CREATE UNIQUE INDEX principals_external_id ON principals (org_id, external_id)
    WHERE status <> 'offboarded';
DROP INDEX principals_scim_user_name;
CREATE UNIQUE INDEX principals_scim_user_name ON principals (org_id, scim_user_name(user_name, email, external_id))
    WHERE kind = 'human' AND status <> 'offboarded';
