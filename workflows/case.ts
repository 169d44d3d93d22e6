/**
 * What a running case knows and the messages it answers: its input and plan, where it stands,
 * the ordered record, and the handlers for the state query, decisions and endings. The stage
 * mechanics (stage.ts, notices.ts, panel.ts, duties.ts, resolution.ts) work on this context.
 */
import { ApplicationFailure, CancellationScope, condition, isCancellation, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import {
  caseState,
  closeCase,
  recordHead,
  recordOutcome,
  withdrawCase,
  type CaseEnding,
  type CaseSoFar,
  type CaseState,
  type CaseStatus,
  type ClosedStatus,
  type DisagreementInput,
  type EndCaseRequest,
  type ProposedResolution,
  type RecordedDecision,
  type StageView,
} from '../shared/contract';
import type { ActingClient, EndedByKind, Recipient, StageSummary } from '../shared/events';
import type { RoleRef, Stage, Timescale } from '../shared/policy/schema';
import { STAGE, STAGE_DEADLINE, STAGE_DUE_AT, FINAL_STAGE, STATUS } from '../shared/searchAttributes';
import { resolveRecipients } from './activityProxies';
import { answerClockMessages, type StageClock } from './clock';
import { StagePlan } from './plan';
import { createRecorder, type Recorder } from './record';
import { endingRefusal, outcomeRefusal, type Refused } from './rules';
import { decidingOf, proposeIfNeeded } from './agreement';

/** What the stage loop runs: a stage of the policy, or the resolution panel its chair convened. */
export interface StageRun {
  index: number;
  number: number;
  id: string;
  name: string;
  guidance?: string;
  timescale: Timescale;
  participants: Recipient[];
  notify: RoleRef[];
  reminders: { before: string }[];
  onDeadline: Stage['onDeadline'];
  isFinal: boolean;
  panelAllowed: boolean;
  /** Those the policy told just before this stage began (Hull): already told of this move. */
  toldBefore?: Recipient[];
  /** Begun on the stage-clock code (workflows/clock.ts): a pausable, changeable clock. */
  clocked?: boolean;
}

/** A request to end the case early, taken by the Update handler and carried out by the main flow. */
export interface EndingRequest {
  status: Extract<ClosedStatus, 'withdrawn' | 'closed'>;
  by: EndedByKind;
  actor: string;
  reason: string;
  /** The API client that asked, for the record. */
  endedBy?: ActingClient;
}

export class CaseContext {
  readonly reference: string;
  readonly policy: DisagreementInput['policy'];
  readonly plan: StagePlan;
  readonly record: Recorder;
  readonly soFar: CaseSoFar;
  status: CaseStatus = 'open';
  /** `proposal`: a resolution one side proposed at a both-sides stage, awaiting the other (./agreement). */
  current?: { run: StageRun; view: StageView; decision?: RecordedDecision; clock?: StageClock; proposal?: ProposedResolution };
  /** The due-deadline search attribute has been set (stage-clock stages), so an ending clears it. */
  dueAtShown = false;
  /** Set when the raiser or an admin asks to end the case; the main flow then ends it. */
  ending?: EndingRequest;
  /** Set once an early ending is on the record, for the Update that asked for it. */
  endingRecorded?: CaseEnding;
  /** Invitations still being handed over when their stage was already decided. */
  readonly inFlight: Promise<unknown>[] = [];
  /** Duty reminders waiting for their due dates. */
  readonly dutyReminders: Promise<unknown>[] = [];
  /** The policy's own flow: cancelled to end the case early. */
  readonly policyScope = new CancellationScope();
  /** Duty reminders outlive a resolution, so they have a scope of their own. */
  readonly dutyScope = new CancellationScope();

  constructor(readonly input: DisagreementInput) {
    this.reference = input.reference;
    this.policy = input.policy;
    this.plan = new StagePlan(input);
    const resume = input.resume;
    this.soFar = resume ?? {
      lastSeq: 0,
      stageIndex: this.plan.startingStage(),
      reason: { kind: 'opened' },
      decisions: [],
      involved: [],
      stagesSeen: [],
      duties: [],
    };
    this.record = createRecorder(this.reference, this.soFar.lastSeq);
    // Cancelling a scope nothing ran in yet would otherwise be an unhandled rejection.
    this.policyScope.cancelRequested.catch(() => undefined);
    this.dutyScope.cancelRequested.catch(() => undefined);
  }

  now(): string {
    return new Date().toISOString();
  }

  /** Who holds these roles for this case, now (the directory is the case's snapshot). */
  recipientsOf(refs: RoleRef[]): Promise<Recipient[]> {
    if (refs.length === 0) return Promise.resolve([]);
    const { input, policy } = this;
    return resolveRecipients({
      directory: policy.directory,
      refs,
      raiser: input.raiser,
      other: input.other,
      flags: input.flags,
      category: input.category,
      caseStatus: input.caseStatus,
      counterparts: policy.counterparts,
      at: this.now(),
      calendar: policy.calendar,
    });
  }

  /** The two practitioners, as recipients. */
  practitioners(): Recipient[] {
    const { raiser, other } = this.input;
    return [
      { id: 'raiser.worker.0', role: 'worker', name: raiser.name, email: raiser.email, agencyId: raiser.agencyId },
      { id: 'other.worker.0', role: 'worker', name: other.name, email: other.email, agencyId: other.agencyId },
    ];
  }

  /** Everyone the case has involved, the two practitioners first, once each. */
  everyoneInvolved(): Recipient[] {
    const byEmail = new Map<string, Recipient>();
    for (const r of [...this.practitioners(), ...this.soFar.involved]) if (!byEmail.has(r.email.toLowerCase())) byEmail.set(r.email.toLowerCase(), r);
    return [...byEmail.values()];
  }

  /**
   * Everyone to keep informed (newer cases): the two practitioners, everyone invited to a stage
   * and everyone told of the case for information, once each by address.
   */
  informed(): Recipient[] {
    return onceEach([...this.practitioners(), ...this.soFar.involved, ...(this.soFar.told ?? [])]);
  }

  /** Remembers people told of the case for information, so they hear when it moves on and ends. */
  tell(people: Recipient[]): void {
    this.soFar.told = onceEach([...(this.soFar.told ?? []), ...people]);
  }

  involve(people: Recipient[]): void {
    const known = new Set(this.soFar.involved.map((p) => p.email.toLowerCase()));
    for (const p of people) if (!known.has(p.email.toLowerCase())) this.soFar.involved.push(p);
  }

  summary(run: StageRun, deadline: string): StageSummary {
    return { number: run.number, name: run.name, guidance: run.guidance, deadline, isFinal: run.isFinal };
  }

  showStage(view: StageView): void {
    upsertSearchAttributes([
      { key: STAGE, value: view.number },
      { key: STAGE_DEADLINE, value: new Date(view.lastChance ?? view.deadline) },
      { key: FINAL_STAGE, value: view.isFinal },
      // The due deadline (shared/overdue.ts): empty while the clock is paused. Stage-clock stages only.
      ...(view.clockAdjustable ? [{ key: STAGE_DUE_AT, value: view.pausedAt ? null : new Date(view.deadline) }] : []),
    ]);
    if (view.clockAdjustable) this.dueAtShown = true;
  }

  setStatus(status: CaseStatus): void {
    this.status = status;
    upsertSearchAttributes([
      { key: STATUS, value: status },
      { key: STAGE_DEADLINE, value: null },
      ...(this.dueAtShown ? [{ key: STAGE_DUE_AT, value: null }] : []),
    ]);
  }

  /** Resolves when an outcome is recorded at the current stage. */
  decided = () => this.current?.decision !== undefined;

  /** The query, the decision Update and the two ending Updates. */
  answerMessages(): void {
    setHandler(caseState, (): CaseState => ({
      reference: this.reference,
      partnership: this.policy.id,
      policyVersion: this.policy.policy.version,
      status: this.status,
      stage: this.current?.view ?? null,
      decisions: this.soFar.decisions,
      resolutionRequires: this.policy.resolution?.require ?? [],
      proposal: this.current?.proposal ?? null,
    }));
    setHandler(recordHead, () => ({ reference: this.reference, lastSeq: this.record.lastWritten }));

    setHandler(
      recordOutcome,
      async (request) => {
        const stage = this.current!;
        const by = stage.run.participants.find((p) => p.id === request.recipientId)!;
        // Both sides decide this stage: "resolved" is a proposal the other side confirms or disputes.
        const proposed = proposeIfNeeded(this, request, by);
        if (proposed) return proposed;
        const decision: RecordedDecision = { stage: request.stage, recipientId: by.id, recordedBy: by.role, recordedAt: this.now(), decision: request.decision };
        // Taken before the first await, so a second submission in the same moment is refused.
        stage.decision = decision;
        this.soFar.decisions.push(decision);
        await this.record({ type: 'outcomeRecorded', stage: request.stage, actor: by.id, detail: { role: by.role, ...request.decision } });
        return decision;
      },
      {
        validator: (request) =>
          refuse(
            outcomeRefusal(
              {
                status: this.ending ? 'closed' : this.status,
                required: this.policy.resolution?.require ?? [],
                stage: this.current && {
                  number: this.current.run.number,
                  participants: this.current.run.participants,
                  isFinal: this.current.run.isFinal,
                  panelAllowed: this.current.run.panelAllowed,
                  decided: this.current.decision !== undefined,
                  deciding: decidingOf(this),
                  proposal: this.current.proposal,
                },
              },
              request,
            ),
          ),
      },
    );

    const ender = (how: 'withdraw' | 'close') => ({
      handler: async (request: EndCaseRequest): Promise<CaseEnding> => {
        this.ending = {
          status: how === 'withdraw' ? 'withdrawn' : 'closed',
          by: request.by,
          actor: request.actor.trim(),
          reason: request.reason.trim(),
          // Only the three fields the record names, whatever else a caller sent.
          ...(request.endedBy ? { endedBy: { kind: 'apiClient' as const, id: String(request.endedBy.id), name: String(request.endedBy.name) } } : {}),
        };
        this.policyScope.cancel();
        this.dutyScope.cancel();
        // Answer once the ending is on the record; the emails about it follow.
        await condition(() => this.endingRecorded !== undefined);
        return this.endingRecorded!;
      },
      validator: (request: EndCaseRequest) => refuse(endingRefusal(how, this.ending ? 'closed' : this.status, request)),
    });
    answerClockMessages(this);
    const withdraw = ender('withdraw');
    setHandler(withdrawCase, withdraw.handler, { validator: withdraw.validator });
    const close = ender('close');
    setHandler(closeCase, close.handler, { validator: close.validator });
  }
}

/** People once each by address (case-insensitive), the first of each kept. */
export function onceEach(people: Recipient[]): Recipient[] {
  const byEmail = new Map<string, Recipient>();
  for (const r of people) if (!byEmail.has(r.email.toLowerCase())) byEmail.set(r.email.toLowerCase(), r);
  return [...byEmail.values()];
}

/** `people` without anyone whose address is among `known`'s. */
export function except(people: Recipient[], known: Recipient[]): Recipient[] {
  const emails = new Set(known.map((r) => r.email.toLowerCase()));
  return people.filter((r) => !emails.has(r.email.toLowerCase()));
}

export function refuse(refused: Refused | undefined): void {
  if (refused) throw ApplicationFailure.create({ type: refused.type, message: refused.message, nonRetryable: true });
}

/**
 * For work kept to settle later (duty reminders, invitations in flight): ending the case cancels
 * it, which is expected; anything else is a bug and fails the workflow task, where operators see it.
 */
export function ignoreCancellation(error: unknown): void {
  if (!isCancellation(error)) throw error;
}
