/** What the gate in front of the dev server's Web UI changes: the settings it lays over, the writes it refuses. */
import { isRefusedWrite, overrideSettings } from '../../scripts/temporalUiGate';

describe('the Web UI gate', () => {
  it('lays the codec endpoint, credentials and read-only over the UI server settings, keeping the rest', () => {
    const upstream = { Auth: { Enabled: false }, Codec: { Endpoint: 'http://localhost:3000/codec', PassAccessToken: false, IncludeCredentials: false }, DisableWriteActions: false, Version: '2.42.1' };
    expect(overrideSettings(upstream, { codecEndpoint: 'http://localhost:3000/codec', includeCredentials: true, disableWriteActions: true })).toEqual({
      Auth: { Enabled: false },
      Codec: { Endpoint: 'http://localhost:3000/codec', PassAccessToken: false, IncludeCredentials: true },
      DisableWriteActions: true,
      Version: '2.42.1',
    });
    expect(overrideSettings({ Version: 'x' }, {})).toEqual({ Version: 'x', Codec: {} });
  });

  it.each([
    ['GET', '/api/v1/namespaces/default/workflows', false],
    ['HEAD', '/api/v1/settings', false],
    ['POST', '/api/v1/namespaces/default/workflows/BSCP-2026-7K3F9Q/query/getState', false],
    ['POST', '/api/v1/namespaces/default/workflows/BSCP-2026-7K3F9Q/terminate', true],
    ['POST', '/api/v1/namespaces/default/workflows/BSCP-2026-7K3F9Q/cancel', true],
    ['POST', '/api/v1/namespaces/default/workflows/BSCP-2026-7K3F9Q/signal/x', true],
    ['POST', '/api/v1/namespaces/default/batch-operations/1', true],
    ['DELETE', '/api/v1/namespaces/default/schedules/s', true],
    ['POST', '/auth/sso', false],
  ])('%s %s refused: %s', (method, path, refused) => {
    expect(isRefusedWrite(method, path)).toBe(refused);
  });
});
