/**
 * The payload converter every worker and client uses (`payloadConverterPath`). It is the default
 * converter plus one encoding of our own: the marker the codec (shared/codec.ts) puts in place of a
 * payload it would not decrypt — one that arrived unencrypted, under a key id the key ring does not
 * hold, or that failed authentication. Such a payload becomes an `Unsealed` value instead of an
 * error: inside the workflow an error here would fail the workflow task again on every retry (the
 * SDK converts signal and start arguments outside any handler), so a forged message could leave a
 * case stuck. The workflow's interceptors (workflows/interceptors.ts) refuse `Unsealed` values.
 *
 * Runs inside the workflow sandbox too: pure code, no Node APIs.
 */
import {
  BinaryPayloadConverter,
  CompositePayloadConverter,
  JsonPayloadConverter,
  UndefinedPayloadConverter,
  defaultPayloadConverter,
  type Payload,
  type PayloadConverterWithEncoding,
} from '@temporalio/common';
import { decode, encode } from '@temporalio/common/lib/encoding';

/** The marker's encoding: never written by a converter, only by the codec's decode. */
export const UNSEALED_ENCODING = 'binary/lscp-unsealed';
/** Marker metadata: why the payload was not decrypted. */
export const UNSEALED_REASON = 'lscp-unsealed-reason';
/** Marker metadata: the payload's own encoding, so the marker can be undone (codec endpoint, old histories). */
export const UNSEALED_ORIGINAL_ENCODING = 'lscp-unsealed-encoding';

/**
 * - `plaintext`: not encrypted at all (a client or the CLI without the key);
 * - `unknownKey`: encrypted under a key id this process does not hold;
 * - `forged`: the key id is known but the payload fails authentication (altered or made up).
 */
export type UnsealedReason = 'plaintext' | 'unknownKey' | 'forged';
const REASONS: readonly UnsealedReason[] = ['plaintext', 'unknownKey', 'forged'];

const BRAND = Symbol.for('lscp.unsealedPayload');

/** What an unsealed payload converts to: never the value itself. */
export interface Unsealed {
  readonly [BRAND]: true;
  readonly reason: UnsealedReason;
  /** The payload as it arrived (before the codec marked it). */
  readonly original: Payload;
}

export function isUnsealed(value: unknown): value is Unsealed {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** The marker for a payload the codec would not decrypt: the payload as it came, re-labelled. */
export function markUnsealed(payload: Payload, reason: UnsealedReason): Payload {
  const metadata = { ...(payload.metadata ?? {}) };
  const encoding = metadata.encoding;
  metadata.encoding = encode(UNSEALED_ENCODING);
  metadata[UNSEALED_REASON] = encode(reason);
  if (encoding) metadata[UNSEALED_ORIGINAL_ENCODING] = encoding;
  else delete metadata[UNSEALED_ORIGINAL_ENCODING];
  return { metadata, data: payload.data ?? new Uint8Array() };
}

/** The payload a marker stands for, exactly as it arrived; any other payload unchanged. */
export function unmarked(payload: Payload): Payload {
  const text = (key: string) => (payload.metadata?.[key] ? decode(payload.metadata[key]!) : undefined);
  if (text('encoding') !== UNSEALED_ENCODING) return payload;
  const metadata = { ...(payload.metadata ?? {}) };
  const original = metadata[UNSEALED_ORIGINAL_ENCODING];
  delete metadata[UNSEALED_REASON];
  delete metadata[UNSEALED_ORIGINAL_ENCODING];
  if (original) metadata.encoding = original;
  else delete metadata.encoding;
  return { metadata, data: payload.data };
}

/**
 * The value an unsealed payload would have had, for the one place it is still used: replaying a
 * history recorded before payloads were refused (cases opened before encryption). Throws for a
 * payload that was never readable (unknown key, forged).
 */
export function valueOfUnsealed(unsealed: Unsealed): unknown {
  if (unsealed.reason !== 'plaintext') throw new TypeError(`An encrypted payload could not be read (${unsealed.reason})`);
  return defaultPayloadConverter.fromPayload(unsealed.original);
}

class UnsealedPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = UNSEALED_ENCODING;

  /** Nothing is ever converted to a marker: only the codec's decode makes them. */
  toPayload(): Payload | undefined {
    return undefined;
  }

  fromPayload<T>(payload: Payload): T {
    const said = payload.metadata?.[UNSEALED_REASON] ? decode(payload.metadata[UNSEALED_REASON]) : '';
    const reason = (REASONS as readonly string[]).includes(said) ? (said as UnsealedReason) : 'forged';
    const value: Unsealed = { [BRAND]: true, reason, original: unmarked(payload) };
    return value as T;
  }
}

export const payloadConverter = new CompositePayloadConverter(
  new UnsealedPayloadConverter(),
  new UndefinedPayloadConverter(),
  new BinaryPayloadConverter(),
  new JsonPayloadConverter(),
);
