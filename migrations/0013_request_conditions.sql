-- A request can ask for access on conditions (the grant's condition language); an
-- approval passes them on to the grant it makes.
ALTER TABLE access_requests
    ADD COLUMN conditions jsonb NOT NULL DEFAULT '{}'::jsonb
    CHECK (jsonb_typeof(conditions) = 'object');
