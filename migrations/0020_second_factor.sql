-- A second factor for console sign-in: an authenticator app (TOTP, RFC 6238) and its
-- single-use recovery codes.

CREATE TABLE console_totp (
    org_id        uuid NOT NULL,
    principal_id  uuid NOT NULL,
    -- The shared secret, sealed with the server's secret key.
    secret        text NOT NULL,
    -- Set once a code from the app has been read back: until then it does not count.
    confirmed_at  timestamptz,
    -- The last time step a code was accepted for: a code is accepted once only.
    last_step     bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, principal_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);

-- Recovery codes carry 80 random bits each, so a SHA-256 digest keeps them as safe as
-- a slow password hash would.
CREATE TABLE console_recovery_codes (
    org_id        uuid NOT NULL,
    principal_id  uuid NOT NULL,
    digest        bytea NOT NULL CHECK (length(digest) = 32),
    used_at       timestamptz,
    PRIMARY KEY (org_id, principal_id, digest),
    FOREIGN KEY (org_id, principal_id) REFERENCES console_totp (org_id, principal_id) ON DELETE CASCADE
);
