/**
 * Workflow payloads are encrypted before they reach Temporal (AES-256-GCM): history, the UI and
 * the CLI see ciphertext. The codec endpoint (api/codec.ts) lets authorised staff read them.
 * Payloads written before encryption (or by other codecs) pass through decode untouched.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = (s: string) => new TextEncoder().encode(s);

export function createEncryptionCodec(key: Buffer): PayloadCodec {
  if (key.length !== 32) throw new Error('PAYLOAD_KEY must be 32 bytes (base64 of 32 random bytes)');
  // The key's fingerprint travels with each payload, so a rotated key can be told apart.
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return {
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        const body = Buffer.concat([cipher.update(plain), cipher.final()]);
        return {
          metadata: { encoding: utf8(ENCODING), [KEY_ID]: utf8(keyId) },
          data: Buffer.concat([iv, body, cipher.getAuthTag()]),
        };
      });
    },
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : '';
        if (encoding !== ENCODING || !payload.data) return payload;
        const data = Buffer.from(payload.data);
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return temporal.api.common.v1.Payload.decode(plain);
      });
    },
  };
}

export function encryptingDataConverter(key: Buffer): DataConverter {
  return { payloadCodecs: [createEncryptionCodec(key)] };
}
