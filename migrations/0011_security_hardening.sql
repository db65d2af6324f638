-- Sign-in failures are counted per email at an address, per address and per email:
-- the throttle's key names which.
ALTER TABLE sign_in_throttle RENAME COLUMN email_key TO throttle_key;
DELETE FROM sign_in_throttle;

-- During an erasure the audit trail lets through changes to the labels, before/after
-- and reasons of the events about the subject being erased and their requests, and to
-- no other row.
CREATE OR REPLACE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasing text := coalesce(current_setting('gatehouse.erasing_subject', true), '');
BEGIN
    IF TG_OP = 'UPDATE' AND erasing <> ''
       AND to_jsonb(NEW) - 'target_label' - 'before' - 'after' - 'reason'
           = to_jsonb(OLD) - 'target_label' - 'before' - 'after' - 'reason'
       AND ((OLD.target_type = 'data_subject' AND OLD.target_id = erasing)
            OR (OLD.target_type = 'data_subject_request' AND EXISTS (
                  SELECT 1 FROM data_subject_requests r
                  WHERE r.org_id = OLD.org_id AND r.id::text = OLD.target_id
                    AND r.subject_id::text = erasing))) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
