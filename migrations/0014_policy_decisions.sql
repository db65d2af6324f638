-- What the decision API needs: the attributes a principal carries for conditions
-- (region, department, …), and each organisation's policy version, a number that grows
-- with every change to who may do what, so that callers can cache decisions and know
-- when to ask again.
ALTER TABLE principals
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(attributes) = 'object');
ALTER TABLE organisations ADD COLUMN policy_version bigint NOT NULL DEFAULT 1;

-- The version grows once per transaction that changes grants, roles, permission sets or
-- their permissions, or a principal's status, end date or attributes. The trigger runs at
-- commit (deferred), so the organisation's row is locked only then, after every other
-- lock the transaction takes: it adds no lock-order to the console's transactions. A
-- transaction-local setting keeps it to one update per organisation.
CREATE FUNCTION bump_policy_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org uuid := CASE TG_OP WHEN 'DELETE' THEN OLD.org_id ELSE NEW.org_id END;
    done text := 'gatehouse.policy_bumped_' || replace(org::text, '-', '');
BEGIN
    IF current_setting(done, true) IS DISTINCT FROM 'yes' THEN
        UPDATE organisations SET policy_version = policy_version + 1 WHERE id = org;
        PERFORM set_config(done, 'yes', true);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['grants', 'roles', 'permission_sets', 'role_permissions',
                             'permission_set_permissions']
    LOOP
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                       'EXECUTE FUNCTION bump_policy_version()', t || '_policy_changed', t);
    END LOOP;
END
$$;

-- Ingestion rewrites a principal's last activity all day long: that changes no decision.
CREATE CONSTRAINT TRIGGER principals_policy_changed
    AFTER UPDATE OF status, end_date, attributes ON principals
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.end_date IS DISTINCT FROM NEW.end_date
          OR OLD.attributes IS DISTINCT FROM NEW.attributes)
    EXECUTE FUNCTION bump_policy_version();
