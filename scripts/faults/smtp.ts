/**
 * The SMTP server the fault harness controls and counts at. A message counts as received only
 * once the server has answered its DATA with 250, as a real MTA takes responsibility for it then;
 * a client that vanishes before that answer has not delivered it.
 *
 * Faults it can inject: go down (listening socket closed, open sessions cut, so connections are
 * refused) and come back on the same port; refuse chosen recipients permanently at RCPT TO
 * (550 5.1.1); hold the answer to a DATA for a while, so a sender can be killed mid-send.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { sleep } from './processes';

export interface ReceivedMail {
  seq: number;
  at: Date;
  to: string[];
  subject: string;
  messageId: string;
  text: string;
}

export interface HeldData {
  to: string[];
  subject: string;
  /** The sender's end of the connection, to find which process is sending. */
  clientPort: number;
}

interface Hold {
  match: (to: string[]) => boolean;
  ms: number;
  remaining: number;
  onHold: (held: HeldData) => void;
}

export class FaultySmtpServer {
  readonly received: ReceivedMail[] = [];
  /** DATA whose sender went away before the 250: not delivered. */
  readonly abandoned: { at: Date; to: string[]; subject: string }[] = [];
  readonly refusals: { at: Date; address: string }[] = [];
  private server?: SMTPServer;
  private readonly refused = new Set<string>();
  private readonly closedSessions = new Set<string>();
  private holds: Hold[] = [];
  private seq = 0;
  private waiters = new Set<() => void>();

  private constructor(
    private listenPort: number,
    readonly host: string,
  ) {}

  static async start(port = 0, host = '127.0.0.1'): Promise<FaultySmtpServer> {
    const smtp = new FaultySmtpServer(port, host);
    // Port 0 picks a free port once; coming back up after an outage reuses it.
    smtp.listenPort = await smtp.listen(port);
    return smtp;
  }

  get port(): number {
    return this.listenPort;
  }

  get url(): string {
    return `smtp://${this.host}:${this.port}`;
  }

  get up(): boolean {
    return this.server !== undefined;
  }

  /** Every RCPT TO for this address is refused with 550 5.1.1 until allowed again. */
  refuse(address: string): void {
    this.refused.add(address.toLowerCase());
  }

  allow(address: string): void {
    this.refused.delete(address.toLowerCase());
  }

  /** The next `times` messages to a matching recipient get their 250 only after `ms`. */
  holdData(match: (to: string[]) => boolean, ms: number, onHold: (held: HeldData) => void, times = 1): void {
    this.holds.push({ match, ms, remaining: times, onHold });
  }

  clearFaults(): void {
    this.refused.clear();
    this.holds = [];
  }

  /** Closes the listening socket and cuts every session: senders get connection refused. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // closeTimeout 1 ms: open sessions get "421 shutting down" and are closed at once.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port (a new server: a closed one answers 421 for ever). */
  async upAgain(): Promise<void> {
    if (this.server) return;
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.down();
    for (const wake of this.waiters) wake();
  }

  /** Resolves with the first received message that matches, or undefined after the time. */
  async waitFor(match: (m: ReceivedMail) => boolean, timeoutMs: number): Promise<ReceivedMail | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      const left = until - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1_000));
        this.waiters.add(wake);
      });
    }
  }

  private async listen(port: number): Promise<number> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 1,
      // Many senders at once during a recovery; the default (unlimited) is fine but be explicit.
      maxClients: 1_000,
      onRcptTo: (address, _session, callback) => {
        const rcpt = address.address.toLowerCase();
        if (this.refused.has(rcpt)) {
          this.refusals.push({ at: new Date(), address: rcpt });
          const error = Object.assign(new Error(`5.1.1 <${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`), {
            responseCode: 550,
          });
          return callback(error);
        }
        callback();
      },
      onClose: (session) => {
        this.closedSessions.add(session.id);
      },
      onData: (stream, session, callback) => {
        this.onData(stream, session)
          .then(() => callback())
          .catch((error: Error) => callback(error));
      },
    });
    server.on('error', () => {
      // A session's socket error (a sender killed mid-conversation) is not the server's failure.
    });
    server.listen(port, this.host);
    await once(server.server, 'listening');
    this.server = server;
    return (server.server.address() as AddressInfo).port;
  }

  private async onData(stream: NodeJS.ReadableStream, session: SMTPServerSession): Promise<void> {
    const parsed = await simpleParser(stream as never);
    const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
    const subject = parsed.subject ?? '';
    const hold = this.holds.find((h) => h.remaining > 0 && h.match(to));
    if (hold) {
      hold.remaining -= 1;
      hold.onHold({ to, subject, clientPort: session.remotePort });
      await sleep(hold.ms);
    }
    if (this.closedSessions.has(session.id)) {
      // The sender is gone: it never saw a 250, so the message was not delivered.
      this.abandoned.push({ at: new Date(), to, subject });
      throw new Error('sender went away');
    }
    this.received.push({ seq: ++this.seq, at: new Date(), to, subject, messageId: parsed.messageId ?? '', text: parsed.text ?? '' });
    for (const wake of this.waiters) wake();
  }
}
