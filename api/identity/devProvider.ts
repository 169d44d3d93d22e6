/**
 * The embedded development identity provider: a real OpenID Connect provider (oidc-provider),
 * mounted at /dev-idp on the service itself, used when no OIDC_ISSUER is configured and never in a
 * deployment. Its sign-in page lists the people of every partnership's directory (and one
 * operations account) and lets you pick one, so the whole sign-in flow (authorisation code, PKCE,
 * ID token) is exercised for real without an outside service.
 *
 * Roles it issues, in the `lscp_roles` claim: `partnership-admin:<id>` for the people a
 * partnership's directory lists at partnership level (its mailbox, business manager, chair), and
 * `operations` for the operations account.
 */
import { log } from '../../shared/log';
import { randomBytes } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import express from 'express';
import type { PolicyPack } from '../../shared/policy/schema';

export const DEV_PROVIDER_PATH = '/dev-idp';
export const DEV_CLIENT_ID = 'lscp-development';
export const OPERATIONS_ACCOUNT = { email: 'operations@example.org', name: 'Operations on call (development)' };

export interface DevAccount {
  email: string;
  name: string;
  /** Where this person comes from, shown on the sign-in page. */
  where: string;
  roles: string[];
}

/** Everyone the development provider can sign in as, by partnership directory. */
export function devAccounts(policies: Iterable<PolicyPack>): DevAccount[] {
  const accounts = new Map<string, DevAccount>();
  const add = (email: string, name: string, where: string, role?: string) => {
    const key = email.toLowerCase();
    const account = accounts.get(key) ?? { email: key, name, where, roles: [] };
    if (role && !account.roles.includes(role)) account.roles.push(role);
    accounts.set(key, account);
  };
  for (const pack of policies) {
    for (const [role, contacts] of Object.entries(pack.directory.partnership.roles)) {
      const admin = /mailbox|manager/i.test(role) ? `partnership-admin:${pack.id}` : undefined;
      for (const c of contacts) add(c.email, c.name, `${pack.name}: ${role}`, admin);
    }
    for (const agency of pack.directory.agencies) {
      for (const [role, contacts] of Object.entries(agency.roles)) for (const c of contacts) add(c.email, c.name, `${agency.name} (${pack.name}): ${role}`);
    }
  }
  add(OPERATIONS_ACCOUNT.email, OPERATIONS_ACCOUNT.name, 'Operations', 'operations');
  return [...accounts.values()];
}

export interface DevProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Mount before any body parser: the provider reads its own request bodies. */
  router: RequestHandler;
}

export async function createDevProvider(options: { publicUrl: string; redirectUri: string; policies: Iterable<PolicyPack>; secret?: string }): Promise<DevProvider> {
  const { default: Provider } = await import('oidc-provider');
  const { generateKeyPair, exportJWK } = await import('jose');
  const issuer = `${options.publicUrl}${DEV_PROVIDER_PATH}`;
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const clientSecret = `${secret}-client`;
  const accounts = new Map(devAccounts(options.policies).map((a) => [a.email, a]));
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'dev-1' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [secret] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'lscp_roles'] },
    // The claims go in the ID token, which is all the service reads.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${DEV_PROVIDER_PATH}/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: account.email, email_verified: true, name: account.name, lscp_roles: account.roles }),
      };
    },
    // The service is the provider's only client, first party: nobody is asked to consent to it.
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const grantId = oidc.session?.grantIdFor(oidc.client!.clientId);
      if (grantId) {
        const existing = await oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sign-in problem</title><h1>Sign-in problem</h1><p>${escapeHtml(String(out.error_description ?? out.error))}</p>`;
    },
  });

  const router = Router();
  router.get(`${DEV_PROVIDER_PATH}/interaction/:uid`, async (req: Request, res: Response) => {
    const details = await provider.interactionDetails(req, res);
    // Staff with roles first: they are who a developer most often wants.
    const people = [...accounts.values()].sort((a, b) => Number(a.roles.length === 0) - Number(b.roles.length === 0) || a.where.localeCompare(b.where));
    res.render('dev-sign-in.njk', { uid: details.uid, people });
  });
  router.post(`${DEV_PROVIDER_PATH}/interaction/:uid/login`, express.urlencoded({ extended: false, limit: '2kb' }), async (req: Request, res: Response) => {
    const accountId = String((req.body as Record<string, unknown> | undefined)?.account ?? '').toLowerCase();
    if (!accounts.has(accountId)) return res.status(400).render('dev-sign-in.njk', { uid: req.params.uid, people: [...accounts.values()], error: 'Choose one of the people listed' });
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  });
  // Koa prints an error's whole stack to stderr unless someone listens: our logger does instead
  // (a request cut off half-way through its body, for one), by type and short message.
  const koa = (provider as unknown as { app: { on(event: 'error', listener: (error: unknown) => void): void } }).app;
  koa.on('error', (error: unknown) => log.warn({ err: error, component: 'dev-idp' }, 'development sign-in provider error'));
  const callback = provider.callback();
  router.use(DEV_PROVIDER_PATH, (req, res) => callback(req, res));
  return { issuer, clientId: DEV_CLIENT_ID, clientSecret, router };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
