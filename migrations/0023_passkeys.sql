-- Passkeys (WebAuthn) of console users: each signs in without a password, and stands
-- in for a code as a second factor. The stored credential holds the public key and
-- the signature counter (nothing secret); the credential id is unique across the site.
CREATE TABLE console_passkeys (
    org_id         uuid NOT NULL,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    principal_id   uuid NOT NULL,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    credential_id  bytea NOT NULL UNIQUE,
    credential     jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, principal_id, name),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);
CREATE INDEX console_passkeys_by_principal ON console_passkeys (org_id, principal_id);
