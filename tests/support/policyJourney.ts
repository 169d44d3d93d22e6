/** Helpers for driving a case through a policy over HTTP and reading who was emailed. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaughtMessage } from '../../mail/catcher';
import { linkIn, openLink, type Running, type Suite } from './system';
import { settleAndCancel } from './timeSkipping';

export async function openCase(system: Running, body: Record<string, unknown>): Promise<string> {
  const res = await system.postJson('/api/disagreements', body);
  if (res.status !== 201) throw new Error(`Opening the case failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.reference;
}

/** Waits for `address` to get the email for `reference` whose subject matches. */
export function emailTo(suite: Suite, address: string, reference: string, subject: RegExp | string, timeoutMs?: number): Promise<CaughtMessage> {
  const pattern = typeof subject === 'string' ? new RegExp(escapeRegExp(subject)) : subject;
  const prefix = `${reference}: `;
  return suite.mail.waitFor((m) => m.to.includes(address) && m.subject.startsWith(prefix) && pattern.test(m.subject.slice(prefix.length)), timeoutMs);
}

/** Everyone emailed about the case, with the subjects they got. */
export function mailFor(suite: Suite, reference: string): { to: string; subject: string }[] {
  return suite.mail
    .messages()
    .filter((m) => m.subject.startsWith(`${reference}:`))
    .flatMap((m) => m.to.map((to) => ({ to, subject: m.subject.slice(reference.length + 2) })));
}

export function recipientsOf(suite: Suite, reference: string, subject: RegExp): string[] {
  return [...new Set(mailFor(suite, reference).filter((m) => subject.test(m.subject)).map((m) => m.to))].sort();
}

/** Follows the link in an email and records the outcome on its page. */
export async function decide(message: CaughtMessage, fields: Record<string, string>) {
  const page = await openLink(linkIn(message));
  if (page.status !== 200) throw new Error(`The link in "${message.subject}" answered ${page.status}`);
  const result = await page.submit(fields);
  if (result.status !== 200) throw new Error(`Recording ${JSON.stringify(fields)} answered ${result.status}: ${result.html.match(/govuk-error-summary__list[\s\S]*?<\/ul>/)?.[0] ?? ''}`);
  return result;
}

/**
 * Both sides decide (issue 11): the email asking `address` to confirm the resolution proposed at
 * `stage`, followed, and the proposal confirmed on its page.
 */
export async function confirmAgreement(suite: Suite, address: string, reference: string, stage: number) {
  return decide(await emailTo(suite, address, reference, new RegExp(`^stage ${stage}: .* - confirm or dispute the proposed resolution`)), { answer: 'confirm' });
}

export async function events(system: Running, reference: string): Promise<{ type: string; stage: number | null; at: string; detail: any }[]> {
  return (await system.getJson(`/api/disagreements/${reference}`)).body.events;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Ends a case a test has finished with (see settleAndCancel). */
export const endCase = (suite: Suite, reference: string) => settleAndCancel(suite, reference);

/**
 * With RECORD_HISTORIES=1, keeps the case's Temporal history as a replay fixture
 * (tests/fixtures/histories): the cases of today become the running cases a later change must not break.
 */
export async function keepHistory(suite: Suite, reference: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await suite.temporal.workflow.getHandle(reference).fetchHistory();
  writeFileSync(join(__dirname, '..', 'fixtures', 'histories', `${name}.json`), JSON.stringify(history));
}
