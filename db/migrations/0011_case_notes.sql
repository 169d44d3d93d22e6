-- Notes to a case (issue 11): a participant, the raiser or a partnership admin writes a note the
-- other participants see. The text is identifying free text, so it lives here, never in Temporal
-- history: the workflow places a `noteAdded` event on the case's record (in its own order) naming
-- the note's id and the sha256 digest of its text, so the signed chain anchors the text.
-- Append-only like the record: a note, once written, is never changed or removed. A note whose
-- Update was refused (the case had ended) stays here unreferenced and is never shown.
CREATE TABLE case_notes (
  id            uuid PRIMARY KEY,
  reference     text NOT NULL REFERENCES cases (reference),
  at            timestamptz NOT NULL DEFAULT now(),
  -- Who wrote it: their verified address, their name as signed in, and as what they wrote it.
  author_email  text NOT NULL,
  author_name   text NOT NULL,
  author_as     text NOT NULL CHECK (author_as IN ('raiser', 'participant', 'partnershipAdmin')),
  body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$')
);

CREATE INDEX case_notes_by_reference ON case_notes (reference, at);

CREATE FUNCTION case_notes_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;

CREATE TRIGGER case_notes_append_only BEFORE UPDATE OR DELETE ON case_notes
  FOR EACH ROW EXECUTE FUNCTION case_notes_refuse_change();
CREATE TRIGGER case_notes_no_truncate BEFORE TRUNCATE ON case_notes
  FOR EACH STATEMENT EXECUTE FUNCTION case_notes_refuse_change();
