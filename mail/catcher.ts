/**
 * An SMTP server in-process that keeps what it receives: the embedded default for `npm start`
 * (with a page listing the messages) and the real SMTP peer of the tests.
 */
import { once } from 'node:events';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMessage {
  id: number;
  receivedAt: Date;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId?: string;
}

export interface MailCatcher {
  readonly port: number;
  readonly url: string;
  messages(): CaughtMessage[];
  /** Resolves with the first message (already received or still to come) that matches. */
  waitFor(match: (m: CaughtMessage) => boolean, timeoutMs?: number): Promise<CaughtMessage>;
  clear(): void;
  /** From now on, refuse mail for this address for good (550 at RCPT TO), as a server does for a mailbox that does not exist. */
  refuseRecipient(address: string): void;
  close(): Promise<void>;
}

/** With `storeFile`, what is received is appended there (JSON lines) and read back on the next start. */
export async function startMailCatcher(port = 0, host = '127.0.0.1', storeFile?: string): Promise<MailCatcher> {
  const received: CaughtMessage[] = storeFile && existsSync(storeFile) ? readStore(storeFile) : [];
  const waiters = new Set<{ match: (m: CaughtMessage) => boolean; resolve: (m: CaughtMessage) => void }>();
  let nextId = received.length + 1;
  const refused = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!refused.has(address.address.toLowerCase())) return callback();
      callback(Object.assign(new Error('5.1.1 Mailbox does not exist'), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const message: CaughtMessage = {
            id: nextId++,
            receivedAt: new Date(),
            from: parsed.from?.text ?? '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            messageId: parsed.messageId,
          };
          received.push(message);
          if (storeFile) appendFileSync(storeFile, JSON.stringify(message) + '\n', { mode: 0o600 });
          for (const waiter of waiters) {
            if (waiter.match(message)) {
              waiters.delete(waiter);
              waiter.resolve(message);
            }
          }
          callback();
        })
        .catch(callback);
    },
  });
  server.listen(port, host);
  await once(server.server, 'listening');
  const actualPort = (server.server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: `smtp://${host}:${actualPort}`,
    messages: () => [...received],
    waitFor(match, timeoutMs = 30_000) {
      const already = received.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (m: CaughtMessage) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching email arrived within ${timeoutMs} ms (${received.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear: () => {
      received.length = 0;
    },
    refuseRecipient: (address) => {
      refused.add(address.toLowerCase());
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readStore(file: string): CaughtMessage[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = JSON.parse(line) as CaughtMessage;
      return { ...m, receivedAt: new Date(m.receivedAt) };
    });
}
