/**
 * Opening and reading cases, shared by the JSON API and the pages: the same validation, the same
 * all-or-nothing write of the record, and exactly one case per request.
 */
import type { CaseStatus, DisagreementInput } from '../shared/contract';
import type { ActingClient } from '../shared/events';
import type { PolicyPack } from '../shared/policy/schema';
import { appendEvent, type StoredEvent } from '../db/record';
import type { AppDeps } from './app';
import { ensureStarted, tryStartCase } from './caseStart';
import { zodProblems, type FieldProblem } from './problem';
import { newReference } from './reference';
import { openDisagreementSchema, type OpenDisagreement } from './schemas';

export type NewCaseCheck = { ok: true; body: OpenDisagreement; pack: PolicyPack } | { ok: false; problems: FieldProblem[] };

/** Checks a new disagreement against the schema and then against the partnership's own pack. */
export function validateNewCase(deps: Pick<AppDeps, 'policies'>, input: unknown): NewCaseCheck {
  const parsed = openDisagreementSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error) };
  const body = parsed.data;
  const pack = deps.policies.get(body.partnership);
  if (!pack) return { ok: false, problems: [unknownPartnership(body.partnership, deps.policies)] };
  const problems = checkAgainstPolicy(body, pack);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, body, pack };
}

function unknownPartnership(id: string, policies: Map<string, PolicyPack>): FieldProblem {
  return { path: 'partnership', message: `unknown partnership "${id}"; known: ${[...policies.keys()].join(', ')}` };
}

function checkAgainstPolicy(body: OpenDisagreement, pack: PolicyPack): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const agencies = new Set(pack.directory.agencies.map((a) => a.id));
  for (const side of ['raiser', 'other'] as const) {
    if (!agencies.has(body[side].agency)) {
      problems.push({ path: `${side}.agency`, message: `is not an agency in the ${pack.name} directory` });
    }
  }
  if (!pack.categories.some((c) => c.id === body.category)) {
    problems.push({ path: 'category', message: `must be one of: ${pack.categories.map((c) => c.id).join(', ')}` });
  }
  const practitionerRoles = Object.keys(pack.counterparts);
  for (const side of ['raiser', 'other'] as const) {
    const role = body[side].role;
    if (role && practitionerRoles.length > 0 && !practitionerRoles.includes(role)) {
      problems.push({ path: `${side}.role`, message: `must be one of: ${practitionerRoles.join(', ')}` });
    }
  }
  if (body.startAtStage) {
    const allowed = pack.immediateHarm?.mayStartAt ?? [];
    if (!body.flags.immediateHarm) {
      problems.push({ path: 'startAtStage', message: 'only a case with immediate harm may start at a later stage' });
    } else if (!allowed.includes(body.startAtStage)) {
      problems.push({ path: 'startAtStage', message: allowed.length ? `must be one of: ${allowed.join(', ')}` : 'this policy does not let a case start at a later stage' });
    }
  }
  if (body.raiser.email.toLowerCase() === body.other.email.toLowerCase()) {
    problems.push({ path: 'other.email', message: 'must be a different person from the raiser' });
  }
  return problems;
}

/** What a 201 says about a new case, kept with its idempotency key so a replay answers the same. */
export interface OpenedSummary {
  reference: string;
  status: 'open';
  policy: { partnership: string; name: string; title: string; version: string };
}

export interface IdempotencyClaim {
  /** Whose key it is: the API client's id, or the raise form. Keys never clash across callers. */
  caller: string;
  key: string;
  /** Hash of the canonical request body: the same key with another body is refused. */
  requestHash: string;
}

export interface OpenOptions {
  idempotency?: IdempotencyClaim;
  /** The API client opening it: named on the opening event, and the only intake key that may end it. */
  openedBy?: ActingClient;
  /** Where references come from; tests make them clash. */
  nextReference?: () => string;
}

export type OpenResult =
  | { kind: 'opened' | 'replayed'; reference: string; summary: OpenedSummary; started: boolean }
  | { kind: 'keyReused' };

/**
 * Opens a case: the case row (with everything needed to start its workflow), its first event and
 * the idempotency key are written in one short transaction and committed; only then is the
 * workflow started, outside any transaction. If the start fails, the case stays recorded and the
 * reconciler starts it. The same idempotency key answers with the case it first opened.
 */
