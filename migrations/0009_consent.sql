-- Consent histories: data subjects of each account, their consent events (append-only)
-- and the current state per channel and purpose derived from them.

CREATE TYPE consent_status AS ENUM ('granted', 'refused', 'withdrawn');

-- Purposes an organisation adds to the built-in ones (marketing, personalisation,
-- analytics, ai_processing).
CREATE TABLE consent_purposes (
    org_id      uuid NOT NULL REFERENCES organisations (id),
    key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,59}$'),
    label       text NOT NULL CHECK (length(trim(label)) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);

CREATE TABLE data_subjects (
    org_id            uuid NOT NULL,
    id                uuid NOT NULL,
    account_id        uuid NOT NULL,
    external_id       text NOT NULL CHECK (length(trim(external_id)) > 0),
    email             text,
    name              text,
    country           text CHECK (country ~ '^[A-Z]{2}$'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    pseudonymised_at  timestamptz,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, account_id, external_id),
    FOREIGN KEY (org_id, account_id) REFERENCES accounts (org_id, id)
) WITH (fillfactor = 80);
-- The DPO finds subjects by email, by external id, or by the start of the name.
CREATE INDEX data_subjects_by_email ON data_subjects (org_id, email);
CREATE INDEX data_subjects_by_external_id ON data_subjects (org_id, external_id);
CREATE INDEX data_subjects_by_name ON data_subjects (org_id, lower(name) COLLATE "C");

-- Events come from an application (with its event id, once) or are recorded by hand
-- by a DPO (with a reason). `seq` orders recording.
CREATE TABLE consent_events (
    org_id             uuid NOT NULL,
    id                 uuid NOT NULL,
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    subject_id         uuid NOT NULL,
    application_id     uuid,
    source_event_id    text CHECK (length(source_event_id) BETWEEN 1 AND 200),
    channel            text NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp', 'messenger', 'instagram_dm', 'phone')),
    purpose            text NOT NULL,
    status             consent_status NOT NULL,
    lawful_basis       text NOT NULL,
    method             text NOT NULL,
    source_system      text NOT NULL,
    notice_version     text NOT NULL,
    notice_sha256      text NOT NULL CHECK (notice_sha256 ~ '^[0-9a-f]{64}$'),
    language           text NOT NULL,
    jurisdiction       text NOT NULL,
    occurred_at        timestamptz NOT NULL,
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    recorded_by        uuid,
    recorded_by_label  text NOT NULL,
    evidence           jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(evidence) = 'object'),
    reason             text,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, application_id, source_event_id),
    FOREIGN KEY (org_id, subject_id) REFERENCES data_subjects (org_id, id),
    FOREIGN KEY (org_id, application_id) REFERENCES applications (org_id, id),
    FOREIGN KEY (org_id, recorded_by) REFERENCES principals (org_id, id),
    CHECK ((application_id IS NULL) = (source_event_id IS NULL)),
    CHECK (application_id IS NOT NULL OR reason IS NOT NULL)
);
CREATE INDEX consent_events_by_subject ON consent_events (org_id, subject_id, occurred_at, seq);

-- The history is a record of proof: it is never rewritten.
CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent history is append-only';
END
$$;
CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

-- The standing event of each subject's channel and purpose (domain::consent::order_key:
-- later time, then the more protective status, then later recording). Ingestion moves
-- state rows all the time: room on each page keeps the new version there (no index
-- holds what changes), as it does for subjects whose details change.
CREATE TABLE consent_state (
    org_id       uuid NOT NULL,
    subject_id   uuid NOT NULL,
    channel      text NOT NULL,
    purpose      text NOT NULL,
    status       consent_status NOT NULL,
    precedence   smallint NOT NULL,
    occurred_at  timestamptz NOT NULL,
    seq          bigint NOT NULL,
    event_id     uuid NOT NULL,
    PRIMARY KEY (org_id, subject_id, channel, purpose),
    FOREIGN KEY (org_id, subject_id) REFERENCES data_subjects (org_id, id),
    FOREIGN KEY (org_id, event_id) REFERENCES consent_events (org_id, id)
) WITH (fillfactor = 70);
