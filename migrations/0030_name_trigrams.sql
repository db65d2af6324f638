-- SCIM's `displayName co "…"` (and any list that searches within names) is answered
-- from a trigram index instead of reading every person of the organisation: an identity
-- provider's filtered list stays fast at 100,000 people.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX principals_name_trigrams ON principals USING gin (lower(display_name) gin_trgm_ops)
    WHERE kind = 'human';
