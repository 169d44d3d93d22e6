/**
 * Staff sign in with their partnership's OpenID Connect provider (Entra ID, Google Workspace,
 * Keycloak, GOV.UK One Login, or the embedded development provider), by the authorisation-code
 * flow with PKCE, state and nonce (openid-client). The ID token's verified email is who they are;
 * a roles claim says what else they may do (see `rolesFromClaim`).
 */
import type { Request } from 'express';
import type { Configuration } from 'openid-client';
import type { StaffRole } from './principal';
import type { SignedInPerson } from './sessions';

export interface StaffSignInSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends people back: `${publicUrl}/auth/callback`. */
  redirectUri: string;
  /** The ID token claim holding roles, a list of strings (OIDC_ROLES_CLAIM). */
  rolesClaim: string;
  /** Accept an email the provider does not mark verified (Entra ID sends no email_verified). */
  trustUnverifiedEmail: boolean;
}

export class StaffSignInRefused extends Error {}

const openidClient = () => import('openid-client');

/**
 * Roles from the provider's claim: `partnership-admin:<partnership id>` and `operations`. Anything
 * else (another service's roles, an unknown partnership) is ignored, never an error.
 */
export function rolesFromClaim(value: unknown, partnerships: ReadonlySet<string>): StaffRole[] {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const roles: StaffRole[] = [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    if (v === 'operations') roles.push({ role: 'operations' });
    const admin = /^partnership-admin:([a-z0-9-]+)$/.exec(v);
    if (admin && partnerships.has(admin[1])) roles.push({ role: 'partnershipAdmin', partnershipId: admin[1] });
  }
  return roles;
}

export function staffSignIn(settings: StaffSignInSettings, partnerships: ReadonlySet<string>) {
  let configuration: Promise<Configuration> | undefined;
  const config = () => {
    configuration ??= openidClient().then(async (client) => {
      const issuer = new URL(settings.issuer);
      return client.discovery(issuer, settings.clientId, settings.clientSecret, undefined, {
        // Only the embedded development provider is reached over plain http.
        execute: issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [],
      });
    });
    // A provider that was down at the first try is asked again next time.
    configuration.catch(() => (configuration = undefined));
    return configuration;
  };

  return {
    /** Where to send the browser; the checks are kept in the session until it comes back. */
    async start(req: Request, returnTo: string): Promise<URL> {
      const client = await openidClient();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      req.session.oidc = { state, nonce, codeVerifier, returnTo };
      await new Promise<void>((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
      return client.buildAuthorizationUrl(await config(), {
        redirect_uri: settings.redirectUri,
        scope: 'openid email profile',
        // Always ask who it is: after "Sign out" on a shared computer the provider's own session
        // must not sign the next person in as the last one.
        prompt: 'login',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
    },

    /** The provider's answer: checked (state, PKCE, nonce, ID token) and turned into a person. */
    async finish(req: Request, currentUrl: URL): Promise<{ person: Omit<SignedInPerson, 'signedInAt'>; returnTo: string }> {
      const pending = req.session.oidc;
      if (!pending) throw new StaffSignInRefused('This sign-in was not started here, or it has already been used.');
      delete req.session.oidc;
      const client = await openidClient();
      const tokens = await client.authorizationCodeGrant(await config(), currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new StaffSignInRefused('The identity provider sent no ID token.');
      const email = typeof claims.email === 'string' ? claims.email : undefined;
      if (!email || (claims.email_verified !== true && !settings.trustUnverifiedEmail)) {
        throw new StaffSignInRefused('Your account has no verified email address, so this service cannot tell which cases are yours.');
      }
      const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name : email;
      return {
        person: { email, name, method: 'oidc', roles: rolesFromClaim(claims[settings.rolesClaim], partnerships) },
        returnTo: pending.returnTo,
      };
    },
  };
}

export type StaffSignIn = ReturnType<typeof staffSignIn>;
