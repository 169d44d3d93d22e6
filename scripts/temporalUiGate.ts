/**
 * A small gate in front of the dev server's Web UI, for what the Temporal CLI cannot set.
 *
 * `temporal server start-dev` (CLI 1.5.1, UI server 2.42.1) builds its UI's configuration from its
 * flags alone: `--ui-codec-endpoint` sets the codec endpoint, and nothing sets the codec's
 * `includeCredentials` or the UI's `disableWriteActions` (no flag, no environment variable, no
 * config file: the UI server's `TEMPORAL_CODEC_INCLUDE_CREDENTIALS` and
 * `TEMPORAL_DISABLE_WRITE_ACTIONS` are read only by the temporalio/ui image's config template).
 * So the UI listens on a private port and this gate, on the UI's public port, passes everything
 * through except:
 *
 * - `GET /api/v1/settings`, the settings the browser app reads at start, answered with the codec
 *   endpoint, `IncludeCredentials: true` (the browser sends the staff session's cookie to the
 *   codec endpoint) and `DisableWriteActions: true` (the app hides terminate, cancel, signal,
 *   update, reset, start and batch actions);
 * - with write actions off, any other method than GET, HEAD or OPTIONS under `/api/v1/` is refused
 *   with 405, as the UI server itself does when configured so (queries, which are reads sent as
 *   POST, still pass).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UiSettingsOverride {
  /** The remote codec endpoint the browser calls, e.g. `http://localhost:3000/codec`. */
  codecEndpoint?: string;
  /** The browser sends cookies with its codec requests (`credentials: 'include'`). */
  includeCredentials?: boolean;
  /** The UI offers no write actions, and the gate refuses them. */
  disableWriteActions?: boolean;
}

export interface UiGate {
  url: string;
  port: number;
  close(): Promise<void>;
}

const SETTINGS_PATH = '/api/v1/settings';

/** The UI server's own rule (ui-server `DisableWriteMiddleware`): only queries may be POSTed. */
export function isRefusedWrite(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (!path.startsWith('/api/v1/')) return false;
  const isQuery = method === 'POST' && path.startsWith('/api/v1/namespaces/') && path.includes('/workflows/') && path.includes('/query/');
  return !isQuery;
}

/** The settings the UI server answered, with ours laid over them. */
export function overrideSettings(settings: Record<string, unknown>, override: UiSettingsOverride): Record<string, unknown> {
  const codec = { ...((settings.Codec as Record<string, unknown> | undefined) ?? {}) };
  if (override.codecEndpoint !== undefined) codec.Endpoint = override.codecEndpoint;
  if (override.includeCredentials !== undefined) codec.IncludeCredentials = override.includeCredentials;
  return { ...settings, Codec: codec, ...(override.disableWriteActions !== undefined ? { DisableWriteActions: override.disableWriteActions } : {}) };
}

export async function startUiGate(options: { host: string; port: number; upstream: { host: string; port: number }; settings: UiSettingsOverride }): Promise<UiGate> {
  const { upstream, settings } = options;

  const forward = (req: IncomingMessage, res: ServerResponse, headers = req.headers) => {
    const out = request({ host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('The Temporal Web UI is not answering.');
    });
    req.pipe(out);
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === SETTINGS_PATH) {
      // Asked for uncompressed, so it can be read and rewritten.
      const { 'accept-encoding': _ignored, ...headers } = req.headers;
      const out = request({ host: upstream.host, port: upstream.port, method: 'GET', path: req.url, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (answer.statusCode === 200) {
            try {
              body = Buffer.from(JSON.stringify(overrideSettings(JSON.parse(body.toString('utf8')) as Record<string, unknown>, settings)));
            } catch {
              // Not JSON: pass it on as it is; the UI will say what is wrong.
            }
          }
          const { 'content-length': _length, 'content-encoding': _encoding, ...rest } = answer.headers;
          res.writeHead(answer.statusCode ?? 502, { ...rest, 'content-length': String(body.length) });
          res.end(body);
        });
      });
      out.on('error', () => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('The Temporal Web UI is not answering.');
      });
      out.end();
      return;
    }
    if (settings.disableWriteActions && isRefusedWrite(req.method ?? 'GET', path)) {
      req.resume();
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET' });
      res.end(JSON.stringify({ message: 'Method Not Allowed: the Web UI is read-only here' }));
      return;
    }
    forward(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
