/**
 * `npm start`'s Temporal Web UI: the dev server started as start.ts starts it, with the UI pointed
 * at the API's codec endpoint. The UI's own settings endpoint (what the browser app reads) must say
 * the codec endpoint, that the browser sends credentials to it, and that write actions are off; and
 * a write sent anyway is refused.
 */
import { startDevServer, type DevServer } from '../../scripts/devServer';
import { closedPort, eventually } from '../support/waits';

const CODEC = 'http://localhost:3000/codec';

interface UiSettings {
  Codec: { Endpoint: string; IncludeCredentials: boolean; PassAccessToken: boolean };
  DisableWriteActions: boolean;
}

describe('the Temporal Web UI of npm start', () => {
  let server: DevServer;
  beforeAll(async () => {
    const [port, uiPort] = [await closedPort(), await closedPort()];
    server = await startDevServer({ port, ui: true, uiPort, uiCodecEndpoint: CODEC, uiReadOnly: true });
  }, 120_000);
  afterAll(async () => {
    await server?.teardown();
  });

  it('tells the browser app: decode through the API with credentials, and offer no write actions', async () => {
    const res = await fetch(`${server.uiUrl}/api/v1/settings`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    const settings = (await res.json()) as UiSettings;
    expect(settings.Codec).toMatchObject({ Endpoint: CODEC, IncludeCredentials: true, PassAccessToken: false });
    expect(settings.DisableWriteActions).toBe(true);
  });

  it('is what the CLI alone cannot do: its UI server has the codec endpoint (--ui-codec-endpoint) but neither credentials nor read-only', async () => {
    const settings = (await (await fetch(`${server.uiServerUrl}/api/v1/settings`)).json()) as UiSettings;
    expect(settings.Codec).toMatchObject({ Endpoint: CODEC, IncludeCredentials: false });
    expect(settings.DisableWriteActions).toBe(false);
  });

  it('serves the UI and its reads, and refuses writes', async () => {
    const page = await fetch(`${server.uiUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    await page.text();
    // The UI server dials Temporal before the frontend is up and retries with a backoff: wait for it.
    const list = await eventually('the UI to list workflows', async () => {
      const res = await fetch(`${server.uiUrl}/api/v1/namespaces/default/workflows`);
      const text = await res.text();
      return res.status === 200 ? text : undefined;
    });
    expect(JSON.parse(list)).toBeInstanceOf(Object);
    const terminate = await fetch(`${server.uiUrl}/api/v1/namespaces/default/workflows/BSCP-2026-7K3F9Q/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'test' }),
    });
    expect(terminate.status).toBe(405);
  });
});
