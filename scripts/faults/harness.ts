/**
 * Runs fault scenarios against a Deployment and counts what happened, at the SMTP server and in
 * the record: emails expected, received, missing, doubled and unexpected; invitations that
 * arrived after their stage's deadline; cases opened per request; record chains verified; cases
 * stuck; processes crashed. Every count but "expected", "received" and "chains verified" must
 * be zero (and one case per request) for a scenario to pass.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { CookieJar, decideThroughLink, linkIn, postCase, type Decision } from './client';
import type { Deployment } from './deployment';
import { RAISER_MANAGER, classify, expectedMails, newCaseBody, practitionersFor, type ExpectedMail, type Practitioners } from './pack';
import { sleep, waitFor } from './processes';
import type { ReceivedMail } from './smtp';

const { WorkflowExecutionStatus } = temporal.api.enums.v1;

export interface Durations {
  mode: 'full' | 'quick';
  /** The fault pack's stage 1 (ISO 8601) and the same in milliseconds. */
  stage1: string;
  stage1Ms: number;
  /** How long to wait for the next step of a case (an email, a decision) beyond the stage's own time. */
  stepTimeoutMs: number;
  /** How long to wait, after the last step, for every case's workflow to finish. */
  settleTimeoutMs: number;
  smtpDownMs: number;
  temporalDownMs: number;
  postgresDownMs: number;
  floodGets: number;
  floodConcurrency: number;
  /** A decision slower than this fails a full run's "decision in under a second" check. */
  slowDecisionMs: number;
}

export const FULL: Durations = {
  mode: 'full',
  stage1: 'PT20S',
  stage1Ms: 20_000,
  stepTimeoutMs: 150_000,
  settleTimeoutMs: 150_000,
  smtpDownMs: Number(process.env.FAULTS_SMTP_DOWN_MS ?? 60_000),
  temporalDownMs: 15_000,
  postgresDownMs: 5_000,
  floodGets: Number(process.env.FAULTS_FLOOD_GETS ?? 5_000),
  floodConcurrency: 25,
  slowDecisionMs: 1_000,
};

export const QUICK: Durations = {
  mode: 'quick',
  stage1: 'PT5S',
  stage1Ms: 5_000,
  stepTimeoutMs: 75_000,
  settleTimeoutMs: 75_000,
  smtpDownMs: 10_000,
  temporalDownMs: 5_000,
  postgresDownMs: 2_000,
  floodGets: 500,
  floodConcurrency: 10,
  slowDecisionMs: 1_000,
};

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Depends on timing: reported always, failing only a full run, never asserted in jest. */
  timing?: boolean;
}

export interface IntendedCase {
  label: string;
  people: Practitioners;
  refused: string[];
  reference?: string;
}

export interface Scenario {
  id: string;
  title: string;
  /** Part of the quick run in the test suite. */
  quick: boolean;
  run(r: ScenarioRun): Promise<void>;
  /** Checks that read the record once the cases have settled. */
  verify?(r: ScenarioRun): Promise<void>;
}

export interface Counts {
  expected: number;
  received: number;
  missing: number;
  doubled: number;
  unexpected: number;
  late: number;
  casesWanted: number;
  caseRows: number;
  workflows: number;
  chainsVerified: number;
  chainProblems: number;
  stuck: number;
  crashed: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  counts: Counts;
  checks: Check[];
  injected: string[];
  notes: string[];
  /** Lines naming each missing, doubled, unexpected or late email, for the log. */
  problems: string[];
  error?: string;
  seconds: number;
  ok: boolean;
  /** Ok ignoring the checks and counts that depend on timing (what jest asserts). */
  okIgnoringTiming: boolean;
}

/** One scenario's run: its own practitioners (so its emails are its own), what it injected, its checks. */
export class ScenarioRun {
  readonly tag: string;
  readonly people: Practitioners;
  readonly startedAt = new Date();
  readonly cases: IntendedCase[] = [];
  readonly injected: string[] = [];
  readonly notes: string[] = [];
  readonly checks: Check[] = [];
  /** A step that never came: settling then waits only briefly. */
  stalled = false;

  constructor(
    readonly dep: Deployment,
    readonly d: Durations,
    readonly scenario: Scenario,
    private readonly log: (line: string) => void,
  ) {
    this.tag = `${scenario.id.replace(/[^a-z0-9]/g, '')}${randomBytes(2).toString('hex')}`;
    this.people = practitionersFor(this.tag);
  }

