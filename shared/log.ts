/**
 * Structured logs (pino, JSON lines on stderr). Log lines carry case references, ids, roles and
 * codes, never names, addresses or anything about a child.
 */
import pino from 'pino';

export const log = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
  base: { service: 'lscp-escalations' },
  timestamp: pino.stdTimeFunctions.isoTime,
}, pino.destination(2));
