/**
 * The deployment shape is safe by default: docker-compose.yml gives no secret a default (it will
 * not start without real ones), publishes only the web front end to the network, and keeps Temporal
 * and the databases on an internal network; the application refuses secrets copied from examples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { looksLikePlaceholder, readSettings } from '../../shared/config';

interface Service {
  environment?: Record<string, string>;
  ports?: string[];
  networks?: string[];
  image?: string;
}
const compose = parse(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean }>;
};
const services = Object.entries(compose.services);
const SECRETS = /SECRET|PASSWORD|PWD|KEY/;
/** Secrets a deployment may go without: staff sign-in by OIDC, and keys kept only while rotating. */
const OPTIONAL_SECRETS = ['OIDC_CLIENT_SECRET', 'PAYLOAD_KEYS_RETIRED'];

describe('docker-compose.yml', () => {
  it('gives no secret a default: each must be set or compose refuses to start', () => {
    const secrets = services.flatMap(([name, s]) =>
      Object.entries(s.environment ?? {})
        .filter(([k]) => SECRETS.test(k) && !OPTIONAL_SECRETS.includes(k))
        .map(([k, v]) => ({ where: `${name}.${k}`, value: String(v) })),
    );
    expect(secrets.length).toBeGreaterThan(5);
    for (const { where, value } of secrets) {
      // Every secret is an interpolation with `:?` (required), and no literal appears anywhere in it.
      expect({ where, ok: /^\$\{[A-Z_]+:\?[^}]+\}$/.test(value) || /^postgres:\/\/lscp(_app)?:\$\{(POSTGRES|DATABASE_APP)_PASSWORD:\?[^}]+\}@/.test(value) }).toEqual({ where, ok: true });
    }
    expect(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')).not.toMatch(/:-change-me|lscp:lscp@|PASSWORD: lscp/);
  });

  it('publishes only the web front end to the network; other views on loopback only; Temporal and the databases not at all', () => {
    const published = services.flatMap(([name, s]) => (s.ports ?? []).map((p) => ({ name, port: String(p) })));
    const toNetwork = published.filter((p) => !p.port.startsWith('127.0.0.1:'));
    expect(toNetwork).toEqual([{ name: 'api', port: '3000:3000' }]);
    for (const name of ['postgresql', 'temporal', 'worker-1', 'worker-2', 'temporal-setup', 'migrate']) {
      expect({ name, ports: compose.services[name].ports ?? [] }).toEqual({ name, ports: [] });
      expect({ name, networks: compose.services[name].networks }).toEqual({ name, networks: ['backend'] });
    }
    expect(compose.networks.backend.internal).toBe(true);
  });

  it('keeps the Temporal Web UI read-only', () => {
    expect(compose.services['temporal-ui'].environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
  });
});

describe('secrets copied from examples', () => {
  const deployment = { TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: 'postgres://x@y/z' };

  it.each([
    'change-me-to-a-long-random-secret-of-your-own',
    'replace-this-with-a-long-random-value-0123456789',
    'my-super-secret-link-signing-value-for-prod-2026',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    '01010101010101010101010101010101',
    'placeholder-placeholder-placeholder-123',
  ])('refuses %s as LINK_SECRET and SESSION_SECRET, saying why', (value) => {
    expect(looksLikePlaceholder(value)).toBe(true);
    expect(() => readSettings({ ...deployment, LINK_SECRET: value })).toThrow(/LINK_SECRET: is a placeholder or example value/);
    expect(() => readSettings({ ...deployment, SESSION_SECRET: value })).toThrow(/SESSION_SECRET: is a placeholder or example value/);
  });

  it('accepts a random value', () => {
    const value = 'q3Vt9-Lx2Rb7_Wm4Kp8Zs1Ye6Hn0Dj5Fc';
    expect(looksLikePlaceholder(value)).toBe(false);
    expect(readSettings({ ...deployment, LINK_SECRET: value, SESSION_SECRET: value }).LINK_SECRET).toBe(value);
  });
});