  private stamp(): string {
    return `[${this.scenario.id} +${((Date.now() - this.startedAt.getTime()) / 1000).toFixed(1)}s]`;
  }

  inject(line: string): void {
    this.injected.push(line);
    this.log(`${this.stamp()} injected: ${line}`);
  }

  note(line: string): void {
    this.notes.push(line);
    this.log(`${this.stamp()} ${line}`);
  }

  check(name: string, ok: boolean, detail: string, options: { timing?: boolean } = {}): void {
    this.checks.push({ name, ok, detail, timing: options.timing });
    this.log(`${this.stamp()} check ${ok ? 'ok' : 'FAILED'}: ${name} (${detail})`);
  }

  /** A case the scenario means to open (and to drive to its end). */
  intend(label: string, refused: string[] = []): IntendedCase {
    const c: IntendedCase = { label, people: this.people, refused };
    this.cases.push(c);
    return c;
  }

  /** Opens a case through the API, retrying (same Idempotency-Key) only if it does not answer 201. */
  async open(label = `case ${this.cases.length + 1}`, refused: string[] = []): Promise<IntendedCase> {
    const c = this.intend(label, refused);
    const body = newCaseBody(this.tag, `${this.tag}-${this.cases.length}`);
    const key = randomUUID();
    const answer = await waitFor(
      `a 201 for ${label}`,
      async () => {
        const a = await postCase(this.dep.baseUrl, this.dep.intakeKey, body, { idempotencyKey: key });
        return a.status === 201 ? a : undefined;
      },
      this.d.stepTimeoutMs,
      1_000,
    );
    c.reference = answer.reference;
    this.note(`opened ${c.reference} (${label}) in ${answer.ms} ms`);
    return c;
  }

  /** Waits for an email about a case to someone; undefined (and the run marked stalled) if none came. */
  async mailTo(c: IntendedCase, to: string, kind: 'invitation' | 'confirmation', stage: number, timeoutMs: number): Promise<ReceivedMail | undefined> {
    const mail = await this.dep.smtp.waitFor((m) => {
      const k = classify(m);
      return m.to.includes(to) && k.reference === c.reference && k.kind === kind && k.stage === stage;
    }, timeoutMs);
    if (!mail) {
      this.stalled = true;
      this.note(`no stage-${stage} ${kind} for ${c.reference} reached ${to} within ${Math.round(timeoutMs / 1000)} s`);
    }
    return mail;
  }

  /** The standard path's last step: stage 1 runs out, then the raiser's manager records "resolved". */
  async resolveAtStage2(c: IntendedCase, link?: string): Promise<Decision | undefined> {
    if (!c.reference) return undefined;
    let url = link;
    if (!url) {
      const invite = await this.mailTo(c, RAISER_MANAGER, 'invitation', 2, this.d.stage1Ms + this.d.stepTimeoutMs);
      url = invite && linkIn(invite.text);
      if (!url) return undefined;
    }
    // The manager decides from one browser, signed in once (a code sent to their address, read off
    // the SMTP server) and kept signed in, one decision at a time, as a person would.
    const browser = managerBrowser(this.dep);
    const decide = async (): Promise<Decision> => {
      const since = Math.max(0, ...this.dep.smtp.received.map((m) => m.seq));
      const codeFor = async () => {
        const mail = await this.dep.smtp.waitFor((m) => m.seq > since && m.to.includes(RAISER_MANAGER) && /sign-in code/i.test(m.subject), this.d.stepTimeoutMs);
        return mail && /\b(\d{6})\b/.exec(mail.text)?.[1];
      };
      return decideThroughLink(url, { outcome: 'resolved', agreedOutcome: 'Fault test: agreed at the managers’ stage.' }, codeFor, browser.jar);
    };
    const turn = browser.queue.then(decide, decide);
    browser.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    const decision = await turn.catch(
      (error: Error): Decision => ({ status: 0, recorded: false, confirmMs: 0, detail: error.message }),
    );
    if (!decision.recorded) {
      this.stalled = true;
      this.note(`the decision on ${c.reference} was not recorded: ${decision.detail}`);
    }
    return decision;
  }

  /** Every case this scenario opened, intended or not: rows in the record and workflows started. */
  async references(): Promise<{ rows: string[]; workflows: string[] }> {
    const { rows } = await this.dep.pool.query<{ reference: string }>('SELECT reference FROM cases WHERE child_reference LIKE $1 ORDER BY opened_at', [`${this.tag}-%`]);
    const workflows = await listWorkflowsStartedSince(this.dep, this.startedAt);
    return { rows: rows.map((r) => r.reference), workflows };
  }
}

