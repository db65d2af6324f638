-- When the session last proved a second factor (at sign-in with a code, or asked again
-- before a risky action): risky actions need one within the last fifteen minutes.
ALTER TABLE console_sessions ADD COLUMN second_factor_at timestamptz;
