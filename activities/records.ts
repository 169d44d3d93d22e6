/** Writes the case's record to PostgreSQL: the event, and the case's current state with it. */
import type { Database } from '../db/database';
import type { CaseEvent } from '../shared/events';

export async function recordEvent(db: Database, event: CaseEvent): Promise<void> {
  await db.transaction(async (tx) => {
    // The key (reference, seq) makes a retried or replayed write a no-op.
    const inserted = await tx.query(
      `INSERT INTO case_events (reference, seq, type, at, stage, actor, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (reference, seq) DO NOTHING RETURNING seq`,
      [event.reference, event.seq, event.type, event.at, event.stage ?? null, event.actor ?? null, JSON.stringify(event.detail)],
    );
    const update = event.caseUpdate;
    if (inserted.rows.length === 0 || !update) return;
    await tx.query(
      `UPDATE cases SET
         status = COALESCE($2, status),
         current_stage = COALESCE($3, current_stage),
         stage_name = COALESCE($4, stage_name),
         stage_deadline = CASE WHEN $5::boolean THEN $6::timestamptz ELSE stage_deadline END,
         closed_at = CASE WHEN $2 = 'resolved' THEN $7::timestamptz ELSE closed_at END
       WHERE reference = $1`,
      [
        event.reference,
        update.status ?? null,
        update.stage ?? null,
        update.stageName ?? null,
        update.stageDeadline !== undefined,
        update.stageDeadline ?? null,
        event.at,
      ],
    );
  });
}