async function listWorkflowsStartedSince(dep: Deployment, since: Date): Promise<string[]> {
  const ids: string[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await dep.client.workflowService.listWorkflowExecutions({
      namespace: 'default',
      // A second's slack: the server's clock and ours are the same machine's, but rounded.
      query: `StartTime >= "${new Date(since.getTime() - 1_000).toISOString()}"`,
      pageSize: 1_000,
      nextPageToken,
    });
    for (const e of page.executions ?? []) if (e.execution?.workflowId) ids.push(e.execution.workflowId);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return [...new Set(ids)];
}

export async function workflowStatus(dep: Deployment, workflowId: string): Promise<{ running: boolean; historyLength: number } | undefined> {
  try {
    const described = await dep.client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId } });
    const info = described.workflowExecutionInfo;
    return { running: info?.status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, historyLength: Number(info?.historyLength ?? 0) };
  } catch {
    return undefined;
  }
}

/** Runs one scenario, lets its cases settle, counts, and clears up what it left running. */
export async function runScenario(dep: Deployment, d: Durations, scenario: Scenario, log: (line: string) => void): Promise<ScenarioResult> {
  await dep.ensureUp();
  const r = new ScenarioRun(dep, d, scenario, log);
  log(`\n=== ${scenario.id}: ${scenario.title}`);
  let error: string | undefined;
  try {
    await scenario.run(r);
  } catch (e) {
    error = (e as Error).message;
    r.stalled = true;
    log(`[${scenario.id}] the scenario stopped: ${error}`);
  }
  await settle(r);
  if (scenario.verify) await scenario.verify(r).catch((e: Error) => r.check('verification ran', false, e.message));
  const { counts, problems } = await count(r);
  await clearUp(r);
  const seconds = (Date.now() - r.startedAt.getTime()) / 1000;
  const countsOk = (timing: boolean) =>
    counts.missing === 0 &&
    counts.doubled === 0 &&
    counts.unexpected === 0 &&
    (!timing || counts.late === 0) &&
    counts.caseRows === counts.casesWanted &&
    counts.workflows === counts.casesWanted &&
    counts.chainsVerified === counts.caseRows &&
    counts.chainProblems === 0 &&
    counts.stuck === 0 &&
    counts.crashed === 0;
  const checksOk = (timing: boolean) => r.checks.every((c) => c.ok || (c.timing && !timing));
  return {
    id: scenario.id,
    title: scenario.title,
    counts,
    checks: r.checks,
    injected: r.injected,
    notes: r.notes,
    problems,
    error,
    seconds,
    // A quick run (the test suite's) never fails on timing; a full run does.
    ok: !error && countsOk(d.mode === 'full') && checksOk(d.mode === 'full'),
    okIgnoringTiming: !error && countsOk(false) && checksOk(false),
  };
}

/** Waits until every intended case's workflow has finished (or the time is up). */
async function settle(r: ScenarioRun): Promise<void> {
  const references = r.cases.map((c) => c.reference).filter((ref): ref is string => Boolean(ref));
  const timeoutMs = r.stalled ? 5_000 : r.d.settleTimeoutMs;
  await waitFor(
    'every case to finish',
    async () => {
      const statuses = await Promise.all(references.map((ref) => workflowStatus(r.dep, ref)));
      return statuses.every((s) => s && !s.running);
    },
    timeoutMs,
    500,
  ).catch(() => {});
  // Anything a retried activity still had in flight lands now, and is counted.
  await sleep(1_000);
}

