-- The consent console's first screen lists the latest withdrawals: a small partial index
-- keeps that read short however long the history grows.
CREATE INDEX consent_events_withdrawn ON consent_events (org_id, occurred_at DESC)
    WHERE status = 'withdrawn';
