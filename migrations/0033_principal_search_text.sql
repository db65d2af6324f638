-- The principals list searches a principal's name, email and external id, case
-- insensitively. Three ILIKEs lowercase three strings per row on every search; this
-- column holds them lowercased once, when they are written, so a search is one LIKE.
-- They are a line each, and a search is refused a line break, so it never matches
-- across two of them.
ALTER TABLE principals ADD COLUMN search_text text NOT NULL
    GENERATED ALWAYS AS (lower(display_name || E'\n' || coalesce(email, '') || E'\n' || coalesce(external_id, ''))) STORED;