async function count(r: ScenarioRun): Promise<{ counts: Counts; problems: string[] }> {
  const { dep } = r;
  const { rows, workflows } = await r.references().catch(() => ({ rows: [] as string[], workflows: [] as string[] }));
  const practitioners = [r.people.raiser, r.people.other];
  const refs = new Set([...rows, ...workflows, ...r.cases.map((c) => c.reference).filter((x): x is string => Boolean(x))]);
  // Emails to this scenario's practitioners name cases even the record may have lost.
  for (const m of dep.smtp.received) {
    const ref = classify(m).reference;
    if (ref && m.to.some((t) => practitioners.includes(t))) refs.add(ref);
  }
  const mails = dep.smtp.received.filter((m) => {
    const ref = classify(m).reference;
    return ref ? refs.has(ref) : m.to.some((t) => practitioners.includes(t));
  });

  const expected: ExpectedMail[] = r.cases.flatMap((c) => (c.reference ? expectedMails(c.reference, c.people, c.refused) : []));
  const filled = new Set<ExpectedMail>();
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  const problems: string[] = [];
  let doubled = 0;
  let unexpected = 0;
  let late = 0;
  const deadlines = await stageDeadlines(r, [...refs]);
  for (const m of mails) {
    const to = m.to[0];
    const kind = classify(m);
    const slot = expected.find((e) => e.reference === kind.reference && e.to === to && e.kind === kind.kind && (e.stage === undefined || e.stage === kind.stage));
    const key = `${to}|${m.subject}`;
    const sameId = m.messageId !== '' && seenIds.has(m.messageId);
    // Several delivery notices may be right (one per refused email); only the same message twice is a double.
    const isDouble = sameId || (seenKeys.has(key) && !slot?.atLeastOne);
    seenIds.add(m.messageId);
    seenKeys.add(key);
    if (isDouble) {
      doubled += 1;
      problems.push(`doubled: "${m.subject}" to ${to}${sameId ? ` (same Message-ID ${m.messageId})` : ''}`);
      continue;
    }
    if (slot) {
      filled.add(slot);
    } else {
      unexpected += 1;
      problems.push(`unexpected: "${m.subject}" to ${to}`);
    }
    if (kind.kind === 'invitation' && kind.reference && kind.stage) {
      const deadline = deadlines.get(`${kind.reference}/${kind.stage}`);
      if (deadline && m.at.getTime() > deadline.getTime()) {
        late += 1;
        problems.push(`late: "${m.subject}" to ${to} arrived ${((m.at.getTime() - deadline.getTime()) / 1000).toFixed(1)} s after its stage's deadline`);
      }
    }
  }
  const missing = expected.filter((e) => !filled.has(e));
  for (const e of missing) problems.push(`missing: ${e.kind}${e.stage ? ` (stage ${e.stage})` : ''} of ${e.reference} to ${e.to}`);

  let chainsVerified = 0;
  let chainProblems = 0;
  for (const ref of rows) {
    const result = await dep.system.verifyChains(dep.db, ref).catch((e: Error) => ({ events: 0, problems: [{ reference: ref, seq: -1, problem: e.message }] }));
    if (result.events > 0 && result.problems.length === 0) chainsVerified += 1;
    chainProblems += result.problems.length;
    for (const p of result.problems) problems.push(`chain: ${ref} event ${p.seq}: ${p.problem}`);
  }

  let stuck = 0;
  for (const c of r.cases) {
    if (!c.reference) continue;
    const status = await workflowStatus(dep, c.reference);
    if (!status || status.running) {
      stuck += 1;
      problems.push(`stuck: ${c.reference} (${c.label}) is ${status ? 'still running' : 'not found in Temporal'}`);
    }
  }
  const intended = new Set(r.cases.map((c) => c.reference));
  for (const ref of rows) if (!intended.has(ref)) problems.push(`extra case: ${ref} has a row in cases that no request was answered with`);
  for (const id of workflows) if (!rows.includes(id)) problems.push(`orphan workflow: ${id} was started but has no row in cases`);
  for (const ref of rows) if (!workflows.includes(ref)) problems.push(`case without a workflow: ${ref} has a row in cases but no workflow was started`);
  const crashes = dep.crashesSince(r.startedAt);
  for (const c of crashes) problems.push(`crashed: ${c.process} at ${c.at.toISOString()} (code ${c.code}, signal ${c.signal})${c.reason ? `: ${c.reason}` : ''}`);

  return {
    counts: {
      expected: expected.length,
      received: mails.length,
      missing: missing.length,
      doubled,
      unexpected,
      late,
      casesWanted: r.cases.length,
      caseRows: rows.length,
      workflows: workflows.length,
      chainsVerified,
      chainProblems,
      stuck,
      crashed: crashes.length,
    },
    problems,
  };
}

