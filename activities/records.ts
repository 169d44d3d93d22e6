/** Writes the case's record to PostgreSQL: the event, and the case's current state with it. */
import { ApplicationFailure } from '@temporalio/common';
import type { Database } from '../db/database';
import { ChainGap, appendEvent } from '../db/record';
import type { CaseEvent } from '../shared/events';

export async function recordEvent(db: Database, event: CaseEvent): Promise<void> {
  await db.transaction(async (tx) => {
    // The key (reference, seq) makes a retried or replayed write a no-op.
    const appended = await appendEvent(tx, event).catch((error) => {
      // Retryable: the event before it (from a concurrent part of the workflow) lands first.
      if (error instanceof ChainGap) throw ApplicationFailure.retryable(error.message, 'ChainGap');
      throw error;
    });
    const update = event.caseUpdate;
    if (!appended || !update) return;
    await tx.query(
      `UPDATE cases SET
         status = COALESCE($2, status),
         current_stage = COALESCE($3, current_stage),
         stage_name = COALESCE($4, stage_name),
         stage_deadline = CASE WHEN $5::boolean THEN $6::timestamptz ELSE stage_deadline END,
         closed_at = CASE WHEN $2 IS NOT NULL AND $2 <> 'open' THEN $7::timestamptz ELSE closed_at END,
         stage_last_chance = CASE WHEN $8::boolean THEN $9::timestamptz ELSE stage_last_chance END,
         clock_paused_at = CASE WHEN $10::boolean THEN $11::timestamptz ELSE clock_paused_at END
       WHERE reference = $1`,
      [
        event.reference,
        update.status ?? null,
        update.stage ?? null,
        update.stageName ?? null,
        update.stageDeadline !== undefined,
        update.stageDeadline ?? null,
        event.at,
        update.stageLastChance !== undefined,
        update.stageLastChance ?? null,
        update.clockPausedAt !== undefined,
        update.clockPausedAt ?? null,
      ],
    );
  });
}
