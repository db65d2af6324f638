-- What an AI answer may contain: the fields of each governed resource carry a
-- sensitivity (and whether they hold special-category personal data), and roles,
-- permission sets and principals carry a clearance. A role or set without one clears
-- `internal`; a principal without one sets no limit of its own.
CREATE TYPE sensitivity AS ENUM ('public', 'internal', 'confidential', 'restricted');

CREATE TABLE resource_fields (
    org_id            uuid NOT NULL,
    application_id    uuid NOT NULL,
    resource          text NOT NULL CHECK (resource ~ '^[a-z][a-z0-9_]*$'),
    field             text NOT NULL CHECK (field ~ '^[a-z][a-z0-9_]{0,63}$'),
    sensitivity       sensitivity NOT NULL,
    special_category  boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, application_id, resource, field),
    FOREIGN KEY (org_id, application_id) REFERENCES applications (org_id, id) ON DELETE CASCADE
);

ALTER TABLE roles ADD COLUMN clearance sensitivity;
ALTER TABLE permission_sets ADD COLUMN clearance sensitivity;
ALTER TABLE principals ADD COLUMN clearance sensitivity;

-- A clearance changes what decisions allow: the policy version grows with it.
DROP TRIGGER principals_policy_changed ON principals;
CREATE CONSTRAINT TRIGGER principals_policy_changed
    AFTER UPDATE OF status, end_date, attributes, email, external_id, display_name, kind,
                    employment_type, clearance
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
          OR OLD.employment_type IS DISTINCT FROM NEW.employment_type
          OR OLD.clearance IS DISTINCT FROM NEW.clearance)
    EXECUTE FUNCTION bump_policy_version();
CREATE CONSTRAINT TRIGGER resource_fields_policy_changed
    AFTER INSERT OR UPDATE OR DELETE ON resource_fields
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_policy_version();
