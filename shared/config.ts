/**
 * Configuration, read and checked once at start. With nothing set, everything runs embedded
 * (Temporal dev server, PGlite, an in-process SMTP server); each part is replaced by a setting.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { issuesToProblems } from './policy/load';

const port = z.coerce.number().int().min(1).max(65535);
const seconds = (min: number, max: number) =>
  z.coerce.number().int('must be a whole number of seconds').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const milliseconds = (min: number, max: number) =>
  z.coerce.number().int('must be a whole number of milliseconds').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

export const settingsSchema = z.object({
  PORT: port.default(3000),
  PUBLIC_URL: optionalString.pipe(z.url().optional()),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_CLI_PATH: optionalString,
  /** The Temporal UI's origin, allowed to call the codec endpoint from a browser. */
  TEMPORAL_UI_URL: optionalString,
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional()),
  SMTP_URL: optionalString.pipe(z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional()),
  SMTP_PORT: port.default(2525),
  MAIL_FROM: z.string().min(3).default('Safeguarding escalations <escalations@example.org>'),
  LINK_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  /** Base64 of 32 random bytes: encrypts workflow payloads in Temporal. */
  PAYLOAD_KEY: optionalString,
  DATA_DIR: z.string().default('data'),
  POLICY_DIR: optionalString,
  /** A case whose row is committed but whose workflow has not started after this long is started by the reconciler. */
  RECONCILE_AFTER_SECONDS: seconds(1, 86_400).default(30),
  /** How often the reconciler looks for such cases. */
  RECONCILE_INTERVAL_SECONDS: seconds(1, 3_600).default(10),
  /** Deadline for the Temporal calls made while serving one request; past it the request answers 503. */
  TEMPORAL_CALL_TIMEOUT_MS: milliseconds(500, 120_000).default(10_000),
  /** How long a request waits for a PostgreSQL connection before it answers 503. */
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds(100, 60_000).default(5_000),
});

export type Settings = z.infer<typeof settingsSchema>;

export class ConfigError extends Error {}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const result = settingsSchema.safeParse(env);
  if (!result.success) {
    const lines = issuesToProblems(result.error.issues).map((p) => `  ${p.path}: ${p.message}`);
    throw new ConfigError(`Configuration is not valid:\n${lines.join('\n')}`);
  }
  return { ...result.data, DATA_DIR: resolve(result.data.DATA_DIR) };
}

export const publicUrlOf = (s: Settings) => (s.PUBLIC_URL ?? `http://localhost:${s.PORT}`).replace(/\/$/, '');

/**
 * The link-signing secret. Embedded runs keep a generated one in the data folder so links in
 * emails survive a restart; a deployment (a Temporal address or a database set) must give one.
 */
export function linkSecretOf(s: Settings): string {
  if (s.LINK_SECRET) return s.LINK_SECRET;
  return generatedSecret(s, 'link-secret', 'LINK_SECRET must be set (32 or more characters) when running against real services');
}

/**
 * Settings that are no longer read, with what replaced them: said at start so that a deployment
 * still setting one learns why its old value does nothing.
 */
export function retiredSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.API_KEYS?.trim()
    ? ['API_KEYS is no longer read: every agency system or tool now has a key of its own, scoped to one partnership (npm run api-keys -- create --partnership <id> --scope intake|read --name "<what uses it>").']
    : [];
}

/** The key that encrypts workflow payloads: every worker and the API must share it. */
export function payloadKeyOf(s: Settings): Buffer {
  const text = s.PAYLOAD_KEY ?? generatedSecret(s, 'payload-key', 'PAYLOAD_KEY must be set (base64 of 32 random bytes) when running against real services');
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('PAYLOAD_KEY must be the base64 of exactly 32 bytes');
  return key;
}

function generatedSecret(s: Settings, name: string, requiredMessage: string): string {
  if (s.TEMPORAL_ADDRESS && s.DATABASE_URL) throw new ConfigError(requiredMessage);
  const file = join(s.DATA_DIR, name);
  if (!existsSync(file)) {
    mkdirSync(s.DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}
