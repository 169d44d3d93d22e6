/**
 * The rules every log line passes through (shared/log.ts, shared/temporalLog.ts): whoever writes a
 * line, tokens, keys, cookies, addresses and personal fields do not reach the log, and an error is
 * its type and short message, not its stack or a database row.
 */
import { DatabaseError } from 'pg';
import { scrub } from '../../shared/log';
import { temporalLogger } from '../../shared/temporalLog';
import { captureLog } from '../support/logCapture';

const LINK_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJyZWYiOiJCUk8tMjYtMDAwMSJ9.c2lnbmF0dXJlLW9mLXRoZS1saW5r';
const API_KEY = 'lscp_ac_abcdefghij_Zx8vQm2Lk4Pn6Rt0Yw3Ue5Io7';

describe('what a log line may carry', () => {
  it('scrubs decision links, API keys, credentials, opaque tokens and email addresses from any string', () => {
    const text = scrub(
      `GET https://lscp.example/respond/${LINK_TOKEN}?x=1 by jo.bloggs@school.example with ${API_KEY}; Authorization: Bearer abc.def-ghi and Basic c3RhZmY6c2VjcmV0 session s%3A${'A'.repeat(48)}`,
    );
    expect(text).not.toContain(LINK_TOKEN);
    expect(text).not.toContain('Zx8vQm2Lk4Pn6Rt0Yw3Ue5Io7');
    expect(text).not.toContain('jo.bloggs');
    expect(text).not.toContain('abc.def-ghi');
    expect(text).not.toContain('c3RhZmY6c2VjcmV0');
    expect(text).not.toContain('A'.repeat(48));
    expect(text).toContain('/respond/[token]');
    // What an operator needs stays: a case reference, a uuid, a route pattern.
    expect(scrub('case BRO-26-0001 request 1b4e28ba-2fa1-11d2-883f-0016d3cca427 route /respond/:token')).toBe(
      'case BRO-26-0001 request 1b4e28ba-2fa1-11d2-883f-0016d3cca427 route /respond/:token',
    );
  });

  it('applies the rules to the message and every field, and redacts secret and personal fields whole', () => {
    const log = captureLog();
    log.logger.info(
      { reference: 'BRO-26-0001', req: { headers: { cookie: 'lscp.sid=s%3Aabc', authorization: 'Bearer x' } }, email: 'a@b.example', name: 'Kayden Smith', detail: { reasons: 'Kayden is at risk' }, nested: { url: `/respond/${LINK_TOKEN}` } },
      `opened /respond/${LINK_TOKEN} for ann@school.example`,
    );
    const [line] = log.lines();
    const text = log.text();
    for (const secret of [LINK_TOKEN, 'lscp.sid=', 'Bearer x', 'a@b.example', 'ann@school.example', 'Kayden']) expect(text).not.toContain(secret);
    expect(line).toMatchObject({ reference: 'BRO-26-0001', email: '[redacted]', name: '[redacted]', detail: '[redacted]', msg: 'opened /respond/[token] for [email]' });
    expect((line.req as { headers: Record<string, string> }).headers).toEqual({ cookie: '[redacted]', authorization: '[redacted]' });
  });

  it('logs an error as its type and short message, without its stack unless debugging', () => {
    const error = new Error(`could not send to /respond/${LINK_TOKEN}`);
    const info = captureLog('info');
    info.logger.error({ err: error }, 'failed');
    const [line] = info.lines();
    expect(line.err).toEqual({ type: 'Error', message: 'could not send to /respond/[token]' });
    expect(info.text()).not.toContain('at ');
    const debug = captureLog('debug');
    debug.logger.error({ err: error }, 'failed');
    expect((debug.lines()[0].err as { stack: string }).stack).toContain('logRules.test');
  });

  it('logs a PostgreSQL error by its code and table, never its message or the row it quotes', () => {
    const error = Object.assign(new DatabaseError('invalid input syntax for type json: "{\\"name\\":\\"Kayden\\"', 0, 'error'), {
      code: '22P02',
      severity: 'ERROR',
      table: 'cases',
      detail: 'Failing row contains (BRO-26-0001, Kayden Smith, 12 Acacia Road).',
      where: 'JSON data, line 1',
    });
    const log = captureLog();
    log.logger.error({ err: error }, 'query failed');
    expect(log.lines()[0].err).toEqual({ type: 'error', code: '22P02', table: 'cases' });
    expect(log.text()).not.toMatch(/Kayden|Acacia|Failing row/);
  });

  it("keeps only the Temporal SDK's identifiers, and its errors as type and message", () => {
    const log = captureLog('info');
    const temporal = temporalLogger(log.logger, 'INFO');
    temporal.warn('Activity failed', {
      workflowId: 'BRO-26-0001',
      activityType: 'sendNotification',
      attempt: 3,
      input: [{ recipient: { email: 'dsl@school.example', name: 'Pat Jones' } }],
      error: new Error('connect ECONNREFUSED 127.0.0.1:2525'),
    });
    const [line] = log.lines();
    expect(line).toMatchObject({ level: 40, temporal: true, workflowId: 'BRO-26-0001', activityType: 'sendNotification', attempt: 3, msg: 'Activity failed' });
    expect(line.err).toEqual({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:2525' });
    expect(line).not.toHaveProperty('input');
    expect(log.text()).not.toMatch(/Pat Jones|dsl@school/);
  });
});
