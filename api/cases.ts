/**
 * Opening and reading cases, shared by the JSON API and the pages: the same validation, the same
 * all-or-nothing write.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DISAGREEMENT_WORKFLOW, TASK_QUEUE, type DisagreementInput } from '../shared/contract';
import type { PolicyPack } from '../shared/policy/schema';
import { appendEvent, type StoredEvent } from '../db/record';
import { VIEW_LINK_DAYS } from '../shared/links';
import type { AppDeps } from './app';
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

/**
 * Writes the case and starts its workflow in one transaction: if Temporal refuses the start, the
 * case row is rolled back and nothing half-written is left.
 */
export async function openCase(deps: AppDeps, body: OpenDisagreement, pack: PolicyPack) {
  const now = new Date();
  const practitioner = (p: OpenDisagreement['raiser']) => ({ name: p.name, email: p.email, agencyId: p.agency, ...(p.role ? { role: p.role } : {}) });
  const raiser = practitioner(body.raiser);
  const other = practitioner(body.other);
  for (let attempt = 0; ; attempt++) {
    const reference = newReference(pack.referencePrefix, now);
    try {
      await deps.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO cases (reference, partnership_id, policy_version, category, raiser, other_party, child_reference, description, flags, opened_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [reference, pack.id, pack.policy.version, body.category, JSON.stringify(raiser), JSON.stringify(other), body.childReference, body.description, JSON.stringify(body.flags), now.toISOString()],
        );
        await appendEvent(tx, {
          reference,
          seq: 0,
          type: 'opened',
          at: now.toISOString(),
          actor: 'raiser.worker.0',
          detail: { partnership: pack.id, policyVersion: pack.policy.version, category: body.category, flags: body.flags, caseStatus: body.caseStatus, startAtStage: body.startAtStage },
        });
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
        await deps.temporal.workflow.start(DISAGREEMENT_WORKFLOW, {
          taskQueue: deps.taskQueue ?? TASK_QUEUE,
          workflowId: reference,
          args: [input],
          memo: { reference, partnership: pack.id, policyVersion: pack.policy.version },
        });
      });
      // The raiser's own read-only link to follow the case.
      const raiserView = await deps.links.issueView({ reference, recipientId: 'raiser.worker.0', expiresAt: new Date(Date.now() + VIEW_LINK_DAYS * 86_400_000) });
      return { reference, raiserView };
    } catch (error) {
      // A clash of random references is rare; try another.
      if (error instanceof WorkflowExecutionAlreadyStartedError && attempt < 3) continue;
      throw error;
    }
  }
}

export async function readCase(deps: AppDeps, reference: string) {
  const { rows } = await deps.db.query<CaseRow>('SELECT * FROM cases WHERE reference = $1', [reference]);
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
    events: events.rows.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
  };
}

export interface CaseRow {
  reference: string;
  partnership_id: string;
  policy_version: string;
  category: string;
  status: string;
  flags: Record<string, boolean>;
  raiser: { name: string; email: string; agencyId: string };
  other_party: { name: string; email: string; agencyId: string };
  current_stage: number | null;
  stage_name: string | null;
  stage_deadline: string | Date | null;
  opened_at: string | Date;
  closed_at: string | Date | null;
}

