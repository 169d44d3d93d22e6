/**
 * What the HTTP application is built from. The composition root (system/root.ts) and the test
 * harnesses fill it in; the routes read it. It lives apart from the app so no module imports the
 * thing that composes it.
 */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Database } from '../db/database';
import type { MailCatcher } from '../mail/catcher';
import type { Mailer } from '../mail/mailer';
import type { LinkSigner } from '../shared/links';
import type { Logger } from '../shared/log';
import type { PolicyPack } from '../shared/policy/schema';
import type { DevProvider } from './identity/devProvider';
import type { SessionSettings } from './identity/sessions';
import type { StaffSignIn } from './identity/staffSignIn';
import type { RateLimitSettings } from './rateLimits';

/** Sign-in: sessions, email codes and (when configured or embedded) staff sign-in by OpenID Connect. */
export interface IdentityDeps {
  sessions: SessionSettings;
  /** Keys the hashes of sign-in codes. */
  codeSecret: string;
  staffSignIn?: StaffSignIn;
  /** The embedded development provider, mounted on this app; never with a real issuer. */
  devProvider?: DevProvider;
}

export interface AppDeps {
  temporal: Client;
  db: Database;
  policies: Map<string, PolicyPack>;
  links: LinkSigner;
  csrfSecret: string;
  publicUrl: string;
  /** Task queue to start workflows on; tests give each test its own. */
  taskQueue?: string;
  /** The payload codec, for the codec endpoint that lets staff read encrypted payloads. */
  codec?: PayloadCodec;
  /** Origin of the Temporal UI allowed to call the codec endpoint from a browser. */
  uiOrigin?: string;
  /** `trust proxy` for express: a hop count or a list of addresses (TRUST_PROXY). */
  trustProxy?: number | string;
  /** Sends sign-in codes. */
  mailer: Mailer;
  identity: IdentityDeps;
  /** Present when mail is caught in-process: the /mail page lists it. */
  mailCatcher?: MailCatcher;
  /** Where request lines go (tests capture them); the process's logger otherwise. */
  logger?: Logger;
  /** Deadline for the Temporal calls made while serving one request (TEMPORAL_CALL_TIMEOUT_MS). */
  temporalTimeoutMs?: number;
  /** Rate limits (RATE_LIMIT_* settings); unset ones take api/rateLimits.ts's defaults. */
  rateLimits?: Partial<RateLimitSettings>;
}
