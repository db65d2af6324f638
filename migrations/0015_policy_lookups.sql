-- Decisions may be answered from each instance's copy of an organisation's policy,
-- used only while its version is the organisation's current one. The version therefore
-- also grows when what a decision looks up changes: principals made, removed, renamed or
-- retyped, accounts, and permissions.
CREATE CONSTRAINT TRIGGER accounts_policy_changed AFTER INSERT OR UPDATE OR DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_policy_version();
CREATE CONSTRAINT TRIGGER permissions_policy_changed AFTER INSERT OR UPDATE OR DELETE ON permissions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_policy_version();

DROP TRIGGER principals_policy_changed ON principals;
CREATE CONSTRAINT TRIGGER principals_policy_changed
    AFTER UPDATE OF status, end_date, attributes, email, external_id, display_name, kind, employment_type
    ON principals
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.end_date IS DISTINCT FROM NEW.end_date
          OR OLD.attributes IS DISTINCT FROM NEW.attributes
          OR OLD.email IS DISTINCT FROM NEW.email
          OR OLD.external_id IS DISTINCT FROM NEW.external_id
          OR OLD.display_name IS DISTINCT FROM NEW.display_name
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.employment_type IS DISTINCT FROM NEW.employment_type)
    EXECUTE FUNCTION bump_policy_version();
CREATE CONSTRAINT TRIGGER principals_policy_made AFTER INSERT OR DELETE ON principals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_policy_version();
