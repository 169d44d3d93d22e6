/**
 * Messages from outside must be sealed with our payload key. Anyone who can reach Temporal can
 * start a workflow, send a signal or an Update; only our API and workers hold the key. The codec
 * turns a payload it would not decrypt into a marker and the payload converter into an `Unsealed`
 * value (shared/codec.ts, shared/payloadConverter.ts); here such messages are refused:
 *
 * - an Update is rejected by its validator, so nothing reaches history (every Update of ours has a
 *   validator; one without would be refused by its handler instead, after acceptance);
 * - a signal cannot be refused: it is dropped, logged, and nothing runs;
 * - a start fails at once with a non-retryable ApplicationFailure;
 * - a query with unsealed arguments fails (queries change nothing; their answers are sealed).
 *
 * A message with no arguments at all is refused as unsealed: every start, signal and Update of
 * ours carries one, and an empty one would carry nothing the codec could check.
 *
 * Histories recorded before this refusal (cases opened before payloads were encrypted) carry
 * plaintext arguments the workflow accepted then: behind `patched()`, a replay of those still
 * takes them, and only a message arriving now is refused. Never an error a retry would repeat, so
 * a forged message cannot leave a case's workflow task failing.
 */
import {
  ApplicationFailure,
  log,
  patched,
  workflowInfo,
  type Next,
  type QueryInput,
  type SignalInput,
  type UpdateInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { isUnsealed, valueOfUnsealed, type UnsealedReason } from '../shared/payloadConverter';
import { workflowIdsFor } from '../shared/contract';

/** The patch marking a run in which unsealed messages are refused (from its first refusal on). */
export const REFUSE_UNSEALED_PATCH = 'refuse-unsealed-messages';
/** The failure type a refused start or Update carries. */
export const UNSEALED_MESSAGE = 'UnsealedMessage';
/** The patch marking a run in which a start naming another case is refused. */
export const BOUND_START_PATCH = 'bind-start-to-case';
/** The failure type of a sealed message that names another case (copied out of its history). */
export const MESSAGE_FOR_ANOTHER_CASE = 'MessageForAnotherCase';

/**
 * The case a message names (shared/contract.ts, BoundToCase). Sealing stops anyone without the key
 * writing a message, not copying one: a sealed Update taken from one case's history and sent to
 * another still names the first case, so it is refused here.
 */
const namedCase = (args: readonly unknown[]): unknown => (typeof args[0] === 'object' && args[0] !== null ? (args[0] as { reference?: unknown }).reference : undefined);

const forAnotherCase = (what: string) =>
  ApplicationFailure.create({ type: MESSAGE_FOR_ANOTHER_CASE, message: `${what} refused: it names another case (a message copied from elsewhere)`, nonRetryable: true });

type Refusal = UnsealedReason | 'noArguments';

function refusalOf(args: readonly unknown[], allowEmpty = false): Refusal | undefined {
  if (!allowEmpty && args.length === 0) return 'noArguments';
  const unsealed = args.find(isUnsealed);
  return unsealed && isUnsealed(unsealed) ? unsealed.reason : undefined;
}

/** The arguments as a history recorded before the refusal saw them. */
const asRecorded = (args: readonly unknown[]): unknown[] => args.map((a) => (isUnsealed(a) ? valueOfUnsealed(a) : a));

const explained: Record<Refusal, string> = {
  plaintext: 'it was not encrypted with the service’s payload key',
  unknownKey: 'it was encrypted with a key this service does not hold',
  forged: 'it failed authentication (altered, or not made with the service’s key)',
  noArguments: 'it carried no sealed arguments',
};

const refused = (what: string, refusal: Refusal) =>
  ApplicationFailure.create({ type: UNSEALED_MESSAGE, message: `${what} refused: ${explained[refusal]}`, nonRetryable: true });

class RefuseUnsealed implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const refusal = refusalOf(input.args);
    // A sealed start copied from another case (its input names that case): refused in runs from now
    // on; a history recorded before this check replays as it ran.
    const named = namedCase(input.args);
    const bound = typeof named === 'string' && workflowIdsFor(named).includes(workflowInfo().workflowId);
    if (!refusal && !bound && patched(BOUND_START_PATCH)) {
      log.warn('Refused a workflow start whose input names another case');
      throw forAnotherCase('Workflow start');
    }
    if (!refusal) return next(input);
    if (patched(REFUSE_UNSEALED_PATCH)) {
      log.warn('Refused a workflow start whose arguments are not sealed', { refusal });
      throw refused('Workflow start', refusal);
    }
    return next({ ...input, args: asRecorded(input.args) });
  }

  async handleSignal(input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>): Promise<void> {
    const refusal = refusalOf(input.args);
    if (!refusal) return next(input);
    if (patched(REFUSE_UNSEALED_PATCH)) {
      log.warn('Dropped a signal whose arguments are not sealed', { signal: input.signalName, refusal });
      return;
    }
    return next({ ...input, args: asRecorded(input.args) });
  }

  /** Runs only for a live Update (never on replay): a rejection leaves nothing in history. */
  validateUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>): void {
    const refusal = refusalOf(input.args);
    if (refusal) {
      log.warn('Rejected an Update whose arguments are not sealed', { update: input.name, refusal });
      throw refused(`Update ${input.name}`, refusal);
    }
    if (namedCase(input.args) !== workflowInfo().workflowId) {
      log.warn('Rejected an Update that names another case', { update: input.name });
      throw forAnotherCase(`Update ${input.name}`);
    }
    next(input);
  }

  /** Reached with unsealed arguments only when replaying an old history (or an Update without a validator). */
  async handleUpdate(input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>): Promise<unknown> {
    const refusal = refusalOf(input.args);
    if (!refusal) return next(input);
    if (patched(REFUSE_UNSEALED_PATCH)) throw refused(`Update ${input.name}`, refusal);
    return next({ ...input, args: asRecorded(input.args) });
  }

  async handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    const refusal = refusalOf(input.args, true);
    if (refusal) throw new Error(`Query ${input.queryName} refused: ${explained[refusal]}`);
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new RefuseUnsealed()] });
