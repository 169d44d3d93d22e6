/**
 * The HTTP server's lifecycle, shared by `api/main.ts` and `npm start`: listening fails loudly
 * (a busy port is an error, not a "listening" line), and a stop signal drains the requests in
 * flight before the process exits. Repeated signals are tolerated.
 */
import { createServer, type RequestListener, type Server } from 'node:http';

/** How long in-flight requests get to finish after a stop signal (Docker waits 10 s before SIGKILL). */
export const DRAIN_TIMEOUT_MS = 8_000;

export class ListenError extends Error {}

/** Listens, or rejects with a message that says what to do (a busy port, a port needing privileges). */
export async function listen(handler: RequestListener, port: number, host?: string): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const where = `${host ?? 'all interfaces'} port ${port}`;
      if (error.code === 'EADDRINUSE') reject(new ListenError(`Port ${port} is already in use (${where}): stop whatever holds it, or set PORT to another port.`));
      else if (error.code === 'EACCES') reject(new ListenError(`Not allowed to listen on ${where}: choose a port above 1023, or set PORT.`));
      else reject(error);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return server;
}

/** Stops accepting, lets requests in flight finish (up to `timeoutMs`), then closes what is left. */
export async function drain(server: Server, timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections that are idle now, or become idle after their response, are not waited for.
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
  try {
    await closed;
  } finally {
    clearInterval(idle);
    clearTimeout(deadline);
  }
}

/**
 * Resolves with the first SIGINT or SIGTERM. The handlers stay installed, so a second signal (an
 * impatient Ctrl-C, a supervisor repeating itself) is logged and ignored instead of killing the
 * process half-way through its drain.
 */
export function stopSignal(log: (line: string) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received: NodeJS.Signals | undefined;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (received) return log(`${signal} again: already stopping`);
        received = signal;
        log(`${signal}: stopping after the requests in flight`);
        resolve(signal);
      });
    }
  });
}
