-- SCIM lists the people it sees (humans not offboarded) in order of creation. Holding
-- only those people, the index finds a page deep into them without reading a table row;
-- once vacuum has seen them, it can count them too.
DROP INDEX principals_by_created;
CREATE INDEX principals_seen_by_created ON principals (org_id, created_at, id)
    WHERE kind = 'human' AND status <> 'offboarded';
