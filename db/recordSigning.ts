/**
 * The record's anchor outside its database: every event's hash (the head of its case's chain at
 * that point) and every case row's immutable fields are signed with an Ed25519 key the database
 * never holds. Only the processes that write the record (the worker, and the API, which writes a
 * case's opening) hold the private key; `record:verify` needs only the public keys.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** Signs record heads and case seals; the database stores what it returns, never the key. */
export interface RecordSigner {
  readonly keyId: string;
  sign(message: string): string;
}

/** The public keys `record:verify` accepts, by key id (several while a key is being rotated). */
export type RecordVerifyKeys = Map<string, KeyObject>;

/** What an event's signature covers: the case, its place, and the chain's hash up to and including it. */
export const eventMessage = (reference: string, seq: number, hash: string) => `lscp-record-event-v1\n${reference}\n${seq}\n${hash}`;

/** What a case's seal covers: the digest of the case row's immutable fields (case_row_digest in SQL). */
export const sealMessage = (reference: string, digest: string) => `lscp-case-seal-v1\n${reference}\n${digest}`;

/** A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its SPKI form. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

export class RecordKeyError extends Error {}

/** Reads a private key given as PEM (PKCS#8) or as base64 of its DER form. */
export function privateKeyFrom(text: string): KeyObject {
  let key: KeyObject;
  try {
    key = text.includes('-----BEGIN') ? createPrivateKey(text) : createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new RecordKeyError('RECORD_SIGNING_KEY is not a private key: give an Ed25519 key in PEM (openssl genpkey -algorithm ed25519)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new RecordKeyError('RECORD_SIGNING_KEY must be an Ed25519 key (openssl genpkey -algorithm ed25519)');
  return key;
}

/** Reads public keys given as PEM blocks and/or base64 SPKI DER, separated by commas or whitespace. */
export function publicKeysFrom(text: string): RecordVerifyKeys {
  const keys: RecordVerifyKeys = new Map();
  const pems = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  const rest = text.replace(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g, ' ');
  const ders = rest.split(/[\s,]+/).filter(Boolean);
  for (const item of [...pems, ...ders]) {
    let key: KeyObject;
    try {
      key = item.startsWith('-----') ? createPublicKey(item) : createPublicKey({ key: Buffer.from(item, 'base64'), format: 'der', type: 'spki' });
    } catch {
      throw new RecordKeyError('RECORD_VERIFY_KEYS holds something that is not a public key: give Ed25519 public keys in PEM (openssl pkey -pubout)');
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new RecordKeyError('RECORD_VERIFY_KEYS must hold Ed25519 public keys');
    keys.set(keyIdOf(key), key);
  }
  return keys;
}

export function signerFrom(privateKey: KeyObject): RecordSigner {
  const keyId = keyIdOf(createPublicKey(privateKey));
  return { keyId, sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64') };
}

export const publicKeysOf = (privateKey: KeyObject): RecordVerifyKeys => {
  const publicKey = createPublicKey(privateKey);
  return new Map([[keyIdOf(publicKey), publicKey]]);
};

/** A new key pair, PEM (embedded runs keep one in the data folder; tests make their own). */
export function generateRecordKey(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Whether `signature` (base64) is `message` signed by the key named `keyId`; 'unknown key' when none is known. */
export function checkSignature(keys: RecordVerifyKeys, keyId: string | null, message: string, signature: string | null): 'valid' | 'invalid' | 'unsigned' | 'unknown key' {
  if (!signature || !keyId) return 'unsigned';
  const key = keys.get(keyId);
  if (!key) return 'unknown key';
  try {
    return verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(signature, 'base64')) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}
