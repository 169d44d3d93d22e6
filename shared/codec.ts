/**
 * Workflow payloads are encrypted before they reach Temporal (AES-256-GCM): history, the UI and
 * the CLI see ciphertext. Each payload names the key it was sealed with (`encryption-key-id`, a
 * fingerprint of the key), and decoding picks the key by that id from a key ring: the current key
 * seals, retired keys only open what they sealed, so a key rotates without breaking running cases.
 *
 * Decoding never passes through what it cannot open. A payload that arrived unencrypted, under a
 * key id the ring does not hold, or that fails authentication is replaced by a marker
 * (shared/payloadConverter.ts), which the payload converter turns into an `Unsealed` value and the
 * workflow's interceptors refuse (workflows/interceptors.ts). The one exception is what the
 * worker's own activities return (the activity serialization context): cases opened before
 * encryption hold plaintext activity results, and an activity result this worker cannot decrypt
 * is a missing key, which fails the workflow task until the key is configured.
 * The codec endpoint (api/codec.ts) lets authorised staff read payloads.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { markUnsealed, unmarked, type UnsealedReason } from './payloadConverter';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString() : '');

/** The payload converter module every worker and client loads alongside the codec. */
export const PAYLOAD_CONVERTER_PATH = require.resolve('./payloadConverter');

/** The current key seals; retired keys are kept to open payloads sealed before a rotation. */
export interface PayloadKeyRing {
  current: Buffer;
  retired?: Buffer[];
}

/** A key's id as payloads carry it: the first 16 hex digits of its SHA-256. */
export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 16);

export function createEncryptionCodec(keys: Buffer | PayloadKeyRing): PayloadCodec {
  const ring: PayloadKeyRing = Buffer.isBuffer(keys) ? { current: keys } : keys;
  for (const key of [ring.current, ...(ring.retired ?? [])]) {
    if (key.length !== 32) throw new Error('A payload key must be 32 bytes (base64 of 32 random bytes)');
  }
  const currentId = keyIdOf(ring.current);
  const byId = new Map<string, Buffer>();
  for (const key of [...(ring.retired ?? []), ring.current]) byId.set(keyIdOf(key), key);

  const open = (payload: Payload): Payload | UnsealedReason => {
    if (text(payload.metadata?.encoding) !== ENCODING) return 'plaintext';
    const key = byId.get(text(payload.metadata?.[KEY_ID]));
    if (!key) return 'unknownKey';
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) return 'forged';
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      return 'forged';
    }
  };

  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', ring.current, iv);
        const body = Buffer.concat([cipher.update(plain), cipher.final()]);
        return {
          metadata: { encoding: utf8(ENCODING), [KEY_ID]: utf8(currentId) },
          data: Buffer.concat([iv, body, cipher.getAuthTag()]),
        };
      });
    },
    async decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
      return payloads.map((payload) => {
        const opened = open(payload);
        if (typeof opened !== 'string') return opened;
        // Our own activities' results: plaintext only in cases opened before encryption.
        if (context?.type === 'activity') {
          if (opened === 'plaintext') return payload;
          throw new Error(
            opened === 'unknownKey'
              ? `An activity payload is encrypted with key ${text(payload.metadata?.[KEY_ID]) || '(none)'}, which this process does not hold: add that key to PAYLOAD_KEYS_RETIRED`
              : 'An activity payload failed authentication: it was altered or not made with our key',
          );
        }
        return markUnsealed(payload, opened);
      });
    },
  };
}

/** Codec and converter together: what every worker, client and replayer of our workflows uses. */
export function sealedDataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], payloadConverterPath: PAYLOAD_CONVERTER_PATH };
}

export function encryptingDataConverter(keys: Buffer | PayloadKeyRing): DataConverter {
  return sealedDataConverter(createEncryptionCodec(keys));
}

/**
 * For people reading history (the codec endpoint): what the codec could open, opened; anything
 * else exactly as it is stored (a payload from before encryption, or one no key here opens).
 */
export async function decodeForReading(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  return (await codec.decode(payloads)).map(unmarked);
}
