/**
 * Sign-in by email code, for people without a staff account (a GP, a head teacher): a six-digit
 * code sent to an address proves the person holds it. A code is kept only as a keyed hash, lasts
 * ten minutes, works once and allows five tries; an address gets at most five codes an hour.
 */
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Database } from '../../db/database';

export const CODE_TTL_MS = 10 * 60_000;
export const MAX_ATTEMPTS = 5;
/** Codes an hour for one address asked from one network address... */
export const MAX_CODES_PER_HOUR = 5;
/** ...and for one address however many ask: far above what one person needs, low enough to stop a flood. */
export const MAX_CODES_PER_ADDRESS_PER_HOUR = 30;

export type CodeCheck = 'ok' | 'wrong' | 'expired' | 'used' | 'tooManyAttempts' | 'unknown';

const hashOf = (secret: string, id: string, code: string) => createHmac('sha256', secret).update(`${id}:${code}`).digest('hex');

/** "m•••@school.example": enough for the person to recognise their address, not to read it off a screen. */
export function maskEmail(email: string): string {
  const [local, domain] = email.split('@');
  return `${local.slice(0, 1)}•••@${domain ?? ''}`;
}

export async function issueCode(db: Database, secret: string, email: string, askedFrom = ''): Promise<{ id: string; code: string } | { refused: 'tooMany' }> {
  const address = email.toLowerCase();
  const requestedBy = createHmac('sha256', secret).update(`asker:${askedFrom}`).digest('hex').slice(0, 32);
  const { rows } = await db.query<{ mine: number; all: number }>(
    `SELECT count(*) FILTER (WHERE requested_by = $2)::int AS mine, count(*)::int AS all
       FROM sign_in_codes WHERE email = $1 AND created_at > now() - interval '1 hour'`,
    [address, requestedBy],
  );
  if ((rows[0]?.mine ?? 0) >= MAX_CODES_PER_HOUR || (rows[0]?.all ?? 0) >= MAX_CODES_PER_ADDRESS_PER_HOUR) return { refused: 'tooMany' };
  const id = randomUUID();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await db.query(`INSERT INTO sign_in_codes (id, email, requested_by, code_hash, expires_at) VALUES ($1, $2, $5, $3, now() + $4 * interval '1 millisecond')`, [
    id,
    address,
    hashOf(secret, id, code),
    CODE_TTL_MS,
    requestedBy,
  ]);
  return { id, code };
}

/** Counts the try first, then compares: a burst of guesses cannot all slip under the limit. */
export async function checkCode(db: Database, secret: string, id: string, email: string, code: string): Promise<CodeCheck> {
  const { rows } = await db.query<{ code_hash: string; attempts: number; expired: boolean; used: boolean }>(
    `UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = $1 AND email = $2
     RETURNING code_hash, attempts, expires_at <= now() AS expired, used_at IS NOT NULL AS used`,
    [id, email.toLowerCase()],
  );
  const row = rows[0];
  if (!row) return 'unknown';
  if (row.used) return 'used';
  if (row.expired) return 'expired';
  if (row.attempts > MAX_ATTEMPTS) return 'tooManyAttempts';
  const given = Buffer.from(hashOf(secret, id, code.trim()));
  const expected = Buffer.from(row.code_hash);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return row.attempts >= MAX_ATTEMPTS ? 'tooManyAttempts' : 'wrong';
  // Single use even when the right code is sent twice at once: only one update finds it unused.
  const claimed = await db.query(`UPDATE sign_in_codes SET used_at = now() WHERE id = $1 AND used_at IS NULL RETURNING id`, [id]);
  return claimed.rows.length === 1 ? 'ok' : 'used';
}

export function codeEmail(code: string, publicUrl: string) {
  const text = [
    `Your sign-in code for Resolve a professional disagreement is ${code}`,
    '',
    'It works once, for 10 minutes. Enter it on the page where you asked for it.',
    '',
    'If you did not ask for a code, you can ignore this email: nobody can sign in without it.',
    '',
    publicUrl,
  ].join('\n');
  const html = `<p>Your sign-in code for Resolve a professional disagreement is</p><p style="font-size:28px;font-weight:bold;letter-spacing:4px">${code}</p><p>It works once, for 10 minutes. Enter it on the page where you asked for it.</p><p>If you did not ask for a code, you can ignore this email: nobody can sign in without it.</p>`;
  // Not in the subject: subjects show on lock screens and in mail gateways' logs.
  return { subject: 'Your sign-in code for Resolve a professional disagreement', text, html };
}
