-- The policy version grows only when a row changes: re-stating a row as it is (the
-- console catalogue is ensured at every start) or marking a grant's ending as notified
-- changes no decision, and every instance would otherwise load its copy again.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['roles', 'permission_sets', 'accounts', 'permissions']
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_policy_changed', t);
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR DELETE ON %I '
                       'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                       'EXECUTE FUNCTION bump_policy_version()', t || '_policy_changed', t);
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER UPDATE ON %I '
                       'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                       'WHEN (OLD.* IS DISTINCT FROM NEW.*) '
                       'EXECUTE FUNCTION bump_policy_version()', t || '_policy_updated', t);
    END LOOP;
END
$$;

DROP TRIGGER grants_policy_changed ON grants;
CREATE CONSTRAINT TRIGGER grants_policy_changed AFTER INSERT OR DELETE ON grants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_policy_version();
CREATE CONSTRAINT TRIGGER grants_policy_updated AFTER UPDATE ON grants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.principal_id, OLD.role_id, OLD.permission_set_id, OLD.account_id, OLD.valid_from,
           OLD.valid_until, OLD.revoked_at, OLD.conditions)
          IS DISTINCT FROM
          (NEW.principal_id, NEW.role_id, NEW.permission_set_id, NEW.account_id, NEW.valid_from,
           NEW.valid_until, NEW.revoked_at, NEW.conditions))
    EXECUTE FUNCTION bump_policy_version();
