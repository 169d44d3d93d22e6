/**
 * The quick fault run: the deployment shape as separate processes (Temporal dev server,
 * PostgreSQL server, two workers, the API, an SMTP server here), a subset of the scenarios of
 * `npm run faults` with short durations. It asserts the counts, never timings or the order of
 * unrelated events. The harness's own log and every process's log: test-artifacts/faults/.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from '../../scripts/faults/deployment';
import { QUICK, details, runScenario, table, type ScenarioResult } from '../../scripts/faults/harness';
import { newRunDir } from '../../scripts/faults/run';
import { selectScenarios } from '../../scripts/faults/scenarios';

// A scenario whose fault freezes a case waits out its step and settle timeouts before counting.
const SCENARIO_TIMEOUT_MS = QUICK.stepTimeoutMs + QUICK.settleTimeoutMs + 90_000;

describe('fault scenarios on separate processes (quick)', () => {
  const runDir = newRunDir('jest');
  const log = (line: string) => appendFileSync(join(runDir, 'harness.log'), `${line}\n`);
  const results: ScenarioResult[] = [];
  let dep: Deployment;

  beforeAll(async () => {
    dep = await Deployment.start({ runDir, stage1: QUICK.stage1, log });
  }, 300_000);

  afterAll(async () => {
    await dep?.stop();
    if (results.length) log(`\n${details(results)}\n\n${table(results)}`);
  }, 60_000);

  for (const scenario of selectScenarios('quick')) {
    it(`${scenario.id}: ${scenario.title}`, async () => {
      const result = await runScenario(dep, QUICK, scenario, log);
      results.push(result);
      const c = result.counts;
      expect({
        missing: c.missing,
        doubled: c.doubled,
        unexpected: c.unexpected,
        'cases (rows/workflows)': `${c.caseRows}/${c.workflows}`,
        'chains not verified': c.caseRows - c.chainsVerified,
        chainProblems: c.chainProblems,
        stuck: c.stuck,
        crashed: c.crashed,
        failedChecks: result.checks.filter((check) => !check.ok && !check.timing).map((check) => `${check.name}: ${check.detail}`),
        stopped: result.error,
        problems: result.problems.filter((p) => !p.startsWith('late:')),
      }).toEqual({
        missing: 0,
        doubled: 0,
        unexpected: 0,
        'cases (rows/workflows)': `${c.casesWanted}/${c.casesWanted}`,
        'chains not verified': 0,
        chainProblems: 0,
        stuck: 0,
        crashed: 0,
        failedChecks: [],
        stopped: undefined,
        problems: [],
      });
    }, SCENARIO_TIMEOUT_MS);
  }
});
