/**
 * The composition root: the one place the system is built from its settings, for `npm start`,
 * the API on its own and the worker on its own alike (and the test harnesses, through
 * `composeIdentity`). Entry points start what only they run (the embedded dev server, the mail
 * catcher, the HTTP listener, the worker loop) and take everything else from here.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities';
import type { AppDeps, IdentityDeps } from '../api/deps';
import { createDevProvider } from '../api/identity/devProvider';
import { DEFAULT_ABSOLUTE_MS, DEFAULT_IDLE_MS } from '../api/identity/sessions';
import { staffSignIn } from '../api/identity/staffSignIn';
import { connectTemporalForRequests } from '../api/availability';
import { openDatabase, type Database } from '../db/database';
import { migrateAs, recordGuardWeakness } from '../db/migrate';
import { RecordKeyError, privateKeyFrom, signerFrom } from '../db/recordSigning';
import type { MailCatcher } from '../mail/catcher';
import { createMailer, type Mailer } from '../mail/mailer';
import { ConfigError, isDeployment, linkSecretOf, payloadKeyRingOf, publicUrlOf, rateLimitsOf, recordSigningKeyText, sessionSecretOf, type Settings } from '../shared/config';
import { createEncryptionCodec, sealedDataConverter } from '../shared/codec';
import { createLinkSigner, type LinkSigner } from '../shared/links';
import { log } from '../shared/log';
import { loadPolicyRegistry } from '../shared/policy/load';
import type { PolicyPack } from '../shared/policy/schema';

/** Where the services are, once the entry point has started whatever runs embedded. */
export interface ServiceAddresses {
  temporalAddress: string;
  smtpUrl?: string;
  /** `npm start`: the development sign-in provider may run (still only for a localhost PUBLIC_URL). */
  developmentSignIn?: boolean;
  /** The embedded Temporal Web UI's origin, allowed to call the codec endpoint. */
  temporalUiUrl?: string;
  /** The in-process mail catcher of embedded runs (its page lists what it caught). */
  mailCatcher?: MailCatcher;
}

export interface System {
  settings: Settings;
  publicUrl: string;
  db: Database;
  policies: Map<string, PolicyPack>;
  links: LinkSigner;
  codec: PayloadCodec;
  dataConverter: DataConverter;
  /** A client for requests: lazy, so the API starts while Temporal is down and says so on /ready. */
  temporal: Client;
  mailer?: Mailer;
  appDeps(): Promise<AppDeps>;
  activityDeps(): ActivityDeps;
  activities(): ReturnType<typeof createActivities>;
  close(): Promise<void>;
}

export interface IdentitySettings {
  publicUrl: string;
  policies: Map<string, PolicyPack>;
  sessionSecret: string;
  idleMs?: number;
  absoluteMs?: number;
  /** A real provider; without one, the embedded development provider (when allowed). */
  oidc?: { issuer: string; clientId: string; clientSecret: string; rolesClaim?: string; trustUnverifiedEmail?: boolean };
  developmentProvider: boolean;
}

/** Sign-in, built the same way for every entry point and the tests. */
export async function composeIdentity(s: IdentitySettings): Promise<IdentityDeps> {
  const redirectUri = `${s.publicUrl}/auth/callback`;
  const partnerships = new Set(s.policies.keys());
  const sessions = { secret: s.sessionSecret, idleMs: s.idleMs ?? DEFAULT_IDLE_MS, absoluteMs: s.absoluteMs ?? DEFAULT_ABSOLUTE_MS, secure: s.publicUrl.startsWith('https:') };
  const codeSecret = createHash('sha256').update(`sign-in-codes:${s.sessionSecret}`).digest('base64url');
  if (s.oidc) {
    const { issuer, clientId, clientSecret, rolesClaim = 'lscp_roles', trustUnverifiedEmail = false } = s.oidc;
    return { sessions, codeSecret, staffSignIn: staffSignIn({ issuer, clientId, clientSecret, redirectUri, rolesClaim, trustUnverifiedEmail }, partnerships) };
  }
  if (!s.developmentProvider) return { sessions, codeSecret };
  const devProvider = await createDevProvider({ publicUrl: s.publicUrl, redirectUri, policies: s.policies.values(), secret: codeSecret });
  return {
    sessions,
    codeSecret,
    devProvider,
    staffSignIn: staffSignIn({ issuer: devProvider.issuer, clientId: devProvider.clientId, clientSecret: devProvider.clientSecret, redirectUri, rolesClaim: 'lscp_roles', trustUnverifiedEmail: false }, partnerships),
  };
}

const isLocalUrl = (url: string) => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);

