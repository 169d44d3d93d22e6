/**
 * `npm run faults`: the deployment shape as separate processes, every fault scenario in turn, a
 * table of counts, exit 1 when any count is wrong.
 *
 *   npm run faults                          # every scenario, full durations (about 15 minutes)
 *   npm run faults -- --quick               # the test suite's subset with short durations
 *   npm run faults -- --only smtp-down,link-flood
 *   FAULTS_SYSTEM_DIR=../other-checkout npm run faults   # the harness against another checkout's code
 *
 * Logs of every process and a summary.json go to test-artifacts/faults/<time>-<mode>/.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from './deployment';
import { FULL, QUICK, details, runScenario, table, type Durations, type Scenario, type ScenarioResult } from './harness';
import { selectScenarios } from './scenarios';
import { HARNESS_ROOT } from './system';

export function newRunDir(mode: string): string {
  const dir = join(HARNESS_ROOT, 'test-artifacts', 'faults', `${new Date().toISOString().replace(/[:.]/g, '-')}-${mode}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

let active: Deployment | undefined;

export async function runFaults(d: Durations, scenarios: Scenario[], print: (line: string) => void = console.log): Promise<{ results: ScenarioResult[]; runDir: string }> {
  const runDir = newRunDir(d.mode);
  const log = (line: string) => {
    print(line);
    appendFileSync(join(runDir, 'harness.log'), `${line}\n`);
  };
  log(`Fault run (${d.mode}): ${scenarios.map((s) => s.id).join(', ')}; logs in ${runDir}`);
  const dep = await Deployment.start({ runDir, stage1: d.stage1, log });
  active = dep;
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) results.push(await runScenario(dep, d, scenario, log));
  } finally {
    active = undefined;
    await dep.stop();
    writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ mode: d.mode, results }, null, 2));
  }
  return { results, runDir };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyIndex = args.findIndex((a) => a === '--only' || a.startsWith('--only='));
  const onlyArg = onlyIndex < 0 ? undefined : args[onlyIndex].includes('=') ? args[onlyIndex].split('=')[1] : args[onlyIndex + 1];
  const d = quick ? QUICK : FULL;
  const scenarios = selectScenarios(d.mode, onlyArg?.split(',').filter(Boolean));
  const { results, runDir } = await runFaults(d, scenarios);
  const report = `\n${details(results)}\n\n${table(results)}\n`;
  console.log(report);
  appendFileSync(join(runDir, 'harness.log'), report);
  console.log(`Logs, the harness's log and summary.json: ${runDir}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  let stopping = false;
  // Ctrl-C: stop the processes and remove the throwaway cluster; a second Ctrl-C leaves at once.
  process.on('SIGINT', () => {
    if (stopping || !active) process.exit(130);
    stopping = true;
    console.error('Interrupted; stopping the deployment (Ctrl-C again to leave at once)');
    void active.stop().finally(() => process.exit(130));
  });
  main()
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: Error) => {
      console.error(error.stack ?? error.message);
      process.exitCode = 1;
    });
}
