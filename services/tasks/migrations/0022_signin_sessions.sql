-- WeCom sign-in (ADR 0022): a state is used once; a signed-in browser holds a refresh
-- token (only its hash is stored) that renews its short-lived access token.
CREATE TABLE signin_states_used (
    nonce       text PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE TABLE signin_sessions (
    id             uuid PRIMARY KEY,
    person_id      uuid NOT NULL REFERENCES people (id),
    via            text NOT NULL,              -- oauth | qr
    token_hash     text NOT NULL UNIQUE,       -- sha256 of the current refresh token
    previous_hash  text,                       -- the one it replaced (reuse = theft)
    created_at     timestamptz NOT NULL DEFAULT now(),
    renewed_at     timestamptz,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz
);
CREATE INDEX signin_sessions_previous ON signin_sessions (previous_hash)
    WHERE previous_hash IS NOT NULL;
