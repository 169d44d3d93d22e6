/** The record's signing key: where it comes from, and what is refused. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { caseDigest, checkSignature, eventDigest, eventMessage, keyIdOf, privateKeyFrom, publicKeysFrom, publicKeysOf, signerFrom } from '../../db/recordSigning';
import { ConfigError, readSettings, recordSigningKeyText } from '../../shared/config';

describe('the record signing key', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'lscp-keys-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is generated once into the data folder of an embedded run, readable by its owner only', () => {
    const settings = readSettings({ DATA_DIR: dataDir });
    const first = recordSigningKeyText(settings);
    expect(recordSigningKeyText(settings)).toBe(first);
    expect(privateKeyFrom(first).asymmetricKeyType).toBe('ed25519');
    expect(statSync(join(dataDir, 'record-signing-key.pem')).mode & 0o777).toBe(0o600);
  });

  it('must be given to a deployment (the database must never hold it)', () => {
    const settings = readSettings({ DATA_DIR: dataDir, TEMPORAL_ADDRESS: 't:7233', DATABASE_URL: 'postgres://app@db/lscp' });
    expect(() => recordSigningKeyText(settings)).toThrow(ConfigError);
    expect(() => recordSigningKeyText(settings)).toThrow(/RECORD_SIGNING_KEY must be set/);
  });

  it('is read as PEM, PEM with \\n escapes (one-line .env files) or base64 DER', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const der = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    const id = keyIdOf(createPublicKey(privateKey));
    expect(signerFrom(privateKeyFrom(pem)).keyId).toBe(id);
    expect(signerFrom(privateKeyFrom(der)).keyId).toBe(id);
    const escaped = readSettings({ RECORD_SIGNING_KEY: pem.replace(/\n/g, '\\n') });
    expect(signerFrom(privateKeyFrom(recordSigningKeyText(escaped))).keyId).toBe(id);
  });

  it('refuses what is not an Ed25519 private key, in plain words', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => privateKeyFrom(rsa)).toThrow(/must be an Ed25519 key/);
    expect(() => privateKeyFrom('not a key')).toThrow(/is not a private key/);
    expect(() => publicKeysFrom('AAAA')).toThrow(/not a public key/);
  });

  it('is checked with public keys only, several at once while rotating (as openssl writes them)', () => {
    const oldKey = generateKeyPairSync('ed25519').privateKey;
    const old = signerFrom(oldKey);
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519']).toString();
    const current = signerFrom(createPrivateKey(pem));
    const publicPem = execFileSync('openssl', ['pkey', '-pubout'], { input: pem }).toString();
    const keys = publicKeysFrom(publicPem);
    expect([...keys.keys()]).toEqual([current.keyId]);
    const message = eventMessage('BSCP-2026-AAAAA1', 3, 'ab'.repeat(32));
    expect(checkSignature(keys, current.keyId, message, current.sign(message))).toBe('valid');
    expect(checkSignature(keys, old.keyId, message, old.sign(message))).toBe('unknown key');
    expect(checkSignature(keys, current.keyId, eventMessage('BSCP-2026-AAAAA1', 4, 'ab'.repeat(32)), current.sign(message))).toBe('invalid');
    expect(checkSignature(keys, null, message, null)).toBe('unsigned');
    // During a rotation record:verify is given both public keys (comma-separated or PEM blocks one after another).
    const both = publicKeysFrom(`${publicPem}\n${createPublicKey(oldKey).export({ type: 'spki', format: 'pem' })}`);
    expect(both.size).toBe(2);
    expect(checkSignature(both, old.keyId, message, old.sign(message))).toBe('valid');
    expect(checkSignature(both, current.keyId, message, current.sign(message))).toBe('valid');
    expect([...publicKeysOf(createPrivateKey(pem)).keys()]).toEqual([current.keyId]);
  });
});

describe('the digests the record signs (computed in Node, never by the database)', () => {
  const event = { reference: 'BSCP-2026-AAAAA1', seq: 3, type: 'outcomeRecorded', at: '2026-11-23T10:00:00.000Z', stage: 1, actor: 'raiser.lineManager.0', detail: { role: 'lineManager', outcome: 'resolved' }, prevHash: 'a'.repeat(64), hash: 'b'.repeat(64) };
  const opened = {
    reference: 'BSCP-2026-AAAAA1', partnership_id: 'bromley', policy_version: '1.5', category: 'levels-of-need', raiser: { name: 'A' }, other_party: { name: 'B' },
    child_reference: 'X', description: 'Y', flags: {}, opened_at: '2026-11-23T10:00:00.000Z', workflow_input: null, opened_by_client: null,
  };

  it('is the same for the event as written and as read back (a Date, keys in another order, stage and actor absent or null)', () => {
    const digest = eventDigest(event);
    expect(eventDigest({ ...event, at: new Date(event.at), detail: { outcome: 'resolved', role: 'lineManager' } })).toBe(digest);
    expect(eventDigest({ ...event, at: '2026-11-23T11:00:00+01:00' })).toBe(digest);
    expect(eventDigest({ ...event, stage: undefined, actor: undefined })).toBe(eventDigest({ ...event, stage: null, actor: null }));
    expect(eventDigest({ ...event, detail: { ...event.detail, gone: undefined } })).toBe(digest);
  });

  it('changes with anything the event says, and with its links', () => {
    const digest = eventDigest(event);
    for (const changed of [
      { detail: { ...event.detail, outcome: 'notResolved' } },
      { actor: 'someone-else' },
      { stage: null },
      { type: 'note' },
      { at: '2026-11-23T10:00:00.001Z' },
      { seq: 4 },
      { prevHash: 'c'.repeat(64) },
      { hash: 'c'.repeat(64) },
      { detail: { ...event.detail, extra: null } },
    ]) {
      expect(eventDigest({ ...event, ...changed })).not.toBe(digest);
    }
  });

  it('seals a case row’s opening details, whatever order its jsonb keys come back in', () => {
    const digest = caseDigest(opened);
    expect(caseDigest({ ...opened, opened_at: new Date(opened.opened_at), raiser: { name: 'A' } })).toBe(digest);
    expect(caseDigest({ ...opened, description: 'Nothing to worry about' })).not.toBe(digest);
    expect(caseDigest({ ...opened, other_party: { name: 'C' } })).not.toBe(digest);
    expect(caseDigest({ ...opened, opened_by_client: 'client-1' })).not.toBe(digest);
    expect(() => caseDigest({ ...opened, opened_at: 'not a time' })).toThrow(/not a point in time/);
  });
});
