-- The anonymised proforma (issue 10, its first part). Stands on its own: it only adds two tables.
--
-- proformas: the proforma's own id, a random one, so the board's copy names no case reference and
-- nobody can work the reference out from it without this table.
CREATE TABLE proformas (
  reference    text PRIMARY KEY REFERENCES cases (reference),
  proforma_id  text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- proforma_texts: free text offered for the partnership's learning. None reaches a proforma by
-- default: its author saw the redacted version and offered it (offered_*), and a partnership admin
-- approved it (decided_*), perhaps after removing more (approved_text). The author's own words stay
-- in the child's file only; this table holds the redacted text as the author saw it.
CREATE TABLE proforma_texts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  reference        text NOT NULL REFERENCES cases (reference),
  partnership_id   text NOT NULL,
  stage            integer NOT NULL,
  field            text NOT NULL CHECK (field IN ('reasons', 'agreedOutcome', 'agreedPlan', 'outstandingIssues', 'lessonsNotes')),
  offered_text     text NOT NULL,
  -- The decision link's recipient id and role: people appear by role in what the board sees.
  offered_by_id    text NOT NULL,
  offered_by_role  text NOT NULL,
  offered_at       timestamptz NOT NULL DEFAULT now(),
  status           text NOT NULL DEFAULT 'offered' CHECK (status IN ('offered', 'approved', 'refused')),
  approved_text    text,
  -- The admin's verified email.
  decided_by       text,
  decided_at       timestamptz,
  UNIQUE (reference, stage, field),
  CHECK ((status = 'offered') = (decided_at IS NULL)),
  CHECK ((status = 'approved') = (approved_text IS NOT NULL))
);

CREATE INDEX proforma_texts_waiting ON proforma_texts (partnership_id, status, offered_at);
