-- The record for the child's file is append-only and tamper-evident: every event carries the hash
-- of the one before it in its case, and updates and deletes are refused by the database itself.
ALTER TABLE case_events ADD COLUMN prev_hash text;
ALTER TABLE case_events ADD COLUMN hash text;

-- One definition of an event's hash, used when writing and when verifying. jsonb's text form is
-- canonical (sorted keys), and the instant is taken in epoch milliseconds so the session time
-- zone cannot change it.
CREATE FUNCTION case_event_hash(prev text, reference text, seq integer, type text, at timestamptz, stage integer, actor text, detail jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|',
    prev, reference, seq::text, type, ((extract(epoch FROM at) * 1000)::bigint)::text,
    coalesce(stage::text, ''), coalesce(actor, ''), detail::text), 'UTF8')), 'hex')
$$;

-- Chain the events already written, in order.
DO $$
DECLARE
  e record;
  previous text;
  current_reference text := NULL;
BEGIN
  FOR e IN SELECT * FROM case_events ORDER BY reference, seq LOOP
    IF current_reference IS DISTINCT FROM e.reference THEN
      previous := 'genesis:' || e.reference;
      current_reference := e.reference;
    END IF;
    UPDATE case_events SET prev_hash = previous,
      hash = case_event_hash(previous, e.reference, e.seq, e.type, e.at, e.stage, e.actor, e.detail)
      WHERE reference = e.reference AND seq = e.seq;
    SELECT hash INTO previous FROM case_events WHERE reference = e.reference AND seq = e.seq;
  END LOOP;
END $$;

ALTER TABLE case_events ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE case_events ALTER COLUMN hash SET NOT NULL;

CREATE FUNCTION refuse_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'case_events is append-only: % refused', TG_OP;
END $$;

CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
  FOR EACH ROW EXECUTE FUNCTION refuse_record_change();
