-- A case is one disagreement. Its current-state columns are a projection of case_events,
-- written in the same transaction as the event that changes them.
CREATE TABLE cases (
  reference        text PRIMARY KEY,
  partnership_id   text NOT NULL,
  policy_version   text NOT NULL,
  category         text NOT NULL,
  raiser           jsonb NOT NULL,
  other_party      jsonb NOT NULL,
  child_reference  text NOT NULL,
  description      text NOT NULL,
  flags            jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'open',
  current_stage    integer,
  stage_name       text,
  stage_deadline   timestamptz,
  opened_at        timestamptz NOT NULL,
  closed_at        timestamptz
);

-- Every action and decision, for the child's file. Append only.
CREATE TABLE case_events (
  reference   text NOT NULL REFERENCES cases (reference),
  seq         integer NOT NULL,
  type        text NOT NULL,
  at          timestamptz NOT NULL,
  stage       integer,
  actor       text,
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (reference, seq)
);

-- One row per notification key: what makes sending idempotent across retries and replays.
CREATE TABLE notifications (
  key           text PRIMARY KEY,
  reference     text NOT NULL REFERENCES cases (reference),
  kind          text NOT NULL,
  stage         integer NOT NULL,
  recipient_id  text NOT NULL,
  recipient_role text NOT NULL,
  email         text NOT NULL,
  message_id    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz
);

-- Links that have been used to record a decision: a link works once.
CREATE TABLE used_links (
  jti        text PRIMARY KEY,
  reference  text NOT NULL REFERENCES cases (reference),
  used_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX case_events_at ON case_events (at);
CREATE INDEX cases_partnership_status ON cases (partnership_id, status);
