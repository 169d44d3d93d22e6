/**
 * The record's anchor outside its database: every event and every case row's immutable fields are
 * signed with an Ed25519 key the database never holds. What is signed is a digest computed here, in
 * Node, from the content itself (never a hash or digest the database computed: whoever owns the
 * database could redefine such a function to hide a rewrite). `record:verify` recomputes the same
 * digests from the rows it reads and needs only the public keys. Only the processes that write the
 * record (the worker, and the API, which writes a case's opening) hold the private key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

/** Signs record events and case seals; the database stores what it returns, never the key. */
export interface RecordSigner {
  readonly keyId: string;
  sign(message: string): string;
}

/** The public keys `record:verify` accepts, by key id (several while a key is being rotated). */
export type RecordVerifyKeys = Map<string, KeyObject>;

/** JSON with every object's keys sorted: one text for one value, whatever order jsonb gives keys back in. */
const sortedJson = configure({ deterministic: true, circularValue: Error, bigint: false, strict: true });

/** A value as JSON carries it (undefined members dropped, Dates as text, -0 as 0): what jsonb stores and gives back. */
const asJson = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

export class RecordContentError extends Error {}

/** An instant as ISO 8601 UTC in milliseconds: a timestamptz read back as a Date and the text written give the same. */
export function isoInstant(at: string | Date): string {
  const instant = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(instant.getTime())) throw new RecordContentError(`${String(at)} is not a point in time`);
  return instant.toISOString();
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** An event as it is written to, and read back from, case_events. */
export interface EventContent {
  reference: string;
  seq: number;
  type: string;
  at: string | Date;
  stage?: number | null;
  actor?: string | null;
  detail: unknown;
  /** The hash of the event before it (`genesis:REFERENCE` for the first). */
  prevHash: string;
  /** The event's hash in the database's own chain (case_event_hash): signed too, so the links are. */
  hash: string;
}

/** The digest of everything an event says, computed in Node; its signature covers this. */
export function eventDigest(e: EventContent): string {
  return sha256(
    sortedJson({
      v: 'lscp-record-event-v2',
      reference: e.reference,
      seq: e.seq,
      type: e.type,
      at: isoInstant(e.at),
      stage: e.stage ?? null,
      actor: e.actor ?? null,
      detail: asJson(e.detail),
      prevHash: e.prevHash,
      hash: e.hash,
    })!,
  );
}

/** A case row's fields written when it opens and never changed afterwards (as read from cases). */
export interface CaseContent {
  reference: string;
  partnership_id: string;
  policy_version: string;
  category: string;
  raiser: unknown;
  other_party: unknown;
  child_reference: string;
  description: string;
  flags: unknown;
  opened_at: string | Date;
  workflow_input: unknown;
  opened_by_client: string | null;
}

/** The columns of CaseContent, to select from `cases c`. */
export const CASE_CONTENT_COLUMNS =
  'c.reference, c.partnership_id, c.policy_version, c.category, c.raiser, c.other_party, c.child_reference, c.description, c.flags, c.opened_at, c.workflow_input, c.opened_by_client';

/** The digest of a case row's immutable fields, computed in Node; its seal's signature covers this. */
export function caseDigest(c: CaseContent): string {
  return sha256(
    sortedJson({
      v: 'lscp-case-v2',
      reference: c.reference,
      partnershipId: c.partnership_id,
      policyVersion: c.policy_version,
      category: c.category,
      raiser: asJson(c.raiser),
      otherParty: asJson(c.other_party),
      childReference: c.child_reference,
      description: c.description,
      flags: asJson(c.flags),
      openedAt: isoInstant(c.opened_at),
      workflowInput: asJson(c.workflow_input ?? null),
      openedByClient: c.opened_by_client ?? null,
    })!,
  );
}

/** What an event's signature covers: the case, its place, and the digest of its content (eventDigest). */
export const eventMessage = (reference: string, seq: number, digest: string) => `lscp-record-event-v2\n${reference}\n${seq}\n${digest}`;

/** What a case's seal covers: the digest of the case row's immutable fields (caseDigest). */
export const sealMessage = (reference: string, digest: string) => `lscp-case-seal-v2\n${reference}\n${digest}`;

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
