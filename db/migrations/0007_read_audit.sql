-- Who has seen this file: one row for every successful read of a case, its record, its PDFs or its
-- proforma, through a page or the API. Written by the API after access was decided and before the
-- answer goes out; append-only like the record itself (updates, deletes and TRUNCATE are refused by
-- the database).
--
-- This migration stands on its own (0005 and 0006 are other changes): it only adds a table.
CREATE TABLE case_reads (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  reference       text NOT NULL REFERENCES cases (reference),
  partnership_id  text NOT NULL,
  -- What was shown: the case page, the record page or PDF, the proforma page, PDF or JSON, the
  -- case as JSON from the API, the page behind a decision link.
  what            text NOT NULL CHECK (what IN ('case', 'record', 'record.pdf', 'proforma', 'proforma.pdf', 'proforma.json', 'case.json', 'respond')),
  via             text NOT NULL CHECK (via IN ('page', 'api')),
  -- person or apiClient (a signed-in principal). Until sign-in lands, also link (a view or decision
  -- link's recipient, actor_id the recipient id) and apiKey (a shared staff key, actor_id its
  -- fingerprint, never the key).
  actor_kind      text NOT NULL CHECK (actor_kind IN ('person', 'apiClient', 'link', 'apiKey')),
  -- A person's verified email, an API client's id, a link's recipient id, a key's fingerprint.
  actor_id        text NOT NULL,
  actor_name      text,
  -- The actor's roles as text, e.g. 'partnershipAdmin:bromley operations', 'read:bromley', 'lineManager'.
  actor_roles     text NOT NULL DEFAULT ''
);

-- The readers page lists a case's reads newest first, a page at a time.
CREATE INDEX case_reads_by_reference ON case_reads (reference, at DESC, id DESC);

CREATE FUNCTION case_reads_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;

CREATE TRIGGER case_reads_append_only BEFORE UPDATE OR DELETE ON case_reads
  FOR EACH ROW EXECUTE FUNCTION case_reads_refuse_change();
CREATE TRIGGER case_reads_no_truncate BEFORE TRUNCATE ON case_reads
  FOR EACH STATEMENT EXECUTE FUNCTION case_reads_refuse_change();
