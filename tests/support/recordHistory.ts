/**
 * Records the Temporal history of a case for the replay tests: `npx tsx tests/support/recordHistory.ts <name>`.
 * Run it when the workflow's shape changes on purpose (with patched()), and keep the old
 * histories: they are the cases already running in production.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUICK_PACK, linkIn, openLink, quickCase, toWithSubject } from './system';
import { withStandaloneSystem } from './standalone';

async function run() {
  const name = process.argv[2] ?? 'history';
  await withStandaloneSystem([QUICK_PACK], async (suite, system) => {
    const opened = await system.postJson('/api/disagreements', quickCase());
    const reference: string = opened.body.reference;
    // Stage 1 runs out of time; stage 2 is recorded "not resolved"; the chair resolves stage 3.
    // (No review date: the case would then wait for it before completing.)
    const manager = await suite.mail.waitFor(toWithSubject('deputy@quick.example.org', new RegExp(`${reference}: stage 2`)));
    await (await openLink(linkIn(manager))).submit({ outcome: 'notResolved', reasons: 'Still apart.' });
    const chair = await suite.mail.waitFor(toWithSubject('chair@quick.example.org', new RegExp(`${reference}: stage 3`)));
    await (await openLink(linkIn(chair))).submit({ outcome: 'resolved', agreedOutcome: 'Panel decision.' });
    const handle = suite.temporal.workflow.getHandle(reference);
    await handle.result();
    const history = await handle.fetchHistory();
    const file = join(__dirname, '..', 'fixtures', 'histories', `${name}.json`);
    writeFileSync(file, JSON.stringify(history));
    console.log(`wrote ${file}`);
  });
}

run().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
