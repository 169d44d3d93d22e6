/** The payload codec's key ring, its refusals, and the converter that turns a refusal into a value. */
import type { Payload } from '@temporalio/common';
import { createEncryptionCodec, decodeForReading, keyIdOf } from '../../shared/codec';
import { ConfigError, payloadKeyRingOf, readSettings } from '../../shared/config';
import { UNSEALED_ENCODING, isUnsealed, payloadConverter, unmarked, valueOfUnsealed } from '../../shared/payloadConverter';

const A = Buffer.alloc(32, 1);
const B = Buffer.alloc(32, 2);
const C = Buffer.alloc(32, 3);
const json = (value: unknown): Payload => payloadConverter.toPayload(value);
const encodingOf = (p: Payload) => Buffer.from(p.metadata!.encoding!).toString();
const keyIdIn = (p: Payload) => Buffer.from(p.metadata!['encryption-key-id']!).toString();
const activity = { type: 'activity', namespace: 'default', isLocal: false } as const;

describe('the payload codec', () => {
  it('seals with the current key and opens by key id, retired keys included', async () => {
    const underA = createEncryptionCodec(A);
    const [old] = await underA.encode([json({ n: 1 })]);
    expect(keyIdIn(old)).toBe(keyIdOf(A));
    const rotated = createEncryptionCodec({ current: B, retired: [A] });
    const [fresh] = await rotated.encode([json({ n: 2 })]);
    expect(keyIdIn(fresh)).toBe(keyIdOf(B));
    const opened = await rotated.decode([old, fresh]);
    expect(opened.map((p) => payloadConverter.fromPayload(p))).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it.each([
    ['plaintext', async () => json({ forged: true })],
    ['unknownKey', async () => (await createEncryptionCodec(C).encode([json({ forged: true })]))[0]],
    [
      'forged',
      async () => {
        const [sealed] = await createEncryptionCodec(A).encode([json({ forged: true })]);
        const data = Buffer.from(sealed.data!);
        data[14] ^= 1;
        return { ...sealed, data };
      },
    ],
    ['forged', async () => ({ metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from(keyIdOf(A)) }, data: Buffer.from('short') })],
  ] as const)('marks a %s payload instead of passing it through, and the converter makes it Unsealed', async (reason, make) => {
    const codec = createEncryptionCodec({ current: A, retired: [B] });
    const arrived = await make();
    const [decoded] = await codec.decode([arrived]);
    expect(encodingOf(decoded)).toBe(UNSEALED_ENCODING);
    const value = payloadConverter.fromPayload(decoded);
    expect(isUnsealed(value)).toBe(true);
    expect(value).toMatchObject({ reason });
    // The marker undoes to exactly what arrived (the codec endpoint shows it as stored).
    expect(unmarked(decoded)).toEqual({ metadata: arrived.metadata, data: arrived.data });
  });

  it('refuses payloads sealed under a key once it is dropped from the ring', async () => {
    const [old] = await createEncryptionCodec(A).encode([json('x')]);
    const [decoded] = await createEncryptionCodec(B).decode([old]);
    expect(payloadConverter.fromPayload(decoded)).toMatchObject({ reason: 'unknownKey' });
  });

  it('does not let a plaintext payload pose as a marker or as a value', async () => {
    const codec = createEncryptionCodec(A);
    const posing: Payload = { metadata: { encoding: Buffer.from(UNSEALED_ENCODING), 'lscp-unsealed-reason': Buffer.from('plaintext') }, data: Buffer.from('{}') };
    const [decoded] = await codec.decode([posing]);
    const value = payloadConverter.fromPayload(decoded);
    expect(isUnsealed(value)).toBe(true);
    // What it stood for was itself a marker: never a value a workflow could use.
    expect(() => payloadConverter.fromPayload(unmarked(decoded))).not.toThrow();
    expect(isUnsealed(payloadConverter.fromPayload(unmarked(decoded)))).toBe(true);
  });

  it('gives the recorded value of a plaintext payload only on request (old histories), never for an unreadable one', async () => {
    const codec = createEncryptionCodec(A);
    const [plain] = await codec.decode([json({ stage: 1 })]);
    expect(valueOfUnsealed(payloadConverter.fromPayload(plain))).toEqual({ stage: 1 });
    const [other] = await codec.decode([(await createEncryptionCodec(C).encode([json('x')]))[0]]);
    expect(() => valueOfUnsealed(payloadConverter.fromPayload(other))).toThrow(/could not be read/);
  });

  it('takes our activities’ plaintext results (cases opened before encryption) but fails on an activity payload it cannot open', async () => {
    const codec = createEncryptionCodec(A);
    const plain = json({ at: '2026-01-01' });
    expect(await codec.decode([plain], activity)).toEqual([plain]);
    const [other] = await createEncryptionCodec(C).encode([json('x')]);
    await expect(codec.decode([other], activity)).rejects.toThrow(/PAYLOAD_KEYS_RETIRED/);
  });

  it('decodes for reading: opened where it can, otherwise exactly as stored', async () => {
    const codec = createEncryptionCodec({ current: B, retired: [A] });
    const [underA] = await createEncryptionCodec(A).encode([json({ a: 1 })]);
    const [underC] = await createEncryptionCodec(C).encode([json({ c: 1 })]);
    const plain = json({ p: 1 });
    const read = await decodeForReading(codec, [underA, underC, plain]);
    expect(payloadConverter.fromPayload(read[0])).toEqual({ a: 1 });
    expect(read[1]).toEqual({ metadata: underC.metadata, data: underC.data });
    expect(read[2]).toEqual({ metadata: plain.metadata, data: plain.data });
  });

  it('never converts a value to a marker', () => {
    for (const value of [undefined, null, 'x', 1, { a: 1 }, new Uint8Array([1])]) expect(encodingOf(payloadConverter.toPayload(value))).not.toBe(UNSEALED_ENCODING);
  });
});

describe('the payload key ring settings', () => {
  const settings = (env: Record<string, string>) => readSettings({ DATA_DIR: '/tmp/unused-codec-test', ...env });

  it('reads PAYLOAD_KEY as the current key and PAYLOAD_KEYS_RETIRED as keys that only open', () => {
    const ring = payloadKeyRingOf(settings({ PAYLOAD_KEY: B.toString('base64'), PAYLOAD_KEYS_RETIRED: `${A.toString('base64')}, ${C.toString('base64')}` }));
    expect(ring.current).toEqual(B);
    expect(ring.retired).toEqual([A, C]);
  });

  it('keeps PAYLOAD_KEY working alone, and drops the current key from the retired list', () => {
    expect(payloadKeyRingOf(settings({ PAYLOAD_KEY: A.toString('base64') }))).toEqual({ current: A, retired: [] });
    expect(payloadKeyRingOf(settings({ PAYLOAD_KEY: A.toString('base64'), PAYLOAD_KEYS_RETIRED: A.toString('base64') })).retired).toEqual([]);
  });

  it('says which retired key is wrong, in plain words', () => {
    const wrong = () => payloadKeyRingOf(settings({ PAYLOAD_KEY: A.toString('base64'), PAYLOAD_KEYS_RETIRED: `${B.toString('base64')} not-a-key` }));
    expect(wrong).toThrow(ConfigError);
    expect(wrong).toThrow('PAYLOAD_KEYS_RETIRED: key 2 must be the base64 of exactly 32 bytes');
  });
});
