-- Single sign-on with an organisation's own OpenID provider. The client secret is kept
-- sealed (like webhook secrets); the allowed email domains say whose emails the
-- provider may vouch for.
CREATE TABLE sign_on_providers (
    org_id           uuid PRIMARY KEY REFERENCES organisations (id),
    name             text NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 60),
    issuer           text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 300),
    client_id        text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 200),
    client_secret    text NOT NULL,
    allowed_domains  text[] NOT NULL CHECK (cardinality(allowed_domains) > 0),
    create_unknown   boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Which account at a provider is which console user: the provider's subject, once a
-- sign-in has linked it by verified email. Emails may move between people; subjects
-- do not.
CREATE TABLE console_identities (
    org_id        uuid NOT NULL,
    issuer        text NOT NULL,
    subject       text NOT NULL,
    principal_id  uuid NOT NULL,
    linked_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    PRIMARY KEY (org_id, issuer, subject),
    UNIQUE (org_id, issuer, principal_id),
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id) ON DELETE CASCADE
);

-- Password (and passkey-alone) sign-in may be switched off once single sign-on is set
-- up; one break-glass admin keeps it, for when the provider is away.
ALTER TABLE organisations
    ADD COLUMN password_sign_in boolean NOT NULL DEFAULT true,
    ADD COLUMN break_glass_principal uuid,
    ADD FOREIGN KEY (id, break_glass_principal) REFERENCES principals (org_id, id),
    ADD CHECK (password_sign_in OR break_glass_principal IS NOT NULL);
