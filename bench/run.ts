/**
 * `npm run bench`: timings, kept out of the pass/fail tests. Measures the working-day arithmetic,
 * loading the policy packs, and opening cases end to end (HTTP, PGlite, the dev server, the
 * worker, SMTP) until both practitioners have their stage-1 email.
 */
import { performance } from 'node:perf_hooks';
import { addWorkingDays, ENGLAND_OFFICE_HOURS } from '../shared/calendar/workingTime';
import { loadPolicyRegistry } from '../shared/policy/load';
import { newCase, toWithSubject } from '../tests/support/system';
import { withStandaloneSystem } from '../tests/support/standalone';

function time<T>(label: string, runs: number, fn: (i: number) => T): void {
  const start = performance.now();
  for (let i = 0; i < runs; i++) fn(i);
  const ms = performance.now() - start;
  console.log(`${label}: ${runs} runs in ${ms.toFixed(0)} ms (${((ms * 1000) / runs).toFixed(1)} µs each)`);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function run() {
  const base = Date.UTC(2026, 0, 5, 10);
  time('addWorkingDays(5) from varied starts', 20_000, (i) => addWorkingDays(new Date(base + i * 3_600_000), 5, ENGLAND_OFFICE_HOURS));
  time('load and validate the five policy packs', 20, () => loadPolicyRegistry());

  const cases = Number(process.env.BENCH_CASES ?? 30);
  await withStandaloneSystem([], async (suite, system) => {
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: cases }, async (_, i) => {
        const t0 = performance.now();
        const body = newCase({ raiser: { name: `Raiser ${i}`, email: `raiser${i}@example.org`, agency: 'hillside-primary' } });
        const { body: opened } = await system.postJson('/api/disagreements', body);
        await suite.mail.waitFor(toWithSubject(`raiser${i}@example.org`, new RegExp(`${opened.reference}: stage 1`)), 120_000);
        await suite.mail.waitFor(toWithSubject('bob.sw@example.org', new RegExp(`${opened.reference}: stage 1`)), 120_000);
        latencies.push(performance.now() - t0);
      }),
    );
    const total = performance.now() - started;
    latencies.sort((a, b) => a - b);
    console.log(
      `open ${cases} cases concurrently to both stage-1 emails: total ${total.toFixed(0)} ms, ` +
        `median ${percentile(latencies, 0.5).toFixed(0)} ms, p90 ${percentile(latencies, 0.9).toFixed(0)} ms, max ${latencies[latencies.length - 1].toFixed(0)} ms`,
    );
    for (const reference of system.opened) await suite.temporal.workflow.getHandle(reference).terminate('bench finished');
  });
}

run().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
