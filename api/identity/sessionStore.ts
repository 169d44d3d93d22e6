/**
 * express-session's store on our database (PostgreSQL or PGlite, through `Database`). Only a hash
 * of each session id is kept, so the table alone cannot be replayed as cookies. Expired rows are
 * never returned and are swept now and then.
 */
import { createHash } from 'node:crypto';
import session, { type SessionData } from 'express-session';
import type { Database } from '../../db/database';

export const sessionRef = (sid: string) => createHash('sha256').update(sid).digest('hex');

export class DatabaseSessionStore extends session.Store {
  private lastSweep = 0;

  constructor(
    private readonly db: Database,
    private readonly idleMs: number,
  ) {
    super();
  }

  private expiryOf(data: SessionData): Date {
    const cookieExpiry = data.cookie?.expires ? new Date(data.cookie.expires) : undefined;
    return cookieExpiry && !Number.isNaN(cookieExpiry.getTime()) ? cookieExpiry : new Date(Date.now() + this.idleMs);
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.db
      .query<{ data: SessionData }>('SELECT data FROM sessions WHERE sid_hash = $1 AND expires_at > now()', [sessionRef(sid)])
      .then(({ rows }) => callback(null, rows[0]?.data ?? null), callback);
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    this.db
      .query(
        `INSERT INTO sessions (sid_hash, data, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (sid_hash) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
        [sessionRef(sid), JSON.stringify(data), this.expiryOf(data)],
      )
      .then(() => this.sweep())
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override touch(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    this.db
      .query('UPDATE sessions SET expires_at = $2 WHERE sid_hash = $1 AND expires_at > now()', [sessionRef(sid), this.expiryOf(data)])
      .then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.db.query('DELETE FROM sessions WHERE sid_hash = $1', [sessionRef(sid)]).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  /** Drops expired rows at most once a minute, on a write (sign-ins are rare enough). */
  private async sweep() {
    if (Date.now() - this.lastSweep < 60_000) return;
    this.lastSweep = Date.now();
    await this.db.query('DELETE FROM sessions WHERE expires_at < now()');
  }
}
