/**
 * Anyone who can reach Temporal can send a start, a signal or an Update. Only messages sealed with
 * the service's payload key are taken: a plaintext one (a client without the codec, as the CLI
 * sends), one sealed with another key, or one altered in transit is refused — an Update in its
 * validator (nothing reaches history), a signal dropped (nothing written), a start failed at once.
 * Keys rotate: a case opened under key A carries on under key B with A retired, and its history
 * stays readable through the codec endpoint. All on the suite's real Temporal dev server.
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createEncryptionCodec, decodeForReading, sealedDataConverter } from '../../shared/codec';
import { DISAGREEMENT_WORKFLOW, caseState, linkOpened, recordOutcome, type RecordOutcomeRequest } from '../../shared/contract';
import { MESSAGE_FOR_ANOTHER_CASE, REFUSE_UNSEALED_PATCH, UNSEALED_MESSAGE } from '../../workflows/interceptors';
import { WORKFLOW_BUNDLE_OPTIONS } from '../../worker/createWorker';
import { PAYLOAD_KEY, codec, dataConverter, linkIn, newCase, openLink, startSystem, toWithSubject, useSystem, waitForEvent, type Running, type Suite } from '../support/system';
import { eventually } from '../support/waits';

const OTHER_KEY = Buffer.alloc(32, 9);

/** The codec as it was before this refusal: whatever it cannot open goes through as it is. */
const passingCodec = (inner: PayloadCodec): PayloadCodec => ({
  encode: (payloads, context) => inner.encode(payloads, context),
  decode: (payloads) => decodeForReading(inner, payloads),
});

/** Seals with the service's key, then flips one bit of the ciphertext: fails authentication. */
const tamperingCodec: PayloadCodec = {
  encode: async (payloads) =>
    (await codec.encode(payloads)).map((p) => {
      const data = Buffer.from(p.data!);
      data[data.length - 20] ^= 1;
      return { ...p, data };
    }),
  decode: (payloads) => codec.decode(payloads),
};

type EventRow = { type: string; actor: string | null };