export async function openCase(deps: Pick<AppDeps, 'db' | 'temporal' | 'taskQueue'>, body: OpenDisagreement, pack: PolicyPack, options: OpenOptions = {}): Promise<OpenResult> {
  const now = new Date();
  const practitioner = (p: OpenDisagreement['raiser']) => ({ name: p.name, email: p.email, agencyId: p.agency, ...(p.role ? { role: p.role } : {}) });
  const raiser = practitioner(body.raiser);
  const other = practitioner(body.other);
  // Telephone numbers are for the people deciding the case (its pages), so they stay in the
  // record and never reach the workflow's input or an email.
  const withPhone = (p: ReturnType<typeof practitioner>, from: OpenDisagreement['raiser']) => JSON.stringify(from.phone ? { ...p, phone: from.phone } : p);
  const claim = options.idempotency;
  const nextReference = options.nextReference ?? (() => newReference(pack.referencePrefix, now));
  for (let attempt = 0; ; attempt++) {
    const reference = nextReference();
    const input: DisagreementInput = {
      reference,
      policy: pack,
      raiser,
      other,
      category: body.category,
      flags: body.flags,
      caseStatus: body.caseStatus,
      ...(body.startAtStage ? { startAtStage: body.startAtStage } : {}),
    };
    const summary: OpenedSummary = {
      reference,
      status: 'open',
      policy: { partnership: pack.id, name: pack.name, title: pack.policy.title, version: pack.policy.version },
    };
    let written: { created: true } | { created: false; existing: StoredKey };
    try {
      written = await deps.db.transaction(async (tx) => {
        if (claim) {
          // The unique key serialises concurrent duplicates: a second insert of the same key waits
          // for the first transaction and then finds its row.
          const claimed = await tx.query(
            'INSERT INTO idempotency_keys (caller, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT (caller, key) DO NOTHING RETURNING key',
            [claim.caller, claim.key, claim.requestHash],
          );
          if (claimed.rows.length === 0) {
            const { rows } = await tx.query<StoredKey>('SELECT request_hash, reference, response FROM idempotency_keys WHERE caller = $1 AND key = $2', [claim.caller, claim.key]);
            return { created: false as const, existing: rows[0] };
          }
        }
        await tx.query(
          `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at, workflow_input, opened_by_client)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [reference, pack.id, pack.policy.version, body.category, withPhone(raiser, body.raiser), withPhone(other, body.other), body.childReference, body.description, JSON.stringify(body.flags), now.toISOString(), JSON.stringify(input), options.openedBy?.id ?? null],
        );
        await appendEvent(tx, {
          reference,
          seq: 0,
          type: 'opened',
          at: now.toISOString(),
          actor: 'raiser.worker.0',
          detail: {
            partnership: pack.id,
            policyVersion: pack.policy.version,
            category: body.category,
            flags: body.flags,
            caseStatus: body.caseStatus,
            startAtStage: body.startAtStage,
            ...(options.openedBy ? { openedBy: options.openedBy } : {}),
          },
        });
        if (claim) {
          await tx.query('UPDATE idempotency_keys SET reference = $3, response = $4 WHERE caller = $1 AND key = $2', [claim.caller, claim.key, reference, JSON.stringify(summary)]);
        }
        return { created: true as const };
      });
    } catch (error) {
      // A clash of random references is rare: the row's key refuses it, and another is drawn.
      if (isReferenceClash(error) && attempt < 5) continue;
      throw error;
    }
    if (!written.created) {
      const { existing } = written;
      if (!existing?.reference || existing.request_hash !== claim!.requestHash) return { kind: 'keyReused' };
      // The first request may have lost its start (a crash, an outage): a replay starts it.
      const started = await ensureStarted(deps, existing.reference);
      return { kind: 'replayed', reference: existing.reference, summary: existing.response, started };
    }
    const started = await tryStartCase(deps, input);
    return { kind: 'opened', reference, summary, started };
  }
}

interface StoredKey {
  request_hash: string;
  reference: string | null;
  response: OpenedSummary;
}

/** The case's own page: a plain address with no token in it (who may read it is checked there). */
export const caseUrl = (publicUrl: string, reference: string) => `${publicUrl}/cases/${reference}`;

/** The raiser's recipient id. */
export const RAISER = 'raiser.worker.0';

function isReferenceClash(error: unknown): boolean {
  const e = error as { code?: string; constraint?: string; message?: string };
  return e?.code === '23505' && (e.constraint === 'cases_pkey' || Boolean(e.message?.includes('cases_pkey')));
}

export async function readCase(deps: AppDeps, reference: string) {
  const { rows } = await deps.db.query<CaseRow>(
    `SELECT reference, partnership_id, policy_version, category, status, flags, raiser, other_party, current_stage, stage_name,
            stage_deadline, opened_at, closed_at, workflow_started_at
       FROM cases WHERE reference = $1`,
    [reference],
  );
  const row = rows[0];
  if (!row) return undefined;
  const events = await deps.db.query<StoredEvent>(
    'SELECT seq, type, at, stage, actor, detail FROM case_events WHERE reference = $1 ORDER BY seq',
    [reference],
  );
  const pack = deps.policies.get(row.partnership_id);
  return {
    reference: row.reference,
    status: row.status,
    policy: { partnership: row.partnership_id, name: pack?.name, title: pack?.policy.title, version: row.policy_version, stages: pack?.stages.length },
    category: row.category,
    agencies: { raiser: row.raiser.agencyId, other: row.other_party.agencyId },
    flags: row.flags,
    stage: row.current_stage
      ? { number: row.current_stage, name: row.stage_name, deadline: row.stage_deadline ? new Date(row.stage_deadline).toISOString() : null }
      : null,
    openedAt: new Date(row.opened_at).toISOString(),
    closedAt: row.closed_at ? new Date(row.closed_at).toISOString() : null,
    /** False while the case is recorded but its workflow is still to be started (the reconciler will). */
    started: Boolean(row.workflow_started_at),
    events: events.rows.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
  };
}

export interface CaseRow {
  reference: string;
  partnership_id: string;
  policy_version: string;
  category: string;
  status: CaseStatus;
  flags: Record<string, boolean>;
  raiser: { name: string; email: string; agencyId: string };
  other_party: { name: string; email: string; agencyId: string };
  current_stage: number | null;
  stage_name: string | null;
  stage_deadline: string | Date | null;
  opened_at: string | Date;
  closed_at: string | Date | null;
  workflow_started_at: string | Date | null;
}

