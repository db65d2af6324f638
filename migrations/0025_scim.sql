-- Provisioning over SCIM 2.0: an organisation's identity provider creates, changes and
-- removes its people with a provisioning token.

-- A provisioning token belongs to the organisation, not to an application, and never
-- speaks for a principal; the /api/v1 endpoints do not take it, nor /scim/v2 theirs.
ALTER TABLE application_tokens
    ADD COLUMN provisioning boolean NOT NULL DEFAULT false,
    ALTER COLUMN application_id DROP NOT NULL,
    ADD CHECK (provisioning = (application_id IS NULL)),
    ADD CHECK (NOT provisioning OR (principal_id IS NULL AND expires_at IS NOT NULL));

-- A person's SCIM userName (unique within the organisation whatever its case), and what
-- SCIM carries that Gatehouse does not otherwise keep (the parts of a name, the list of
-- emails as sent), kept to be answered back. `modified_at` is when the principal itself
-- last changed; its last activity does not count.
ALTER TABLE principals
    ADD COLUMN user_name text CHECK (length(trim(user_name)) BETWEEN 1 AND 300),
    ADD COLUMN scim jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(scim) = 'object'),
    ADD COLUMN modified_at timestamptz;
UPDATE principals SET modified_at = created_at;
-- A person may be known by their SCIM userName alone.
DO $$
DECLARE
    named text;
BEGIN
    SELECT conname INTO STRICT named FROM pg_constraint
    WHERE conrelid = 'principals'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) = 'CHECK (((email IS NOT NULL) OR (external_id IS NOT NULL)))';
    EXECUTE format('ALTER TABLE principals DROP CONSTRAINT %I', named);
END $$;
ALTER TABLE principals ADD CONSTRAINT principals_named
    CHECK (email IS NOT NULL OR external_id IS NOT NULL OR user_name IS NOT NULL);
ALTER TABLE principals ALTER COLUMN modified_at SET NOT NULL,
    ALTER COLUMN modified_at SET DEFAULT now();

-- What SCIM calls a person's userName: the one set over SCIM, else their email, else
-- their external id (so that an identity provider finds people entered by hand).
CREATE FUNCTION scim_user_name(user_name text, email text, external_id text)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(coalesce(user_name, email, external_id));
CREATE UNIQUE INDEX principals_scim_user_name ON principals (org_id, scim_user_name(user_name, email, external_id))
    WHERE kind = 'human';
-- The index above is partial, so its statistics do not reach the planner; these do (a
-- userName names one person, which a list's LIMIT must not be planned against).
CREATE STATISTICS principals_scim_user_name_stats ON (lower(coalesce(user_name, email, external_id))) FROM principals;
-- A SCIM list is in order of creation, and identity providers filter people by department.
CREATE INDEX principals_by_created ON principals (org_id, created_at, id);
CREATE INDEX principals_by_department ON principals (org_id, lower(attributes ->> 'department'));

CREATE FUNCTION principals_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.modified_at := now();
    RETURN NEW;
END $$;
-- Activity only moves last_activity_at: such updates (the ingestion's) skip the trigger.
CREATE TRIGGER principals_modified BEFORE UPDATE ON principals FOR EACH ROW
    WHEN ((OLD.kind, OLD.display_name, OLD.email, OLD.external_id, OLD.status, OLD.employment_type,
           OLD.job_title, OLD.manager_id, OLD.owner_id, OLD.end_date, OLD.attributes, OLD.clearance,
           OLD.user_name, OLD.scim)
          IS DISTINCT FROM
          (NEW.kind, NEW.display_name, NEW.email, NEW.external_id, NEW.status, NEW.employment_type,
           NEW.job_title, NEW.manager_id, NEW.owner_id, NEW.end_date, NEW.attributes, NEW.clearance,
           NEW.user_name, NEW.scim))
    EXECUTE FUNCTION principals_touch();

-- When a person leaves, what they owned (AI agents, bots, integrations) goes to their
-- manager, else to this person of the organisation.
ALTER TABLE organisations
    ADD COLUMN leaver_fallback_owner_id uuid,
    ADD FOREIGN KEY (id, leaver_fallback_owner_id) REFERENCES principals (org_id, id);

-- Groups of people, as the identity provider keeps them (departments, teams, …), for
-- rules that give access by group.
CREATE TABLE principal_groups (
    org_id        uuid NOT NULL REFERENCES organisations (id),
    id            uuid NOT NULL,
    display_name  text NOT NULL CHECK (length(trim(display_name)) BETWEEN 1 AND 200),
    external_id   text CHECK (length(external_id) BETWEEN 1 AND 300),
    created_at    timestamptz NOT NULL DEFAULT now(),
    modified_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, external_id)
);
CREATE UNIQUE INDEX principal_groups_name ON principal_groups (org_id, lower(display_name));

CREATE TABLE group_members (
    org_id        uuid NOT NULL,
    group_id      uuid NOT NULL,
    principal_id  uuid NOT NULL,
    PRIMARY KEY (org_id, group_id, principal_id),
    FOREIGN KEY (org_id, group_id) REFERENCES principal_groups (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, principal_id) REFERENCES principals (org_id, id)
);
CREATE INDEX group_members_by_principal ON group_members (org_id, principal_id);