function oidcSettings(settings: Settings): IdentitySettings['oidc'] {
  if (!settings.OIDC_ISSUER) return undefined;
  if (!settings.OIDC_CLIENT_ID || !settings.OIDC_CLIENT_SECRET) throw new ConfigError('OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set with OIDC_ISSUER');
  return {
    issuer: settings.OIDC_ISSUER,
    clientId: settings.OIDC_CLIENT_ID,
    clientSecret: settings.OIDC_CLIENT_SECRET,
    rolesClaim: settings.OIDC_ROLES_CLAIM,
    trustUnverifiedEmail: settings.OIDC_TRUST_UNVERIFIED_EMAIL,
  };
}

function recordSignerOf(settings: Settings) {
  try {
    return signerFrom(privateKeyFrom(recordSigningKeyText(settings)));
  } catch (error) {
    if (error instanceof RecordKeyError) throw new ConfigError(error.message);
    throw error;
  }
}

/**
 * Builds the system from settings and the addresses of running services: opens and migrates the
 * database, and makes the signer, the codec, the mailer and the Temporal client.
 */
export async function composeSystem(settings: Settings, services: ServiceAddresses): Promise<System> {
  const publicUrl = publicUrlOf(settings);
  const policies = loadPolicyRegistry(settings.POLICY_DIR);
  const linkSecret = linkSecretOf(settings);
  const links = createLinkSigner(linkSecret);
  // Decodes by key id from the ring; what it will not open the workflow refuses (shared/codec.ts).
  const codec = createEncryptionCodec(payloadKeyRingOf(settings));
  const dataConverter: DataConverter = sealedDataConverter(codec);
  // The record's signing key: the worker and the API write the record.
  const recordSigner = recordSignerOf(settings);
  const db = await openDatabase(
    settings.DATABASE_URL ? { url: settings.DATABASE_URL, connectTimeoutMs: settings.DATABASE_CONNECT_TIMEOUT_MS } : { pgliteDir: join(settings.DATA_DIR, 'pglite') },
    { recordSigner },
  );
  let connection: Connection | undefined;
  try {
    const applied = await migrateAs(db, { appUrl: settings.DATABASE_URL, ownerUrl: settings.DATABASE_OWNER_URL });
    if (applied.length) log.info({ migrations: applied }, 'applied migrations');
    const weakness = await recordGuardWeakness(db);
    if (weakness) log.warn(`The record is protected by its signatures only: ${weakness}`);
    connection = connectTemporalForRequests(services.temporalAddress);
    const temporal = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE, dataConverter });
    const mailer = services.smtpUrl ? createMailer(services.smtpUrl, settings.MAIL_FROM) : undefined;
    const needMailer = () => {
      if (!mailer) throw new ConfigError('SMTP_URL must be set: the API sends sign-in codes and the worker sends notifications');
      return mailer;
    };
    const activityDeps = (): ActivityDeps => ({ db, mailer: needMailer(), links, publicUrl, temporal });
    const openConnection = connection;
    return {
      settings,
      publicUrl,
      db,
      policies,
      links,
      codec,
      dataConverter,
      temporal,
      mailer,
      activityDeps,
      activities: () => createActivities(activityDeps()),
      async appDeps() {
        const oidc = oidcSettings(settings);
        // Only when asked (npm start, or DEV_SIGN_IN=true), never in a deployment, and only for a
        // service that says it is on this machine: anyone who reaches it can be anyone.
        const developmentProvider = !oidc && Boolean(services.developmentSignIn || settings.DEV_SIGN_IN) && !isDeployment(settings) && isLocalUrl(publicUrl);
        if (!oidc && !developmentProvider) log.warn('OIDC_ISSUER is not set: staff cannot sign in; people can still sign in by email code');
        return {
          temporal,
          db,
          policies,
          links,
          mailer: needMailer(),
          codec,
          uiOrigin: settings.TEMPORAL_UI_URL ?? services.temporalUiUrl,
          csrfSecret: createHash('sha256').update(`csrf:${linkSecret}`).digest('base64url'),
          publicUrl,
          mailCatcher: services.mailCatcher,
          temporalTimeoutMs: settings.TEMPORAL_CALL_TIMEOUT_MS,
          trustProxy: settings.TRUST_PROXY,
          rateLimits: rateLimitsOf(settings),
          identity: await composeIdentity({
            publicUrl,
            policies,
            sessionSecret: sessionSecretOf(settings),
            idleMs: settings.SESSION_IDLE_MINUTES * 60_000,
            absoluteMs: settings.SESSION_ABSOLUTE_HOURS * 3_600_000,
            oidc,
            developmentProvider,
          }),
        };
      },
      async close() {
        mailer?.close();
        await openConnection.close();
        await db.close();
      },
    };
  } catch (error) {
    await connection?.close();
    await db.close();
    throw error;
  }
}
