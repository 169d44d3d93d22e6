-- The record anchored outside its database (issue 10). The hash chain alone can be recomputed by
-- anyone who can write the table, so every event now carries a signature of its hash, made by the
-- worker or the API with a key the database never holds; and a case's immutable fields are sealed
-- (signed) when it opens. record:verify checks both with the public key only.
--
-- Events written before this migration have no signature; record:verify names them as unsigned.

-- The signature (base64 Ed25519) of eventMessage(reference, seq, hash), and the key that made it.
ALTER TABLE case_events ADD COLUMN signature text;
ALTER TABLE case_events ADD COLUMN key_id text;

-- TRUNCATE skips row triggers: refuse it too (the app's login has no TRUNCATE right either).
CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON case_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_record_change();

-- One definition of what a case row's immutable fields are, used when sealing and when verifying:
-- everything written when the case opens and never changed afterwards. jsonb's text form is
-- canonical and the instant is taken in epoch milliseconds, as for case_event_hash.
CREATE FUNCTION case_row_digest(c cases) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|',
    'case-v1', c.reference, c.partnership_id, c.policy_version, c.category,
    c.raiser::text, c.other_party::text, c.child_reference, c.description, c.flags::text,
    ((extract(epoch FROM c.opened_at) * 1000)::bigint)::text,
    coalesce(c.workflow_input::text, ''), coalesce(c.opened_by_client, '')), 'UTF8')), 'hex')
$$;

-- A case's seal: the digest of its immutable fields when it opened, signed. Append-only.
CREATE TABLE case_seals (
  reference   text PRIMARY KEY REFERENCES cases (reference),
  digest      text NOT NULL,
  signature   text NOT NULL,
  key_id      text NOT NULL,
  sealed_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER case_seals_append_only BEFORE UPDATE OR DELETE ON case_seals
  FOR EACH ROW EXECUTE FUNCTION refuse_record_change();
CREATE TRIGGER case_seals_no_truncate BEFORE TRUNCATE ON case_seals
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_record_change();

-- The case row's immutable fields refuse change for every login, as the events do. (The current
-- state columns stay writable: they are a projection of the record.)
CREATE FUNCTION refuse_case_identity_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF case_row_digest(NEW) IS DISTINCT FROM case_row_digest(OLD) THEN
    RAISE EXCEPTION 'a case''s opening details are part of the record: UPDATE of them refused';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER cases_identity_fixed BEFORE UPDATE ON cases
  FOR EACH ROW EXECUTE FUNCTION refuse_case_identity_change();
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
  FOR EACH ROW EXECUTE FUNCTION refuse_record_change();
CREATE TRIGGER cases_no_truncate BEFORE TRUNCATE ON cases
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_record_change();
