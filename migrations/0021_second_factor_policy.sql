-- Which console roles must sign in with a second factor, and how long their holders
-- have to set one up (counted from the policy's last change).
ALTER TABLE organisations
    ADD COLUMN second_factor_roles text[] NOT NULL
        DEFAULT ARRAY['Governance admin', 'Data Protection Officer'],
    ADD COLUMN second_factor_grace_days integer NOT NULL DEFAULT 14
        CHECK (second_factor_grace_days BETWEEN 0 AND 90),
    ADD COLUMN second_factor_policy_since timestamptz NOT NULL DEFAULT now();
