-- Sign-in. Sessions live server-side: the cookie holds a random id, the table holds only its hash,
-- so a read of this table yields no usable session.
CREATE TABLE sessions (
  sid_hash    text PRIMARY KEY,
  data        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- Idle expiry, moved on by each request; the absolute limit is kept in data.
  expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Six-digit codes that let someone without a staff account prove they hold an address. Only a
-- keyed hash of the code is kept; a code is single-use, short-lived and allows a few attempts.
CREATE TABLE sign_in_codes (
  id          uuid PRIMARY KEY,
  email       text NOT NULL,
  -- A hash of the network address that asked: limits are per address and asker, so nobody can
  -- lock a GP out by asking for their codes.
  requested_by text NOT NULL DEFAULT '',
  code_hash   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  attempts    integer NOT NULL DEFAULT 0,
  used_at     timestamptz
);
CREATE INDEX sign_in_codes_email_created ON sign_in_codes (email, created_at);

-- Who takes part in a case, and since when: the two parties from the start, everyone else from
-- the first notification to them. A participant's access to a case starts here.
CREATE INDEX notifications_email ON notifications (lower(email), reference);
