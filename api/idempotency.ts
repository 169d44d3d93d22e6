/**
 * The Idempotency-Key header of POST /api/disagreements: checked, and turned with the request's
 * canonical body into the claim that openCase stores under a unique key.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import type { FieldProblem } from './problem';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

// Letters, digits and the few symbols UUIDs, ULIDs and base64 keys use; a quoted value (the
// header's structured-field form) is accepted too.
const keySchema = z
  .string()
  .transform((v) => v.trim().replace(/^"(.*)"$/, '$1'))
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(255, 'must be 255 characters or fewer')
      .regex(/^[A-Za-z0-9._~:+/=-]+$/, 'may hold only letters, digits and - _ . : ~ + / = (a UUID is a good key)'),
  );

export type KeyCheck = { ok: true; key?: string } | { ok: false; problem: FieldProblem };

export function readIdempotencyKey(req: Request): KeyCheck {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return { ok: true };
  const parsed = keySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problem: { path: IDEMPOTENCY_HEADER, message: parsed.error.issues[0]!.message } };
  return { ok: true, key: parsed.data };
}

/** JSON with object keys sorted at every level, so the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const requestHash = (body: unknown) => createHash('sha256').update(canonicalJson(body)).digest('hex');
