-- Opening a case is two steps with no transaction held across the Temporal call: the row (with
-- everything needed to start its workflow) is committed first, then the workflow is started and
-- the row marked. A reconciler starts any case whose start was lost between the two.
ALTER TABLE cases ADD COLUMN workflow_input jsonb;
ALTER TABLE cases ADD COLUMN workflow_started_at timestamptz;
-- The last reason a start failed, for operators; cleared when it starts.
ALTER TABLE cases ADD COLUMN workflow_start_error text;
-- Cases opened before this migration were started in the same transaction as their row.
UPDATE cases SET workflow_started_at = opened_at;
CREATE INDEX cases_not_started ON cases (opened_at) WHERE workflow_started_at IS NULL;

-- Exactly one case per request: a client's Idempotency-Key (or a raise form's submission id),
-- scoped to the caller. The unique key is what serialises concurrent duplicates; the request's
-- hash tells a replay from a different request under the same key.
CREATE TABLE idempotency_keys (
  caller        text NOT NULL,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  reference     text REFERENCES cases (reference),
  -- The original response body, without the raiser's access token (never stored at rest).
  response      jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- The first opening of each decision link, written by the API (never the workflow): mail
-- scanners and repeated visits add nothing after the first.
CREATE TABLE link_openings (
  jti              text PRIMARY KEY,
  reference        text NOT NULL REFERENCES cases (reference),
  stage            integer NOT NULL,
  recipient_id     text NOT NULL,
  first_opened_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX link_openings_reference ON link_openings (reference);
