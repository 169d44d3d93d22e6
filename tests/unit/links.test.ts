import { LinkError, createLinkSigner } from '../../shared/links';

const signer = createLinkSigner('a-secret-that-is-at-least-32-characters-long');
const claims = { reference: 'BSCP-2026-ABC123', stage: 2, recipientId: 'raiser.lineManager.0', expiresAt: new Date(Date.now() + 60_000) };

describe('links in emails', () => {
  it('carry the case, stage and recipient, and nothing else about people', async () => {
    const token = await signer.issue(claims);
    const verified = await signer.verify(token);
    expect(verified).toMatchObject({ reference: claims.reference, stage: 2, recipientId: 'raiser.lineManager.0' });
    expect(verified.jti).toMatch(/^[0-9a-f-]{36}$/);
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'ref', 'stg', 'sub']);
  });

  it('are refused once expired', async () => {
    const token = await signer.issue({ ...claims, expiresAt: new Date(Date.now() - 1000) });
    await expect(signer.verify(token)).rejects.toEqual(new LinkError('expired'));
  });

  it('are refused when altered or signed with another secret', async () => {
    const token = await signer.issue(claims);
    const [h, p, s] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), stg: 5 })).toString('base64url');
    await expect(signer.verify(`${h}.${forgedPayload}.${s}`)).rejects.toEqual(new LinkError('invalid'));
    const other = createLinkSigner('another-secret-that-is-at-least-32-characters');
    await expect(other.verify(token)).rejects.toEqual(new LinkError('invalid'));
  });

  it('need a secret long enough to resist guessing', () => {
    expect(() => createLinkSigner('short')).toThrow(/at least 32/);
  });
});