/** Each stage's deadline as the record last states it (a later event may extend it). */
async function stageDeadlines(r: ScenarioRun, refs: string[]): Promise<Map<string, Date>> {
  const deadlines = new Map<string, Date>();
  if (refs.length === 0) return deadlines;
  const { rows } = await r.dep.pool
    .query<{ reference: string; stage: number; deadline: string }>(
      `SELECT reference, stage, detail->>'deadline' AS deadline FROM case_events
        WHERE reference = ANY($1) AND stage IS NOT NULL AND detail ? 'deadline' ORDER BY reference, seq`,
      [refs],
    )
    .catch(() => ({ rows: [] as { reference: string; stage: number; deadline: string }[] }));
  for (const row of rows) deadlines.set(`${row.reference}/${row.stage}`, new Date(row.deadline));
  return deadlines;
}

/** Ends what the scenario left running (duplicates, frozen cases), so the next one starts clean. */
async function clearUp(r: ScenarioRun): Promise<void> {
  const { rows, workflows } = await r.references().catch(() => ({ rows: [] as string[], workflows: [] as string[] }));
  for (const id of new Set([...rows, ...workflows])) {
    const status = await workflowStatus(r.dep, id);
    if (!status?.running) continue;
    await r.dep.client.workflowService
      .terminateWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: id }, reason: `fault scenario ${r.scenario.id} is over` })
      .catch(() => {});
  }
  r.dep.smtp.clearFaults();
}

const COLUMNS: [string, (c: Counts) => string][] = [
  ['expected', (c) => String(c.expected)],
  ['received', (c) => String(c.received)],
  ['missing', (c) => String(c.missing)],
  ['doubled', (c) => String(c.doubled)],
  ['unexpected', (c) => String(c.unexpected)],
  ['late', (c) => String(c.late)],
  ['cases want/rows/wf', (c) => `${c.casesWanted}/${c.caseRows}/${c.workflows}`],
  ['chains ok', (c) => `${c.chainsVerified}/${c.caseRows}`],
  ['chain problems', (c) => String(c.chainProblems)],
  ['stuck', (c) => String(c.stuck)],
  ['crashed', (c) => String(c.crashed)],
];

export function table(results: ScenarioResult[]): string {
  const header = ['scenario', ...COLUMNS.map(([name]) => name), 'checks failed', 'result'];
  const rows = results.map((r) => [
    r.id,
    ...COLUMNS.map(([, cell]) => cell(r.counts)),
    `${r.checks.filter((c) => !c.ok).length}/${r.checks.length}`,
    r.ok ? (r.okIgnoringTiming && r.counts.late === 0 && r.checks.every((c) => c.ok) ? 'PASS' : 'PASS (timing not asserted)') : r.okIgnoringTiming ? 'FAIL (timing)' : 'FAIL',
  ]);
  const total = results.reduce<Counts>(
    (sum, r) => Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v + r.counts[k as keyof Counts]])) as unknown as Counts,
    { expected: 0, received: 0, missing: 0, doubled: 0, unexpected: 0, late: 0, casesWanted: 0, caseRows: 0, workflows: 0, chainsVerified: 0, chainProblems: 0, stuck: 0, crashed: 0 },
  );
  rows.push([
    'TOTAL',
    ...COLUMNS.map(([, cell]) => cell(total)),
    `${results.reduce((n, r) => n + r.checks.filter((c) => !c.ok).length, 0)}/${results.reduce((n, r) => n + r.checks.length, 0)}`,
    `${results.filter((r) => r.ok).length}/${results.length} pass`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1])].join('\n');
}

export function details(results: ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.id}: ${r.title} (${r.seconds.toFixed(0)} s) ${r.ok ? 'PASS' : 'FAIL'}`);
    for (const line of r.injected) out.push(`  injected: ${line}`);
    for (const c of r.checks) out.push(`  check ${c.ok ? 'ok    ' : 'FAILED'}${c.timing ? ' (timing)' : ''}: ${c.name}: ${c.detail}`);
    if (r.error) out.push(`  stopped: ${r.error}`);
    const shown = r.problems.slice(0, 12);
    for (const p of shown) out.push(`  ${p}`);
    if (r.problems.length > shown.length) out.push(`  ... and ${r.problems.length - shown.length} more`);
  }
  return out.join('\n');
}

/** The raiser's manager's browser on one deployment, and their decisions in turn. */
const managerBrowsers = new WeakMap<object, { jar: CookieJar; queue: Promise<unknown> }>();
function managerBrowser(dep: object) {
  let browser = managerBrowsers.get(dep);
  if (!browser) managerBrowsers.set(dep, (browser = { jar: new CookieJar(), queue: Promise.resolve() }));
  return browser;
}