describe('messages not sealed with the service’s payload key', () => {
  const ctx = useSystem('pglite');
  let clients: Record<'plaintext' | 'otherKey' | 'tampered', Client>;
  beforeAll(() => {
    const connection = ctx.suite.temporal.connection;
    clients = {
      plaintext: new Client({ connection }),
      otherKey: new Client({ connection, dataConverter: sealedDataConverter(createEncryptionCodec(OTHER_KEY)) }),
      tampered: new Client({ connection, dataConverter: { payloadCodecs: [tamperingCodec] } }),
    };
  });

  async function openOne(system: Running = ctx.system): Promise<string> {
    const opened = await system.postJson('/api/disagreements', newCase());
    expect(opened.status).toBe(201);
    await waitForEvent(system, opened.body.reference, 'stageEntered');
    return opened.body.reference as string;
  }

  /** A decision the stage-1 validator would take, and that decides the stage alone (a resolution there needs both sides). */
  async function validDecision(reference: string): Promise<RecordOutcomeRequest> {
    const state = await ctx.suite.temporal.workflow.getHandle(reference).query(caseState);
    return { reference, stage: state.stage!.number, recipientId: state.stage!.participants[0].id, decision: { outcome: 'notResolved', reasons: 'Forged: nobody decided this.' } };
  }

  const events = async (reference: string) =>
    (await ctx.suite.db.query<EventRow>('SELECT type, actor FROM case_events WHERE reference = $1 ORDER BY seq', [reference])).rows;

  it.each([
    ['a plaintext Update (a client without the codec, as the CLI sends)', 'plaintext', /not encrypted/],
    ['an Update sealed with another key', 'otherKey', /key this service does not hold/],
    ['an Update altered after sealing', 'tampered', /failed authentication/],
  ] as const)('refuses %s in validation: the stage is not decided and history holds nothing of it', async (_what, client, message) => {
    const reference = await openOne();
    const request = await validDecision(reference);
    const sent = clients[client].workflow.getHandle(reference).executeUpdate(recordOutcome, { args: [request] });
    await expect(sent).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    await expect(sent).rejects.toMatchObject({ cause: { type: UNSEALED_MESSAGE, message: expect.stringMatching(message) } });

    const handle = ctx.suite.temporal.workflow.getHandle(reference);
    const state = await handle.query(caseState);
    expect(state.status).toBe('open');
    expect(state.decisions).toEqual([]);
    expect((await events(reference)).map((e) => e.type)).not.toContain('outcomeRecorded');
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toEqual([]);

    // The same decision, sealed, is taken: the refusal was the seal, not the request.
    await expect(handle.executeUpdate(recordOutcome, { args: [request] })).resolves.toMatchObject({ stage: request.stage, recipientId: request.recipientId });
  });

  it('negative control: with the refusal switched off (the old pass-through codec) the plaintext Update decides the stage', async () => {
    const lenient = await startSystem({ ...ctx.suite, dataConverter: sealedDataConverter(passingCodec(codec)) });
    try {
      const reference = await openOne(lenient);
      const request = await validDecision(reference);
      // The client without the key cannot read the sealed answer; the case is what tells.
      await clients.plaintext.workflow.getHandle(reference).executeUpdate(recordOutcome, { args: [request] }).catch(() => undefined);
      expect((await ctx.suite.temporal.workflow.getHandle(reference).query(caseState)).decisions).toHaveLength(1);
    } finally {
      await lenient.stop();
    }
  });

  it.each([
    ['plaintext arguments', 'plaintext', [{ reference: 'FORGED-1' }]],
    ['arguments sealed with another key', 'otherKey', [{ reference: 'FORGED-2' }]],
    ['no arguments at all', 'plaintext', []],
  ] as const)('fails a start with %s at once, non-retryable, and its history replays', async (_what, client, args) => {
    const handle = await clients[client].workflow.start(DISAGREEMENT_WORKFLOW, { taskQueue: ctx.system.taskQueue, workflowId: `forged-${randomUUID()}`, args: [...args] });
    const failed = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    expect(failed).toMatchObject({ cause: { type: UNSEALED_MESSAGE, nonRetryable: true } });
    const history = await ctx.suite.temporal.workflow.getHandle(handle.workflowId).fetchHistory();
    // One workflow task, no retries, no activity.
    expect(history.events!.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    await expect(Worker.runReplayHistory({ workflowBundle: ctx.suite.bundle, dataConverter }, history, handle.workflowId)).resolves.toBeUndefined();
  });

  it('refuses a sealed Update copied out of one case’s history into another case: it names the first case', async () => {
    // Case A is decided properly; its history then holds the sealed decision, ciphertext anyone who
    // reaches Temporal (or its UI) can read and send on.
    const a = await openOne();
    const b = await openOne();
    const handleA = ctx.suite.temporal.workflow.getHandle(a);
    await handleA.executeUpdate(recordOutcome, { args: [await validDecision(a)] });
    const accepted = (await handleA.fetchHistory()).events!.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!;
    const sealed = accepted.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!;

    // The very payloads, byte for byte, sent to case B (as `temporal workflow update execute
    // --input-meta ... --input-base64` does).
    const { connection } = ctx.suite.temporal;
    const answer = await connection.workflowService.updateWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: b },
      waitPolicy: { lifecycleStage: 3 /* COMPLETED */ },
      request: { meta: { updateId: randomUUID(), identity: 'copier' }, input: { name: 'recordOutcome', args: sealed } },
    });
    expect(answer.outcome?.failure?.applicationFailureInfo?.type).toBe(MESSAGE_FOR_ANOTHER_CASE);

    const handleB = ctx.suite.temporal.workflow.getHandle(b);
    expect((await handleB.query(caseState)).decisions).toEqual([]);
    expect((await events(b)).map((e) => e.type)).not.toContain('outcomeRecorded');
    expect((await handleB.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toEqual([]);
  });

  it('fails a sealed start copied under another workflow id, and its history replays', async () => {
    // A real case's sealed start input, sent again under an id of the copier's choosing.
    const reference = await openOne();
    const started = (await ctx.suite.temporal.workflow.getHandle(reference).fetchHistory()).events![0].workflowExecutionStartedEventAttributes!;
    const copyId = `COPY-${randomUUID()}`;
    await ctx.suite.temporal.connection.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId: copyId,
      workflowType: { name: DISAGREEMENT_WORKFLOW },
      taskQueue: { name: ctx.system.taskQueue },
      input: started.input,
      requestId: randomUUID(),
      identity: 'copier',
    });
    const handle = ctx.suite.temporal.workflow.getHandle(copyId);
    const failed = await handle.result().then(() => undefined, (error: unknown) => error);
    expect(failed).toMatchObject({ cause: { type: MESSAGE_FOR_ANOTHER_CASE, nonRetryable: true } });
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    await expect(Worker.runReplayHistory({ workflowBundle: ctx.suite.bundle, dataConverter }, history, copyId)).resolves.toBeUndefined();
  });

  it('rejects a query with unsealed arguments and answers a plain one only in ciphertext', async () => {
    const reference = await openOne();
    const handle = clients.plaintext.workflow.getHandle(reference);
    await expect(handle.query('caseState', { forged: true })).rejects.toThrow(/refused: it was not encrypted/);
    // A client without the key gets the answer sealed: it cannot read the case.
    const answer = await handle.query(caseState).then(
      (state) => JSON.stringify(state),
      (error: unknown) => String(error),
    );
    expect(answer).not.toContain(reference);
  });

  describe('a forged signal, on a case on the legacy path (the one that still records linkOpened)', () => {
    let legacyBundle: WorkflowBundleWithSourceMap;
    beforeAll(async () => {
      legacyBundle = await bundleWorkflowCode({ ...WORKFLOW_BUNDLE_OPTIONS, workflowsPath: require.resolve('../fixtures/legacyWorkflow'), logger: new DefaultLogger('WARN') });
    });

    /** `otherKey`: also a signal sealed with another key (the old pass-through codec cannot take one at all: it fails the workflow task). */
    async function forgeThenSeal(suite: Suite, otherKey: boolean) {
      const system = await startSystem({ ...suite, bundle: legacyBundle });
      try {
        const reference = await openOne(system);
        const handle = ctx.suite.temporal.workflow.getHandle(reference);
        await clients.plaintext.workflow.getHandle(reference).signal(linkOpened, { stage: 1, recipientId: 'forged.actor.0' });
        if (otherKey) await clients.otherKey.workflow.getHandle(reference).signal(linkOpened, { stage: 1, recipientId: 'forged.other-key.0' });
        await handle.signal(linkOpened, { stage: 1, recipientId: 'raiser.worker.0' });
        // The sealed signal came last; once it is on the record and nothing is left running, the
        // forged ones had their chance to write.
        await eventually('the sealed signal on the record', async () => ((await events(reference)).some((e) => e.type === 'linkOpened' && e.actor === 'raiser.worker.0') ? true : undefined));
        await eventually('no activity left running', async () => (((await handle.describe()).raw.pendingActivities ?? []).length === 0 ? true : undefined));
        const history = await handle.fetchHistory();
        await expect(Worker.runReplayHistory({ workflowBundle: legacyBundle, dataConverter }, history, reference)).resolves.toBeUndefined();
        return { opened: (await events(reference)).filter((e) => e.type === 'linkOpened').map((e) => e.actor), history };
      } finally {
        await system.stop();
      }
    }

    it('drops it: only the sealed signal writes to the record, and the history replays', async () => {
      const { opened, history } = await forgeThenSeal(ctx.suite, true);
      expect(opened).toEqual(['raiser.worker.0']);
      const patches = history.events!.flatMap((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? []).map((p) => Buffer.from(p.data!).toString());
      expect(patches.some((p) => p.includes(REFUSE_UNSEALED_PATCH))).toBe(true);
      expect(history.events!.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    });

    it('negative control: with the refusal switched off the plaintext signal writes to the record', async () => {
      const { opened } = await forgeThenSeal({ ...ctx.suite, dataConverter: sealedDataConverter(passingCodec(codec)) }, false);
      expect(opened).toContain('forged.actor.0');
    });
  });

  it('carries a case opened under key A on after a restart with key B current and A retired, and its history stays readable', async () => {
    const KEY_B = Buffer.alloc(32, 11);
    const underA = await startSystem(ctx.suite);
    let reference: string;
    let invite: Awaited<ReturnType<typeof ctx.suite.mail.waitFor>>;
    try {
      reference = await openOne(underA);
      invite = await ctx.suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${reference}: stage 1`)));
    } finally {
      await underA.stop();
    }
    // API and worker restarted: key B seals, key A only opens. Same task queue, same address.
    const ringB = createEncryptionCodec({ current: KEY_B, retired: [PAYLOAD_KEY] });
    const converterB = sealedDataConverter(ringB);
    const clientB = new Client({ connection: ctx.suite.temporal.connection, dataConverter: converterB });
    const underB = await startSystem(
      { ...ctx.suite, dataConverter: converterB, temporal: clientB },
      { taskQueue: underA.taskQueue, port: Number(new URL(underA.baseUrl).port), codec: ringB },
    );
    try {
      const page = await openLink(linkIn(invite));
      expect(page.status).toBe(200);
      const decided = await page.submit({ outcome: 'notResolved', reasons: 'Still disagree after the key changed.' });
      expect(decided.status).toBe(200);
      expect(decided.html).toContain('not resolved at stage 1');
      await ctx.suite.mail.waitFor(toWithSubject('csc.team.manager@example.org', new RegExp(`${reference}: stage 2`)));

      // History now holds payloads under both keys; the codec endpoint opens them all.
      const raw = await new Client({ connection: ctx.suite.temporal.connection }).workflow.getHandle(reference).fetchHistory();
      const sealed: Payload[] = [];
      const collect = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        const p = node as Payload;
        if (p.metadata?.encoding && Buffer.from(p.metadata.encoding).toString() === 'binary/encrypted') sealed.push(p);
        else for (const value of Object.values(node)) collect(value);
      };
      collect(raw.events);
      const keyIds = new Set(sealed.map((p) => Buffer.from(p.metadata!['encryption-key-id']!).toString()));
      expect(keyIds.size).toBe(2);
      const operations = await underB.asStaff('operations@example.org');
      const res = await fetch(`${underB.baseUrl}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: operations.cookieHeader },
        body: JSON.stringify({
          payloads: sealed.map((p) => ({
            metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
            data: Buffer.from(p.data!).toString('base64'),
          })),
        }),
      });
      expect(res.status).toBe(200);
      const decoded = ((await res.json()) as { payloads: { metadata: { encoding: string } }[] }).payloads;
      expect(decoded).toHaveLength(sealed.length);
      expect(new Set(decoded.map((p) => Buffer.from(p.metadata.encoding, 'base64').toString()))).not.toContain('binary/encrypted');
      // The UI is read-only: the endpoint seals nothing for anyone, staff included.
      const encode = await fetch(`${underB.baseUrl}/codec/encode`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: operations.cookieHeader }, body: JSON.stringify({ payloads: [] }) });
      expect(encode.status).toBe(403);

    } finally {
      await underB.stop();
    }
  });
});
