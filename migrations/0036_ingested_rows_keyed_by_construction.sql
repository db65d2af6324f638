-- Ingestion writes permission use, consent events and the standing consent state a
-- thousand rows to a statement. Each of their foreign keys checked every row on its own
-- (a lookup of the row it names, and a lock on it): in a batch of 1,000 consent events,
-- five checks per event. Those rows are written only by Gatehouse's own statements,
-- with ids read from the rows they name (activity and consent ingestion look them up in
-- the statement that writes; decisions and a consent recorded by hand read them just
-- before), so the keys hold by construction, as they do for `activity_events` (0006). What the keys also did, refuse to delete a
-- row that is still named, the triggers below keep; Gatehouse deletes none of these rows.
ALTER TABLE permission_usage
    DROP CONSTRAINT permission_usage_org_id_principal_id_fkey,
    DROP CONSTRAINT permission_usage_org_id_permission_id_fkey,
    DROP CONSTRAINT permission_usage_org_id_account_id_fkey;
ALTER TABLE consent_events
    DROP CONSTRAINT consent_events_org_id_subject_id_fkey,
    DROP CONSTRAINT consent_events_org_id_application_id_fkey;
ALTER TABLE consent_state
    DROP CONSTRAINT consent_state_org_id_subject_id_fkey,
    DROP CONSTRAINT consent_state_org_id_event_id_fkey;

-- Refuses a DELETE of rows (transition table `gone`, with `org_id` and `id`) that
-- `TG_ARGV[0]`'s column `TG_ARGV[1]` still names.
CREATE FUNCTION refuse_deleting_named_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named boolean;
BEGIN
    EXECUTE format(
        'SELECT EXISTS (SELECT 1 FROM gone g JOIN %I t ON t.org_id = g.org_id AND t.%I = g.id)',
        TG_ARGV[0], TG_ARGV[1])
    INTO named;
    IF named THEN
        RAISE EXCEPTION 'a deleted row of % is still named by %.%', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1]
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER principals_named_by_usage AFTER DELETE ON principals REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_named_rows('permission_usage', 'principal_id');
CREATE TRIGGER accounts_named_by_usage AFTER DELETE ON accounts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_named_rows('permission_usage', 'account_id');
CREATE TRIGGER subjects_named_by_events AFTER DELETE ON data_subjects REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_named_rows('consent_events', 'subject_id');
CREATE TRIGGER subjects_named_by_state AFTER DELETE ON data_subjects REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_named_rows('consent_state', 'subject_id');
CREATE TRIGGER applications_named_by_events AFTER DELETE ON applications REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_deleting_named_rows('consent_events', 'application_id');

-- A permission's use went with it (the key was ON DELETE CASCADE).
CREATE FUNCTION permission_usage_goes_with_permission() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM permission_usage u USING gone g WHERE u.org_id = g.org_id AND u.permission_id = g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER permission_usage_goes_with_permission AFTER DELETE ON permissions REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION permission_usage_goes_with_permission();
