-- Indexes for organisations with tens of thousands of principals and grants.

-- Member counts of the role matrix read grants per role or permission set without
-- touching the table: the principal and validity window are in the index.
DROP INDEX grants_by_role;
DROP INDEX grants_by_permission_set;
CREATE INDEX grants_by_role ON grants (org_id, role_id, principal_id)
    INCLUDE (valid_from, valid_until, revoked_at) WHERE role_id IS NOT NULL;
CREATE INDEX grants_by_permission_set ON grants (org_id, permission_set_id, principal_id)
    INCLUDE (valid_from, valid_until, revoked_at) WHERE permission_set_id IS NOT NULL;

-- The principals list: one index per sort order, and the account filter.
CREATE INDEX principals_by_name ON principals (org_id, display_name, id);
CREATE INDEX principals_by_last_activity ON principals (org_id, last_activity_at DESC NULLS LAST, id);
CREATE INDEX principals_by_end_date ON principals (org_id, end_date NULLS LAST, id);
CREATE INDEX principal_accounts_by_account ON principal_accounts (org_id, account_id, principal_id);
