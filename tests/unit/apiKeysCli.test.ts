/**
 * `npm run api-keys`: create, list and revoke API clients in the embedded database under DATA_DIR,
 * as an operator would, with plain messages and non-zero exits for mistakes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifyApiKey } from '../../api/apiClients';
import { openDatabase } from '../../db/database';

const root = join(__dirname, '..', '..');

describe('npm run api-keys', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lscp-keys-'));
  // The embedded database, whatever the machine's own settings say.
  const { DATABASE_URL: _server, API_KEYS: _old, ...inherited } = process.env;
  const env = { ...inherited, DATA_DIR: dataDir };
  const cli = (...args: string[]) =>
    promisify(execFile)(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'api-keys.ts'), ...args], { cwd: root, env }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const withDatabase = async <T>(work: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>) => {
    const db = await openDatabase({ pgliteDir: join(dataDir, 'pglite') });
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  let key = '';
  let clientId = '';

  it('creates a client and prints its key once, on stdout alone, with a warning that it will not be shown again', async () => {
    const created = await cli('create', '--partnership', 'generic', '--scope', 'intake', '--name', 'Police case system');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^lscp_ac_[a-z0-9]{10}_[A-Za-z0-9_-]{43}\n$/);
    key = created.stdout.trim();
    clientId = key.split('_').slice(1, 3).join('_');
    expect(created.stderr).toContain(`Created API client ${clientId} "Police case system": intake key for generic.`);
    expect(created.stderr).toMatch(/will not be shown again/);

    const stored = await withDatabase(async (db) => {
      const { rows } = await db.query<{ key_hash: string; partnership_id: string; scope: string }>('SELECT key_hash, partnership_id, scope FROM api_clients WHERE id = $1', [clientId]);
      return { rows, principal: await verifyApiKey(db, key) };
    });
    expect(stored.rows).toEqual([{ key_hash: createHash('sha256').update(key).digest('hex'), partnership_id: 'generic', scope: 'intake' }]);
    expect(stored.principal).toEqual({ kind: 'apiClient', clientId, name: 'Police case system', partnershipId: 'generic', scope: 'intake' });
  });

  it('lists clients with no key and no hash, for one partnership or all', async () => {
    expect((await cli('create', '--partnership', 'hull', '--scope', 'read', '--name', 'Hull board reports')).code).toBe(0);
    const all = await cli('list');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`${clientId}\\s+generic\\s+intake\\s+Police case system`));
    expect(all.stdout).toMatch(/ac_[a-z0-9]{10}\s+hull\s+read\s+Hull board reports/);
    expect(all.stdout).not.toContain('lscp_');
    expect(all.stdout).not.toContain(key.slice(-43));
    expect(all.stdout).not.toContain(createHash('sha256').update(key).digest('hex'));

    const generic = await cli('list', '--partnership', 'generic');
    expect(generic.stdout).toContain(clientId);
    expect(generic.stdout).not.toContain('Hull board reports');
    expect((await cli('list', '--partnership', 'barnet')).stdout).toContain('No API clients for barnet yet.');
  });

  it('revokes a client: its key opens nothing afterwards, and a second revoke says so', async () => {
    const revoked = await cli('revoke', clientId);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${clientId} "Police case system"`);
    expect(await withDatabase((db) => verifyApiKey(db, key))).toBeUndefined();
    expect((await cli('list', '--partnership', 'generic')).stdout).toMatch(new RegExp(`${clientId}.*\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`, 'm'));
    const again = await cli('revoke', clientId);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already revoked');
  });

  it.each([
    ['an unknown partnership, listing the known ones', ['create', '--partnership', 'atlantis', '--scope', 'read', '--name', 'X'], /--partnership "atlantis" is not a partnership we know; known partnerships: barnet, bromley, chew-stoke, generic, hull/],
    ['a scope that is not intake or read', ['create', '--partnership', 'generic', '--scope', 'admin', '--name', 'X'], /--scope must be intake .* or read/],
    ['no name', ['create', '--partnership', 'generic', '--scope', 'read'], /--name is required/],
    ['an option it does not know', ['create', '--partnership', 'generic', '--scope', 'read', '--name', 'X', '--key', 'mine'], /Unknown option '--key'/],
    ['an unknown partnership to list', ['list', '--partnership', 'atlantis'], /"atlantis" is not a partnership we know; known partnerships: barnet/],
    ['a client that does not exist', ['revoke', 'ac_zzzzzzzzzz'], /There is no API client ac_zzzzzzzzzz/],
    ['something that is not a client id', ['revoke', 'lscp_ac_x'], /the client id must be a client id such as/],
  ])('refuses %s with a plain message and exit 1', async (_what, args, message) => {
    const result = await cli(...args);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(result.stdout).not.toContain('lscp_');
  });

  it('answers no command, or one it does not know, with the usage and exit 2', async () => {
    for (const args of [[], ['rotate']]) {
      const result = await cli(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('npm run api-keys -- create --partnership <id> --scope intake|read');
    }
  });

  it('refuses to open the embedded database while another process has it open', async () => {
    const db = await openDatabase({ pgliteDir: join(dataDir, 'pglite') });
    try {
      const refused = await cli('list');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`is in use by another process (pid ${process.pid})`);
    } finally {
      await db.close();
    }
    expect((await cli('list')).code).toBe(0);
  });
});
