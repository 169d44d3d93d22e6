-- The agency systems and staff tools that use the JSON API, each with a key of its own, scoped to
-- one partnership and one use: `intake` opens cases (and ends the ones it opened), `read` reads the
-- partnership's cases, records and numbers. The key (lscp_<id>_<secret>, 32 random bytes) is shown
-- once when the client is created; only its SHA-256 is kept, so this table opens nothing.
CREATE TABLE api_clients (
  id              text PRIMARY KEY CHECK (id ~ '^ac_[a-z0-9]{10}$'),
  name            text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  partnership_id  text NOT NULL,
  scope           text NOT NULL CHECK (scope IN ('intake', 'read')),
  key_hash        text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz,
  last_used_at    timestamptz
);
CREATE INDEX api_clients_partnership ON api_clients (partnership_id, created_at);

-- The client that opened a case through the API (none for the raise form): an intake key may
-- withdraw or close only the cases it opened.
ALTER TABLE cases ADD COLUMN opened_by_client text REFERENCES api_clients (id);
