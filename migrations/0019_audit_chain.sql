-- Each organisation's audit events are sealed, shortly after they commit, into a hash
-- chain: link n covers link n-1, the event's fixed facts and a salted digest of its
-- personal text (see rules::audit_chain). Links are numbered 1, 2, 3 … per
-- organisation without gaps. The runtime role may add links, never change or remove
-- them; salts may be removed only while a data subject is being erased.
CREATE TABLE audit_chain (
    org_id           uuid NOT NULL REFERENCES organisations (id),
    seq              bigint NOT NULL CHECK (seq > 0),
    event_id         bigint NOT NULL,
    personal_digest  bytea NOT NULL CHECK (length(personal_digest) = 32),
    hash             bytea NOT NULL CHECK (length(hash) = 32),
    sealed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, seq),
    UNIQUE (org_id, event_id)
);

CREATE TABLE audit_salts (
    org_id    uuid NOT NULL,
    event_id  bigint NOT NULL,
    salt      bytea NOT NULL,
    PRIMARY KEY (org_id, event_id)
);

-- The last verification of each organisation's chain, for the audit page.
CREATE TABLE audit_verifications (
    org_id       uuid PRIMARY KEY REFERENCES organisations (id),
    verified_at  timestamptz NOT NULL,
    up_to_seq    bigint NOT NULL,
    unsealed     bigint NOT NULL,
    broken       text
);

CREATE FUNCTION audit_chain_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit chain is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_chain_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_is_append_only();
CREATE TRIGGER audit_chain_no_truncate
    BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_is_append_only();

-- A salt goes only with an erasure, and only for an event about the subject erased or
-- one of their requests.
CREATE FUNCTION audit_salts_go_with_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasing text := coalesce(current_setting('gatehouse.erasing_subject', true), '');
BEGIN
    IF TG_OP = 'DELETE' AND erasing <> '' AND EXISTS (
        SELECT 1 FROM audit_events e
        WHERE e.org_id = OLD.org_id AND e.id = OLD.event_id
          AND ((e.target_type = 'data_subject' AND e.target_id = erasing)
               OR (e.target_type = 'data_subject_request' AND EXISTS (
                     SELECT 1 FROM data_subject_requests r
                     WHERE r.org_id = e.org_id AND r.id::text = e.target_id
                       AND r.subject_id::text = erasing)))) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit salts are kept: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_salts_kept
    BEFORE UPDATE OR DELETE ON audit_salts
    FOR EACH ROW EXECUTE FUNCTION audit_salts_go_with_erasure();
CREATE TRIGGER audit_salts_no_truncate
    BEFORE TRUNCATE ON audit_salts
    FOR EACH STATEMENT EXECUTE FUNCTION audit_salts_go_with_erasure();

-- Signed checkpoints of each chain's head (Ed25519, by a key derived from the server's
-- secret key; the public key travels with each), made daily when the chain holds, so
-- that an outside party who keeps them can later prove the trail was not rewritten.
CREATE TABLE audit_checkpoints (
    org_id      uuid NOT NULL REFERENCES organisations (id),
    made_at     timestamptz NOT NULL,
    seq         bigint NOT NULL,
    head        bytea NOT NULL CHECK (length(head) = 32),
    public_key  bytea NOT NULL CHECK (length(public_key) = 32),
    signature   bytea NOT NULL CHECK (length(signature) = 64),
    PRIMARY KEY (org_id, made_at)
);
CREATE TRIGGER audit_checkpoints_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_chain_is_append_only();
