-- Data-subject requests (GDPR Articles 15–21): what was asked, by whom, by when it must
-- be answered, how far it has come and what was done. Erasure pseudonymises the subject
-- everywhere, including the append-only consent history and audit trail, which let
-- exactly that through (and nothing else).

ALTER TABLE organisations
    ADD COLUMN dsr_response_days smallint NOT NULL DEFAULT 30 CHECK (dsr_response_days BETWEEN 1 AND 90);

CREATE TYPE dsr_kind AS ENUM ('access', 'rectification', 'erasure', 'restriction', 'objection');
CREATE TYPE dsr_status AS ENUM ('received', 'identity_verified', 'in_progress', 'completed', 'rejected');

CREATE TABLE data_subject_requests (
    org_id            uuid NOT NULL,
    id                uuid NOT NULL,
    number            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    subject_id        uuid NOT NULL,
    kind              dsr_kind NOT NULL,
    status            dsr_status NOT NULL DEFAULT 'received',
    received_on       date NOT NULL,
    arrived_by        text NOT NULL,
    details           text NOT NULL DEFAULT '',
    due_on            date NOT NULL,
    extended_to       date,
    extension_reason  text,
    rejection_reason  text,
    -- What was done: the export's fingerprint, corrected fields before and after, the
    -- erasure's pseudonym and counts, or the DPO's note.
    outcome           jsonb,
    opened_by         uuid,
    opened_by_label   text NOT NULL,
    opened_at         timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, subject_id) REFERENCES data_subjects (org_id, id),
    FOREIGN KEY (org_id, opened_by) REFERENCES principals (org_id, id),
    CHECK (due_on > received_on),
    CHECK ((extended_to IS NULL) = (extension_reason IS NULL)),
    CHECK (extended_to IS NULL OR extended_to > due_on),
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL)),
    CHECK ((status IN ('completed', 'rejected')) = (closed_at IS NOT NULL))
);
CREATE INDEX data_subject_requests_open ON data_subject_requests (org_id, (coalesce(extended_to, due_on)))
    WHERE closed_at IS NULL;
CREATE INDEX data_subject_requests_by_subject ON data_subject_requests (org_id, subject_id);
CREATE INDEX audit_events_by_target ON audit_events (org_id, target_type, target_id);

-- While a transaction erases a subject (it sets gatehouse.erasing_subject to the
-- subject's id), that subject's events may have their evidence and reason replaced;
-- every other change is still refused.
CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF current_setting('gatehouse.erasing_subject', true) = OLD.subject_id::text
           AND to_jsonb(NEW) - 'evidence' - 'reason' = to_jsonb(OLD) - 'evidence' - 'reason' THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'consent history is append-only';
END
$$;

-- Likewise the audit trail: during an erasure its labels, before/after and reasons may
-- be pseudonymised; who did what, when, stays as it was.
CREATE OR REPLACE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF coalesce(current_setting('gatehouse.erasing_subject', true), '') <> ''
           AND to_jsonb(NEW) - 'target_label' - 'before' - 'after' - 'reason'
               = to_jsonb(OLD) - 'target_label' - 'before' - 'after' - 'reason' THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
